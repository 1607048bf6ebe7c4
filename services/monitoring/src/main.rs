//! Runs monitoring alone. Configuration: see the README (MONITORING_PORT,
//! MONITORING_DATABASE_URL, JWT_SECRET, DATA_DIR, LOG_FORMAT, …).

use hte_shared::auth::AuthKeys;
use hte_shared::config::Env;
use monitoring::{config::MonitoringConfig, startup::Application};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = MonitoringConfig::from_env(&Env::Process)?;
    hte_shared::telemetry::init_tracing(config.common.log_format, "info");
    let keys = AuthKeys::from_config(&config.common)?;
    let app = Application::build(config, keys).await?;
    tracing::info!(port = app.port(), "monitoring listening");
    hte_shared::server::run_until_signal(vec![app.into_server()]).await?;
    Ok(())
}
