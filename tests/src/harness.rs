//! Starts the three services the way the launcher does, on port 0.

use std::net::TcpListener;

use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::Env;
use hte_shared::testing::{TestDatabase, http_client, token};

pub struct Suite {
    pub registry: String,
    pub allocation: String,
    pub monitoring: String,
    pub keys: AuthKeys,
    pub client: reqwest::Client,
    handles: Vec<actix_web::dev::ServerHandle>,
    // Held so the databases outlive the servers.
    _databases: Vec<TestDatabase>,
}

fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("cannot bind: {e}"))
}

impl Suite {
    pub async fn start() -> Self {
        let keys = AuthKeys::random().unwrap_or_else(|e| panic!("{e}"));
        let databases: Vec<TestDatabase> = (0..3).map(|_| TestDatabase::create()).collect();
        let (registry_listener, allocation_listener, monitoring_listener) =
            (listener(), listener(), listener());
        let url_of = |l: &TcpListener| {
            format!(
                "http://127.0.0.1:{}/",
                l.local_addr().map(|a| a.port()).unwrap_or_default()
            )
        };
        let (registry_url, allocation_url) =
            (url_of(&registry_listener), url_of(&allocation_listener));
        let env = Env::from_pairs([
            ("REGISTRY_DATABASE_URL", databases[0].url()),
            ("ALLOCATION_DATABASE_URL", databases[1].url()),
            ("MONITORING_DATABASE_URL", databases[2].url()),
            ("REGISTRY_URL", registry_url.as_str()),
            ("ALLOCATION_URL", allocation_url.as_str()),
            ("HTTP_WORKERS", "1"),
            ("DB_POOL_SIZE", "3"),
        ]);
        let fail = |e: &dyn std::fmt::Display| -> ! { panic!("{e}") };

        let registry = enterprise_registry::startup::Application::build_with_listener(
            enterprise_registry::config::RegistryConfig::from_env(&env)
                .unwrap_or_else(|e| fail(&e)),
            keys.clone(),
            registry_listener,
        )
        .await
        .unwrap_or_else(|e| fail(&e));
        let allocation = target_allocation::startup::Application::build_with_listener(
            target_allocation::config::AllocationConfig::from_env(&env)
                .unwrap_or_else(|e| fail(&e)),
            keys.clone(),
            allocation_listener,
        )
        .await
        .unwrap_or_else(|e| fail(&e));
        let monitoring = monitoring::startup::Application::build_with_listener(
            monitoring::config::MonitoringConfig::from_env(&env).unwrap_or_else(|e| fail(&e)),
            keys.clone(),
            monitoring_listener,
        )
        .await
        .unwrap_or_else(|e| fail(&e));

        let addresses = [registry.port(), allocation.port(), monitoring.port()]
            .map(|port| format!("http://127.0.0.1:{port}"));
        let handles = vec![registry.handle(), allocation.handle(), monitoring.handle()];
        tokio::spawn(registry.into_server().run_until_stopped());
        tokio::spawn(allocation.into_server().run_until_stopped());
        tokio::spawn(monitoring.into_server().run_until_stopped());
        let [registry, allocation, monitoring] = addresses;
        Self {
            registry,
            allocation,
            monitoring,
            keys,
            client: http_client(),
            handles,
            _databases: databases,
        }
    }

    pub fn token(&self, role: Role, region: &str) -> String {
        token(&self.keys, role, region)
    }

    /// Stops the registry gracefully; its port then refuses connections, as when the
    /// registry is down.
    pub async fn stop_registry(&self) {
        if let Some(registry) = self.handles.first() {
            registry.stop(true).await;
        }
    }
}

impl Drop for Suite {
    fn drop(&mut self) {
        for handle in &self.handles {
            drop(handle.stop(false));
        }
    }
}
