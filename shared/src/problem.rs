//! RFC 9457 problem details: the one error body every service returns.
//!
//! Handlers return a service error enum that converts into [`Problem`]. Errors raised by
//! actix itself (bad JSON, unknown route, wrong method, oversized body) never pass through
//! that enum, so [`problem_json_middleware`] rewrites every error response that is not
//! already a problem, and fills `instance` and `request_id` on all of them.

use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::telemetry::RequestId;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Stable problem type identifiers. Integrators may branch on `type`; titles may be reworded.
pub mod types {
    pub const VALIDATION: &str = "urn:jiangsu-hte:problem:validation";
    pub const MALFORMED_REQUEST: &str = "urn:jiangsu-hte:problem:malformed-request";
    pub const UNAUTHENTICATED: &str = "urn:jiangsu-hte:problem:unauthenticated";
    pub const FORBIDDEN: &str = "urn:jiangsu-hte:problem:forbidden";
    pub const NOT_FOUND: &str = "urn:jiangsu-hte:problem:not-found";
    pub const METHOD_NOT_ALLOWED: &str = "urn:jiangsu-hte:problem:method-not-allowed";
    pub const CONFLICT: &str = "urn:jiangsu-hte:problem:conflict";
    pub const PRECONDITION_FAILED: &str = "urn:jiangsu-hte:problem:precondition-failed";
    pub const PRECONDITION_REQUIRED: &str = "urn:jiangsu-hte:problem:precondition-required";
    pub const PAYLOAD_TOO_LARGE: &str = "urn:jiangsu-hte:problem:payload-too-large";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "urn:jiangsu-hte:problem:unsupported-media-type";
    pub const NOT_ACCEPTABLE: &str = "urn:jiangsu-hte:problem:not-acceptable";
    pub const UNPROCESSABLE: &str = "urn:jiangsu-hte:problem:unprocessable";
    pub const UPSTREAM_UNAVAILABLE: &str = "urn:jiangsu-hte:problem:upstream-unavailable";
    pub const SERVICE_UNAVAILABLE: &str = "urn:jiangsu-hte:problem:service-unavailable";
    pub const INTERNAL: &str = "urn:jiangsu-hte:problem:internal";
    pub const HTTP: &str = "urn:jiangsu-hte:problem:http";
}

