//! Tools that use the services from outside: the demo seed `cargo run` loads, the synthetic
//! province the benchmark imports, and (as the `bench` binary) the registry benchmark.

pub mod demo;
pub mod report;
pub mod synthetic;

/// Makes the registry's tables in the empty PostgreSQL database at `url` (its migrations, over
/// one connection), as the bench and load tools do before they `COPY` a province in.
pub async fn migrate_registry(url: &str) -> anyhow::Result<()> {
    use enterprise_registry::startup::EnterpriseRegistry;
    use hte_shared::db::{DatabaseUrl, Db, DbSettings};
    use hte_shared::service::Service as _;
    let settings = DbSettings {
        url: DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!(e))?,
        pool_size: 1,
        connect_timeout: std::time::Duration::from_secs(10),
    };
    tokio::task::spawn_blocking(move || {
        Db::connect(&settings, EnterpriseRegistry::MIGRATIONS).map(drop)
    })
    .await??;
    Ok(())
}
