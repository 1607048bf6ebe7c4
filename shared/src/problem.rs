//! RFC 9457 problem details: the one error body every service returns.
//!
//! Handlers return a service error enum that converts into [`Problem`]. Errors raised by
//! actix itself (bad JSON, unknown route, wrong method, oversized body) never pass through
//! that enum, so [`problem_json_middleware`] rewrites every error response that is not
//! already a problem, fills `instance` and `request_id` on all of them, and writes their texts
//! in the language the request asks for.
//!
//! Limits on what a problem echoes: at most [`MAX_FIELD_ERRORS`] field errors, texts cut to
//! [`MAX_DETAIL_CHARS`] / [`MAX_MESSAGE_CHARS`] characters, and messages quote at most a short
//! prefix of a bad value ([`crate::i18n::quote`]).

use std::borrow::Cow;
use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::{Lang, Text, truncate};
use crate::telemetry::RequestId;
use crate::text;

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
    pub const REQUEST_TIMEOUT: &str = "urn:jiangsu-hte:problem:request-timeout";
    pub const TOO_MANY_REQUESTS: &str = "urn:jiangsu-hte:problem:too-many-requests";
    pub const HTTP: &str = "urn:jiangsu-hte:problem:http";
}

/// At most this many field errors are listed in one problem; `detail` gives the full count.
pub const MAX_FIELD_ERRORS: usize = 20;
/// Longest `detail` and `title` sent, in characters; longer texts are cut with an ellipsis.
pub const MAX_DETAIL_CHARS: usize = 1000;
/// Longest field error `message` sent, in characters.
pub const MAX_MESSAGE_CHARS: usize = 300;
/// Longest field path, `rule` and `instance` sent, in characters.
pub const MAX_FIELD_CHARS: usize = 200;

/// One rejected input field: which field, which rule, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer-like path of the field (`credit_code`, `reports[2].year`) or the name of the
    /// query/path parameter or header.
    #[schema(example = "credit_code", max_length = 200)]
    pub field: String,
    /// Stable identifier of the rule that failed, e.g. `check_character`, `range`, `required`.
    #[schema(example = "check_character", max_length = 200)]
    pub rule: String,
    /// Human-readable explanation, in the language asked for by `Accept-Language`.
    #[schema(
        value_type = String,
        max_length = 300,
        example = "check character (position 18) is '7' but the first 17 characters require '6'"
    )]
    pub message: Text,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<Text>,
    ) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details (`application/problem+json`). `title`, `detail` and each field
/// error's `message` are in the language `Accept-Language` prefers (Chinese for `zh`,
/// `zh-CN`, `zh-Hans`; English otherwise), named in `Content-Language`.
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
    #[schema(max_length = 200, pattern = "^[a-z][a-z0-9+.-]*:[!-~]+$")]
    pub type_uri: String,
    /// Short summary of the problem type.
    #[schema(value_type = String, max_length = 1000)]
    pub title: Text,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub detail: Option<Text>,
    /// The request path this problem occurred on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub instance: Option<String>,
    /// Field-level validation failures (at most 20; `detail` gives the full count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 20)]
    pub errors: Vec<FieldError>,
    /// The request id (`X-Request-Id`) to quote when reporting the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128, pattern = "^[!-~]{1,128}$")]
    pub request_id: Option<String>,
    /// Seconds after which a retry may succeed: sent as `Retry-After` (429, 503).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// The titles of the problem types, in both languages.
mod titles {
    use crate::i18n::Text;

    pub const INVALID_INPUT: Text = Text::fixed("Invalid input", "输入无效");
    pub const MALFORMED: Text = Text::fixed("Malformed request", "请求格式错误");
    pub const UNAUTHENTICATED: Text = Text::fixed("Authentication required", "需要身份认证");
    pub const FORBIDDEN: Text = Text::fixed("Not allowed", "无权操作");
    pub const NOT_FOUND: Text = Text::fixed("Not found", "未找到");
    pub const METHOD_NOT_ALLOWED: Text = Text::fixed("Method not allowed", "不支持该请求方法");
    pub const CONFLICT: Text = Text::fixed("Conflict", "冲突");
    pub const PRECONDITION_FAILED: Text = Text::fixed("Precondition failed", "前提条件不成立");
    pub const PRECONDITION_REQUIRED: Text =
        Text::fixed("Precondition required", "缺少前提条件（If-Match）");
    pub const PAYLOAD_TOO_LARGE: Text = Text::fixed("Payload too large", "请求体过大");
    pub const UNSUPPORTED_MEDIA_TYPE: Text =
        Text::fixed("Unsupported media type", "不支持的媒体类型");
    pub const NOT_ACCEPTABLE: Text = Text::fixed("Not acceptable", "无法提供所要求的格式");
    pub const UNPROCESSABLE: Text = Text::fixed("Unprocessable request", "无法处理的请求");
    pub const SERVICE_UNAVAILABLE: Text = Text::fixed("Service unavailable", "服务暂不可用");
    pub const UPSTREAM_UNAVAILABLE: Text = Text::fixed(
        "A service this answer depends on is unavailable",
        "本应答所依赖的服务暂不可用",
    );
    pub const INTERNAL: Text = Text::fixed("Internal error", "内部错误");
    pub const REQUEST_TIMEOUT: Text = Text::fixed("Request timeout", "请求超时");
    pub const TOO_MANY_REQUESTS: Text = Text::fixed("Too many requests", "请求过于频繁");
    pub const HTTP: Text = Text::fixed("HTTP error", "HTTP 错误");
}

