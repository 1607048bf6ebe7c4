//! The verifier every service holds: the suite's own HS256 keys, the identity platform's
//! keys when one is configured, and the credentials this service presents to the others.

use std::path::Path;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::claims::{TokenRules, caller_from_parts};
use super::jwks::{JwksCache, JwksSource, parse_key_set};
use super::oidc::{self, OidcVerifier};
use super::outbound::Outbound;
use super::{Caller, Claims, ISSUER, Role};
use crate::config::{CommonConfig, OidcConfig, Secret};
use crate::i18n::Text;
use crate::problem::Problem;
use crate::regions::{PROVINCE_CODE, RegionCode};
use crate::text;

/// Keys for signing and verifying tokens. Cheap to clone.
#[derive(Clone)]
pub struct AuthKeys {
    inner: Arc<Inner>,
}

struct Inner {
    signing: EncodingKey,
    verifying: Vec<DecodingKey>,
    /// Off when the identity platform signs every token and no `JWT_SECRET` is set: the
    /// in-memory key then signs nothing anyone accepts.
    hs256_accepted: bool,
    rules: TokenRules,
    oidc: Option<OidcVerifier>,
    outbound: Outbound,
}

impl std::fmt::Debug for AuthKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthKeys(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("JWT key is too short: at least 32 bytes are needed, got {0}")]
    TooShort(usize),
    #[error("cannot read or write the key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot generate a key: {0}")]
    Random(String),
    #[error("cannot sign a token: {0}")]
    Sign(String),
    #[error("the identity platform's key set (OIDC_JWKS_FILE) is unusable: {0}")]
    Jwks(String),
    #[error("cannot build an HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

pub const MIN_SECRET_LEN: usize = 32;

impl AuthKeys {
    /// HS256 only: `current` signs and verifies; `previous` keys only verify (key rotation).
    pub fn new(current: &Secret<String>, previous: &[Secret<String>]) -> Result<Self, KeyError> {
        let (signing, verifying) = hs256_keys(current, previous)?;
        Ok(Self {
            inner: Arc::new(Inner {
                signing,
                verifying,
                hs256_accepted: true,
                rules: TokenRules::default(),
                oidc: None,
                outbound: Outbound::MintHs256,
            }),
        })
    }

    /// Everything the configuration asks for. HS256 tokens are accepted with `JWT_SECRET`, or
    /// with the development key in `DATA_DIR` when no identity platform is configured; with
    /// an identity platform and no `JWT_SECRET` only the platform's tokens are.
    pub fn from_config(common: &CommonConfig) -> Result<Self, KeyError> {
        let auth = &common.auth;
        let hs256_accepted = common.jwt_secret.is_some() || auth.oidc.is_none();
        let (signing, verifying) = if hs256_accepted {
            let secret = match &common.jwt_secret {
                Some(secret) => secret.clone(),
                None => development_secret(&common.data_dir)?,
            };
            hs256_keys(&secret, &common.jwt_previous_secrets)?
        } else {
            hs256_keys(&Secret::new(random_secret()?), &[])?
        };
        let rules = TokenRules {
            leeway_secs: auth.clock_skew_secs,
            max_lifetime_secs: auth.max_token_lifetime_secs,
        };
        let oidc = auth
            .oidc
            .as_ref()
            .map(|config| oidc_verifier(config, rules))
            .transpose()?;
        // Missing credentials are refused when a service builds a client of another
        // (ServiceClient::new), so the registry, which calls nobody, needs none.
        let outbound = Outbound::from_config(&auth.service_credentials, hs256_accepted)?;
        Ok(Self {
            inner: Arc::new(Inner {
                signing,
                verifying,
                hs256_accepted,
                rules,
                oidc,
                outbound,
            }),
        })
    }

    /// A key for tests and one-off tools.
    pub fn random() -> Result<Self, KeyError> {
        Self::new(&Secret::new(random_secret()?), &[])
    }

