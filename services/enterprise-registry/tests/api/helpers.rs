use std::net::TcpListener;

use enterprise_registry::config::RegistryConfig;
use enterprise_registry::startup::Application;
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::Env;
use hte_shared::testing::{TestDatabase, http_client, token};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub keys: AuthKeys,
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
