//! Optimistic concurrency: reads carry `ETag: "v<version>"`; updates must send it back in
//! `If-Match`, so an update made from a stale read is refused (412) instead of silently
//! overwriting someone else's change.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest};

use crate::i18n::Text;
use crate::problem::Problem;
use crate::text;

pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

pub fn etag_header(version: i32) -> (header::HeaderName, HeaderValue) {
    (
        header::ETAG,
        HeaderValue::from_str(&etag(version)).unwrap_or(HeaderValue::from_static("\"v0\"")),
    )
}

/// A 200 answer: `body` as JSON with the `ETag` of `version`, what every read and write of a
/// versioned record answers.
pub fn json_with_etag(version: i32, body: &impl serde::Serialize) -> actix_web::HttpResponse {
    json_with_etag_as(actix_web::http::StatusCode::OK, version, body)
}

/// [`json_with_etag`] with another status (201 for a record just made).
pub fn json_with_etag_as(
    status: actix_web::http::StatusCode,
    version: i32,
    body: &impl serde::Serialize,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .insert_header(etag_header(version))
        .json(body)
}

/// The `If-Match` header as sent.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<String>);

impl FromRequest for IfMatch {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let value = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().map(|s| s.trim().to_owned()));
        // An empty If-Match names no entity tag (RFC 9110 §13.1.1: `*` or at least one).
        std::future::ready(match value {
            None => Ok(Self(None)),
            Some(Ok(v)) if !v.is_empty() && !v.contains('\t') => Ok(Self(Some(v))),
            Some(_) => Err(Problem::invalid_field(
                "If-Match",
                "format",
                Text::fixed(
                    "If-Match must be an ETag such as \"v3\"",
                    "If-Match 须为 ETag，例如 \"v3\"",
                ),
            )),
        })
    }
}

impl IfMatch {
    /// For actions that require If-Match: a request without one is refused (428) before
    /// anything else about the record is weighed (its state, the body against it), so the
    /// answer to a missing precondition does not depend on stored state (RFC 6585 §3).
    pub fn require_sent(&self, current_version: i32) -> Result<(), Problem> {
        match self.0 {
            None => self.check(current_version),
            Some(_) => Ok(()),
        }
    }

    /// For actions where If-Match is optional (publish, close, deregister): checked when
    /// sent, so a client that sends it still never acts on a version it has not seen.
    pub fn check_if_sent(&self, current_version: i32) -> Result<(), Problem> {
        match self.0 {
            None => Ok(()),
            Some(_) => self.check(current_version),
        }
    }

    /// Checks the header against the current version: 428 when absent, 412 when stale.
    pub fn check(&self, current_version: i32) -> Result<(), Problem> {
        let Some(raw) = &self.0 else {
            let current = etag(current_version);
            return Err(Problem::precondition_required(text!(
                "send If-Match with the ETag of your last read (currently {current})",
                "请在 If-Match 中发送上次读取时得到的 ETag（当前为 {current}）"
            )));
        };
        // Strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
        let matches = raw == "*"
            || raw
                .split(',')
                .map(str::trim)
                .any(|tag| tag == etag(current_version));
        if matches {
            Ok(())
        } else {
            let (sent, current) = (crate::i18n::quote(raw), etag(current_version));
            Err(Problem::precondition_failed(text!(
                "the record changed since it was read: If-Match {sent} but the current ETag is \
                 {current}; read it again and re-apply your change",
                "记录在读取之后已被修改：If-Match 为 {sent}，而当前 ETag 为 {current}；\
                 请重新读取后再修改"
            )))
        }
    }
}
