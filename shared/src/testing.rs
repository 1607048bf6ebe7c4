//! Test support: any service started on a fresh database ([`TestApp`]), requests as any role
//! and region, and assertions on JSON and problem+json answers.
//!
//! By default each test gets its own temporary SQLite file. With `TEST_DATABASE_URL` set to a
//! PostgreSQL URL (a role allowed to create databases), each test gets its own database,
//! dropped when the test ends, so tests run in parallel and in any order on both backends.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::{Method, Response};
use serde_json::Value;

use crate::auth::{AuthKeys, Role};
use crate::config::{Env, PEERS};
use crate::db::{Backend, DatabaseUrl, Db};
use crate::problem::PROBLEM_JSON;
use crate::regions::RegionCode;
use crate::service::{Application, Config, Service};

/// A service started for a test: on port 0, on its own fresh database, trusting its own keys.
/// Dropping it stops the server, then removes the database.
pub struct TestApp<S> {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub client: reqwest::Client,
    pub keys: AuthKeys,
    /// The service's database, for tests that look behind the API.
    pub db: Db,
    pub database: TestDatabase,
    /// The URL the service connects to (through a [`DbLink`] in the fault tests).
    database_url: String,
    handle: ServerHandle,
    service: PhantomData<fn() -> S>,
}

impl<S: Service> TestApp<S> {
    /// The service alone: every other service it might call is a port where nothing listens.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// As [`TestApp::spawn`], with configuration variables added or overridden by `env`.
    pub async fn spawn_with(env: &[(&str, &str)]) -> Self {
        let absent = unused_port_url();
        let keys = AuthKeys::random().unwrap_or_else(|e| panic!("{e}"));
        Self::spawn_on(local_listener(), keys, &alone(&absent, env)).await
    }

    /// Serves on `listener` and verifies tokens with `keys` (services of one suite share
    /// them); `env` adds or overrides configuration variables. Used by the cross-service
    /// harness, which must know every address before any service starts.
    pub async fn spawn_on(listener: TcpListener, keys: AuthKeys, env: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create();
        let url = database.url().to_owned();
        Self::spawn_on_database(database, &url, listener, keys, env).await
    }

    /// The service alone on `database`, reached at `url` (a [`DbLink`] in front of it, for
    /// the fault tests).
    pub async fn spawn_through(database: TestDatabase, url: &str, env: &[(&str, &str)]) -> Self {
        let absent = unused_port_url();
        let keys = AuthKeys::random().unwrap_or_else(|e| panic!("{e}"));
        let vars = alone(&absent, env);
        Self::spawn_on_database(database, url, local_listener(), keys, &vars).await
    }

    /// A second instance of this service on its database, trusting the same keys: a
    /// replica, as a deployment runs several. `None` on SQLite.
    pub async fn spawn_replica(&self, env: &[(&str, &str)]) -> Option<Self> {
        let database = self.database.for_replica()?;
        let url = database.url().to_owned();
        let absent = unused_port_url();
        let vars = alone(&absent, env);
        let keys = self.keys.clone();
        Some(Self::spawn_on_database(database, &url, local_listener(), keys, &vars).await)
    }

    async fn spawn_on_database(
        database: TestDatabase,
        url: &str,
        listener: TcpListener,
        keys: AuthKeys,
        env: &[(&str, &str)],
    ) -> Self {
        let mut vars: HashMap<String, String> = [
            (format!("{}_DATABASE_URL", S::ENV_PREFIX), url),
            ("HTTP_WORKERS".to_owned(), "1"),
            ("DB_POOL_SIZE".to_owned(), "4"),
            // Tests fire requests far faster than people: budgets no test reaches unless it
            // sets its own to test the limiter.
            ("RATE_LIMIT_PER_MINUTE".to_owned(), "1000000"),
            ("RATE_LIMIT_BURST".to_owned(), "100000"),
            ("RATE_LIMIT_AUTH_FAILURES_PER_MINUTE".to_owned(), "1000000"),
            ("RATE_LIMIT_AUTH_FAILURES_BURST".to_owned(), "100000"),
        ]
        .into_iter()
        .map(|(name, value)| (name, value.to_owned()))
        .collect();
        vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let config = Config::<S>::from_env(&Env::Map(vars)).unwrap_or_else(|e| panic!("{e}"));
        let app = Application::<S>::build_with_listener(config, keys.clone(), listener)
            .await
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", S::NAME));
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let handle = app.handle();
        tokio::spawn(app.into_server().run_until_stopped());
        Self {
            address,
            client: http_client(),
            keys,
            db,
            database,
            database_url: url.to_owned(),
            handle,
            service: PhantomData,
        }
    }
}

