//! Configuration read from the environment, with documented defaults.
//!
//! Nothing here reads process-global state by itself: callers pass an [`Env`] (the process
//! environment in binaries, a map in tests), and get plain values back.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use crate::auth::claims::{ClaimNames, ClaimPath, RoleMap};
use crate::auth::jwks::JwksSource;
use crate::telemetry::LogFormat;

/// A value that must never be printed: `Debug` and `Display` show a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration variable {name}: {message}")]
pub struct ConfigError {
    pub name: String,
    pub message: String,
}

impl ConfigError {
    fn new(name: &str, message: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            message: message.into(),
        }
    }
}

/// Where configuration values come from.
pub enum Env {
    Process,
    Map(HashMap<String, String>),
    /// A map that remembers every name a reader asked for: which variables the code takes
    /// (the compose file's test checks its variables against it).
    Recording(HashMap<String, String>, Mutex<BTreeSet<String>>),
}

impl Env {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    pub fn recording<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        match Self::from_pairs(pairs) {
            Self::Map(map) => Self::Recording(map, Mutex::new(BTreeSet::new())),
            other => other,
        }
    }

    /// The names asked for so far (only a recording environment keeps them).
    pub fn names_read(&self) -> BTreeSet<String> {
        match self {
            Self::Recording(_, asked) => asked.lock().map(|a| a.clone()).unwrap_or_else(|p| {
                // A reader that panicked mid-way still asked what it asked.
                p.into_inner().clone()
            }),
            _ => BTreeSet::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        let value = match self {
            Self::Process => std::env::var(name).ok(),
            Self::Map(map) => map.get(name).cloned(),
            Self::Recording(map, asked) => {
                asked
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(name.to_owned());
                map.get(name).cloned()
            }
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// A variable parsed by `parse`, whose error names the rule broken.
    fn parse_with<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name)
            .map(|raw| parse(raw.trim()).map_err(|message| ConfigError::new(name, message)))
            .transpose()
    }

    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|e: T::Err| ConfigError {
                name: name.to_owned(),
                message: format!("cannot parse {raw:?}: {e}"),
            }),
        }
    }

    /// A whole number within `range` (both ends included), `default` when unset.
    pub fn ranged(&self, name: &str, default: u64, range: (u64, u64)) -> Result<u64, ConfigError> {
        let value: u64 = self.parse_or(name, default)?;
        if (range.0..=range.1).contains(&value) {
            Ok(value)
        } else {
            Err(ConfigError {
                name: name.to_owned(),
                message: format!("must be between {} and {}; got {value}", range.0, range.1),
            })
        }
    }
}

/// Settings every service shares.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// `HOST`: address to bind (default `127.0.0.1`; use `0.0.0.0` in containers).
    pub host: IpAddr,
    /// `DATA_DIR`: folder for SQLite files and the generated development key (default `data`).
    pub data_dir: PathBuf,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `DB_POOL_SIZE`: connections per service (default 8).
    pub db_pool_size: u32,
    /// `DB_CONNECT_TIMEOUT_SECS`: how long a request waits for a connection (default 5).
    pub db_connect_timeout: Duration,
    /// `DB_WRITE_WAIT_SECS`: on SQLite, how long a write waits for the writer's turn (held
    /// by another write or an import's batch) before a 503 with `Retry-After` (default 10).
    pub db_write_wait: Duration,
    /// `HTTP_WORKERS`: actix worker threads per service (default: number of cores).
    pub http_workers: usize,
    /// `JWT_SECRET`: HS256 key (at least 32 bytes) for verifying bearer tokens. When absent,
    /// a development key is generated into `DATA_DIR/jwt-secret` and reused.
    pub jwt_secret: Option<Secret<String>>,
    /// `JWT_PREVIOUS_SECRETS`: comma-separated keys still accepted for verification during a
    /// key rotation; never used for signing.
    pub jwt_previous_secrets: Vec<Secret<String>>,
    /// `UPSTREAM_TIMEOUT_SECS`: timeout for calls to other services (default 10).
    pub upstream_timeout: Duration,
    /// Sign-on from the identity platform and the credentials of calls between services.
    pub auth: AuthConfig,
    /// How fast request bodies must arrive and how often a caller may ask.
    pub edge: EdgeConfig,
}

