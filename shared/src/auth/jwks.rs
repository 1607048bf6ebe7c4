//! The identity platform's public signing keys (a JWKS), cached.
//!
//! Keys are fetched on first use and again when a token names a key we do not hold (the
//! platform rotated its keys) or the set is older than its maximum age (a key was withdrawn).
//! Fetches are at least `min_refresh` apart, so tokens with made-up key ids cannot make us
//! hammer the platform; concurrent requests wait for one fetch instead of each starting one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

/// Where the key set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// Fetched over HTTP(S), e.g. Keycloak's `…/protocol/openid-connect/certs`.
    Url(url::Url),
    /// Read from a file (e.g. a mounted ConfigMap, which is updated in place).
    File(PathBuf),
}

impl std::fmt::Display for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => write!(f, "{url}"),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A key that verifies one algorithm.
#[derive(Clone)]
pub struct VerifyingKey {
    pub key: DecodingKey,
    pub algorithm: Algorithm,
}

/// What a look-up found.
pub enum Lookup {
    Found(VerifyingKey),
    /// The set (fetched, or too recently fetched to ask again) has no such key.
    Unknown,
    /// No key set could be had: the platform or the file is unreachable.
    Unavailable(String),
}

/// The largest key set accepted; a real one is a few kilobytes.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

struct KeySet {
    keys: HashMap<String, VerifyingKey>,
    fetched: Instant,
}

pub struct JwksCache {
    source: JwksSource,
    http: reqwest::Client,
    min_refresh: Duration,
    max_age: Duration,
    current: RwLock<Option<KeySet>>,
    /// When the last fetch was tried; held while fetching so there is one fetch at a time.
    last_attempt: Mutex<Option<Instant>>,
}

impl JwksCache {
    pub fn new(
        source: JwksSource,
        min_refresh: Duration,
        max_age: Duration,
    ) -> Result<Self, reqwest::Error> {
        crate::http_client::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .user_agent("jiangsu-hte/jwks")
            .build()?;
        Ok(Self {
            source,
            http,
            min_refresh,
            max_age,
            current: RwLock::new(None),
            last_attempt: Mutex::new(None),
        })
    }

    pub fn source(&self) -> &JwksSource {
        &self.source
    }

    /// The key named `kid`, fetching the set when it is missing or stale.
    pub async fn find(&self, kid: &str) -> Lookup {
        if let Some(found) = self.held(kid, true).await {
            return Lookup::Found(found);
        }
        let mut last_attempt = self.last_attempt.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(found) = self.held(kid, true).await {
            return Lookup::Found(found);
        }
        let too_soon = last_attempt.is_some_and(|at| at.elapsed() < self.min_refresh);
        if too_soon {
            return match self.held(kid, false).await {
                Some(found) => Lookup::Found(found),
                None if self.current.read().await.is_none() => Lookup::Unavailable(format!(
                    "the key set from {} could not be had recently",
                    self.source
                )),
                None => Lookup::Unknown,
            };
        }
        *last_attempt = Some(Instant::now());
        match self.load().await {
            Ok(keys) => {
                tracing::info!(source = %self.source, keys = keys.len(), "signing keys fetched");
                let found = keys.get(kid).cloned();
                *self.current.write().await = Some(KeySet {
                    keys,
                    fetched: Instant::now(),
                });
                found.map_or(Lookup::Unknown, Lookup::Found)
            }
            Err(error) => {
                tracing::warn!(source = %self.source, %error, "cannot fetch signing keys");
                // A stale key still verifies; an unknown one may be a new key we cannot see.
                match self.held(kid, false).await {
                    Some(found) => Lookup::Found(found),
                    None => Lookup::Unavailable(error),
                }
            }
        }
    }

    async fn held(&self, kid: &str, fresh_only: bool) -> Option<VerifyingKey> {
        let current = self.current.read().await;
        let set = current.as_ref()?;
        if fresh_only && set.fetched.elapsed() >= self.max_age {
            return None;
        }
        set.keys.get(kid).cloned()
    }

    /// Reads and parses the key set now (used at start to fail fast on a bad file).
    pub async fn load(&self) -> Result<HashMap<String, VerifyingKey>, String> {
        let bytes = match &self.source {
            JwksSource::Url(url) => self.fetch(url).await?,
            JwksSource::File(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || std::fs::read(&path))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("cannot read {}: {e}", self.source))?
            }
        };
        parse_key_set(&bytes).map_err(|e| format!("{}: {e}", self.source))
    }

    async fn fetch(&self, url: &url::Url) -> Result<Vec<u8>, String> {
        let mut response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("cannot fetch {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("cannot read {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("{url} sent more than {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The signing keys of a JWKS document by key id. Keys this verifier cannot use (encryption
/// keys, other algorithms, keys without an id) are skipped, so one odd key in the platform's
/// set does not lock everybody out.
pub fn parse_key_set(bytes: &[u8]) -> Result<HashMap<String, VerifyingKey>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = HashMap::new();
    for value in document.keys {
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(error) => {
                tracing::debug!(%error, "skipping a key of an unknown kind");
                continue;
            }
        };
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        if let Some(algorithm) = signing_algorithm(&jwk) {
            match DecodingKey::from_jwk(&jwk) {
                Ok(key) => {
                    keys.insert(kid, VerifyingKey { key, algorithm });
                }
                Err(error) => tracing::warn!(%kid, %error, "skipping an unreadable key"),
            }
        }
    }
    Ok(keys)
}

/// RS256 for RSA keys and ES256 for P-256 keys, unless the key says it is for another
/// algorithm or for encryption.
fn signing_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let inferred = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    match (jwk.common.key_algorithm, inferred) {
        (None, alg)
        | (Some(KeyAlgorithm::RS256), alg @ Algorithm::RS256)
        | (Some(KeyAlgorithm::ES256), alg @ Algorithm::ES256) => Some(alg),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_usable_signing_keys_are_kept() {
        // Shapes as Keycloak publishes them: a signing key, an encryption key, an odd kind.
        let n = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";
        let document = serde_json::json!({"keys": [
            {"kid": "sig", "kty": "RSA", "alg": "RS256", "use": "sig", "n": n, "e": "AQAB"},
            {"kid": "enc", "kty": "RSA", "alg": "RSA-OAEP", "use": "enc", "n": n, "e": "AQAB"},
            {"kid": "ps", "kty": "RSA", "alg": "PS256", "n": n, "e": "AQAB"},
            {"kid": "odd", "kty": "unknown"},
            {"kty": "RSA", "n": n, "e": "AQAB"},
        ]});
        let keys = parse_key_set(document.to_string().as_bytes()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["sig"]);
        assert_eq!(keys["sig"].algorithm, Algorithm::RS256);
        assert!(parse_key_set(b"{\"not\": \"jwks\"}").is_err());
    }
}
