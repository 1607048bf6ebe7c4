//! What the three services share: configuration, problem+json errors, storage, auth,
//! telemetry, metrics, Jiangsu regions, pagination, CSV/XLSX downloads, the inter-service HTTP client and the
//! service skeleton every service starts with.

pub mod audit;
pub mod auth;
pub mod bounds;
pub mod breaker;
pub mod config;
pub mod db;
pub mod download;
pub mod edge;
pub mod export;
pub mod http_client;
pub mod i18n;
pub mod idempotency;
pub mod json;
pub mod leases;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod plan_id;
pub mod preconditions;
pub mod problem;
pub mod query;
pub mod regions;
pub mod rejection;
pub mod server;
pub mod service;
pub mod service_error;
pub mod stored;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod vocabulary;
