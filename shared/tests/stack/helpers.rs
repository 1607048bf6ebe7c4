use actix_web::{HttpResponse, get, post, web};
use diesel_migrations::embed_migrations;
use hte_shared::auth::{Caller, Role};
use hte_shared::config::{CommonConfig, ConfigError, Env};
use hte_shared::db::Migrations;
use hte_shared::problem::Problem;
use hte_shared::regions::RegionCode;
use hte_shared::service::Service;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

pub use hte_shared::testing::assert_problem;

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

#[derive(utoipa::OpenApi)]
struct Doc;

/// A service holding one probe resource, as the skeleton knows it.
pub struct Probe;

impl Service for Probe {
    type Settings = ();
    const NAME: &'static str = "probe";
    const ENV_PREFIX: &'static str = "PROBE";
    const DEFAULT_PORT: u16 = 0;
    const MIGRATIONS: Migrations = Migrations::new(
        &embed_migrations!("tests/fixtures/migrations/postgres"),
        &embed_migrations!("tests/fixtures/migrations/sqlite"),
    );
    const TITLE: &'static str = "probe";
    const DESCRIPTION: &'static str = "probe";

    fn openapi_base() -> OpenApi {
        Doc::openapi()
    }

    fn configure_api(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
        cfg.service(write_probe).service(read_probe);
    }

    fn settings(_: &Env, _: &CommonConfig) -> Result<(), ConfigError> {
        Ok(())
    }
}

pub type TestApp = hte_shared::testing::TestApp<Probe>;

/// Requests only the probe service makes.
pub trait ProbeRequests {
    /// POSTs a probe to `target` as `role` of `own`.
    async fn write_as(&self, role: Role, own: &str, target: &str) -> reqwest::Response;
}

impl ProbeRequests for TestApp {
    async fn write_as(&self, role: Role, own: &str, target: &str) -> reqwest::Response {
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
