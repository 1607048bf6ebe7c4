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
            Self::Problem(problem) => {
                problem.unprocessable_when_all_rules_in(&RULES_BEYOND_THE_DOCUMENT)
            }
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

/// Field rules no JSON Schema can state: they weigh a field against another (`as_of` within
/// the period), against stored records (a plan's period, a figure's versions), against today,
/// against the contents of an uploaded file, or against where a webhook address resolves.
/// The document accepts such a request, so refusing it is not "invalid input" (400) but
/// "well-formed and not processable" (422, declared on each route that can give it). Rule ids
/// are stable (`errors[].rule`); every other rule is one the document states, and stays 400.
pub const RULES_BEYOND_THE_DOCUMENT: [&str; 20] = [
    "not_issued",
    "within_period",
    "not_future",
    "within_plan",
    "exists",
    "level",
    "required_for_correction",
    "whole_yuan",
    "max_yuan",
    "not_empty",
    "rows",
    "encoding",
    "csv",
    "xlsx",
    "header",
    "scheme",
    "credentials",
    "fragment",
    "public_address",
    "resolvable",
];

impl ResponseError for MonitoringError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.to_problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_problem().error_response()
    }
}