/// One rejected input field: which field, which rule, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer-like path of the field (`credit_code`, `reports[2].year`) or the name of the
    /// query/path parameter or header.
    #[schema(example = "credit_code")]
    pub field: String,
    /// Stable identifier of the rule that failed, e.g. `check_character`, `range`, `required`.
    #[schema(example = "check_character")]
    pub rule: String,
    /// Human-readable explanation.
    #[schema(
        example = "check character (position 18) is '7' but the first 17 characters require '6'"
    )]
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:jiangsu-hte:problem:validation",
    "title": "Invalid input",
    "status": 400,
    "detail": "1 field failed validation",
    "instance": "/api/v1/regions/32050",
    "errors": [{"field": "code", "rule": "format", "message": "region code must be 6 digits"}],
    "request_id": "5f0c6c7e-8a43-4c47-9a34-0d5a7a7c2a11"
}))]
pub struct Problem {
    /// URI identifying the problem type; stable, safe to branch on.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path this problem occurred on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Field-level validation failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id (`X-Request-Id`) to quote when reporting the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, type_uri: &str, title: impl Into<String>) -> Self {
        Self {
            type_uri: type_uri.to_owned(),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: Vec::new(),
            request_id: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// 400 with field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => errors[0].message.clone(),
            n => format!("{n} fields failed validation"),
        };
        Self::new(StatusCode::BAD_REQUEST, types::VALIDATION, "Invalid input")
            .with_detail(detail)
            .with_errors(errors)
    }

    /// 400 for a single invalid field.
    pub fn invalid_field(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, rule, message)])
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            types::MALFORMED_REQUEST,
            "Malformed request",
        )
        .with_detail(detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            types::UNAUTHENTICATED,
            "Authentication required",
        )
        .with_detail(detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, types::FORBIDDEN, "Not allowed").with_detail(detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, types::NOT_FOUND, "Not found").with_detail(detail)
    }

    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            types::PAYLOAD_TOO_LARGE,
            "Payload too large",
        )
        .with_detail(detail)
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            types::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
        )
        .with_detail(detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, types::CONFLICT, "Conflict").with_detail(detail)
    }

    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            types::PRECONDITION_FAILED,
            "Precondition failed",
        )
        .with_detail(detail)
    }

    pub fn precondition_required(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            types::PRECONDITION_REQUIRED,
            "Precondition required",
        )
        .with_detail(detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            types::UNPROCESSABLE,
            "Unprocessable request",
        )
        .with_detail(detail)
    }

    pub fn service_unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            types::SERVICE_UNAVAILABLE,
            "Service unavailable",
        )
        .with_detail(detail)
    }

    pub fn upstream_unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            types::UPSTREAM_UNAVAILABLE,
            "A service this answer depends on is unavailable",
        )
        .with_detail(detail)
    }

    /// 500 that tells the client nothing internal; the cause is logged by the caller.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            types::INTERNAL,
            "Internal error",
        )
        .with_detail("an unexpected error occurred; quote the request_id when reporting it")
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A problem for an error response produced outside our handlers (actix extractors,
    /// routing). `cause` is shown only for client errors: server-side text may be internal.
    fn from_foreign(status: StatusCode, cause: Option<String>) -> Self {
        let (type_uri, title) = match status {
            StatusCode::BAD_REQUEST => (types::MALFORMED_REQUEST, "Malformed request"),
            StatusCode::UNAUTHORIZED => (types::UNAUTHENTICATED, "Authentication required"),
            StatusCode::FORBIDDEN => (types::FORBIDDEN, "Not allowed"),
            StatusCode::NOT_FOUND => (types::NOT_FOUND, "Not found"),
            StatusCode::METHOD_NOT_ALLOWED => (types::METHOD_NOT_ALLOWED, "Method not allowed"),
            StatusCode::NOT_ACCEPTABLE => (types::NOT_ACCEPTABLE, "Not acceptable"),
            StatusCode::PAYLOAD_TOO_LARGE => (types::PAYLOAD_TOO_LARGE, "Payload too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                (types::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
            }
            StatusCode::SERVICE_UNAVAILABLE => (types::SERVICE_UNAVAILABLE, "Service unavailable"),
            s if s.is_server_error() => (types::INTERNAL, "Internal error"),
            _ => (
                types::HTTP,
                status.canonical_reason().unwrap_or("HTTP error"),
            ),
        };
        let detail = match (status, cause) {
            (s, Some(cause)) if s.is_client_error() && !cause.is_empty() => Some(cause),
            (StatusCode::NOT_FOUND, _) => Some("no resource at this path".to_owned()),
            (StatusCode::METHOD_NOT_ALLOWED, _) => {
                Some("this path does not accept this HTTP method".to_owned())
            }
            _ => None,
        };
        Self {
            detail,
            ..Self::new(status, type_uri, title)
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        Problem::status_code(self)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = render(self);
        // Kept so the middleware can add instance and request id without re-parsing the body.
        response.extensions_mut().insert(self.clone());
        if self.status == StatusCode::UNAUTHORIZED.as_u16() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"jiangsu-hte\""),
            );
        }
        response
    }
}

fn render(problem: &Problem) -> HttpResponse {
    HttpResponse::build(problem.status_code())
        .content_type(PROBLEM_JSON)
        .json(problem)
}