    /// Whether tokens signed by [`AuthKeys::sign`] are accepted.
    pub fn accepts_hs256(&self) -> bool {
        self.inner.hs256_accepted
    }

    pub fn sign(
        &self,
        subject: &str,
        role: Role,
        region: &RegionCode,
        ttl: chrono::Duration,
    ) -> Result<String, KeyError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            region: region.to_string(),
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + ttl.num_seconds(),
        };
        self.sign_claims(&claims)
    }

    /// Signs arbitrary claims: [`Claims`], or any JSON (tests use it for expired or odd
    /// tokens).
    pub fn sign_claims<C: serde::Serialize>(&self, claims: &C) -> Result<String, KeyError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.inner.signing)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Verifies a token of either kind.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, Problem> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| malformed())?;
        match (header.alg, &self.inner.oidc) {
            (Algorithm::HS256, _) => self.verify(token),
            (alg, Some(oidc)) if oidc::ACCEPTED.contains(&alg) => oidc.verify(token, &header).await,
            (alg, oidc) => {
                let alg = format!("{alg:?}");
                Err(Problem::unauthenticated(match oidc {
                    Some(_) => text!(
                        "the bearer token's algorithm {alg} is not accepted; use HS256, RS256 \
                         or ES256",
                        "不接受签名算法 {alg}；请使用 HS256、RS256 或 ES256"
                    ),
                    None => text!(
                        "the bearer token's algorithm {alg} is not accepted; no identity \
                         platform is configured, so only HS256",
                        "不接受签名算法 {alg}；未配置身份认证平台，只接受 HS256"
                    ),
                }))
            }
        }
    }

    /// Verifies an HS256 token signed with the suite's own secret.
    pub fn verify(&self, token: &str) -> Result<Caller, Problem> {
        if !self.inner.hs256_accepted {
            return Err(Problem::unauthenticated(Text::fixed(
                "HS256 tokens are not accepted: sign-on is through the identity platform",
                "本系统只接受身份认证平台签发的令牌，不接受 HS256 令牌",
            )));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.inner.rules.leeway_secs;
        let mut last_error = None;
        for key in &self.inner.verifying {
            match jsonwebtoken::decode::<serde_json::Value>(token, key, &validation) {
                Ok(data) => {
                    self.inner
                        .rules
                        .check(&data.claims, chrono::Utc::now().timestamp())?;
                    let Claims {
                        sub, role, region, ..
                    } = serde_json::from_value(data.claims).map_err(|_| lacks_claim())?;
                    return caller_from_parts(sub, role, Some(&region));
                }
                Err(e) => last_error = Some(e),
            }
        }
        use jsonwebtoken::errors::ErrorKind;
        let detail = match last_error.as_ref().map(|e| e.kind()) {
            Some(ErrorKind::ExpiredSignature) => expired(),
            Some(ErrorKind::ImmatureSignature) => not_yet_valid(),
            Some(ErrorKind::InvalidSignature) => {
                Text::fixed("the bearer token's signature is not valid", "令牌签名无效")
            }
            Some(ErrorKind::InvalidIssuer) => Text::fixed(
                "the bearer token was not issued for this system",
                "令牌签发者不符",
            ),
            Some(ErrorKind::Json(_)) | Some(ErrorKind::MissingRequiredClaim(_)) => {
                return Err(lacks_claim());
            }
            _ => return Err(malformed()),
        };
        Err(Problem::unauthenticated(detail))
    }

    /// Whether this service can call the others as itself.
    pub fn has_service_credentials(&self) -> bool {
        !matches!(self.inner.outbound, Outbound::Missing)
    }

    /// The bearer token this service presents to the others: its own identity, never a
    /// user's.
    pub async fn service_bearer(&self, caller_name: &str) -> Result<Secret<String>, String> {
        match &self.inner.outbound {
            Outbound::MintHs256 => self
                .sign(
                    &format!("service:{caller_name}"),
                    Role::Service,
                    &PROVINCE_CODE,
                    chrono::Duration::minutes(5),
                )
                .map(Secret::new)
                .map_err(|e| e.to_string()),
            Outbound::Static(token) => Ok(token.clone()),
            Outbound::ClientCredentials(grant) => grant.token().await,
            Outbound::Missing => Err("no service credentials are configured \
                 (SERVICE_CLIENT_ID/SERVICE_CLIENT_SECRET or SERVICE_TOKEN)"
                .to_owned()),
        }
    }
}

