//! The service's errors, and their one mapping to problem+json.

use actix_web::{HttpResponse, ResponseError};
use hte_shared::db::DbError;
use hte_shared::http_client::UpstreamError;
use hte_shared::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum MonitoringError {
    /// Already a client-facing problem (validation, auth, not found, …).
    #[error("{0}")]
    Problem(#[from] Problem),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The registry or the allocation service could not answer (503 upstream-unavailable).
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

impl From<diesel::result::Error> for MonitoringError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl MonitoringError {
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::Problem(problem) => problem.clone(),
            Self::Db(error) => error.to_problem(),
            Self::Upstream(error @ UpstreamError::Token { .. }) => {
                tracing::error!(%error, "cannot call another service");
                Problem::internal()
            }
            Self::Upstream(error) => {
                tracing::warn!(%error, "upstream call failed");
                Problem::upstream_unavailable(hte_shared::text!(
                    "{error}; nothing was recorded rather than figures of mixed or unknown \
                     dates; retry later",
                    "上游服务暂不可用（{error}）；为避免记录日期不一或不明的数据，未生成快照，\
                     请稍后重试"
                ))
            }
        }
    }
}

impl ResponseError for MonitoringError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.to_problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_problem().error_response()
    }
}
