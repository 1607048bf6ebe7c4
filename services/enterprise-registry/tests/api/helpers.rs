use std::net::TcpListener;

use enterprise_registry::config::RegistryConfig;
use enterprise_registry::domain::credit_code::check_character;
use enterprise_registry::startup::Application;
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::Env;
use hte_shared::testing::{TestDatabase, http_client, token};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub keys: AuthKeys,
    pub db: hte_shared::db::Db,
    // Held so the database outlives the server.
    _database: TestDatabase,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let database = TestDatabase::create();
        let keys = AuthKeys::random().unwrap();
        let env = Env::from_pairs([
            ("REGISTRY_DATABASE_URL", database.url()),
            ("HTTP_WORKERS", "1"),
            ("DB_POOL_SIZE", "4"),
        ]);
        let config = RegistryConfig::from_env(&env).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let app = Application::build_with_listener(config, keys.clone(), listener)
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let handle = app.handle();
        tokio::spawn(app.into_server().run_until_stopped());
        Self {
            address,
            client: http_client(),
            keys,
            db,
            _database: database,
            handle,
        }
    }

    pub fn token(&self, role: Role, region: &str) -> String {
        token(&self.keys, role, region)
    }

    pub fn province_token(&self) -> String {
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
}

impl TestApp {
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_as(
        &self,
        token: &str,
        path: &str,
        etag: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.send().await.unwrap()
    }

    /// Registers an enterprise as the province and returns its body.
    pub async fn create_enterprise(&self, body: &Value) -> Value {
        let response = self
            .post_as(&self.province_token(), "/api/v1/enterprises", body)
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}

/// A valid credit code for an enterprise registered in `division`, distinct per `serial`.
pub fn credit_code(division: &str, serial: u32) -> String {
    let first17 = format!("91{division}{serial:08}0");
    let check = check_character(&first17).unwrap();
    format!("{first17}{check}")
}

/// A valid new-enterprise body in `county`.
pub fn enterprise_body(code: &str, county: &str, name: &str) -> Value {
    json!({
        "credit_code": code,
        "name": name,
        "region_code": county,
        "registered_on": "2018-03-01",
        "industry_code": "C3491",
        "tech_domain": "advanced_manufacturing_and_automation",
        "above_scale": true
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    body
}
