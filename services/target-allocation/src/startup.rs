//! Builds the target allocation service: database, migrations, server. Tests start it on port 0.

use std::net::TcpListener;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use hte_shared::auth::AuthKeys;
use hte_shared::db::{Db, Migrations};
use hte_shared::server::{self, RunningServer, ServiceSpec};
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

use actix_web::web;

use crate::clients::registry::RegistryClient;
use crate::config::{AllocationConfig, SERVICE_NAME};
use crate::routes;

static POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
static SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

pub const MIGRATIONS: Migrations = Migrations {
    postgres: &POSTGRES_MIGRATIONS,
    sqlite: &SQLITE_MIGRATIONS,
};

#[derive(utoipa::OpenApi)]
#[openapi(tags(
    (name = "plans", description = "Plans (规划/工作方案) and their indicators (指标): draft → published → closed"),
    (name = "targets", description = "The target tree (目标树) per plan: province → city → county; every change is a new version with actor and reason"),
    (name = "allocations", description = "Proposed splits of a region's target among its children (任务分解), accepted by a second call"),
    (name = "progress", description = "Target against actual by region (进度), from the enterprise registry"),
    (name = "assessments", description = "Year-end assessments of the cities (年度考核), frozen when published"),
    (name = "operations", description = "Liveness, readiness and metrics"),
))]
struct ApiDoc;

/// The target allocation service's OpenAPI document, generated from its handlers.
pub fn openapi() -> OpenApi {
    server::openapi_document(
        ApiDoc::openapi(),
        routes::configure,
        "Jiangsu HTE — target allocation",
        "Plans (规划), indicators, the target tree per plan (province → city → county), allocations (任务分解), progress and year-end assessments (考核). Errors are RFC 9457 problem+json.",
    )
}

pub struct Application {
    server: RunningServer,
    db: Db,
}

impl Application {
    pub async fn build(config: AllocationConfig, keys: AuthKeys) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((config.service.host, config.service.port))?;
        Self::build_with_listener(config, keys, listener).await
    }

    pub async fn build_with_listener(
        config: AllocationConfig,
        keys: AuthKeys,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let spec = ServiceSpec {
            name: SERVICE_NAME,
            database_url_variable: "ALLOCATION_DATABASE_URL",
            migrations: MIGRATIONS,
            openapi: openapi(),
            api: routes::configure,
        };
        let registry = web::Data::new(RegistryClient::new(
            config.registry_url.clone(),
            keys.clone(),
            config.common.upstream_timeout,
        )?);
        let (server, db) = server::launch(spec, &config.service, keys, listener, |_| {
            move |cfg: &mut web::ServiceConfig| {
                cfg.app_data(registry.clone());
            }
        })
        .await?;
        Ok(Self { server, db })
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn into_server(self) -> RunningServer {
        self.server
    }
}