impl Problem {
    /// A validation problem whose every field error has one of `rules` (the rules a service's
    /// document cannot state: other fields, stored records, today's date, check characters)
    /// as a 422 with the same errors; any error the document states keeps it a 400, and other
    /// problems are returned as they are.
    pub fn unprocessable_when_all_rules_in(&self, rules: &[&str]) -> Problem {
        let beyond = self.type_uri == types::VALIDATION
            && !self.errors.is_empty()
            && self.errors.iter().all(|e| rules.contains(&e.rule.as_str()));
        if !beyond {
            return self.clone();
        }
        let detail = self
            .detail
            .clone()
            .unwrap_or_else(|| Text::fixed("the request cannot be processed", "无法处理该请求"));
        let mut unprocessable = Problem::unprocessable(detail).with_errors(self.errors.clone());
        unprocessable.instance = self.instance.clone();
        unprocessable.request_id = self.request_id.clone();
        unprocessable
    }

    pub fn new(status: StatusCode, type_uri: &str, title: impl Into<Text>) -> Self {
        Self {
            type_uri: type_uri.to_owned(),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: Vec::new(),
            request_id: None,
            retry_after: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<Text>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// Sends `Retry-After: seconds` with the problem.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 400 with field errors (at most [`MAX_FIELD_ERRORS`] are sent; `detail` counts all).
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        let detail = match n {
            0 => Text::fixed("the input is not valid", "输入无效"),
            1 => errors[0].message.clone(),
            n if n <= MAX_FIELD_ERRORS => {
                text!("{n} fields failed validation", "{n} 个字段未通过校验")
            }
            n => text!(
                "{n} fields failed validation; the first {MAX_FIELD_ERRORS} are listed",
                "{n} 个字段未通过校验，此处列出前 {MAX_FIELD_ERRORS} 个"
            ),
        };
        Self::new(
            StatusCode::BAD_REQUEST,
            types::VALIDATION,
            titles::INVALID_INPUT,
        )
        .with_detail(detail)
        .with_errors(errors)
    }

    /// 400 for a single invalid field.
    pub fn invalid_field(field: &str, rule: &str, message: impl Into<Text>) -> Self {
        Self::validation(vec![FieldError::new(field, rule, message)])
    }

    pub fn bad_request(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            types::MALFORMED_REQUEST,
            titles::MALFORMED,
        )
        .with_detail(detail)
    }

