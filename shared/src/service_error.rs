//! The error of a service that calls other services, and its one mapping to problem+json.
//! Each such service names its own rules and its own words for an absent upstream
//! ([`ServiceErrors`]); the variants, conversions and the mapping are the same everywhere.

use std::fmt;
use std::marker::PhantomData;

use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;
use crate::http_client::UpstreamError;
use crate::i18n::Text;
use crate::problem::Problem;

/// What differs between services in how their errors read.
pub trait ServiceErrors: 'static {
    /// Field rules no JSON Schema can state: a problem made only of these is a 422, not a 400.
    const RULES_BEYOND_THE_DOCUMENT: &'static [&'static str];

    /// The 503's detail when another service could not answer: what was not done, and why.
    fn upstream_unavailable(error: &UpstreamError) -> Text;
}

/// A service's error: a client-facing problem, a database failure or an absent upstream.
pub enum ServiceError<S> {
    /// Already a client-facing problem (validation, auth, not found, …).
    Problem(Problem),
    Db(DbError),
    /// Another service could not answer (503 upstream-unavailable).
    Upstream(UpstreamError),
    #[doc(hidden)]
    Of(PhantomData<S>, std::convert::Infallible),
}

impl<S: ServiceErrors> ServiceError<S> {
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::Problem(problem) => {
                problem.unprocessable_when_all_rules_in(S::RULES_BEYOND_THE_DOCUMENT)
            }
            Self::Db(error) => error.to_problem(),
            Self::Upstream(error @ UpstreamError::Token { .. }) => {
                tracing::error!(%error, "cannot call another service");
                Problem::internal()
            }
            Self::Upstream(error) => {
                tracing::warn!(%error, "upstream call failed");
                Problem::upstream_unavailable(S::upstream_unavailable(error))
            }
            Self::Of(_, never) => match *never {},
        }
    }
}

impl<S> From<Problem> for ServiceError<S> {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

impl<S> From<DbError> for ServiceError<S> {
    fn from(error: DbError) -> Self {
        Self::Db(error)
    }
}

impl<S> From<diesel::result::Error> for ServiceError<S> {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl<S> From<UpstreamError> for ServiceError<S> {
    fn from(error: UpstreamError) -> Self {
        Self::Upstream(error)
    }
}

impl<S> fmt::Debug for ServiceError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Problem(problem) => f.debug_tuple("Problem").field(problem).finish(),
            Self::Db(error) => f.debug_tuple("Db").field(error).finish(),
            Self::Upstream(error) => f.debug_tuple("Upstream").field(error).finish(),
            Self::Of(_, never) => match *never {},
        }
    }
}

impl<S> fmt::Display for ServiceError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Problem(problem) => write!(f, "{problem}"),
            Self::Db(error) => write!(f, "{error}"),
            Self::Upstream(error) => write!(f, "{error}"),
            Self::Of(_, never) => match *never {},
        }
    }
}

impl<S> std::error::Error for ServiceError<S> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Problem(problem) => Some(problem),
            Self::Db(error) => error.source(),
            Self::Upstream(error) => error.source(),
            Self::Of(_, never) => match *never {},
        }
    }
}

impl<S: ServiceErrors> ResponseError for ServiceError<S> {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.to_problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_problem().error_response()
    }
}
