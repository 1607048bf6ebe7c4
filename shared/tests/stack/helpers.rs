use std::net::TcpListener;

use actix_web::{HttpResponse, get, post, web};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use hte_shared::auth::{AuthKeys, Caller, Role};
use hte_shared::config::{Secret, ServiceConfig};
use hte_shared::db::Migrations;
use hte_shared::problem::Problem;
use hte_shared::regions::RegionCode;
use hte_shared::server::{self, ServiceSpec};
use hte_shared::testing::{TestDatabase, token};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi as _;

static POSTGRES: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/postgres");
static SQLITE: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/sqlite");

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProbeBody {
    pub name: String,
    pub count: u32,
}

fn region(raw: &str) -> Result<RegionCode, Problem> {
    RegionCode::parse(raw).map_err(|e| Problem::invalid_field("region", "format", e.to_string()))
}

#[utoipa::path(params(("region" = String, Path)), responses((status = 201, description = "Written")))]
#[post("/probe/{region}")]
async fn write_probe(
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<ProbeBody>,
) -> Result<HttpResponse, Problem> {
    let region = region(&path)?;
    caller.require_write(&region)?;
    Ok(HttpResponse::Created().json(body.into_inner()))
}

#[utoipa::path(params(("region" = String, Path)), responses((status = 200, description = "Read")))]
#[get("/probe/{region}")]
async fn read_probe(caller: Caller, path: web::Path<String>) -> Result<HttpResponse, Problem> {
    let region = region(&path)?;
    if !caller.may_read(&region) {
        return Err(Problem::not_found("no such probe"));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({"region": region})))
}

fn api(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(write_probe).service(read_probe);
}

#[derive(utoipa::OpenApi)]
struct Doc;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub keys: AuthKeys,
    pub database: TestDatabase,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let database = TestDatabase::create();
        let keys = AuthKeys::random().unwrap();
        let config = ServiceConfig {
            name: "probe",
            host: [127, 0, 0, 1].into(),
            port: 0,
            database_url: Secret::new(database.url().to_owned()),
            db_pool_size: 2,
            db_connect_timeout: std::time::Duration::from_secs(2),
            http_workers: 1,
        };
        let spec = ServiceSpec {
            name: "probe",
            database_url_variable: "PROBE_DATABASE_URL",
            migrations: Migrations {
                postgres: &POSTGRES,
                sqlite: &SQLITE,
            },
            openapi: server::openapi_document(Doc::openapi(), api, "probe", "probe"),
            api,
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (running, _db) = server::launch(spec, &config, keys.clone(), listener, |_| {
            server::no_app_data
        })
        .await
        .unwrap();
        let address = format!("http://127.0.0.1:{}", running.port);
        let handle = running.handle();
        tokio::spawn(running.run_until_stopped());
        Self {
            address,
            client: hte_shared::testing::http_client(),
            keys,
            database,
            handle,
        }
    }

    pub fn token(&self, role: Role, region: &str) -> String {
        token(&self.keys, role, region)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn write_as(&self, role: Role, own: &str, target: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/probe/{target}")))
            .bearer_auth(self.token(role, own))
            .json(&ProbeBody {
                name: "x".into(),
                count: 1,
            })
            .send()
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stops accepting at once; the database is dropped after.
        drop(self.handle.stop(false));
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    for member in ["type", "title", "instance", "request_id"] {
        assert!(body[member].is_string(), "problem lacks {member}: {body}");
    }
    body
}