    pub fn unauthenticated(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            types::UNAUTHENTICATED,
            titles::UNAUTHENTICATED,
        )
        .with_detail(detail)
    }

    pub fn forbidden(detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::FORBIDDEN, types::FORBIDDEN, titles::FORBIDDEN).with_detail(detail)
    }

    pub fn not_found(detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::NOT_FOUND, types::NOT_FOUND, titles::NOT_FOUND).with_detail(detail)
    }

    pub fn method_not_allowed(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            types::METHOD_NOT_ALLOWED,
            titles::METHOD_NOT_ALLOWED,
        )
        .with_detail(detail)
    }

    pub fn payload_too_large(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            types::PAYLOAD_TOO_LARGE,
            titles::PAYLOAD_TOO_LARGE,
        )
        .with_detail(detail)
    }

    pub fn unsupported_media_type(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            types::UNSUPPORTED_MEDIA_TYPE,
            titles::UNSUPPORTED_MEDIA_TYPE,
        )
        .with_detail(detail)
    }

    pub fn conflict(detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::CONFLICT, types::CONFLICT, titles::CONFLICT).with_detail(detail)
    }

    pub fn precondition_failed(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            types::PRECONDITION_FAILED,
            titles::PRECONDITION_FAILED,
        )
        .with_detail(detail)
    }

    pub fn precondition_required(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            types::PRECONDITION_REQUIRED,
            titles::PRECONDITION_REQUIRED,
        )
        .with_detail(detail)
    }

    pub fn unprocessable(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            types::UNPROCESSABLE,
            titles::UNPROCESSABLE,
        )
        .with_detail(detail)
    }

    pub fn service_unavailable(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            types::SERVICE_UNAVAILABLE,
            titles::SERVICE_UNAVAILABLE,
        )
        .with_detail(detail)
    }

    pub fn upstream_unavailable(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            types::UPSTREAM_UNAVAILABLE,
            titles::UPSTREAM_UNAVAILABLE,
        )
        .with_detail(detail)
    }

    /// 408: the request (its body) did not arrive in the time allowed.
    pub fn request_timeout(detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            types::REQUEST_TIMEOUT,
            titles::REQUEST_TIMEOUT,
        )
        .with_detail(detail)
    }

    /// 429 with `Retry-After: retry_after_secs`.
    pub fn too_many_requests(retry_after_secs: u64, detail: impl Into<Text>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            types::TOO_MANY_REQUESTS,
            titles::TOO_MANY_REQUESTS,
        )
        .with_detail(detail)
        .with_retry_after(retry_after_secs)
    }

    /// 500 that tells the client nothing internal; the cause is logged by the caller.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            types::INTERNAL,
            titles::INTERNAL,
        )
        .with_detail(Text::fixed(
            "an unexpected error occurred; quote the request_id when reporting it",
            "发生意外错误；报告问题时请提供 request_id",
        ))
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A problem for an error response produced outside our handlers (actix extractors,
    /// routing). Their own wording is logged, never sent: it is the framework's, not ours.
    fn from_foreign(status: StatusCode, cause: Option<String>) -> Self {
        if let Some(cause) = cause.filter(|c| !c.is_empty()) {
            tracing::debug!(%cause, status = status.as_u16(), "framework error answered");
        }
        let (type_uri, title, detail) = match status {
            StatusCode::BAD_REQUEST => (
                types::MALFORMED_REQUEST,
                titles::MALFORMED,
                Some(Text::fixed(
                    "the request could not be read",
                    "无法读取该请求",
                )),
            ),
            StatusCode::UNAUTHORIZED => (types::UNAUTHENTICATED, titles::UNAUTHENTICATED, None),
            StatusCode::FORBIDDEN => (types::FORBIDDEN, titles::FORBIDDEN, None),
            StatusCode::NOT_FOUND => (types::NOT_FOUND, titles::NOT_FOUND, Some(no_resource())),
            StatusCode::METHOD_NOT_ALLOWED => (
                types::METHOD_NOT_ALLOWED,
                titles::METHOD_NOT_ALLOWED,
                Some(Text::fixed(
                    "this path does not accept this HTTP method",
                    "此路径不接受该 HTTP 方法",
                )),
            ),
            StatusCode::NOT_ACCEPTABLE => (types::NOT_ACCEPTABLE, titles::NOT_ACCEPTABLE, None),
            StatusCode::REQUEST_TIMEOUT => (
                types::REQUEST_TIMEOUT,
                titles::REQUEST_TIMEOUT,
                Some(Text::fixed(
                    "the request did not arrive in time",
                    "请求未能在规定时间内送达",
                )),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                types::PAYLOAD_TOO_LARGE,
                titles::PAYLOAD_TOO_LARGE,
                Some(Text::fixed(
                    "the request body is larger than this route accepts",
                    "请求体超过本接口允许的大小",
                )),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                types::UNSUPPORTED_MEDIA_TYPE,
                titles::UNSUPPORTED_MEDIA_TYPE,
                None,
            ),
            StatusCode::TOO_MANY_REQUESTS => {
                (types::TOO_MANY_REQUESTS, titles::TOO_MANY_REQUESTS, None)
            }
            StatusCode::SERVICE_UNAVAILABLE => (
                types::SERVICE_UNAVAILABLE,
                titles::SERVICE_UNAVAILABLE,
                None,
            ),
            s if s.is_server_error() => (types::INTERNAL, titles::INTERNAL, None),
            _ => (types::HTTP, titles::HTTP, None),
        };
        Self {
            detail,
            ..Self::new(status, type_uri, title)
        }
    }

    /// The answer to a request whose preferred language is `lang`.
    pub fn to_response(&self, lang: Lang) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type(PROBLEM_JSON)
            .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
            .insert_header((header::VARY, "Accept-Language"));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.max(1).to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED.as_u16() {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"jiangsu-hte\""),
            ));
        }
        response.json(Wire::of(self, lang))
    }
}

fn no_resource() -> Text {
    Text::fixed("no resource at this path", "此路径下没有资源")
}

