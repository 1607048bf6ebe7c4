//! How target allocation starts: its description for the shared skeleton
//! ([`hte_shared::service`]), which connects the database, applies the migrations and serves.

use hte_shared::auth::AuthKeys;
use hte_shared::config::{CommonConfig, ConfigError, Env, REGISTRY};
use hte_shared::db::Migrations;
use hte_shared::server::StartError;
use hte_shared::service::{self, AppData, Config, Service};
use utoipa_actix_web::service_config::ServiceConfig as ApiConfig;

use crate::clients::registry::RegistryClient;
use crate::config::AllocationSettings;
use crate::routes;

/// Target allocation, as the skeleton knows it.
pub struct TargetAllocation;

/// Target allocation started: its server and database.
pub type Application = service::Application<TargetAllocation>;

#[derive(utoipa::OpenApi)]
#[openapi(
    // Named in query parameters, which do not bring their schemas along.
    components(schemas(routes::params::FileFormat)),
    tags(
        (name = "plans", description = "Plans (规划/工作方案) and their indicators (指标): draft → published → closed; a draft can be deleted, a published or closed plan archived"),
        (name = "targets", description = "The target tree (目标树) per plan: province → city → county; every change is a new version with actor and reason"),
        (name = "allocations", description = "Proposed splits of a region's target among its children (任务分解), accepted by a second call, withdrawn by the proposer or rejected by the province; each city's split of its own target"),
        (name = "progress", description = "Target against actual by region (进度), from the enterprise registry"),
        (name = "assessments", description = "Scoring schemes (考核办法) as versioned data, and year-end assessments (年度考核) of the cities or a city's counties, frozen when published"),
        (name = "audit", description = "Verification of the audit log's hash chain (审计核验)"),
        (name = "operations", description = "Liveness, readiness and metrics"),
    )
)]
pub struct ApiDoc;

impl Service for TargetAllocation {
    type Settings = AllocationSettings;
    type Doc = ApiDoc;
    const ROUTES: fn(&mut ApiConfig) = routes::configure;
    const NAME: &'static str = "target-allocation";
    const ENV_PREFIX: &'static str = "ALLOCATION";
    const DEFAULT_PORT: u16 = 8082;
    const MIGRATIONS: Migrations = hte_shared::own_migrations!();
    const TITLE: &'static str = "Jiangsu HTE — target allocation";
    const DESCRIPTION: &'static str = "Plans (规划), indicators, the target tree per plan (province → city → county), allocations (任务分解), progress, scoring schemes and year-end assessments (考核). Errors are RFC 9457 problem+json. Unknown query parameters are refused with a 400 naming them (未知查询参数返回400).";

    fn settings(env: &Env, _: &CommonConfig) -> Result<AllocationSettings, ConfigError> {
        Ok(AllocationSettings {
            registry_url: REGISTRY.url(env)?,
        })
    }

    fn app_data(config: &Config<Self>, keys: &AuthKeys) -> Result<AppData, StartError> {
        let registry = RegistryClient::new(
            config.own.registry_url.clone(),
            keys.clone(),
            config.common.upstream_timeout,
        )
        .map_err(|e| StartError::AppData {
            what: "the registry client".to_owned(),
            message: e.to_string(),
        })?;
        Ok(AppData::default().with(registry))
    }
}
