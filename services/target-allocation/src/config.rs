//! Target allocation's configuration: what every service reads (`ALLOCATION_PORT`, default
//! 8082; `ALLOCATION_DATABASE_URL`, default `sqlite://DATA_DIR/target-allocation.db`; …) and
//! its own settings.

pub type AllocationConfig = hte_shared::service::Config<crate::startup::TargetAllocation>;

/// Settings of target allocation alone.
#[derive(Debug, Clone)]
pub struct AllocationSettings {
    /// `REGISTRY_URL`: base URL of the enterprise registry (default `http://127.0.0.1:8081/`).
    pub registry_url: url::Url,
}