/// A problem as sent: one language, every text bounded.
#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    type_uri: &'a str,
    title: Cow<'a, str>,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<WireFieldError<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

#[derive(Serialize)]
struct WireFieldError<'a> {
    field: Cow<'a, str>,
    rule: Cow<'a, str>,
    message: Cow<'a, str>,
}

impl<'a> Wire<'a> {
    fn of(problem: &'a Problem, lang: Lang) -> Self {
        Self {
            type_uri: &problem.type_uri,
            title: truncate(problem.title.get(lang), MAX_DETAIL_CHARS),
            status: problem.status,
            detail: problem
                .detail
                .as_ref()
                .map(|d| truncate(d.get(lang), MAX_DETAIL_CHARS)),
            instance: problem
                .instance
                .as_deref()
                .map(|i| truncate(i, MAX_FIELD_CHARS)),
            errors: problem
                .errors
                .iter()
                .take(MAX_FIELD_ERRORS)
                .map(|e| WireFieldError {
                    field: truncate(&e.field, MAX_FIELD_CHARS),
                    rule: truncate(&e.rule, MAX_FIELD_CHARS),
                    message: truncate(e.message.get(lang), MAX_MESSAGE_CHARS),
                })
                .collect(),
            request_id: problem.request_id.as_deref(),
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

    /// English; [`problem_json_middleware`] writes it again in the request's language.
    fn error_response(&self) -> HttpResponse {
        let mut response = self.to_response(Lang::En);
        // Kept so the middleware can add instance and request id without re-parsing the body.
        response.extensions_mut().insert(self.clone());
        response
    }
}

/// Makes every error response problem+json in the request's language (`Accept-Language`),
/// and stamps `instance` and `request_id` on it.
pub async fn problem_json_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let instance = req.path().to_owned();
    let request_id = req.extensions().get::<RequestId>().cloned();
    let lang = Lang::from_headers(req.headers());
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
    let mut new = problem.to_response(lang);
    new.extensions_mut().insert(problem);
    // A connection that must close (a body left half-read) still must.
    if old.head().connection_type() == ConnectionType::Close {
        new.head_mut().set_connection_type(ConnectionType::Close);
    }
    // Keep headers such as WWW-Authenticate, Allow and ETag set by whoever made the error,
    // unless the new answer sets them itself. Headers describing the old body's type, length
    // and encoding do not apply to the new body.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CONTENT_ENCODING
            && !new.headers().contains_key(name)
        {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, new))
}

/// Fallback for paths no route matches.
pub async fn not_found() -> Result<HttpResponse, Problem> {
    Err(Problem::not_found(no_resource()))
}

/// Configures actix's JSON extractor: an oversized body is a 413, every other rejection a
/// 400 naming the field, in plain words (see [`crate::rejection`]).
pub fn json_config(limit_bytes: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit_bytes)
        .error_handler(|error, _req| {
            use actix_web::error::JsonPayloadError;
            let problem = match &error {
                JsonPayloadError::OverflowKnownLength { length, limit } => {
                    Problem::payload_too_large(text!(
                        "the body has {length} bytes; the limit is {limit} bytes",
                        "请求体有 {length} 字节，上限为 {limit} 字节"
                    ))
                }
                JsonPayloadError::Overflow { limit } => Problem::payload_too_large(text!(
                    "the body exceeds the limit of {limit} bytes",
                    "请求体超过 {limit} 字节的上限"
                )),
                JsonPayloadError::ContentType => {
                    Problem::unsupported_media_type(crate::json::NOT_JSON)
                }
                JsonPayloadError::Deserialize(cause) => crate::rejection::json_problem(None, cause),
                other => {
                    tracing::debug!(error = %other, "JSON body unreadable");
                    Problem::bad_request(Text::fixed(
                        "the body could not be read",
                        "无法读取请求体",
                    ))
                }
            };
            problem.into()
        })
}

/// Configures actix's query extractor: field errors in plain words, and every unknown
/// parameter named when the parameters' struct has `#[serde(deny_unknown_fields)]`.
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|error, req| {
        use actix_web::error::QueryPayloadError;
        let message = match &error {
            QueryPayloadError::Deserialize(cause) => cause.to_string(),
            other => other.to_string(),
        };
        crate::rejection::query_problem(&message, req.query_string()).into()
    })
}

/// Configures actix's path extractor: field errors in plain words.
pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|error, _req| {
        use actix_web::error::PathError;
        let message = match &error {
            PathError::Deserialize(cause) => cause.to_string(),
            other => other.to_string(),
        };
        crate::rejection::path_problem(&message).into()
    })
}
