//! Client for calls between the suite's services: timeouts, bounded retries with backoff and
//! jitter for idempotent requests, an optional circuit breaker ([`crate::breaker`]), the
//! caller's request id passed on, and the calling service's own credentials (never the
//! user's token: see [`AuthKeys::service_bearer`]).

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::auth::AuthKeys;
use crate::breaker::CircuitBreaker;
use crate::problem::Problem;
use crate::telemetry::{REQUEST_ID_HEADER, RequestId};

/// Installs the process-wide TLS crypto provider (ring) once; reqwest is built without a
/// default provider so the slow-building aws-lc is not needed.
pub fn install_crypto_provider() {
    // Err means one is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{service} is unreachable: {message}")]
    Unreachable { service: String, message: String },
    #[error("{service} answered {status}: {detail}")]
    Status {
        service: String,
        status: u16,
        detail: String,
        problem: Option<Box<Problem>>,
    },
    #[error("{service} sent an answer that could not be read: {message}")]
    Decode { service: String, message: String },
    /// No token could be made to call it with (a bug; nothing was sent).
    #[error("cannot call {service}: {message}")]
    Token { service: String, message: String },
}

impl From<UpstreamError> for Problem {
    fn from(error: UpstreamError) -> Self {
        if let UpstreamError::Token { .. } = error {
            tracing::error!(%error, "upstream call not made");
            return Problem::internal();
        }
        tracing::warn!(%error, "upstream call failed");
        match &error {
            UpstreamError::Status {
                status: 404,
                problem: Some(p),
                ..
            } => (**p).clone(),
            // What went wrong upstream is logged above; the caller learns which service.
            UpstreamError::Unreachable { service, .. }
            | UpstreamError::Status { service, .. }
            | UpstreamError::Decode { service, .. }
            | UpstreamError::Token { service, .. } => Problem::upstream_unavailable(crate::text!(
                "{service} did not give a usable answer; retry later",
                "{service} 未能给出可用的应答，请稍后重试"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error(
        "calls to {0} need service credentials: set SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET \
         and OIDC_TOKEN_URL, or SERVICE_TOKEN (JWT_SECRET is unset, so HS256 service tokens \
         are off)"
    )]
    NoCredentials(String),
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, including the first.
    pub attempts: u32,
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            first_backoff: Duration::from_millis(100),
        }
    }
}

/// A typed client of one service, identified by its base URL.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    service: String,
    base: url::Url,
    http: reqwest::Client,
    keys: AuthKeys,
    caller_name: String,
    retry: RetryPolicy,
    breaker: Option<Arc<CircuitBreaker>>,
}

