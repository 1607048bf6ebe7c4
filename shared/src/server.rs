//! The HTTP server every service runs: middleware, operational routes, docs, and a server
//! bound to a listener the caller chose (port 0 in tests). [`crate::service`] builds on it.

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpResponse, HttpServer, Responder, get, web};
use utoipa::openapi::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig as ApiConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::AuthKeys;
use crate::config::EdgeConfig;
use crate::db::Db;
use crate::edge::body::body_deadline_middleware;
use crate::edge::panic::catch_panic_middleware;
use crate::edge::rate_limit::{RateLimiter, rate_limit_middleware};
use crate::edge::routes::{
    KnownRoutes, parameter_length_middleware, unknown_query_middleware, unmatched,
};
use crate::i18n::Text;
use crate::metrics::{Metrics, metrics_middleware};
use crate::openapi::ServiceUnavailable;
use crate::problem::{self, Problem, problem_json_middleware};
use crate::service::AppData;
use crate::telemetry::request_id_middleware;

/// Largest JSON body accepted by default (bulk files go through dedicated routes).
pub const JSON_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// What every service hands the server.
#[derive(Clone)]
pub struct ServiceParts {
    pub name: &'static str,
    pub db: Db,
    pub keys: AuthKeys,
    pub openapi: OpenApi,
    pub workers: usize,
    /// Rate limits and the body deadline.
    pub edge: EdgeConfig,
    /// Refuse query parameters the OpenAPI document does not give the operation.
    pub refuse_unknown_query: bool,
}

/// A started server: its real port and a handle to stop it.
pub struct RunningServer {
    pub port: u16,
    pub server: Server,
}

impl RunningServer {
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind: {0}")]
    Bind(#[from] std::io::Error),
    #[error("cannot set up metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("{variable}: {message}")]
    DatabaseUrl { variable: String, message: String },
    #[error(transparent)]
    Database(#[from] crate::db::DbInitError),
    #[error("start-up task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Keys(#[from] crate::auth::KeyError),
    /// A service's own app data could not be made (e.g. a client of another service).
    #[error("cannot set up {what}: {message}")]
    AppData { what: String, message: String },
}

/// Runs servers until one stops or the process gets Ctrl-C / SIGTERM, then stops them all
/// gracefully (in-flight requests finish).
pub async fn run_until_signal(servers: Vec<RunningServer>) -> std::io::Result<()> {
    let handles: Vec<ServerHandle> = servers.iter().map(RunningServer::handle).collect();
    let all = futures_util::future::select_all(
        servers.into_iter().map(|s| Box::pin(s.run_until_stopped())),
    );
    let result = tokio::select! {
        (result, _, _) = all => result,
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            Ok(())
        }
    };
    for handle in handles {
        handle.stop(true).await;
    }
    // Before the process exits: no thread may be inside libpq while it is torn down.
    if let Err(error) = tokio::task::spawn_blocking(|| crate::db::changes::stop(None)).await {
        tracing::error!(%error, "stopping the database change feeds failed");
    }
    result
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Builds and starts the server. `api` registers the service's `/api/v1` handlers (documented
/// by utoipa); `data` holds the service's own app data.
pub fn start<A>(
    listener: TcpListener,
    parts: ServiceParts,
    api: A,
    data: AppData,
) -> Result<RunningServer, StartError>
where
    A: Fn(&mut ApiConfig) + Clone + Send + 'static,
{
    let port = listener.local_addr()?.port();
    let service_metrics = Metrics::new(parts.name)?;
    for counters in &data.collectors {
        service_metrics.register(Box::new(counters.clone()))?;
    }
    let metrics_data = web::Data::new(service_metrics);
    let db = web::Data::new(parts.db.clone());
    let keys = web::Data::new(parts.keys.clone());
    let openapi = parts.openapi.clone();
    let known_routes = web::Data::new(KnownRoutes::from_openapi(
        &parts.openapi,
        parts.refuse_unknown_query,
    ));
    // One budget per service instance, shared by its workers.
    let rate_limiter = web::Data::new(RateLimiter::new(parts.edge.rate));
    let body_deadline = web::Data::new(parts.edge.body);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics_data.clone())
            .app_data(known_routes.clone())
            .app_data(rate_limiter.clone())
            .app_data(body_deadline.clone())
            .app_data(db.clone())
            .app_data(keys.clone())
            .app_data(problem::json_config(JSON_LIMIT_BYTES))
            .app_data(web::PayloadConfig::new(JSON_LIMIT_BYTES))
            .app_data(problem::query_config())
            .app_data(problem::path_config())
            .configure(|cfg| data.register(cfg))
            // Innermost first: a request passes them bottom-up (compression first).
            .wrap(from_fn(head_as_get))
            .wrap(from_fn(parameter_length_middleware))
            .wrap(from_fn(unknown_query_middleware))
            .wrap(from_fn(body_deadline_middleware))
            .wrap(from_fn(rate_limit_middleware))
            // Inside the problem middleware, so a panic's 500 is a problem like any other.
            .wrap(from_fn(catch_panic_middleware))
            .wrap(from_fn(problem_json_middleware))
            .wrap(from_fn(request_id_middleware))
            .wrap(from_fn(metrics_middleware))
            // Outermost, so it compresses the final body, problem+json included.
            .wrap(Compress::default())
            .into_utoipa_app()
            .service(utoipa_actix_web::scope("/api/v1").configure(api.clone()))
            .configure(ops_routes)
            .into_app()
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .url("/openapi.json", openapi.clone())
                    .config(utoipa_swagger_ui::Config::default().validator_url("none")),
            )
            .service(docs_redirect)
            .default_service(web::to(unmatched))
    })
    .workers(parts.workers.max(1))
    .disable_signals()
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(RunningServer { port, server })
}

