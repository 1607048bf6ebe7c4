use hte_shared::config::{CommonConfig, ConfigError, Env, ServiceConfig, base_url};

pub const SERVICE_NAME: &str = "target-allocation";
pub const DEFAULT_PORT: u16 = 8082;

#[derive(Debug, Clone)]
pub struct AllocationConfig {
    pub common: CommonConfig,
    /// `ALLOCATION_PORT` (8082), `ALLOCATION_DATABASE_URL` (`sqlite://DATA_DIR/target-allocation.db`).
    pub service: ServiceConfig,
    /// `REGISTRY_URL`: base URL of the enterprise registry (default `http://127.0.0.1:8081/`).
    pub registry_url: url::Url,
}

impl AllocationConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        let service =
            ServiceConfig::from_env(env, &common, SERVICE_NAME, "ALLOCATION", DEFAULT_PORT)?;
        Ok(Self {
            common,
            service,
            registry_url: base_url(env, "REGISTRY_URL", "http://127.0.0.1:8081/")?,
        })
    }
}
