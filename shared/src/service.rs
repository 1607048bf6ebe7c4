//! The service skeleton: configuration → pool → migrations → app → server, done one way for
//! every service, the suite launcher and the tests (which bind port 0).
//!
//! A service describes itself by implementing [`Service`] on a unit type (its name, its
//! environment prefix, its migrations, its OpenAPI base, its routes and its app data);
//! [`Application::build`] does the rest, and [`run`] is a service binary's whole `main`.

use std::fmt;
use std::marker::PhantomData;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::web;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig as ApiConfig;

use crate::auth::AuthKeys;
use crate::config::{CommonConfig, ConfigError, Env, ServiceConfig};
use crate::db::{DatabaseUrl, Db, DbSettings, Migrations};
use crate::server::{self, RunningServer, ServiceParts, StartError};

/// What the skeleton needs to know about a service.
pub trait Service: Sized + 'static {
    /// Settings of this service beyond the common ones (e.g. where the services it calls are).
    type Settings: fmt::Debug + Clone + Send + Sync + 'static;

    /// `enterprise-registry`: names its metrics, its logs and its default SQLite file.
    const NAME: &'static str;
    /// `REGISTRY`: the service reads `REGISTRY_PORT` and `REGISTRY_DATABASE_URL`.
    const ENV_PREFIX: &'static str;
    const DEFAULT_PORT: u16;
    /// Its own tables; the shared ones (audit log, idempotency keys) are always migrated too.
    const MIGRATIONS: Migrations;
    /// Title and description of its OpenAPI document.
    const TITLE: &'static str;
    const DESCRIPTION: &'static str;
    /// Refuse query parameters an operation does not document (400 naming them). On unless
    /// a service still has handlers whose parameters are not in its OpenAPI document.
    const REFUSE_UNKNOWN_QUERY_PARAMETERS: bool = true;

    /// The OpenAPI document before the handlers are added: tags and their descriptions.
    type Doc: utoipa::OpenApi;

    /// Registers the `/api/v1` handlers (the server and the OpenAPI document both use this).
    const ROUTES: fn(&mut ApiConfig);

    /// Reads [`Self::Settings`] from the environment.
    fn settings(env: &Env, common: &CommonConfig) -> Result<Self::Settings, ConfigError>;

    /// What the handlers need besides the database and the keys (clients of other services).
    fn app_data(_config: &Config<Self>, _keys: &AuthKeys) -> Result<AppData, StartError> {
        Ok(AppData::default())
    }

    /// As [`Service::app_data`], for a service that also needs its database to start
    /// (background jobs it spawns, such as a scheduler); by default just `app_data`.
    fn app_data_with_db(
        config: &Config<Self>,
        keys: &AuthKeys,
        _db: &Db,
    ) -> Result<AppData, StartError> {
        Self::app_data(config, keys)
    }
}

/// A service's configuration: the settings every service reads, and its own.
pub struct Config<S: Service> {
    pub common: CommonConfig,
    /// `{PREFIX}_PORT` and `{PREFIX}_DATABASE_URL` (default `sqlite://DATA_DIR/{name}.db`).
    pub service: ServiceConfig,
    pub own: S::Settings,
}

impl<S: Service> Config<S> {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env)?;
        let service =
            ServiceConfig::from_env(env, &common, S::NAME, S::ENV_PREFIX, S::DEFAULT_PORT)?;
        let own = S::settings(env, &common)?;
        Ok(Self {
            common,
            service,
            own,
        })
    }
}

impl<S: Service> Clone for Config<S> {
    fn clone(&self) -> Self {
        Self {
            common: self.common.clone(),
            service: self.service.clone(),
            own: self.own.clone(),
        }
    }
}

impl<S: Service> fmt::Debug for Config<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("common", &self.common)
            .field("service", &self.service)
            .field("own", &self.own)
            .finish()
    }
}

type Register = dyn Fn(&mut web::ServiceConfig) + Send + Sync;

/// App data a service hands its handlers (each value becomes a `web::Data`), registered on
/// every worker.
#[derive(Clone, Default)]
pub struct AppData {
    registers: Vec<Arc<Register>>,
    /// The service's own metrics, shown by `/metrics` beside the requests'.
    pub(crate) collectors: Vec<prometheus::IntCounterVec>,
}