impl<S> TestApp<S> {
    pub fn token(&self, role: Role, region: &str) -> String {
        token(&self.keys, role, region)
    }

    /// A token of the provincial department (320000).
    pub fn province_token(&self) -> String {
        self.token(Role::Province, "320000")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// What `/metrics` shows now (Prometheus' text format).
    pub async fn metrics_text(&self) -> String {
        let response = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET /metrics: {e}"));
        assert_eq!(response.status(), 200, "GET /metrics");
        response
            .text()
            .await
            .unwrap_or_else(|e| panic!("GET /metrics: {e}"))
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.send(Method::GET, token, path, None, None).await
    }

    /// `GET` as `token`, asserting a 200, and the JSON body.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        assert_json(self.get_as(token, path).await, 200).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.send(Method::POST, token, path, None, Some(body)).await
    }

    pub async fn put_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.send(Method::PUT, token, path, None, Some(body)).await
    }

    pub async fn patch_as(
        &self,
        token: &str,
        path: &str,
        etag: Option<&str>,
        body: &Value,
    ) -> Response {
        self.send(Method::PATCH, token, path, etag, Some(body))
            .await
    }

    /// Any method, with `If-Match: etag` when given.
    pub async fn send_with_etag(
        &self,
        method: Method,
        token: &str,
        path: &str,
        etag: Option<&str>,
        body: &Value,
    ) -> Response {
        self.send(method, token, path, etag, Some(body)).await
    }

    /// As the province, from a browser that asks for Chinese first (problem texts then come
    /// in Chinese); `If-Match: etag` and the body when given.
    pub async fn send_in_chinese(
        &self,
        (method, path): (Method, &str),
        etag: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let request = self
            .request(method, &self.province_token(), path)
            .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8");
        Self::finish(request, path, etag, body).await
    }

    async fn send(
        &self,
        method: Method,
        token: &str,
        path: &str,
        etag: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        Self::finish(self.request(method, token, path), path, etag, body).await
    }

    fn request(&self, method: Method, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    async fn finish(
        mut request: reqwest::RequestBuilder,
        path: &str,
        etag: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {path} failed: {e}"))
    }

    /// Stops the server gracefully; its port then refuses connections, as when the service
    /// is down.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// The configuration of a service started alone: every peer it might call at `absent` (a port
/// where nothing listens), a short upstream timeout, then `env`.
fn alone<'a>(absent: &'a str, env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut vars: Vec<(&str, &str)> = PEERS.iter().map(|peer| (peer.variable, absent)).collect();
    vars.push(("UPSTREAM_TIMEOUT_SECS", "2"));
    vars.extend_from_slice(env);
    vars
}

impl<S> Drop for TestApp<S> {
    fn drop(&mut self) {
        // Stops accepting at once; the database is removed after (fields drop after this).
        drop(self.handle.stop(false));
        // The server's workers may outlive the test's runtime; its change feeds must not
        // outlive the database, nor be inside libpq when the test binary exits.
        crate::db::changes::stop(Some(&self.database_url));
    }
}

/// Asserts the status (showing the body when it differs) and returns the JSON body.
pub async fn assert_json(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("cannot read the body: {e}"));
    assert_eq!(actual, status, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an RFC 9457 problem with `status` (content type, `status`, and the members every
/// problem carries) and returns its body.
pub async fn assert_problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_problem_json(&response);
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("a problem body is JSON: {e}"));
    assert_eq!(body["status"], status);
    for member in ["type", "title", "instance", "request_id"] {
        assert!(body[member].is_string(), "problem lacks {member}: {body}");
    }
    body
}

