//! What the route tests share: a started service, requests with If-Match, uploads.

use hte_shared::auth::Role;
pub use hte_shared::testing::{
    TestApp, assert_json, assert_problem, assert_problem_type, problem_fields,
};
use monitoring::startup::Monitoring;
use reqwest::Method;
use serde_json::{Value, json};

pub type App = TestApp<Monitoring>;

pub async fn spawn() -> App {
    TestApp::<Monitoring>::spawn().await
}

pub fn city(app: &App, code: &str) -> String {
    app.token(Role::City, code)
}

pub fn input_path(measure: &str, period: &str, region: &str) -> String {
    format!("/api/v1/statistics-inputs/{measure}/{period}/{region}")
}

/// A statistics input body: value in 亿元 with a source.
pub fn figure(value: &str) -> Value {
    json!({"value": value, "unit": "yi_yuan", "source_document": "2019年江苏省科技经费投入统计公报"})
}

/// PUT with an optional If-Match.
pub async fn put(
    app: &App,
    token: &str,
    path: &str,
    etag: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    app.send_with_etag(Method::PUT, token, path, etag, body)
        .await
}

/// Uploads a file to the import route.
pub async fn upload(
    app: &App,
    token: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/api/v1/statistics-inputs/imports?{query}")))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

pub fn etag(response: &reqwest::Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}
