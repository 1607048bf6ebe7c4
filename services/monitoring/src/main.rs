//! Runs monitoring alone. Configuration: see the README (MONITORING_PORT,
//! MONITORING_DATABASE_URL, REGISTRY_URL, ALLOCATION_URL, JWT_SECRET, DATA_DIR, LOG_FORMAT, …).

use monitoring::startup::Monitoring;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Ok(hte_shared::service::run::<Monitoring>().await?)
}