fn malformed() -> Problem {
    Problem::unauthenticated(Text::fixed(
        "the bearer token is malformed",
        "令牌格式不正确",
    ))
}

fn lacks_claim() -> Problem {
    Problem::unauthenticated(Text::fixed(
        "the bearer token lacks a required claim (sub, role, region, iss, exp)",
        "令牌缺少必需的声明（sub、role、region、iss、exp）",
    ))
}

pub(super) fn expired() -> Text {
    Text::fixed("the bearer token has expired", "令牌已过期")
}

pub(super) fn not_yet_valid() -> Text {
    Text::fixed(
        "the bearer token is not valid yet (nbf)",
        "令牌尚未生效（nbf）",
    )
}

fn hs256_keys(
    current: &Secret<String>,
    previous: &[Secret<String>],
) -> Result<(EncodingKey, Vec<DecodingKey>), KeyError> {
    let mut verifying = Vec::with_capacity(1 + previous.len());
    for key in std::iter::once(current).chain(previous) {
        let bytes = key.expose().as_bytes();
        if bytes.len() < MIN_SECRET_LEN {
            return Err(KeyError::TooShort(bytes.len()));
        }
        verifying.push(DecodingKey::from_secret(bytes));
    }
    Ok((
        EncodingKey::from_secret(current.expose().as_bytes()),
        verifying,
    ))
}

fn oidc_verifier(config: &OidcConfig, rules: TokenRules) -> Result<OidcVerifier, KeyError> {
    if let JwksSource::File(path) = &config.jwks {
        // Fail at start on a missing or unreadable file; it is read again on rotation.
        let bytes = std::fs::read(path).map_err(|source| KeyError::File {
            path: path.display().to_string(),
            source,
        })?;
        let keys = parse_key_set(&bytes).map_err(KeyError::Jwks)?;
        if keys.is_empty() {
            return Err(KeyError::Jwks(format!(
                "{} holds no RS256 or ES256 signing key with a kid",
                path.display()
            )));
        }
    }
    tracing::info!(issuer = %config.issuer, audience = %config.audience,
        keys = %config.jwks, "accepting tokens from the identity platform");
    Ok(OidcVerifier {
        issuer: config.issuer.clone(),
        audience: config.audience.clone(),
        claims: config.claims.clone(),
        rules,
        jwks: JwksCache::new(
            config.jwks.clone(),
            config.jwks_min_refresh,
            config.jwks_max_age,
        )?,
    })
}

/// `DATA_DIR/jwt-secret`, generated with a random key on first start. For development:
/// production sets `JWT_SECRET` or uses the identity platform.
fn development_secret(data_dir: &Path) -> Result<Secret<String>, KeyError> {
    let path = data_dir.join("jwt-secret");
    let file_error = |source| KeyError::File {
        path: path.display().to_string(),
        source,
    };
    let secret = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(file_error)?;
            let generated = random_secret()?;
            write_private_file(&path, &generated).map_err(file_error)?;
            tracing::warn!(
                path = %path.display(),
                "generated a development JWT key; set JWT_SECRET or OIDC_* in production"
            );
            generated
        }
        Err(e) => return Err(file_error(e)),
    };
    Ok(Secret::new(secret))
}

fn random_secret() -> Result<String, KeyError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}
