//! How monitoring starts: its description for the shared skeleton ([`hte_shared::service`]),
//! which connects the database, applies the migrations and serves.

use hte_shared::config::{ALLOCATION, CommonConfig, ConfigError, Env, REGISTRY};
use hte_shared::db::Migrations;
use hte_shared::service::{self, Service};
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig as ApiConfig;

use crate::config::MonitoringSettings;
use crate::routes;

/// Monitoring, as the skeleton knows it.
pub struct Monitoring;

/// Monitoring started: its server and database.
pub type Application = service::Application<Monitoring>;

#[derive(utoipa::OpenApi)]
#[openapi(tags(
    (name = "operations", description = "Liveness, readiness and metrics"),
))]
struct ApiDoc;

impl Service for Monitoring {
    type Settings = MonitoringSettings;
    const NAME: &'static str = "monitoring";
    const ENV_PREFIX: &'static str = "MONITORING";
    const DEFAULT_PORT: u16 = 8083;
    const MIGRATIONS: Migrations = crate::db::MIGRATIONS;
    const TITLE: &'static str = "Jiangsu HTE — monitoring";
    const DESCRIPTION: &'static str = "Monitoring of the 小升高 plan (statistics snapshots, KPI values, alerts, bulletins 通报, webhooks). Not built yet: this version serves only the operational routes. Errors are RFC 9457 problem+json.";

    fn openapi_base() -> OpenApi {
        ApiDoc::openapi()
    }

    fn configure_api(cfg: &mut ApiConfig) {
        routes::configure(cfg);
    }

    fn settings(env: &Env, _: &CommonConfig) -> Result<MonitoringSettings, ConfigError> {
        Ok(MonitoringSettings {
            registry_url: REGISTRY.url(env)?,
            allocation_url: ALLOCATION.url(env)?,
        })
    }
}
