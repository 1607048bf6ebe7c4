use std::net::TcpListener;

use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::Env;
use hte_shared::testing::{TestDatabase, http_client, token};
use serde_json::{Value, json};
use target_allocation::config::AllocationConfig;
use target_allocation::startup::Application;

pub const SEEDED: &str = "jiangsu-2019-57";

pub const CITIES: [&str; 13] = [
    "320100", "320200", "320300", "320400", "320500", "320600", "320700", "320800", "320900",
    "321000", "321100", "321200", "321300",
];

/// Suzhou's county-level children (incl. the Suzhou Industrial Park functional zone).
pub const SUZHOU_COUNTIES: [&str; 10] = [
    "320505", "320506", "320507", "320508", "320509", "320576", "320581", "320582", "320583",
    "320585",
];

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub keys: AuthKeys,
    // Held so the database outlives the server.
    _database: TestDatabase,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    /// Starts the service with a registry URL where nothing listens.
    pub async fn spawn() -> Self {
        let database = TestDatabase::create();
        let keys = AuthKeys::random().unwrap();
        // A port that was free a moment ago: connections are refused.
        let dead = TcpListener::bind("127.0.0.1:0").unwrap();
        let registry_url = format!("http://127.0.0.1:{}/", dead.local_addr().unwrap().port());
        drop(dead);
        let env = Env::from_pairs([
            ("ALLOCATION_DATABASE_URL", database.url()),
            ("REGISTRY_URL", registry_url.as_str()),
            ("UPSTREAM_TIMEOUT_SECS", "2"),
            ("HTTP_WORKERS", "1"),
            ("DB_POOL_SIZE", "4"),
        ]);
        let config = AllocationConfig::from_env(&env).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let app = Application::build_with_listener(config, keys.clone(), listener)
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.into_server().run_until_stopped());
        Self {
            address,
            client: http_client(),
            keys,
            _database: database,
            handle,
        }
    }

    pub fn token(&self, role: Role, region: &str) -> String {
        token(&self.keys, role, region)
    }

    pub fn province(&self) -> String {
        self.token(Role::Province, "320000")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_with_etag(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        etag: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.send().await.unwrap()
    }

    /// The tree's current ETag.
    pub async fn tree_etag(&self, plan: &str) -> String {
        let response = self
            .get_as(&self.province(), &format!("/api/v1/plans/{plan}/targets"))
            .await;
        assert_eq!(response.status(), 200);
        response.headers()["etag"].to_str().unwrap().to_owned()
    }

    /// PUTs a target with the current ETag and returns the response.
    pub async fn put_target(
        &self,
        token: &str,
        plan: &str,
        region: &str,
        indicator: &str,
        period: &str,
        value: i64,
    ) -> reqwest::Response {
        let etag = self.tree_etag(plan).await;
        self.send_with_etag(
            reqwest::Method::PUT,
            token,
            &format!("/api/v1/plans/{plan}/targets/{region}"),
            Some(&etag),
            &json!({"indicator": indicator, "period": period, "value": value, "reason": "测试设定目标"}),
        )
        .await
    }

    /// Creates a small draft plan `id` (2024–2025) with two splittable indicators.
    pub async fn create_plan(&self, id: &str) -> Value {
        let response = self
            .post_as(&self.province(), "/api/v1/plans", &plan_body(id))
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// Proposes and accepts a split; returns the accepted proposal.
    pub async fn split(&self, token: &str, plan: &str, body: &Value) -> Value {
        let response = self
            .post_as(token, &format!("/api/v1/plans/{plan}/allocations"), body)
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let proposal: Value = response.json().await.unwrap();
        let id = proposal["id"].as_str().unwrap();
        let response = self
            .post_as(
                token,
                &format!("/api/v1/plans/{plan}/allocations/{id}/accept"),
                &json!({"reason": "同意"}),
            )
            .await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}

pub fn plan_body(id: &str) -> Value {
    json!({
        "id": id,
        "name": "测试规划(2024-2025年)",
        "name_en": "Test plan",
        "starts_on": "2024-01-01",
        "ends_on": "2025-12-31",
        "indicators": [
            {"key": "hte_count", "name_zh": "高新技术企业总数", "name_en": "Valid HTEs",
             "unit": "enterprises", "comparator": "at_least", "target_value": 1300,
             "source": "registry", "splittable": true, "measure": "hte"},
            {"key": "new_hte", "name_zh": "新增高新技术企业数", "name_en": "New HTEs",
             "unit": "enterprises", "comparator": "at_least", "target_value": null,
             "source": "registry", "splittable": true, "measure": "new_certificates",
             "aggregation": "annual"},
            {"key": "hightech_output_share", "name_zh": "高新技术产业产值占比",
             "name_en": "High-tech output share", "unit": "ratio", "comparator": "at_least",
             "target_value": 0.45, "source": "external", "splittable": false}
        ]
    })
}

/// Equal weights for the 13 cities.
pub fn equal_city_weights() -> Value {
    let map: serde_json::Map<String, Value> =
        CITIES.iter().map(|c| ((*c).to_owned(), json!(1))).collect();
    Value::Object(map)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    body
}

/// The field names of a problem's errors.
pub fn fields(problem: &Value) -> Vec<String> {
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
