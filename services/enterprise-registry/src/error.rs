//! The registry's errors, and their one mapping to problem+json.

use actix_web::{HttpResponse, ResponseError};
use hte_shared::db::DbError;
use hte_shared::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Already a client-facing problem (validation, auth, not found, …).
    #[error("{0}")]
    Problem(#[from] Problem),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Our own data failed us: a stored value that does not parse, a value that does not
    /// serialise. Logged with its cause when made; the client sees a generic 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for RegistryError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl RegistryError {
    /// An internal failure: `what` went wrong because of `cause`. Logged here, once.
    pub fn internal(what: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{what}");
        Self::Internal(format!("{what}: {cause}"))
    }

    fn to_problem(&self) -> Problem {
        match self {
            Self::Problem(problem) => {
                problem.unprocessable_when_all_rules_in(&RULES_BEYOND_THE_DOCUMENT)
            }
            Self::Db(error) => error.to_problem(),
            Self::Internal(_) => Problem::internal(),
        }
    }
}

/// Field rules no JSON Schema can state: they weigh a field against another field of the
/// request, against stored records or against today's date, or name what no schema can know
/// exists (a rule set, a page cursor this service issued, a dictionary entry), or compute
/// (a check character; `format: date` has no minimum). The document accepts such a
/// request, so refusing it is not "invalid input" (400) but "well-formed and not processable"
/// (422, declared on each route that gives it). Rule ids are stable (`errors[].rule`).
/// `rule_set` names what `RuleSet::validate` finds in a rule set's contents: band order,
/// points against the rule set's own maxima, thresholds against each other, and ranges the
/// rule-set schema leaves to it; `builtin` is the built-in version, which cannot be replaced;
/// `not_empty` is an uploaded file with no rows (or no bytes) to read, a rule on the file's
/// contents as monitoring's imports have it.
pub const RULES_BEYOND_THE_DOCUMENT: [&str; 33] = [
    "not_before_registration",
    "not_after_recorded_facts",
    "not_before_grant",
    "after_deregistration",
    "not_in_future",
    "not_before_from",
    "not_before_start",
    "order",
    "zone_in_city",
    "known_zone",
    "zone_level_of_zone",
    "one_city",
    "year_matches_issue",
    "not_applicable",
    "matches_path",
    "unknown",
    "not_issued",
    "too_early",
    "check_character",
    "dictionary",
    "field_of_kind",
    "required_for_kind",
    "expert_score",
    "rule_set",
    "builtin",
    "not_empty",
    "required_with_level",
    "known_carrier",
    "not_after_as_of",
    "at_most_employees",
    "at_most_rd_expense_yuan",
    "at_most_total_income_yuan",
    "at_most_class1_ip",
];

/// Serialises a value we produced (a view, an audit record); failing is our bug, a 500.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, RegistryError> {
    serde_json::to_value(value).map_err(|e| RegistryError::internal("cannot serialise", e))
}

/// The key an enumeration serialises to (its snake_case name).
pub fn json_key<T: serde::Serialize>(value: T) -> Result<String, RegistryError> {
    match to_json(&value)? {
        serde_json::Value::String(key) => Ok(key),
        other => Err(RegistryError::internal("not an enumeration key", other)),
    }
}

/// Reads a key stored by this service back into its enumeration; an unknown key means the
/// stored data is damaged, a 500.
pub fn stored<T>(
    column: &str,
    key: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, RegistryError> {
    parse(key).ok_or_else(|| {
        RegistryError::internal("stored value does not parse", format!("{column} = {key:?}"))
    })
}

impl ResponseError for RegistryError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.to_problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_problem().error_response()
    }
}
