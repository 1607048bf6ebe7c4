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
            Self::Problem(problem) => {
                problem.unprocessable_when_all_rules_in(&RULES_BEYOND_THE_DOCUMENT)
            }
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

/// Field rules no JSON Schema can state: they weigh a field against another field of the
/// request (`not_used`, `required_by_method`, `period`), against stored records (the plan's
/// indicators, periods, targets and versions, the region tree) or against today's date. The
/// document accepts such a request, so refusing it is not "invalid input" (400) but "well-formed
/// and not processable" (422, declared on each route that can give it). Rule ids are stable
/// (`errors[].rule`); every other rule is one the document states, and stays a 400.
pub const RULES_BEYOND_THE_DOCUMENT: [&str; 36] = [
    "not_issued",
    "not_in_future",
    "plan_period",
    "period",
    "indicator",
    "splittable",
    "measure",
    "assessable",
    "exists",
    "has_children",
    "child",
    "assessed_region",
    "children_sum",
    "limit",
    "unique",
    "not_used",
    "city_code",
    "current_version",
    "required_by_method",
    "target_set",
    "non_zero",
    "sum",
    "non_negative",
    "positive_weight",
    "apportionment",
    "weights_total",
    "figures_date",
    "ratio_range",
    "ratio_is_share",
    "fits_source",
    "needs_inputs",
    "quantity_only",
    "splittable_counts_only",
    "registry_only",
    "needs_formula",
    "decimals",
];

impl ResponseError for AllocationError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.to_problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_problem().error_response()
    }
}