impl AppData {
    pub fn with<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.with_shared(Arc::new(value))
    }

    /// As [`AppData::with`], for a value the service also holds elsewhere (a cache that a
    /// background thread keeps current).
    pub fn with_shared<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        let data = web::Data::from(value);
        self.registers
            .push(Arc::new(move |cfg: &mut web::ServiceConfig| {
                cfg.app_data(data.clone());
            }));
        self
    }

    /// Counters of the service's own that `/metrics` shows (a cache's hits and misses).
    pub fn with_counters(mut self, counters: prometheus::IntCounterVec) -> Self {
        self.collectors.push(counters);
        self
    }

    /// Routes outside `/api/v1` the service serves itself (e.g. a web page and its assets),
    /// registered on every worker before the API; they are not in the OpenAPI document.
    pub fn with_routes(
        mut self,
        routes: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static,
    ) -> Self {
        self.registers.push(Arc::new(routes));
        self
    }

    pub(crate) fn register(&self, cfg: &mut web::ServiceConfig) {
        for register in &self.registers {
            register(cfg);
        }
    }
}

/// The service's OpenAPI document, generated from its handlers.
pub fn openapi<S: Service>() -> OpenApi {
    server::openapi_document(
        <S::Doc as utoipa::OpenApi>::openapi(),
        S::ROUTES,
        &crate::openapi::DocumentInfo {
            name: S::NAME,
            title: S::TITLE,
            description: S::DESCRIPTION,
            env_prefix: S::ENV_PREFIX,
            default_port: S::DEFAULT_PORT,
        },
    )
}

/// A started service: its server (on its real port) and its database.
pub struct Application<S> {
    server: RunningServer,
    db: Db,
    service: PhantomData<fn() -> S>,
}

impl<S: Service> Application<S> {
    /// Binds `HOST:{PREFIX}_PORT` and starts.
    pub async fn build(config: Config<S>, keys: AuthKeys) -> Result<Self, StartError> {
        let listener = TcpListener::bind((config.service.host, config.service.port))?;
        Self::build_with_listener(config, keys, listener).await
    }

    /// Connects the database, applies the migrations and serves on `listener`.
    pub async fn build_with_listener(
        config: Config<S>,
        keys: AuthKeys,
        listener: TcpListener,
    ) -> Result<Self, StartError> {
        let db = connect::<S>(&config.service).await?;
        let data = S::app_data_with_db(&config, &keys, &db)?;
        let parts = ServiceParts {
            name: S::NAME,
            db: db.clone(),
            keys,
            openapi: openapi::<S>(),
            workers: config.service.http_workers,
            edge: config.service.edge.clone(),
            refuse_unknown_query: S::REFUSE_UNKNOWN_QUERY_PARAMETERS,
        };
        let server = server::start(listener, parts, S::ROUTES, data)?;
        Ok(Self {
            server,
            db,
            service: PhantomData,
        })
    }
}

impl<S> Application<S> {
    pub fn port(&self) -> u16 {
        self.server.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn into_server(self) -> RunningServer {
        self.server
    }
}

/// Opens the pool (connecting once directly first, so a bad URL fails with its real cause)
/// and applies pending migrations, off the async executor.
async fn connect<S: Service>(config: &ServiceConfig) -> Result<Db, StartError> {
    let url = DatabaseUrl::parse(config.database_url.expose()).map_err(|message| {
        StartError::DatabaseUrl {
            variable: format!("{}_DATABASE_URL", S::ENV_PREFIX),
            message,
        }
    })?;
    let settings = DbSettings {
        url,
        pool_size: config.db_pool_size,
        connect_timeout: config.db_connect_timeout,
    };
    let db = tokio::task::spawn_blocking(move || Db::connect(&settings, S::MIGRATIONS)).await??;
    Ok(db.with_write_wait(config.db_write_wait))
}

/// A service binary's `main`: configuration from the process environment, logs, keys, then
/// serving until Ctrl-C or SIGTERM.
pub async fn run<S: Service>() -> Result<(), StartError> {
    let config = Config::<S>::from_env(&Env::Process)?;
    crate::telemetry::init_tracing(config.common.log_format, "info");
    let keys = AuthKeys::from_config(&config.common)?;
    let app = Application::build(config, keys).await?;
    tracing::info!(service = S::NAME, port = app.port(), "listening");
    server::run_until_signal(vec![app.into_server()]).await?;
    Ok(())
}
