//! A handler that panics (a bug: an overflow, an index out of range) answers 500
//! problem+json like any other internal error, logged with its request id, instead of
//! dropping the connection; the worker goes on serving.
//!
//! The request itself cannot be kept for the answer (routing needs to own it), so the
//! answer is made in full beforehand and travels out as an error that carries it: the
//! middleware outside pass errors on, and actix sends the response the error holds.

use std::panic::AssertUnwindSafe;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::FutureExt;

use crate::i18n::Lang;
use crate::problem::Problem;
use crate::telemetry::{REQUEST_ID_HEADER, RequestId};

/// Turns a panic anywhere inside into a 500 problem.
pub async fn catch_panic_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = Lang::from_headers(req.headers());
    let instance = req.path().to_owned();
    let request_id = req.extensions().get::<RequestId>().cloned();
    // Nothing shared is left half-changed by a request's own handler: each request has its
    // own state, and shared state sits behind locks that recover from poisoning.
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            // Inside the request span: the log line carries the request id.
            tracing::error!(panic = %message, "the handler panicked; answered 500");
            let response = answer(lang, instance, request_id);
            Err(InternalError::from_response("handler panicked", response).into())
        }
    }
}

/// The 500 problem as the problem middleware would have written it.
fn answer(lang: Lang, instance: String, request_id: Option<RequestId>) -> HttpResponse {
    let mut problem = Problem::internal();
    problem.instance = Some(instance);
    problem.request_id = request_id.as_ref().map(|id| id.0.clone());
    let mut response = problem.to_response(lang);
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id.0).ok()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