/// Makes every error response problem+json and stamps `instance` and `request_id` on it.
pub async fn problem_json_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let instance = req.path().to_owned();
    let request_id = req.extensions().get::<RequestId>().cloned();
    // Handler errors arrive here as responses; an `Err` can only come from inner middleware
    // and actix renders it through the same `ResponseError` impls.
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(response);
    }
    let mut problem = match response.response().extensions().get::<Problem>().cloned() {
        Some(problem) => problem,
        None => {
            if status.is_server_error() {
                if let Some(error) = response.response().error() {
                    tracing::error!(%error, "request failed");
                }
            }
            let cause = response.response().error().map(ToString::to_string);
            Problem::from_foreign(status, cause)
        }
    };
    problem.instance = Some(instance);
    problem.request_id = request_id.map(|id| id.0);
    let (request, old) = response.into_parts();
    let mut new = render(&problem);
    // Keep headers such as WWW-Authenticate, Allow and ETag set by whoever made the error.
    for (name, value) in old.headers() {
        // The body is new: headers describing the old one's encoding do not apply.
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CONTENT_ENCODING
        {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, new))
}

/// Fallback for paths no route matches.
pub async fn not_found() -> Result<HttpResponse, Problem> {
    Err(Problem::not_found("no resource at this path"))
}

/// Configures actix's extractors so their rejections name the parameter at fault.
pub fn json_config(limit_bytes: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit_bytes)
        .error_handler(|error, _req| {
            use actix_web::error::JsonPayloadError;
            let problem = match &error {
                JsonPayloadError::OverflowKnownLength { length, limit } => {
                    Problem::payload_too_large(format!(
                        "the body has {length} bytes; the limit is {limit} bytes"
                    ))
                }
                JsonPayloadError::Overflow { limit } => Problem::payload_too_large(format!(
                    "the body exceeds the limit of {limit} bytes"
                )),
                JsonPayloadError::ContentType => Problem::unsupported_media_type(
                    "the body must be JSON (Content-Type: application/json)",
                ),
                JsonPayloadError::Deserialize(cause) => json_problem(cause),
                other => Problem::bad_request(other.to_string()),
            };
            problem.into()
        })
}

fn json_problem(cause: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    match cause.classify() {
        Category::Data => {
            // serde names the field in its message ("missing field `name`", "unknown field `x`").
            let message = cause.to_string();
            let field = message
                .split('`')
                .nth(1)
                .filter(|_| message.contains("field"))
                .unwrap_or("body")
                .to_owned();
            Problem::validation(vec![FieldError::new(field, "schema", message)])
        }
        _ => Problem::bad_request(format!("the body is not valid JSON: {cause}")),
    }
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default()
        .error_handler(|error, _req| query_problem(&error.to_string()).into())
}

/// A refused query string as a 400: an unknown parameter (from a parameter struct with
/// `deny_unknown_fields`) is named, so a misspelled filter is never silently ignored.
fn query_problem(message: &str) -> Problem {
    // actix and serde: "Query deserialize error: unknown field `regoin`, expected one of
    // `region`, `level`".
    const MARK: &str = "unknown field `";
    let unknown = message
        .find(MARK)
        .and_then(|at| message[at + MARK.len()..].split('`').next());
    match unknown {
        Some(name) => {
            let shown: String = name.chars().take(64).collect();
            let expected = message
                .rsplit_once(", expected ")
                .map_or("no parameters", |(_, expected)| expected);
            let expected: String = expected.chars().take(300).collect();
            Problem::validation(vec![FieldError::new(
                shown.clone(),
                "unknown_parameter",
                format!("unknown query parameter {shown:?} (未知的查询参数); expected {expected}"),
            )])
        }
        None => {
            let shown: String = message.chars().take(300).collect();
            Problem::validation(vec![FieldError::new("query", "schema", shown)])
        }
    }
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|error, _req| {
        Problem::validation(vec![FieldError::new("path", "schema", error.to_string())]).into()
    })
}

#[cfg(test)]
mod tests {
    use super::query_problem;

    #[test]
    fn an_unknown_query_parameter_is_named() {
        let problem = query_problem(
            "Query deserialize error: unknown field `regoin`, expected one of `region`, `level`",
        );
        assert_eq!(problem.errors[0].field, "regoin");
        assert_eq!(problem.errors[0].rule, "unknown_parameter");
        assert!(problem.errors[0].message.contains("`region`, `level`"));
        let other = query_problem("invalid digit found in string");
        assert_eq!(other.errors[0].field, "query");
    }
}
