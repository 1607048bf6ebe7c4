//! The service's errors, and their one mapping to problem+json.

use actix_web::{HttpResponse, ResponseError};
use hte_shared::db::DbError;
use hte_shared::http_client::UpstreamError;
use hte_shared::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    /// Already a client-facing problem (validation, auth, not found, …).
    #[error("{0}")]
    Problem(#[from] Problem),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The registry could not answer (503 upstream-unavailable).
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

impl From<diesel::result::Error> for AllocationError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl AllocationError {
    fn to_problem(&self) -> Problem {
        match self {
            Self::Problem(problem) => problem.clone(),
            Self::Db(error) => error.to_problem(),
            Self::Upstream(error @ UpstreamError::Token { .. }) => {
                tracing::error!(%error, "cannot call the registry");
                Problem::internal()
            }
            Self::Upstream(error) => {
                tracing::warn!(%error, "registry call failed");
                Problem::upstream_unavailable(hte_shared::text!(
                    "the enterprise registry could not answer ({error}); no figures are given \
                     rather than wrong ones; retry later",
                    "企业库服务暂时无法应答（{error}）；为避免给出错误数据，本次不提供数据，\
                     请稍后重试"
                ))
            }
        }
    }
}

impl ResponseError for AllocationError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.to_problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_problem().error_response()
    }
}
