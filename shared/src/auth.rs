//! Bearer-token authentication and region-scoped authorisation.
//!
//! Tokens are HS256 JWTs carrying a role and a region. A handler takes a [`Caller`] argument;
//! without a valid token the request never reaches it (401). Whether the caller may read or
//! write a region is answered by [`Caller::may_read`] / [`Caller::may_write`].

use std::path::Path;
use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Secret;
use crate::problem::Problem;
use crate::regions::RegionCode;

pub const ISSUER: &str = "jiangsu-hte";

/// What a caller is, which fixes what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Provincial department (省科技厅): reads and writes everything.
    Province,
    /// City bureau (设区市): reads and writes its city and the counties under it.
    City,
    /// County or district bureau (县/区): reads and writes its own county.
    County,
    /// Auditor (审计/只读): reads everything, writes nothing.
    Auditor,
    /// Another service of this suite: reads everything, writes nothing.
    Service,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "province" => Ok(Self::Province),
            "city" => Ok(Self::City),
            "county" => Ok(Self::County),
            "auditor" => Ok(Self::Auditor),
            "service" => Ok(Self::Service),
            other => Err(format!(
                "unknown role {other:?}: use province, city, county, auditor or service"
            )),
        }
    }
}

/// JWT claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// Region code the caller acts for (6 digits, GB/T 2260).
    pub region: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub role: Role,
    pub region: RegionCode,
}

impl Caller {
    /// Province, auditors and services see the whole province; city and county officials
    /// see their own subtree.
    pub fn may_read(&self, region: &RegionCode) -> bool {
        match self.role {
            Role::Province | Role::Auditor | Role::Service => true,
            Role::City | Role::County => region.is_within(&self.region),
        }
    }

    pub fn may_write(&self, region: &RegionCode) -> bool {
        match self.role {
            Role::Province => true,
            Role::City | Role::County => region.is_within(&self.region),
            Role::Auditor | Role::Service => false,
        }
    }

    /// The subtree a list query must stay inside: `None` means the whole province.
    pub fn read_scope(&self) -> Option<&RegionCode> {
        match self.role {
            Role::Province | Role::Auditor | Role::Service => None,
            Role::City | Role::County => Some(&self.region),
        }
    }

    /// 403 unless the caller may write in `region`.
    pub fn require_write(&self, region: &RegionCode) -> Result<(), Problem> {
        if self.may_write(region) {
            Ok(())
        } else if matches!(self.role, Role::Auditor | Role::Service) {
            Err(Problem::forbidden(format!(
                "the {} role is read-only",
                self.role.key()
            )))
        } else {
            Err(Problem::forbidden(format!(
                "a {} token for region {} may not write in region {}",
                self.role.key(),
                self.region,
                region
            )))
        }
    }

    /// 403 unless the caller may write at all (used before the target region is known).
    pub fn require_writer(&self) -> Result<(), Problem> {
        match self.role {
            Role::Auditor | Role::Service => Err(Problem::forbidden(format!(
                "the {} role is read-only",
                self.role.key()
            ))),
            _ => Ok(()),
        }
    }
}

impl Role {
    /// The role as tokens and the audit log spell it.
    pub fn key(self) -> &'static str {
        match self {
            Role::Province => "province",
            Role::City => "city",
            Role::County => "county",
            Role::Auditor => "auditor",
            Role::Service => "service",
        }
    }
}

/// Keys for signing and verifying tokens.
#[derive(Clone)]
pub struct AuthKeys {
    signing: Arc<EncodingKey>,
    verifying: Arc<Vec<DecodingKey>>,
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
}

pub const MIN_SECRET_LEN: usize = 32;

impl AuthKeys {
    /// `current` signs and verifies; `previous` keys only verify (key rotation).
    pub fn new(current: &Secret<String>, previous: &[Secret<String>]) -> Result<Self, KeyError> {
        let mut verifying = Vec::with_capacity(1 + previous.len());
        for key in std::iter::once(current).chain(previous) {
            let bytes = key.expose().as_bytes();
            if bytes.len() < MIN_SECRET_LEN {
                return Err(KeyError::TooShort(bytes.len()));
            }
            verifying.push(DecodingKey::from_secret(bytes));
        }
        Ok(Self {
            signing: Arc::new(EncodingKey::from_secret(current.expose().as_bytes())),
            verifying: Arc::new(verifying),
        })
    }

