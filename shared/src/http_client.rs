//! Client for calls between the suite's services: timeouts, bounded retries with backoff
//! for idempotent requests, the caller's request id passed on, and the calling service's own
//! credentials (never the user's token: see [`AuthKeys::service_bearer`]).

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::auth::AuthKeys;
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
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
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
    /// connection failures, timeouts and 502/503/504, with doubling backoff.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        request_id: &RequestId,
    ) -> Result<T, UpstreamError> {
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
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
                continue;
            }
            return self.decode(result).await;
        }
    }

    async fn decode<T: DeserializeOwned>(
        &self,
        result: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, UpstreamError> {
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
        serde_json::from_slice(&bytes).map_err(|e| UpstreamError::Decode {
            service: self.service.clone(),
            message: e.to_string(),
        })
    }
}