impl CommonConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            host: env.parse_or("HOST", IpAddr::from([127, 0, 0, 1]))?,
            data_dir: env.parse_or("DATA_DIR", PathBuf::from("data"))?,
            log_format: env.parse_or("LOG_FORMAT", LogFormat::Text)?,
            db_pool_size: env.parse_or("DB_POOL_SIZE", 8)?,
            db_connect_timeout: Duration::from_secs(env.parse_or("DB_CONNECT_TIMEOUT_SECS", 5)?),
            db_write_wait: Duration::from_secs(env.parse_or("DB_WRITE_WAIT_SECS", 10)?),
            http_workers: env.parse_or("HTTP_WORKERS", cores)?,
            jwt_secret: env.get("JWT_SECRET").map(Secret::new),
            jwt_previous_secrets: env
                .get("JWT_PREVIOUS_SECRETS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Secret::new(s.to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            upstream_timeout: Duration::from_secs(env.parse_or("UPSTREAM_TIMEOUT_SECS", 10)?),
            auth: AuthConfig::from_env(env)?,
            edge: EdgeConfig::from_env(env)?,
        })
    }
}

/// Limits every request meets at the edge of every service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeConfig {
    pub body: BodyDeadline,
    pub rate: RateLimits,
}

/// How long a request body may take to arrive: `grace` for any body, plus one second per
/// `min_bytes_per_sec` bytes received, so large imports on slow links are served and a
/// trickling upload is cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadline {
    /// `REQUEST_BODY_GRACE_SECS` (default 10).
    pub grace: Duration,
    /// `REQUEST_BODY_MIN_RATE`: bytes per second (default 4096).
    pub min_bytes_per_sec: u64,
}

/// Requests per caller (token subject; client address without a valid token), each budget a
/// token bucket (GCRA) held in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `RATE_LIMIT_PER_MINUTE` (default 600; 0 turns rate limiting off).
    pub per_minute: u32,
    /// `RATE_LIMIT_BURST`: requests allowed at once above the steady rate (default 100).
    pub burst: u32,
    /// `RATE_LIMIT_AUTH_FAILURES_PER_MINUTE`: refused tokens per client address (default 10).
    pub auth_failures_per_minute: u32,
    /// `RATE_LIMIT_AUTH_FAILURES_BURST` (default 20).
    pub auth_failures_burst: u32,
}

impl EdgeConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let positive = |name: &str, default: u64| -> Result<u64, ConfigError> {
            let value = env.parse_or(name, default)?;
            if value == 0 {
                return Err(ConfigError::new(name, "must be at least 1"));
            }
            Ok(value)
        };
        let as_u32 = |name: &str, value: u64| {
            u32::try_from(value).map_err(|_| ConfigError::new(name, "is too large"))
        };
        let body = BodyDeadline {
            grace: Duration::from_secs(positive("REQUEST_BODY_GRACE_SECS", 10)?),
            min_bytes_per_sec: positive("REQUEST_BODY_MIN_RATE", 4096)?,
        };
        let per_minute = env.parse_or("RATE_LIMIT_PER_MINUTE", 600)?;
        let rate = RateLimits {
            per_minute,
            burst: as_u32("RATE_LIMIT_BURST", positive("RATE_LIMIT_BURST", 100)?)?,
            auth_failures_per_minute: as_u32(
                "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
                positive("RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", 10)?,
            )?,
            auth_failures_burst: as_u32(
                "RATE_LIMIT_AUTH_FAILURES_BURST",
                positive("RATE_LIMIT_AUTH_FAILURES_BURST", 20)?,
            )?,
        };
        Ok(Self { body, rate })
    }
}

/// Settings of one service: where it listens and where its database is.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub name: &'static str,
    pub host: IpAddr,
    pub port: u16,
    pub database_url: Secret<String>,
    pub db_pool_size: u32,
    pub db_connect_timeout: Duration,
    pub db_write_wait: Duration,
    pub http_workers: usize,
    pub edge: EdgeConfig,
}