    /// Uses `configured` when given; otherwise reads `data_dir/jwt-secret`, generating a random
    /// key there on first start. The generated key is for development: production sets
    /// `JWT_SECRET`.
    pub fn load_or_generate(
        configured: Option<&Secret<String>>,
        previous: &[Secret<String>],
        data_dir: &Path,
    ) -> Result<Self, KeyError> {
        if let Some(secret) = configured {
            return Self::new(secret, previous);
        }
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
                    "generated a development JWT key; set JWT_SECRET in production"
                );
                generated
            }
            Err(e) => return Err(file_error(e)),
        };
        Self::new(&Secret::new(secret), previous)
    }

    /// The keys a service or the suite runs with: `JWT_SECRET` (and `JWT_PREVIOUS_SECRETS`),
    /// or the development key in `DATA_DIR`.
    pub fn from_config(common: &crate::config::CommonConfig) -> Result<Self, KeyError> {
        Self::load_or_generate(
            common.jwt_secret.as_ref(),
            &common.jwt_previous_secrets,
            &common.data_dir,
        )
    }

    /// A key for tests and one-off tools.
    pub fn random() -> Result<Self, KeyError> {
        Self::new(&Secret::new(random_secret()?), &[])
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

    /// Signs arbitrary claims (tests use it for expired or odd tokens).
    pub fn sign_claims(&self, claims: &Claims) -> Result<String, KeyError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.signing)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    pub fn verify(&self, token: &str) -> Result<Caller, Problem> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 30;
        let mut last_error = None;
        for key in self.verifying.iter() {
            match jsonwebtoken::decode::<Claims>(token, key, &validation) {
                Ok(data) => return caller_from_claims(data.claims),
                Err(e) => last_error = Some(e),
            }
        }
        use jsonwebtoken::errors::ErrorKind;
        let detail = match last_error.as_ref().map(|e| e.kind()) {
            Some(ErrorKind::ExpiredSignature) => "the bearer token has expired",
            Some(ErrorKind::InvalidSignature) => "the bearer token's signature is not valid",
            Some(ErrorKind::InvalidIssuer) => "the bearer token was not issued for this system",
            Some(ErrorKind::Json(_)) | Some(ErrorKind::MissingRequiredClaim(_)) => {
                "the bearer token lacks a required claim (sub, role, region, iss, exp)"
            }
            _ => "the bearer token is malformed",
        };
        Err(Problem::unauthenticated(detail))
    }
}

fn caller_from_claims(claims: Claims) -> Result<Caller, Problem> {
    let region = RegionCode::parse(&claims.region)
        .ok()
        .filter(|code| crate::regions::find(code).is_some())
        .ok_or_else(|| {
            Problem::unauthenticated(format!(
                "the bearer token's region {:?} is not a Jiangsu region code",
                claims.region
            ))
        })?;
    let level = crate::regions::find(&region).map(|r| r.level);
    use crate::regions::RegionLevel;
    let consistent = match claims.role {
        Role::City => level == Some(RegionLevel::City),
        Role::County => level == Some(RegionLevel::County),
        Role::Province => level == Some(RegionLevel::Province),
        Role::Auditor | Role::Service => true,
    };
    if !consistent {
        return Err(Problem::unauthenticated(format!(
            "a {} token must name a {}-level region, not {}",
            claims.role.key(),
            claims.role.key(),
            region
        )));
    }
    Ok(Caller {
        subject: claims.sub,
        role: claims.role,
        region,
    })
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

impl FromRequest for Caller {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, Problem> {
    let keys = req.app_data::<web::Data<AuthKeys>>().ok_or_else(|| {
        tracing::error!("AuthKeys missing from app data");
        Problem::internal()
    })?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            Problem::unauthenticated("this route needs an Authorization: Bearer token")
        })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Problem::unauthenticated("the Authorization header must be 'Bearer <token>'")
        })?;
    keys.verify(token)
}
