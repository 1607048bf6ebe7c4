//! Runs target allocation alone. Configuration: see the README (ALLOCATION_PORT,
//! ALLOCATION_DATABASE_URL, REGISTRY_URL, JWT_SECRET, DATA_DIR, LOG_FORMAT, …).

use target_allocation::startup::TargetAllocation;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Ok(hte_shared::service::run::<TargetAllocation>().await?)
}