impl ServiceConfig {
    /// Reads `{PREFIX}_PORT` and `{PREFIX}_DATABASE_URL`; the database defaults to a SQLite file
    /// `DATA_DIR/{name}.db`.
    pub fn from_env(
        env: &Env,
        common: &CommonConfig,
        name: &'static str,
        prefix: &str,
        default_port: u16,
    ) -> Result<Self, ConfigError> {
        let default_db = format!(
            "sqlite://{}",
            common.data_dir.join(format!("{name}.db")).display()
        );
        Ok(Self {
            name,
            host: common.host,
            port: env.parse_or(&format!("{prefix}_PORT"), default_port)?,
            database_url: Secret::new(
                env.get(&format!("{prefix}_DATABASE_URL"))
                    .unwrap_or(default_db),
            ),
            db_pool_size: common.db_pool_size,
            db_connect_timeout: common.db_connect_timeout,
            db_write_wait: common.db_write_wait,
            http_workers: common.http_workers,
            edge: common.edge.clone(),
        })
    }
}

/// Largest clock skew accepted between us and a token's issuer: more would keep expired
/// tokens alive.
pub const MAX_CLOCK_SKEW_SECS: u64 = 60;
/// Default leeway on a token's times (`AUTH_CLOCK_SKEW_SECS`).
pub const DEFAULT_CLOCK_SKEW_SECS: u64 = 5;
/// Default longest token lifetime, `exp - iat` (`AUTH_MAX_TOKEN_LIFETIME_SECS`).
pub const DEFAULT_MAX_TOKEN_LIFETIME_SECS: u64 = 24 * 3600;

/// Sign-on and the credentials of calls between services.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `AUTH_CLOCK_SKEW_SECS`: leeway on `exp`/`nbf`/`iat` for every token (default 5, at
    /// most 60).
    pub clock_skew_secs: u64,
    /// `AUTH_MAX_TOKEN_LIFETIME_SECS`: the longest `exp - iat` accepted (default 86400).
    pub max_token_lifetime_secs: u64,
    /// `OIDC_*`: tokens from the province's identity platform; `None` when `OIDC_ISSUER` is
    /// unset.
    pub oidc: Option<OidcConfig>,
    /// `SERVICE_TOKEN` or `SERVICE_CLIENT_ID`/`SERVICE_CLIENT_SECRET`/`OIDC_TOKEN_URL`.
    pub service_credentials: ServiceCredentialsConfig,
}

/// An OpenID Connect provider whose RS256/ES256 tokens are accepted.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// `OIDC_ISSUER`: the exact `iss` of its tokens.
    pub issuer: String,
    /// `OIDC_AUDIENCE`: a value the tokens' `aud` must contain (the client id of this suite).
    pub audience: String,
    /// `OIDC_JWKS_URL` or `OIDC_JWKS_FILE` (exactly one).
    pub jwks: JwksSource,
    /// `OIDC_SUBJECT_CLAIM` (`sub`), `OIDC_ROLE_CLAIM` (`role`), `OIDC_REGION_CLAIM`
    /// (`region`), `OIDC_ROLE_MAP` (our own role names when unset).
    pub claims: ClaimNames,
    /// `OIDC_JWKS_MIN_REFRESH_SECS`: least time between two key-set fetches (default 10).
    pub jwks_min_refresh: Duration,
    /// `OIDC_JWKS_MAX_AGE_SECS`: key sets older than this are fetched again (default 600).
    pub jwks_max_age: Duration,
}

/// What a service presents when it calls another.
#[derive(Debug, Clone)]
pub enum ServiceCredentialsConfig {
    /// A service token signed with `JWT_SECRET` (the default; needs HS256 to be on).
    Hs256,
    /// `SERVICE_TOKEN`: a bearer token the identity platform issued to the suite.
    Static(Secret<String>),
    /// `SERVICE_CLIENT_ID`, `SERVICE_CLIENT_SECRET`, `OIDC_TOKEN_URL`, `SERVICE_TOKEN_SCOPE`:
    /// the OAuth 2.0 client-credentials grant.
    ClientCredentials {
        token_url: url::Url,
        client_id: String,
        client_secret: Secret<String>,
        scope: Option<String>,
    },
}

