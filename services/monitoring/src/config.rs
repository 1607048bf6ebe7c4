//! Monitoring's configuration: what every service reads (`MONITORING_PORT`, default 8083;
//! `MONITORING_DATABASE_URL`, default `sqlite://DATA_DIR/monitoring.db`; …) and its own
//! settings.

pub type MonitoringConfig = hte_shared::service::Config<crate::startup::Monitoring>;

/// Settings of monitoring alone.
#[derive(Debug, Clone)]
pub struct MonitoringSettings {
    /// `REGISTRY_URL`: base URL of the enterprise registry (default `http://127.0.0.1:8081/`).
    pub registry_url: url::Url,
    /// `ALLOCATION_URL`: base URL of target allocation (default `http://127.0.0.1:8082/`).
    pub allocation_url: url::Url,
}
