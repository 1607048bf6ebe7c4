//! The registry's configuration: what every service reads (`REGISTRY_PORT`, default 8081;
//! `REGISTRY_DATABASE_URL`, default `sqlite://DATA_DIR/enterprise-registry.db`; …) and no
//! settings of its own.

pub type RegistryConfig = hte_shared::service::Config<crate::startup::EnterpriseRegistry>;
