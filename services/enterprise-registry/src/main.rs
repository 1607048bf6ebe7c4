//! Runs the enterprise registry alone. Configuration: see the README (REGISTRY_PORT,
//! REGISTRY_DATABASE_URL, JWT_SECRET, DATA_DIR, LOG_FORMAT, …).

use enterprise_registry::{config::RegistryConfig, startup::Application};
use hte_shared::auth::AuthKeys;
use hte_shared::config::Env;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = RegistryConfig::from_env(&Env::Process)?;
    hte_shared::telemetry::init_tracing(config.common.log_format, "info");
    let keys = AuthKeys::from_config(&config.common)?;
    let app = Application::build(config, keys).await?;
    tracing::info!(port = app.port(), "enterprise registry listening");
    hte_shared::server::run_until_signal(vec![app.into_server()]).await?;
    Ok(())
}
