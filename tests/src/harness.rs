//! Starts the three services the way the launcher does, each on port 0 with its own fresh
//! database, trusting one signing key, each knowing where the others are.

use std::collections::HashMap;
use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use enterprise_registry::startup::EnterpriseRegistry;
use hte_shared::auth::{AuthKeys, Role};
use hte_shared::config::{ALLOCATION, Env, REGISTRY};
use hte_shared::service::{Application, Config, Service};
use hte_shared::testing::{TestApp, http_client, local_listener, port_of};
use monitoring::startup::Monitoring;
use target_allocation::startup::TargetAllocation;

pub struct Suite {
    pub registry: TestApp<EnterpriseRegistry>,
    pub allocation: TestApp<TargetAllocation>,
    pub monitoring: TestApp<Monitoring>,
    pub client: reqwest::Client,
    /// The configuration every service was started with.
    env: Vec<(String, String)>,
    /// Servers started later (a restarted registry, more monitoring replicas); stopped with
    /// the suite.
    more: Vec<ServerHandle>,
}

impl Drop for Suite {
    fn drop(&mut self) {
        for handle in &self.more {
            drop(handle.stop(false));
        }
    }
}

impl Suite {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// As [`Suite::start`], with configuration variables added for every service.
    pub async fn start_with(extra: &[(&str, &str)]) -> Self {
        let keys = AuthKeys::random().unwrap_or_else(|e| panic!("{e}"));
        // Every address is known before any service starts, as in the launcher.
        let listeners = [local_listener(), local_listener(), local_listener()];
        let [registry_url, allocation_url, _] = listeners
            .each_ref()
            .map(|listener| format!("http://127.0.0.1:{}/", port_of(listener)));
        let mut env = vec![
            (REGISTRY.variable, registry_url.as_str()),
            (ALLOCATION.variable, allocation_url.as_str()),
            ("DB_POOL_SIZE", "3"),
        ];
        env.extend_from_slice(extra);
        let [registry, allocation, monitoring] = listeners;
        Self {
            registry: TestApp::spawn_on(registry, keys.clone(), &env).await,
            allocation: TestApp::spawn_on(allocation, keys.clone(), &env).await,
            monitoring: TestApp::spawn_on(monitoring, keys, &env).await,
            client: http_client(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            more: Vec::new(),
        }
    }

    /// Starts another server of `S` on `listener` and the database at `database_url`, with
    /// the suite's configuration; it is stopped with the suite.
    async fn start_more<S: Service>(&mut self, listener: TcpListener, database_url: &str) {
        let mut vars: HashMap<String, String> = self.env.iter().cloned().collect();
        vars.insert(
            format!("{}_DATABASE_URL", S::ENV_PREFIX),
            database_url.to_owned(),
        );
        vars.insert("HTTP_WORKERS".to_owned(), "1".to_owned());
        let config = Config::<S>::from_env(&Env::Map(vars)).unwrap_or_else(|e| panic!("{e}"));
        let keys = self.registry.keys.clone();
        let app = Application::<S>::build_with_listener(config, keys, listener)
            .await
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", S::NAME));
        self.more.push(app.handle());
        tokio::spawn(app.into_server().run_until_stopped());
    }

    /// Starts the stopped registry again on its port and its database.
    pub async fn restart_registry(&mut self) {
        let address = self
            .registry
            .address
            .trim_start_matches("http://")
            .to_owned();
        let listener = TcpListener::bind(&address)
            .unwrap_or_else(|e| panic!("cannot bind the registry's port again: {e}"));
        let url = self.registry.database.url().to_owned();
        self.start_more::<EnterpriseRegistry>(listener, &url).await;
    }

    /// A second monitoring replica on the first one's database; returns its address.
    pub async fn second_monitoring(&mut self) -> String {
        let listener = local_listener();
        let port = port_of(&listener);
        let url = self.monitoring.database.url().to_owned();
        self.start_more::<Monitoring>(listener, &url).await;
        format!("http://127.0.0.1:{port}")
    }

    /// A token every service of the suite accepts.
    pub fn token(&self, role: Role, region: &str) -> String {
        self.registry.token(role, region)
    }

    /// The province's token (江苏省, 320000), which the tests act as unless they say otherwise.
    pub fn province_token(&self) -> String {
        self.token(Role::Province, "320000")
    }

    /// POSTs `body` to the allocation service as the province.
    pub async fn post_allocation_as_province(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.allocation
            .post_as(&self.province_token(), path, body)
            .await
    }

    /// Stops the registry gracefully; its port then refuses connections, as when the
    /// registry is down.
    pub async fn stop_registry(&self) {
        self.registry.stop().await;
    }
}
