use hte_shared::config::{CommonConfig, ConfigError, Env, ServiceConfig, base_url};

pub const SERVICE_NAME: &str = "monitoring";
pub const DEFAULT_PORT: u16 = 8083;

#[derive(Debug, Clone)]
pub struct MonitoringConfig {
    pub common: CommonConfig,
    /// `MONITORING_PORT` (8083), `MONITORING_DATABASE_URL` (`sqlite://DATA_DIR/monitoring.db`).
    pub service: ServiceConfig,
    /// `REGISTRY_URL`: base URL of the enterprise registry (default `http://127.0.0.1:8081/`).
    pub registry_url: url::Url,
    /// `ALLOCATION_URL`: base URL of target allocation (default `http://127.0.0.1:8082/`).
    pub allocation_url: url::Url,
}

impl MonitoringConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        let service =
            ServiceConfig::from_env(env, &common, SERVICE_NAME, "MONITORING", DEFAULT_PORT)?;
        Ok(Self {
            common,
            service,
            registry_url: base_url(env, "REGISTRY_URL", "http://127.0.0.1:8081/")?,
            allocation_url: base_url(env, "ALLOCATION_URL", "http://127.0.0.1:8082/")?,
        })
    }
}