impl AuthConfig {
    /// Reads every variable before judging combinations, so each is reported by name.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let clock_skew_secs = env.parse_or("AUTH_CLOCK_SKEW_SECS", DEFAULT_CLOCK_SKEW_SECS)?;
        if clock_skew_secs > MAX_CLOCK_SKEW_SECS {
            return Err(ConfigError::new(
                "AUTH_CLOCK_SKEW_SECS",
                format!("{clock_skew_secs} s is more than the {MAX_CLOCK_SKEW_SECS} s allowed"),
            ));
        }
        let max_token_lifetime_secs = env.parse_or(
            "AUTH_MAX_TOKEN_LIFETIME_SECS",
            DEFAULT_MAX_TOKEN_LIFETIME_SECS,
        )?;
        if max_token_lifetime_secs == 0 {
            return Err(ConfigError::new(
                "AUTH_MAX_TOKEN_LIFETIME_SECS",
                "must be at least 1",
            ));
        }
        let oidc = OidcConfig::from_env(env)?;
        let service_credentials = ServiceCredentialsConfig::from_env(env)?;
        Ok(Self {
            clock_skew_secs,
            max_token_lifetime_secs,
            oidc,
            service_credentials,
        })
    }
}

impl OidcConfig {
    fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let issuer = env.get("OIDC_ISSUER");
        let audience = env.get("OIDC_AUDIENCE");
        let jwks_url = optional_url(env, "OIDC_JWKS_URL")?;
        let jwks_file = env.get("OIDC_JWKS_FILE").map(PathBuf::from);
        let claim = |name, default: &str| {
            let raw = env.get(name).unwrap_or_else(|| default.to_owned());
            ClaimPath::parse(&raw).map_err(|message| ConfigError::new(name, message))
        };
        let claims = ClaimNames {
            subject: claim("OIDC_SUBJECT_CLAIM", "sub")?,
            role: claim("OIDC_ROLE_CLAIM", "role")?,
            region: claim("OIDC_REGION_CLAIM", "region")?,
            roles: env
                .parse_with("OIDC_ROLE_MAP", RoleMap::parse)?
                .unwrap_or_else(RoleMap::identity),
        };
        let jwks_min_refresh = Duration::from_secs(env.parse_or("OIDC_JWKS_MIN_REFRESH_SECS", 10)?);
        let jwks_max_age = Duration::from_secs(env.parse_or("OIDC_JWKS_MAX_AGE_SECS", 600)?);
        let Some(issuer) = issuer else {
            for (name, set) in [
                ("OIDC_AUDIENCE", audience.is_some()),
                ("OIDC_JWKS_URL", jwks_url.is_some()),
                ("OIDC_JWKS_FILE", jwks_file.is_some()),
            ] {
                if set {
                    return Err(ConfigError::new(name, "is set but OIDC_ISSUER is not"));
                }
            }
            return Ok(None);
        };
        let audience = audience.ok_or_else(|| {
            ConfigError::new(
                "OIDC_AUDIENCE",
                "is needed with OIDC_ISSUER (the suite's client id)",
            )
        })?;
        let jwks = match (jwks_url, jwks_file) {
            (Some(url), None) => JwksSource::Url(url),
            (None, Some(path)) => JwksSource::File(path),
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "OIDC_JWKS_FILE",
                    "set OIDC_JWKS_URL or OIDC_JWKS_FILE, not both",
                ));
            }
            (None, None) => {
                return Err(ConfigError::new(
                    "OIDC_JWKS_URL",
                    "is needed with OIDC_ISSUER (or OIDC_JWKS_FILE)",
                ));
            }
        };
        Ok(Some(Self {
            issuer,
            audience,
            jwks,
            claims,
            jwks_min_refresh,
            jwks_max_age,
        }))
    }
}

