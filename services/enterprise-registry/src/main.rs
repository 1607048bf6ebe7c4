//! Runs the enterprise registry alone. Configuration: see the README (REGISTRY_PORT,
//! REGISTRY_DATABASE_URL, JWT_SECRET, DATA_DIR, LOG_FORMAT, …).

use enterprise_registry::startup::EnterpriseRegistry;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Ok(hte_shared::service::run::<EnterpriseRegistry>().await?)
}