fn assert_problem_json(response: &Response) {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    assert_eq!(content_type, Some(PROBLEM_JSON));
}

/// As [`assert_problem`], and the problem's `type` is `problem_type` (one of
/// [`crate::problem::types`]).
pub async fn assert_problem_type(response: Response, status: u16, problem_type: &str) -> Value {
    let body = assert_problem(response, status).await;
    assert_eq!(body["type"], problem_type, "{body}");
    body
}

/// Largest refusal body a size limit may produce, however large the value refused.
pub const MAX_REFUSAL_BYTES: usize = 16 * 1024;

/// A 400 problem naming `field` as breaking `rule`, small whatever was sent (errors quote a
/// prefix of a value, never the value). Returns the problem.
pub async fn assert_refused_field(response: Response, field: &str, rule: &str) -> Value {
    assert_eq!(response.status().as_u16(), 400, "status");
    assert_problem_json(&response);
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("a problem body arrives: {e}"));
    assert!(
        bytes.len() <= MAX_REFUSAL_BYTES,
        "the refusal is {} bytes",
        bytes.len()
    );
    let body: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("a problem body is JSON: {e}"));
    let named = body["errors"].as_array().is_some_and(|errors| {
        errors
            .iter()
            .any(|e| e["field"] == field && e["rule"] == rule)
    });
    assert!(named, "no {rule} error on {field}: {body}");
    body
}

/// The `field` of each of a problem's field errors.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The `rule` of each of a problem's field errors.
pub fn problem_rules(problem: &Value) -> Vec<String> {
    let errors = problem["errors"].as_array();
    let errors = errors.unwrap_or_else(|| panic!("no field errors: {problem}"));
    errors
        .iter()
        .map(|e| {
            e["rule"]
                .as_str()
                .unwrap_or_else(|| panic!("no rule: {e}"))
                .to_owned()
        })
        .collect()
}

/// A problem's `detail`.
pub fn problem_detail(problem: &Value) -> &str {
    problem["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail: {problem}"))
}

/// `http://127.0.0.1:<port>/` for a port that was free a moment ago: connections are refused.
pub fn unused_port_url() -> String {
    format!("http://127.0.0.1:{}/", port_of(&local_listener()))
}

/// A caller as a token of `role` for `region` makes one, for tests of rights and scopes.
pub fn caller(role: Role, region: &str) -> crate::auth::Caller {
    crate::auth::Caller {
        subject: "test".to_owned(),
        role,
        region: RegionCode::parse(region).unwrap_or_else(|e| panic!("{region}: {e:?}")),
    }
}

/// Serves a stand-in for another system (an identity platform, a webhook receiver) on a
/// free loopback port, with the suite's problem+json and request-id middleware: the port
/// and a handle to stop it.
pub fn serve_stand_in(
    configure: impl Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static,
) -> (u16, ServerHandle) {
    use actix_web::middleware::from_fn;
    let listener = local_listener();
    let port = port_of(&listener);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(from_fn(crate::problem::problem_json_middleware))
            .wrap(from_fn(crate::telemetry::request_id_middleware))
            .configure(configure.clone())
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap_or_else(|e| panic!("cannot serve the stand-in: {e}"))
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (port, handle)
}

/// A listener on 127.0.0.1 and a port the system chose.
pub fn local_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("cannot bind: {e}"))
}

/// The port a listener is bound to.
pub fn port_of(listener: &TcpListener) -> u16 {
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address: {e}"))
        .port()
}

pub struct TestDatabase {
    url: String,
    kind: Kind,
}

enum Kind {
    Sqlite {
        dir: Option<tempfile::TempDir>,
        path: std::path::PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        dropped: bool,
    },
}

