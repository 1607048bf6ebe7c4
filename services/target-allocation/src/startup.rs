//! Builds the target allocation service: database, migrations, server. Tests start it on port 0.

use std::net::TcpListener;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use hte_shared::auth::AuthKeys;
use hte_shared::db::{Db, Migrations};
use hte_shared::server::{self, RunningServer, ServiceSpec};
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

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
        let (server, db) = server::launch(spec, &config.service, keys, listener, |_| {
            server::no_app_data
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
