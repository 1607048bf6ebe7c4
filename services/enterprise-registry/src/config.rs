use hte_shared::config::{CommonConfig, ConfigError, Env, ServiceConfig};

pub const SERVICE_NAME: &str = "enterprise-registry";
pub const DEFAULT_PORT: u16 = 8081;

#[derive(Debug, Clone)]
pub struct RegistryConfig {
    pub common: CommonConfig,
    /// `REGISTRY_PORT` (8081), `REGISTRY_DATABASE_URL` (`sqlite://DATA_DIR/enterprise-registry.db`).
    pub service: ServiceConfig,
}

impl RegistryConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        let service =
            ServiceConfig::from_env(env, &common, SERVICE_NAME, "REGISTRY", DEFAULT_PORT)?;
        Ok(Self { common, service })
    }
}