/// HEAD is answered by the GET route (RFC 9110 asks every GET resource to take HEAD); the
/// HTTP layer remembers the request was HEAD and sends the headers without the body.
async fn head_as_get(
    mut req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// The service's OpenAPI document, built from the same handler registrations the server
/// uses, so paths are written once.
pub fn openapi_document<A>(base: OpenApi, api: A, info: &crate::openapi::DocumentInfo) -> OpenApi
where
    A: Fn(&mut ApiConfig) + Clone + Send + 'static,
{
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(base)
        .service(utoipa_actix_web::scope("/api/v1").configure(api))
        .configure(ops_routes)
        .split_for_parts();
    crate::openapi::finish(doc, info)
}

fn ops_routes(cfg: &mut ApiConfig) {
    cfg.service(livez).service(readyz).service(metrics);
}

/// The body of a live answer: `ok`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // describes the text the handler sends; never built
enum Alive {
    Ok,
}

/// The body of a ready answer: `ready`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // describes the text the handler sends; never built
enum Ready {
    Ready,
}

/// Liveness: the process serves HTTP.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Alive, content_type = "text/plain")))]
#[get("/livez")]
async fn livez() -> impl Responder {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness: the database answers and its migrations are applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Ready, content_type = "text/plain"),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/readyz")]
async fn readyz(db: web::Data<Db>) -> Result<HttpResponse, Problem> {
    match db.check_ready().await {
        Ok(()) => Ok(HttpResponse::Ok().content_type("text/plain").body("ready")),
        Err(reason) => {
            // The reason names files and hosts: logged, not told to anonymous callers.
            tracing::warn!(%reason, "not ready");
            Err(Problem::service_unavailable(Text::fixed(
                "the database is not ready; retry later",
                "数据库尚未就绪，请稍后重试",
            ))
            .with_retry_after(5))
        }
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(tag = "operations", responses((status = 200, description = "Metrics", body = String, content_type = "text/plain; version=0.0.4")))]
#[get("/metrics")]
async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, Problem> {
    let text = metrics.render().map_err(|error| {
        tracing::error!(%error, "cannot render the metrics");
        Problem::internal()
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

#[get("/docs")]
async fn docs_redirect() -> impl Responder {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
