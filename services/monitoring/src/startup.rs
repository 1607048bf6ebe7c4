//! Builds the monitoring service: database, migrations, server. Tests start it on port 0.

use std::net::TcpListener;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use hte_shared::auth::AuthKeys;
use hte_shared::db::{Db, Migrations};
use hte_shared::server::{self, RunningServer, ServiceSpec};
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

use crate::config::{MonitoringConfig, SERVICE_NAME};
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

/// The monitoring service's OpenAPI document, generated from its handlers.
pub fn openapi() -> OpenApi {
    server::openapi_document(
        ApiDoc::openapi(),
        routes::configure,
        "Jiangsu HTE — monitoring",
        "Monitoring of the 小升高 plan (statistics snapshots, KPI values, alerts, bulletins 通报, webhooks). Not built yet: this version serves only the operational routes. Errors are RFC 9457 problem+json.",
    )
}

pub struct Application {
    server: RunningServer,
    db: Db,
}

impl Application {
    pub async fn build(config: MonitoringConfig, keys: AuthKeys) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((config.service.host, config.service.port))?;
        Self::build_with_listener(config, keys, listener).await
    }

    pub async fn build_with_listener(
        config: MonitoringConfig,
        keys: AuthKeys,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let spec = ServiceSpec {
            name: SERVICE_NAME,
            database_url_variable: "MONITORING_DATABASE_URL",
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
