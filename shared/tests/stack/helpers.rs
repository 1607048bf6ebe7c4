use actix_web::{HttpResponse, get, post, web};
use diesel_migrations::embed_migrations;
use hte_shared::auth::{Caller, Role};
use hte_shared::config::{CommonConfig, ConfigError, Env};
use hte_shared::db::Migrations;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::RegionCode;
use hte_shared::service::Service;
use serde::{Deserialize, Serialize};

pub use hte_shared::testing::assert_problem;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeBody {
    pub name: String,
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ProbeKind>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    Gazelle,
    LittleGiant,
}

/// `?limit=&level=`, documented, so the edge knows them.
#[derive(Debug, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProbeFilter {
    pub limit: Option<u32>,
    pub kind: Option<ProbeKind>,
}

/// Many values at once, each checked: for problems with many field errors.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProbeBatch {
    pub counts: Vec<i64>,
}

fn region(raw: &str) -> Result<RegionCode, Problem> {
    RegionCode::parse(raw).map_err(|e| Problem::invalid_field("region", "format", e.text()))
}

#[utoipa::path(params(("region" = String, Path)), responses((status = 201, description = "Written")))]
#[post("/probe/{region}")]
async fn write_probe(
    caller: Caller,
    path: web::Path<String>,
    body: hte_shared::json::Json<ProbeBody>,
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
        return Err(Problem::not_found(hte_shared::text!(
            "no such probe",
            "未找到该探针"
        )));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({"region": region})))
}

/// Lists probes; reads its filter with actix's own `web::Query`.
#[utoipa::path(params(ProbeFilter), responses((status = 200, description = "Listed")))]
#[get("/probe")]
async fn list_probes(_: Caller, filter: web::Query<ProbeFilter>) -> HttpResponse {
    HttpResponse::Ok().json(filter.into_inner())
}

/// Searches probes; reads its filter with the shared extractor, which names the parameter.
#[utoipa::path(params(ProbeFilter), responses((status = 200, description = "Found")))]
#[get("/probe-search")]
async fn search_probes(_: Caller, filter: hte_shared::query::Query<ProbeFilter>) -> HttpResponse {
    HttpResponse::Ok().json(filter.into_inner())
}

/// Checks every count (none may be negative) and lists each failure. Reads its body with
/// actix's own `web::Json` (the probe itself uses the shared extractor).
#[utoipa::path(request_body = ProbeBatch, responses((status = 200, description = "Checked")))]
#[post("/probe-batch")]
async fn check_batch(_: Caller, body: web::Json<ProbeBatch>) -> Result<HttpResponse, Problem> {
    let errors: Vec<FieldError> = body
        .0
        .counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count < 0)
        .map(|(i, count)| {
            FieldError::new(
                format!("counts[{i}]"),
                "range",
                hte_shared::text!("{count} is negative", "{count} 是负数"),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(HttpResponse::Ok().finish())
    } else {
        Err(Problem::validation(errors))
    }
}

/// Doubles a number the way unchecked arithmetic does: `i64::MAX` overflows and panics (tests
/// build with overflow checks, as the release profile does).
#[utoipa::path(params(("n" = i64, Path)), responses((status = 200, description = "Doubled")))]
#[get("/probe-double/{n}")]
async fn double(_: Caller, n: web::Path<i64>) -> HttpResponse {
    let n = n.into_inner();
    HttpResponse::Ok().json(n * 2)
}

#[derive(utoipa::OpenApi)]
pub struct Doc;

/// A service holding one probe resource, as the skeleton knows it.
pub struct Probe;

fn configure_probe(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(write_probe)
        .service(read_probe)
        .service(list_probes)
        .service(search_probes)
        .service(check_batch)
        .service(double);
}

impl Service for Probe {
    type Settings = ();
    type Doc = Doc;
    const ROUTES: fn(&mut utoipa_actix_web::service_config::ServiceConfig) = configure_probe;
    const NAME: &'static str = "probe";
    const ENV_PREFIX: &'static str = "PROBE";
    const DEFAULT_PORT: u16 = 0;
    const MIGRATIONS: Migrations = Migrations::new(
        &embed_migrations!("tests/fixtures/migrations/postgres"),
        &embed_migrations!("tests/fixtures/migrations/sqlite"),
    );
    const TITLE: &'static str = "probe";
    const DESCRIPTION: &'static str = "probe";

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
                kind: None,
            })
            .send()
            .await
            .unwrap()
    }
}

/// Sends `request` as raw bytes on a new connection and reads the answer up to the end of
/// its JSON body: shows what the server answers without racing a client's upload against
/// the server's close.
pub async fn raw_exchange(address: &str, request: &[u8]) -> String {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    read_answer(&mut stream).await
}

/// Reads from `stream` until a JSON body has closed (or the peer closes), for at most 10 s.
pub async fn read_answer(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> String {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 16 * 1024];
    let mut received = Vec::new();
    while !String::from_utf8_lossy(&received).contains('}') {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buffer))
                .await
                .expect("an answer within 10 s")
                .unwrap();
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}
