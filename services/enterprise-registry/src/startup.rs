//! How the registry starts: its description for the shared skeleton
//! ([`hte_shared::service`]), which connects the database, applies the migrations and serves.

use diesel_migrations::embed_migrations;
use hte_shared::config::{CommonConfig, ConfigError, Env};
use hte_shared::db::Migrations;
use hte_shared::service::{self, Service};
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig as ApiConfig;

use crate::routes;

/// The registry's own tables (the shared audit and idempotency tables come with them).
pub const MIGRATIONS: Migrations = Migrations::new(
    &embed_migrations!("migrations/postgres"),
    &embed_migrations!("migrations/sqlite"),
);

/// The enterprise registry, as the skeleton knows it.
pub struct EnterpriseRegistry;

/// The registry started: its server and database.
pub type Application = service::Application<EnterpriseRegistry>;

#[derive(utoipa::OpenApi)]
#[openapi(tags(
    (name = "regions", description = "Jiangsu divisions (行政区划), GB/T 2260"),
    (name = "operations", description = "Liveness, readiness and metrics"),
    (name = "carriers", description = "Innovation carriers (创新创业载体): incubators 孵化器, maker spaces 众创空间, star maker spaces 星创天地, university science parks 大学科技园, entrepreneurship parks 创业园"),
    (name = "zones", description = "High-tech zones (高新区): reference data; the province records and changes them"),
))]
struct ApiDoc;

impl Service for EnterpriseRegistry {
    type Settings = ();
    const NAME: &'static str = "enterprise-registry";
    const ENV_PREFIX: &'static str = "REGISTRY";
    const DEFAULT_PORT: u16 = 8081;
    const MIGRATIONS: Migrations = MIGRATIONS;
    const TITLE: &'static str = "Jiangsu HTE — enterprise registry";
    const DESCRIPTION: &'static str = "Source of truth for enterprises (统一社会信用代码), annual \
        reports (年报), pool entries (入库培育), HTE certificates (高新技术企业证书), labels and \
        Jiangsu regions. Errors are RFC 9457 problem+json.";

    fn openapi_base() -> OpenApi {
        ApiDoc::openapi()
    }

    fn configure_api(cfg: &mut ApiConfig) {
        routes::configure(cfg);
    }

    fn settings(_: &Env, _: &CommonConfig) -> Result<(), ConfigError> {
        Ok(())
    }
}
