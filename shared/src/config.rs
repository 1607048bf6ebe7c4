//! Configuration read from the environment, with documented defaults.
//!
//! Nothing here reads process-global state by itself: callers pass an [`Env`] (the process
//! environment in binaries, a map in tests), and get plain values back.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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

/// Where configuration values come from.
pub enum Env {
    Process,
    Map(HashMap<String, String>),
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

    pub fn get(&self, name: &str) -> Option<String> {
        let value = match self {
            Self::Process => std::env::var(name).ok(),
            Self::Map(map) => map.get(name).cloned(),
        };
        value.filter(|v| !v.trim().is_empty())
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
        })
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
    pub http_workers: usize,
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
            http_workers: common.http_workers,
        })
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
}
