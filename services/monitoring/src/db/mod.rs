//! Storage: the diesel schema, row types and queries of monitoring's own tables.
//!
//! - `statistics_inputs` — external statistics, one row per version ([`statistics_inputs`]);
//! - `snapshots`, `snapshot_indicators`, `snapshot_values` — frozen figures ([`snapshots`]);
//! - `leases` — one replica at a time for a period's scheduled snapshot ([`leases`]);
//! - `alerts` — open and resolved alerts, keyed by fingerprint while open ([`alerts`]);
//! - `events` — the outbox of snapshot and alert events ([`events`]);
//! - `snapshot_pipeline` — ready pool firms per region when a snapshot was taken
//!   ([`pipeline`]); [`series`] reads snapshots across periods for boards and forecasts.
//!
//! Room for issue #15: webhook `subscriptions` (target URL, secret, event kinds, region,
//! status and pause reason) and `deliveries` (event × subscription, attempt, status code,
//! latency, next attempt time) will fan out from `events`; the outbox is already written in
//! the same transaction as each snapshot and alert change, so nothing is lost on restart.
//! Bulletins need no table: they render a stored snapshot.
//!
//! Every function takes a connection; writes that must be atomic are run by the caller in
//! one transaction (`Db::write`). The same code runs on PostgreSQL and SQLite.

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use hte_shared::db::Migrations;

pub mod alerts;
pub mod events;
pub mod leases;
pub mod pipeline;
pub mod schema;
pub mod series;
pub mod snapshots;
pub mod statistics_inputs;

#[cfg(test)]
mod tests;

static POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
static SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Monitoring's migrations, for both backends.
pub const MIGRATIONS: Migrations = Migrations::new(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS);