impl ServiceCredentialsConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let token = env.get("SERVICE_TOKEN").map(Secret::new);
        let client_id = env.get("SERVICE_CLIENT_ID");
        let client_secret = env.get("SERVICE_CLIENT_SECRET").map(Secret::new);
        let scope = env.get("SERVICE_TOKEN_SCOPE");
        let token_url = optional_url(env, "OIDC_TOKEN_URL")?;
        match (token, client_id) {
            (Some(_), Some(_)) => Err(ConfigError::new(
                "SERVICE_TOKEN",
                "set SERVICE_TOKEN or SERVICE_CLIENT_ID, not both",
            )),
            (Some(token), None) => Ok(Self::Static(token)),
            (None, Some(client_id)) => Ok(Self::ClientCredentials {
                token_url: token_url.ok_or_else(|| {
                    ConfigError::new("OIDC_TOKEN_URL", "is needed with SERVICE_CLIENT_ID")
                })?,
                client_id,
                client_secret: client_secret.ok_or_else(|| {
                    ConfigError::new("SERVICE_CLIENT_SECRET", "is needed with SERVICE_CLIENT_ID")
                })?,
                scope,
            }),
            (None, None) if client_secret.is_some() => Err(ConfigError::new(
                "SERVICE_CLIENT_SECRET",
                "is set but SERVICE_CLIENT_ID is not",
            )),
            (None, None) => Ok(Self::Hs256),
        }
    }
}

fn optional_url(env: &Env, name: &str) -> Result<Option<url::Url>, ConfigError> {
    match env.get(name) {
        Some(_) => base_url(env, name, "").map(Some),
        None => Ok(None),
    }
}

/// Where a service finds another service of the suite: a variable and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub variable: &'static str,
    pub default: &'static str,
}

/// `REGISTRY_URL`: base URL of the enterprise registry.
pub const REGISTRY: Peer = Peer {
    variable: "REGISTRY_URL",
    default: "http://127.0.0.1:8081/",
};

/// `ALLOCATION_URL`: base URL of target allocation.
pub const ALLOCATION: Peer = Peer {
    variable: "ALLOCATION_URL",
    default: "http://127.0.0.1:8082/",
};

/// Every service another one may call (tests of a service alone point them all at nothing).
pub const PEERS: [Peer; 2] = [REGISTRY, ALLOCATION];

impl Peer {
    pub fn url(&self, env: &Env) -> Result<url::Url, ConfigError> {
        base_url(env, self.variable, self.default)
    }
}

