//! How the registry starts: its description for the shared skeleton
//! ([`hte_shared::service`]), which connects the database, applies the migrations and serves.

use hte_shared::auth::AuthKeys;
use hte_shared::config::{CommonConfig, ConfigError, Env};
use hte_shared::db::{DatabaseUrl, Db, Migrations};
use hte_shared::server::StartError;
use hte_shared::service::{self, AppData, Config, Service};
use utoipa_actix_web::service_config::ServiceConfig as ApiConfig;

use crate::app::keyed_read;
use crate::app::scheduler::Scheduler;
use crate::config::RegistrySettings;
use crate::routes;

/// The enterprise registry, as the skeleton knows it.
pub struct EnterpriseRegistry;

/// The registry started: its server and database.
pub type Application = service::Application<EnterpriseRegistry>;

#[derive(utoipa::OpenApi)]
#[openapi(
    // Named in query parameters, which do not bring their schemas along.
    components(schemas(
        crate::domain::tech_domain::TechDomain,
        crate::domain::compliance::AlertKind,
        crate::domain::status::EnterpriseStatus,
        crate::domain::labels::LabelKind,
        crate::domain::enterprise::ZoneLevel,
        crate::domain::import::ImportKind,
        crate::domain::import::MoneyUnit,
        crate::app::imports::Mode,
        crate::app::imports::CsvEncoding,
    )),
    tags(
    (name = "enterprises", description = "Enterprises (企业) by unified social credit code: register, correct with If-Match, deregister, history"),
    (name = "annual reports", description = "Yearly figures of an enterprise (年报): staff, income, R&D, assets, IP; one report per year, replaced with If-Match"),
    (name = "programme", description = "The cultivation programme: pool entries (培育库入库/出库), HTE certificates (高企证书) and labels such as tech-SME or gazelle (企业标签)"),
    (name = "assessment", description = "Benchmarking against the HTE criteria (对标找差), candidate lists, and the versioned rule sets (规则集) behind them"),
    (name = "compliance", description = "Compliance alerts (合规提醒): certificates expiring, missing annual reports, long pool stays"),
    (name = "statistics", description = "Counts by region (分地区统计) for the other services and the province's reports"),
    (name = "bulk", description = "CSV/XLSX imports (批量导入) and exports (导出)"),
    (name = "audit", description = "Verification of the audit log's hash chain (审计核验)"),
    (name = "regions", description = "Jiangsu divisions (行政区划), GB/T 2260"),
    (name = "dictionaries", description = "Code lists (代码表) with Chinese and English labels"),
    (name = "operations", description = "Liveness, readiness and metrics"),
    (name = "carriers", description = "Innovation carriers (创新创业载体): incubators 孵化器, maker spaces 众创空间, star maker spaces 星创天地, university science parks 大学科技园, entrepreneurship parks 创业园"),
    (name = "zones", description = "High-tech zones (高新区): reference data; the province records and changes them"),
    )
)]
pub struct ApiDoc;

impl Service for EnterpriseRegistry {
    type Settings = RegistrySettings;
    type Doc = ApiDoc;
    const ROUTES: fn(&mut ApiConfig) = routes::configure;
    const NAME: &'static str = "enterprise-registry";
    const ENV_PREFIX: &'static str = "REGISTRY";
    const DEFAULT_PORT: u16 = 8081;
    const MIGRATIONS: Migrations = hte_shared::own_migrations!();
    const TITLE: &'static str = "Jiangsu HTE — enterprise registry";
    const DESCRIPTION: &'static str = "Source of truth for enterprises (统一社会信用代码), annual \
        reports (年报), pool entries (入库培育), HTE certificates (高新技术企业证书), labels and \
        Jiangsu regions. Errors are RFC 9457 problem+json.";

    fn settings(env: &Env, _: &CommonConfig) -> Result<RegistrySettings, ConfigError> {
        RegistrySettings::from_env(env)
    }

    /// Starts the keyed read's cache (and its change feed on PostgreSQL), and the daily
    /// readiness build when it is turned on.
    fn app_data_with_db(
        config: &Config<Self>,
        _keys: &AuthKeys,
        db: &Db,
    ) -> Result<AppData, StartError> {
        let url = DatabaseUrl::parse(config.service.database_url.expose()).map_err(|message| {
            StartError::DatabaseUrl {
                variable: "REGISTRY_DATABASE_URL".to_owned(),
                message,
            }
        })?;
        let cache =
            keyed_read::start_cache(db, &url, config.own.keyed_cache_firms).map_err(|e| {
                StartError::AppData {
                    what: "the keyed read's change feed".to_owned(),
                    message: e.to_string(),
                }
            })?;
        if let Some(schedule) = config.own.readiness_schedule.clone() {
            tracing::info!(?schedule, "daily readiness build scheduled");
            Scheduler {
                db: db.clone(),
                schedule,
                instance: format!("enterprise-registry-{}", uuid::Uuid::new_v4()),
            }
            .spawn();
        }
        Ok(AppData::default()
            .with_counters(cache.counters())
            .with_shared(cache))
    }
}