impl ServiceClient {
    pub fn new(
        service: &str,
        base: url::Url,
        keys: AuthKeys,
        caller_name: &str,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        if !keys.has_service_credentials() {
            return Err(ClientError::NoCredentials(service.to_owned()));
        }
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .user_agent(format!("jiangsu-hte/{caller_name}"))
            .build()?;
        Ok(Self {
            service: service.to_owned(),
            base,
            http,
            keys,
            caller_name: caller_name.to_owned(),
            retry: RetryPolicy::default(),
            breaker: None,
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Calls go through `breaker`: refused at once while it is open, and each call's outcome
    /// recorded in it.
    pub fn with_breaker(mut self, breaker: Arc<CircuitBreaker>) -> Self {
        self.breaker = Some(breaker);
        self
    }

    pub fn breaker(&self) -> Option<&Arc<CircuitBreaker>> {
        self.breaker.as_ref()
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn base_url(&self) -> &url::Url {
        &self.base
    }

    /// This service's bearer token. A failure to get one (the identity platform's token
    /// endpoint is down) leaves the other service as unreachable as a network fault would.
    async fn service_token(&self) -> Result<crate::config::Secret<String>, UpstreamError> {
        self.keys
            .service_bearer(&self.caller_name)
            .await
            .map_err(|message| UpstreamError::Unreachable {
                service: self.service.clone(),
                message: format!("no service credentials: {message}"),
            })
    }

    /// GET `path` (relative to the base URL) with query pairs, decoding JSON. Retries
    /// connection failures, timeouts and 502/503/504, with doubling backoff and jitter.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        request_id: &RequestId,
    ) -> Result<T, UpstreamError> {
        let bytes = self.get_bytes(path, query, request_id).await?;
        serde_json::from_slice(&bytes).map_err(|e| UpstreamError::Decode {
            service: self.service.clone(),
            message: e.to_string(),
        })
    }

    /// As [`Self::get_json`], returning the body as it came (a CSV file, say).
    pub async fn get_bytes(
        &self,
        path: &str,
        query: &[(&str, String)],
        request_id: &RequestId,
    ) -> Result<Vec<u8>, UpstreamError> {
        if let Some(breaker) = &self.breaker
            && let Err(rejected) = breaker.check()
        {
            return Err(UpstreamError::Unreachable {
                service: self.service.clone(),
                message: format!(
                    "not called: its circuit breaker is open after repeated failures \
                     (熔断中); calls resume in {} s",
                    rejected.retry_after.as_secs().max(1)
                ),
            });
        }
        let result = self.get_with_retries(path, query, request_id).await;
        if let Some(breaker) = &self.breaker {
            match &result {
                Err(e @ UpstreamError::Unreachable { .. }) => {
                    breaker.record_failure(&e.to_string())
                }
                Err(e @ UpstreamError::Status { status, .. }) if *status >= 500 => {
                    breaker.record_failure(&e.to_string());
                }
                // No call was made.
                Err(UpstreamError::Token { .. }) => {}
                // It answered: it is up, whatever it said.
                _ => breaker.record_success(),
            }
        }
        result
    }

    async fn get_with_retries(
        &self,
        path: &str,
        query: &[(&str, String)],
        request_id: &RequestId,
    ) -> Result<Vec<u8>, UpstreamError> {
        let url = self.base.join(path.trim_start_matches('/')).map_err(|e| {
            UpstreamError::Unreachable {
                service: self.service.clone(),
                message: format!("bad path {path}: {e}"),
            }
        })?;
        let mut backoff = self.retry.first_backoff;
        let mut attempt = 1;
        loop {
            let token = self.service_token().await?;
            let result = self
                .http
                .get(url.clone())
                .query(query)
                .bearer_auth(token.expose())
                .header(REQUEST_ID_HEADER.as_str(), request_id.as_str())
                .send()
                .await;
            let retryable = match &result {
                Err(e) => e.is_connect() || e.is_timeout(),
                Ok(r) => matches!(
                    r.status(),
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                ),
            };
            if retryable && attempt < self.retry.attempts {
                tracing::debug!(attempt, service = %self.service, "retrying upstream call");
                tokio::time::sleep(with_jitter(backoff)).await;
                backoff *= 2;
                attempt += 1;
                continue;
            }
            return self.read(result).await;
        }
    }

    async fn read(
        &self,
        result: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Vec<u8>, UpstreamError> {
        let response = result.map_err(|e| UpstreamError::Unreachable {
            service: self.service.clone(),
            message: e.to_string(),
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| UpstreamError::Unreachable {
                service: self.service.clone(),
                message: e.to_string(),
            })?;
        if !status.is_success() {
            let problem = serde_json::from_slice::<Problem>(&bytes).ok();
            return Err(UpstreamError::Status {
                service: self.service.clone(),
                status: status.as_u16(),
                detail: problem
                    .as_ref()
                    .and_then(|p| p.detail.as_ref().map(ToString::to_string))
                    .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect()),
                problem: problem.map(Box::new),
            });
        }
        Ok(bytes.to_vec())
    }
}

/// `backoff` scaled by a random factor in [0.5, 1.5), so callers that failed together do
/// not retry together.
fn with_jitter(backoff: Duration) -> Duration {
    match getrandom::u32() {
        Ok(r) => backoff.mul_f64(0.5 + f64::from(r) / (f64::from(u32::MAX) + 1.0)),
        Err(_) => backoff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_and_one_and_a_half_times_the_backoff() {
        let base = Duration::from_millis(100);
        for _ in 0..200 {
            let d = with_jitter(base);
            assert!(
                d >= Duration::from_millis(50) && d < Duration::from_millis(150),
                "{d:?}"
            );
        }
    }
}
