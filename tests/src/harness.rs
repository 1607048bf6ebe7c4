//! Starts the three services the way the launcher does, each on port 0 with its own fresh
//! database, trusting one signing key, each knowing where the others are.

use enterprise_registry::startup::EnterpriseRegistry;
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::{ALLOCATION, REGISTRY};
use hte_shared::testing::{TestApp, http_client, local_listener};
use monitoring::startup::Monitoring;
use target_allocation::startup::TargetAllocation;

pub struct Suite {
    pub registry: TestApp<EnterpriseRegistry>,
    pub allocation: TestApp<TargetAllocation>,
    pub monitoring: TestApp<Monitoring>,
    pub client: reqwest::Client,
}

impl Suite {
    pub async fn start() -> Self {
        let keys = AuthKeys::random().unwrap_or_else(|e| panic!("{e}"));
        // Every address is known before any service starts, as in the launcher.
        let listeners = [local_listener(), local_listener(), local_listener()];
        let [registry_url, allocation_url, _] = listeners.each_ref().map(|listener| {
            let port = listener
                .local_addr()
                .unwrap_or_else(|e| panic!("{e}"))
                .port();
            format!("http://127.0.0.1:{port}/")
        });
        let env = [
            (REGISTRY.variable, registry_url.as_str()),
            (ALLOCATION.variable, allocation_url.as_str()),
            ("DB_POOL_SIZE", "3"),
        ];
        let [registry, allocation, monitoring] = listeners;
        Self {
            registry: TestApp::spawn_on(registry, keys.clone(), &env).await,
            allocation: TestApp::spawn_on(allocation, keys.clone(), &env).await,
            monitoring: TestApp::spawn_on(monitoring, keys, &env).await,
            client: http_client(),
        }
    }

    /// A token every service of the suite accepts.
    pub fn token(&self, role: Role, region: &str) -> String {
        self.registry.token(role, region)
    }

    /// Stops the registry gracefully; its port then refuses connections, as when the
    /// registry is down.
    pub async fn stop_registry(&self) {
        self.registry.stop().await;
    }
}