/// Reads a base URL such as `REGISTRY_URL`, checking it is an http(s) URL.
pub fn base_url(env: &Env, name: &str, default: &str) -> Result<url::Url, ConfigError> {
    let raw = env.get(name).unwrap_or_else(|| default.to_owned());
    let url = url::Url::parse(raw.trim()).map_err(|e| ConfigError {
        name: name.to_owned(),
        message: format!("{raw:?} is not a URL: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError {
            name: name.to_owned(),
            message: format!("{raw:?} must start with http:// or https://"),
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?} {secret}"), "Secret(***) ***");
    }

    #[test]
    fn defaults_and_overrides() {
        let env = Env::from_pairs([("REGISTRY_PORT", "9001"), ("DATA_DIR", "/tmp/x")]);
        let common = CommonConfig::from_env(&env).unwrap();
        let service = ServiceConfig::from_env(&env, &common, "registry", "REGISTRY", 8081).unwrap();
        assert_eq!(service.port, 9001);
        assert_eq!(service.database_url.expose(), "sqlite:///tmp/x/registry.db");
        assert!(format!("{service:?}").contains("Secret(***)"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let env = Env::from_pairs([("REGISTRY_PORT", "eighty")]);
        let common = CommonConfig::from_env(&env).unwrap();
        let error =
            ServiceConfig::from_env(&env, &common, "registry", "REGISTRY", 8081).unwrap_err();
        assert_eq!(error.name, "REGISTRY_PORT");
        let error = base_url(
            &Env::from_pairs([("REGISTRY_URL", "ftp://x")]),
            "REGISTRY_URL",
            "",
        )
        .unwrap_err();
        assert!(error.message.contains("http"));
    }

    #[test]
    fn sign_on_settings_are_checked_together() {
        let auth = |pairs: &[(&str, &str)]| AuthConfig::from_env(&Env::from_pairs(pairs.to_vec()));
        let plain = auth(&[]).unwrap();
        assert!(plain.oidc.is_none());
        assert!(matches!(
            plain.service_credentials,
            ServiceCredentialsConfig::Hs256
        ));
        let platform = [
            ("OIDC_ISSUER", "https://sso.example/realms/js"),
            ("OIDC_AUDIENCE", "hte-suite"),
            ("OIDC_JWKS_URL", "https://sso.example/realms/js/certs"),
            ("OIDC_ROLE_CLAIM", "realm_access.roles"),
        ];
        let oidc = auth(&platform).unwrap().oidc.unwrap();
        assert_eq!(oidc.claims.role.as_str(), "realm_access.roles");
        assert_eq!(oidc.claims.region.as_str(), "region");
        let refused = |pairs: &[(&str, &str)]| auth(pairs).unwrap_err().name;
        assert_eq!(refused(&platform[1..]), "OIDC_AUDIENCE");
        assert_eq!(refused(&platform[..2]), "OIDC_JWKS_URL");
        assert_eq!(refused(&[platform[0], platform[2]]), "OIDC_AUDIENCE");
        let mut both = platform.to_vec();
        both.push(("OIDC_JWKS_FILE", "/etc/jwks.json"));
        assert_eq!(refused(&both), "OIDC_JWKS_FILE");
        assert_eq!(
            refused(&[("AUTH_CLOCK_SKEW_SECS", "3600")]),
            "AUTH_CLOCK_SKEW_SECS"
        );
        assert_eq!(
            refused(&[("AUTH_MAX_TOKEN_LIFETIME_SECS", "0")]),
            "AUTH_MAX_TOKEN_LIFETIME_SECS"
        );
        assert_eq!(refused(&[("OIDC_ROLE_MAP", "x=mayor")]), "OIDC_ROLE_MAP");
        assert_eq!(refused(&[("SERVICE_CLIENT_ID", "x")]), "OIDC_TOKEN_URL");
        assert_eq!(
            refused(&[
                ("SERVICE_CLIENT_ID", "x"),
                ("OIDC_TOKEN_URL", "https://sso/t")
            ]),
            "SERVICE_CLIENT_SECRET"
        );
        assert_eq!(
            refused(&[("SERVICE_CLIENT_ID", "x"), ("SERVICE_TOKEN", "t")]),
            "SERVICE_TOKEN"
        );
    }

    #[test]
    fn edge_limits_have_defaults_and_refuse_zero() {
        let edge = EdgeConfig::from_env(&Env::from_pairs([])).unwrap();
        assert_eq!(edge.body.grace, Duration::from_secs(10));
        assert_eq!(edge.rate.per_minute, 600);
        let off = Env::from_pairs([("RATE_LIMIT_PER_MINUTE", "0")]);
        assert_eq!(EdgeConfig::from_env(&off).unwrap().rate.per_minute, 0);
        for name in [
            "REQUEST_BODY_GRACE_SECS",
            "REQUEST_BODY_MIN_RATE",
            "RATE_LIMIT_BURST",
            "RATE_LIMIT_AUTH_FAILURES_PER_MINUTE",
        ] {
            let error = EdgeConfig::from_env(&Env::from_pairs([(name, "0")])).unwrap_err();
            assert_eq!(error.name, name);
        }
        let huge = Env::from_pairs([("RATE_LIMIT_BURST", "99999999999")]);
        assert_eq!(
            EdgeConfig::from_env(&huge).unwrap_err().name,
            "RATE_LIMIT_BURST"
        );
    }

    #[test]
    fn a_recording_environment_names_what_was_read() {
        let env = Env::recording([("HOST", "0.0.0.0")]);
        CommonConfig::from_env(&env).unwrap();
        let read = env.names_read();
        for name in [
            "HOST",
            "JWT_SECRET",
            "OIDC_ISSUER",
            "SERVICE_CLIENT_SECRET",
            "RATE_LIMIT_PER_MINUTE",
            "REQUEST_BODY_GRACE_SECS",
        ] {
            assert!(read.contains(name), "{name} not read: {read:?}");
        }
    }
}
