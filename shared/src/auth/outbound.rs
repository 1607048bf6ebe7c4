//! Credentials a service presents when it calls another service of the suite: never the
//! user's token, always the service's own identity.

use std::time::{Duration, Instant};

/// How long a service waits for the identity platform's token endpoint.
const TOKEN_ENDPOINT_TIMEOUT: Duration = Duration::from_secs(5);

use tokio::sync::Mutex;

use crate::config::{Secret, ServiceCredentialsConfig};

/// How this service proves who it is to the others.
pub enum Outbound {
    /// A short-lived HS256 service token signed with the shared `JWT_SECRET`.
    MintHs256,
    /// A bearer token issued to this service by the identity platform (`SERVICE_TOKEN`).
    Static(Secret<String>),
    /// An OAuth 2.0 client-credentials grant at the platform's token endpoint, cached until
    /// shortly before it expires.
    ClientCredentials(Box<ClientCredentials>),
    /// Nothing configured (HS256 is off and no platform credentials were given).
    Missing,
}

impl Outbound {
    pub fn from_config(
        config: &ServiceCredentialsConfig,
        hs256_accepted: bool,
    ) -> Result<Self, reqwest::Error> {
        Ok(match config {
            ServiceCredentialsConfig::Static(token) => Self::Static(token.clone()),
            ServiceCredentialsConfig::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => Self::ClientCredentials(Box::new(ClientCredentials {
                http: token_endpoint_client()?,
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                scope: scope.clone(),
                cached: Mutex::new(None),
            })),
            ServiceCredentialsConfig::Hs256 if hs256_accepted => Self::MintHs256,
            ServiceCredentialsConfig::Hs256 => Self::Missing,
        })
    }
}

fn token_endpoint_client() -> Result<reqwest::Client, reqwest::Error> {
    crate::http_client::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(TOKEN_ENDPOINT_TIMEOUT)
        .user_agent("jiangsu-hte/service-credentials")
        .build()
}

pub struct ClientCredentials {
    http: reqwest::Client,
    token_url: url::Url,
    client_id: String,
    client_secret: Secret<String>,
    scope: Option<String>,
    cached: Mutex<Option<(Secret<String>, Instant)>>,
}

/// A token is renewed this long before the platform says it expires.
const RENEW_MARGIN: Duration = Duration::from_secs(30);

impl ClientCredentials {
    /// A valid access token, from the cache or a new grant (one grant at a time).
    pub async fn token(&self) -> Result<Secret<String>, String> {
        let mut cached = self.cached.lock().await;
        if let Some((token, valid_until)) = cached.as_ref()
            && Instant::now() < *valid_until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.grant().await?;
        let valid_until = Instant::now() + lifetime.saturating_sub(RENEW_MARGIN);
        *cached = Some((token.clone(), valid_until));
        Ok(token)
    }

    async fn grant(&self) -> Result<(Secret<String>, Duration), String> {
        #[derive(serde::Deserialize)]
        struct Grant {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        // Built apart, so no serializer (which is not Send) lives across an await: the grant
        // must run on any executor thread (monitoring's scheduler is a spawned task).
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            if let Some(scope) = &self.scope {
                form.append_pair("scope", scope);
            }
            form.finish()
        };
        let response = self
            .http
            .post(self.token_url.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| format!("cannot reach the token endpoint {}: {e}", self.token_url))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!(
                "the token endpoint {} refused client {:?}: {status}",
                self.token_url, self.client_id
            ));
        }
        let grant: Grant = response
            .json()
            .await
            .map_err(|e| format!("the token endpoint sent an unreadable answer: {e}"))?;
        // Without expires_in, keep the token a minute: short enough to follow a rotation.
        let lifetime = Duration::from_secs(grant.expires_in.unwrap_or(60));
        Ok((Secret::new(grant.access_token), lifetime))
    }
}