impl TestDatabase {
    pub fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.trim().is_empty() => Self::postgres(admin.trim()),
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("hte-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary folder: {e}"));
        let path = dir.path().join("test.db");
        Self {
            url: format!("sqlite://{}", path.display()),
            kind: Kind::Sqlite {
                dir: Some(dir),
                path,
            },
        }
    }

    fn postgres(admin_url: &str) -> Self {
        if !matches!(DatabaseUrl::parse(admin_url), Ok(DatabaseUrl::Postgres(_))) {
            panic!("TEST_DATABASE_URL must be a postgres:// URL");
        }
        let name = format!("hte_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let mut url = url::Url::parse(admin_url)
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            kind: Kind::Postgres {
                admin_url: admin_url.to_owned(),
                name,
                dropped: false,
            },
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The same PostgreSQL database for a second instance of a service (a replica); dropping
    /// it leaves the database to its first holder. `None` on SQLite, which one process owns.
    pub fn for_replica(&self) -> Option<Self> {
        let Kind::Postgres {
            admin_url, name, ..
        } = &self.kind
        else {
            return None;
        };
        Some(Self {
            url: self.url.clone(),
            kind: Kind::Postgres {
                admin_url: admin_url.clone(),
                name: name.clone(),
                dropped: true,
            },
        })
    }

    /// `host:port` of the PostgreSQL server holding the database; `None` on SQLite.
    pub fn server_address(&self) -> Option<String> {
        let Kind::Postgres { .. } = self.kind else {
            return None;
        };
        let url = url::Url::parse(&self.url).unwrap_or_else(|e| panic!("{e}"));
        let host = url.host_str().unwrap_or("127.0.0.1");
        Some(format!("{host}:{}", url.port().unwrap_or(5432)))
    }

    /// The database's URL with the server's address replaced by `127.0.0.1:port`.
    pub fn url_through(&self, port: u16) -> String {
        let mut url = url::Url::parse(&self.url).unwrap_or_else(|e| panic!("{e}"));
        url.set_host(Some("127.0.0.1"))
            .unwrap_or_else(|e| panic!("{e}"));
        url.set_port(Some(port))
            .unwrap_or_else(|()| panic!("the database URL takes no port"));
        url.to_string()
    }

    pub fn backend(&self) -> Backend {
        match self.kind {
            Kind::Sqlite { .. } => Backend::Sqlite,
            Kind::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Removes the database while the service may still be using it.
    pub fn destroy(&mut self) {
        match &mut self.kind {
            Kind::Sqlite { dir, path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                drop(dir.take());
            }
            Kind::Postgres {
                admin_url,
                name,
                dropped,
            } => {
                if *dropped {
                    return;
                }
                *dropped = true;
                match PgConnection::establish(admin_url) {
                    Ok(mut admin) => {
                        if let Err(e) = admin.batch_execute(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )) {
                            eprintln!("could not drop test database {name}: {e}");
                        }
                    }
                    Err(e) => eprintln!("could not drop test database {name}: {e}"),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.destroy();
    }
}

/// A TCP link between a service and its database that a test can cut and restore, as a
/// database restart does: cutting closes every open connection and refuses new ones until
/// the link is restored on the same port.
pub struct DbLink {
    address: std::net::SocketAddr,
    server: String,
    carrier: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl DbLink {
    /// A link on a free local port to `server` (`host:port`).
    pub async fn open(server: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let carrier = tokio::spawn(carry(listener, server.to_owned()));
        Self {
            address,
            server: server.to_owned(),
            carrier: std::sync::Mutex::new(Some(carrier)),
        }
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Closes every connection through the link and stops listening.
    pub async fn cut(&self) {
        let carrier = self
            .carrier
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(carrier) = carrier {
            carrier.abort();
            // Wait until the listener and the connections are dropped, not merely asked to.
            let _cancelled = carrier.await;
        }
    }

    /// As a server that hangs: every connection is closed, and new ones are accepted but never
    /// answered.
    pub async fn stall(&self) {
        self.cut().await;
        let listener = tokio::net::TcpListener::bind(self.address)
            .await
            .unwrap_or_else(|e| panic!("cannot listen on {} again: {e}", self.address));
        let holder = tokio::spawn(hold(listener));
        *self.carrier.lock().unwrap_or_else(|p| p.into_inner()) = Some(holder);
    }

    /// Listens again on the same port and carries connections to the server.
    pub async fn restore(&self) {
        self.cut().await;
        let listener = tokio::net::TcpListener::bind(self.address)
            .await
            .unwrap_or_else(|e| panic!("cannot listen on {} again: {e}", self.address));
        let carrier = tokio::spawn(carry(listener, self.server.clone()));
        *self.carrier.lock().unwrap_or_else(|p| p.into_inner()) = Some(carrier);
    }
}

impl Drop for DbLink {
    fn drop(&mut self) {
        if let Some(carrier) = self
            .carrier
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            carrier.abort();
        }
    }
}

/// Accepts connections and pipes each to `server`; the pipes live in a set that is dropped,
/// closing them all, when this task is aborted.
async fn carry(listener: tokio::net::TcpListener, server: String) {
    let mut pipes = tokio::task::JoinSet::new();
    loop {
        let mut inbound = match listener.accept().await {
            Ok((inbound, _)) => inbound,
            Err(e) => panic!("the database link cannot accept: {e}"),
        };
        let server = server.clone();
        pipes.spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(&server).await {
                // Either side closing ends the pipe; how it ended is of no interest.
                let _ended = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
        // Finished pipes are reaped so the set does not grow over a long test.
        while pipes.try_join_next().is_some() {}
    }
}

/// Accepts connections and keeps them open without a word, until aborted.
async fn hold(listener: tokio::net::TcpListener) {
    let mut held = Vec::new();
    loop {
        match listener.accept().await {
            Ok((socket, _)) => held.push(socket),
            Err(e) => panic!("the database link cannot accept: {e}"),
        }
    }
}

/// A signed token for `role` in `region` (a 6-digit code), valid for an hour.
pub fn token(keys: &AuthKeys, role: Role, region: &str) -> String {
    let region = RegionCode::parse(region).unwrap_or_else(|e| panic!("{e}"));
    keys.sign("test-user", role, &region, chrono::Duration::hours(1))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An HTTP client for tests (installs the TLS provider reqwest is built to expect).
pub fn http_client() -> reqwest::Client {
    crate::http_client::install_crypto_provider();
    reqwest::Client::new()
}

/// A client that does not follow redirects.
pub fn http_client_no_redirects() -> reqwest::Client {
    crate::http_client::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A downloaded workbook's first sheet, read back as a person's spreadsheet would show it.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRead {
    pub name: String,
    /// Each row's cells: text as JSON strings, numbers as JSON numbers, empty cells null.
    pub rows: Vec<Vec<Value>>,
    /// Whether the first row is frozen above the others.
    pub header_frozen: bool,
}

/// Reads an XLSX download's first sheet.
pub fn read_xlsx(bytes: &[u8]) -> SheetRead {
    use calamine::{Data, Reader, Xlsx};
    use std::io::Read;
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec()))
        .unwrap_or_else(|e| panic!("not an XLSX file: {e}"));
    let name = workbook.sheet_names().first().cloned().unwrap_or_default();
    let range = workbook
        .worksheet_range(&name)
        .unwrap_or_else(|e| panic!("cannot read sheet {name}: {e}"));
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => Value::Null,
                    Data::String(s) => Value::String(s.clone()),
                    Data::Float(f) => serde_json::json!(f),
                    Data::Int(i) => serde_json::json!(i),
                    other => Value::String(other.to_string()),
                })
                .collect()
        })
        .collect();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec()))
        .unwrap_or_else(|e| panic!("not a zip archive: {e}"));
    let mut xml = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap_or_else(|e| panic!("no first sheet: {e}"))
        .read_to_string(&mut xml)
        .unwrap_or_else(|e| panic!("unreadable sheet: {e}"));
    let header_frozen = xml.contains("ySplit=\"1\"") && xml.contains("state=\"frozen\"");
    SheetRead {
        name,
        rows,
        header_frozen,
    }
}

/// Reads a CSV download: it starts with a UTF-8 byte-order mark; returns its rows.
pub fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or_else(|| panic!("a CSV download starts with a UTF-8 byte-order mark"));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("bad CSV: {e}"))
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}
