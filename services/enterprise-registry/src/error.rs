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
            Self::Problem(problem) => problem.clone(),
            Self::Db(error) => error.to_problem(),
            Self::Internal(_) => Problem::internal(),
        }
    }
}

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
