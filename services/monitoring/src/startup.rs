//! How monitoring starts: its description for the shared skeleton ([`hte_shared::service`]),
//! which connects the database, applies the migrations and serves; here the clients of the
//! registry and the allocation service are made, and the snapshot scheduler started.

use std::sync::Arc;

use hte_shared::auth::AuthKeys;
use hte_shared::config::{CommonConfig, ConfigError, Env};
use hte_shared::db::{Db, Migrations};
use hte_shared::server::StartError;
use hte_shared::service::{self, AppData, Config, Service};
use utoipa_actix_web::service_config::ServiceConfig as ApiConfig;

use crate::app::{Monitor, scheduler, webhooks};
use crate::clients::Upstreams;
use crate::config::MonitoringSettings;
use crate::routes;

/// Monitoring, as the skeleton knows it.
pub struct Monitoring;

/// Monitoring started: its server and database.
pub type Application = service::Application<Monitoring>;

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(routes::bulletins::BulletinFileFormat)),
    tags(
    (name = "statistics-inputs", description = "External statistics (统计部门数据) per measure, period and region: entered and corrected by the province with a reason, every version kept; CSV/XLSX import"),
    (name = "snapshots", description = "Snapshots (快照): a plan's indicators for a period frozen on an as-of date, with targets, 时序进度 and sources; revisions kept; taken on demand or on schedule"),
    (name = "indicators", description = "The KPI board (指标看板) and series from stored snapshots: value, target, gap, completion, 时序进度, 环比/同比, rank, forecast; stale when a source service is down"),
    (name = "alerts", description = "Alerts (预警): regions behind 时序进度, indicators off track by forecast, certificates expiring, annual reports missing; acknowledged with a note"),
    (name = "bulletins", description = "Bulletins (定期通报) of a snapshot: JSON, Word (DOCX), Excel (XLSX) or a printable HTML page, for the province with its 13 cities or a city with its counties"),
    (name = "subscriptions", description = "Webhook subscriptions (事件订阅): snapshot and alert events of a region POSTed as signed JSON, retried with backoff, every attempt recorded; failing subscriptions paused"),
    (name = "audit", description = "Checking the audit log's hash chain (审计核验)"),
    (name = "operations", description = "Liveness, readiness and metrics"),
))]
pub struct ApiDoc;

impl Service for Monitoring {
    type Settings = MonitoringSettings;
    type Doc = ApiDoc;
    const ROUTES: fn(&mut ApiConfig) = routes::configure;
    const NAME: &'static str = "monitoring";
    const ENV_PREFIX: &'static str = "MONITORING";
    const DEFAULT_PORT: u16 = 8083;
    const MIGRATIONS: Migrations = crate::db::MIGRATIONS;
    const TITLE: &'static str = "Jiangsu HTE — monitoring";
    const DESCRIPTION: &'static str = "Dynamic monitoring (动态监测) of a plan's indicators: external statistics inputs (统计部门数据), snapshots per period (快照) read from the enterprise registry and the allocation service, the KPI board with 时序进度, 环比/同比, ranks and forecasts, alerts (预警), periodic bulletins (定期通报) as JSON, Word, Excel or HTML, signed webhooks (事件推送) and the dashboard (监测大屏). The board answers from stored snapshots, marked stale when a source service is down. Errors are RFC 9457 problem+json.";

    fn settings(env: &Env, _: &CommonConfig) -> Result<MonitoringSettings, ConfigError> {
        MonitoringSettings::from_env(env)
    }

    fn app_data_with_db(
        config: &Config<Self>,
        keys: &AuthKeys,
        db: &Db,
    ) -> Result<AppData, StartError> {
        let upstreams =
            Upstreams::new(&config.own, keys, config.common.upstream_timeout).map_err(|e| {
                StartError::AppData {
                    what: "the clients of the registry and the allocation service".to_owned(),
                    message: e.to_string(),
                }
            })?;
        let monitor = Monitor {
            upstreams,
            settings: Arc::new(config.own.clone()),
            instance: format!("monitoring-{}", uuid::Uuid::new_v4()),
        };
        if scheduler::spawn(db.clone(), monitor.clone()).is_some() {
            tracing::info!(plans = ?config.own.schedule.plans, "snapshot scheduler started");
        }
        let worker =
            webhooks::spawn(db.clone(), monitor.clone()).map_err(|e| StartError::AppData {
                what: "the webhook delivery worker".to_owned(),
                message: e.to_string(),
            })?;
        Ok(AppData::default()
            .with(monitor)
            .with(worker)
            .with_routes(routes::dashboard::configure))
    }
}
