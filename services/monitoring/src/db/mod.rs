//! Storage: the diesel schema, row types and queries of monitoring's own tables.
//!
//! - `statistics_inputs` — external statistics, one row per version ([`statistics_inputs`]);
//! - `snapshots`, `snapshot_indicators`, `snapshot_values` — frozen figures ([`snapshots`]);
//! - `leases` — one replica at a time for a period's scheduled snapshot (`hte_shared::leases`);
//! - `alerts` — open and resolved alerts, keyed by fingerprint while open ([`alerts`]);
//! - `events` — the outbox of snapshot and alert events ([`events`]);
//! - `snapshot_pipeline` — ready pool firms per region when a snapshot was taken
//!   ([`pipeline`]); [`series`] reads snapshots across periods for boards and forecasts.
//! - `events` — snapshot and alert events, written in the transaction of each change
//!   ([`events`]);
//! - `subscriptions`, `deliveries`, `delivery_attempts` — webhooks: who wants which events,
//!   the delivery queue (queued with the event, so nothing is lost on restart) and every
//!   attempt ([`webhooks`]).
//!
//! Bulletins need no table: they render a stored snapshot.
//!
//! Every function takes a connection; writes that must be atomic are run by the caller in
//! one transaction (`Db::write`). The same code runs on PostgreSQL and SQLite.

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use hte_shared::db::Migrations;

/// Rows per INSERT statement: keeps the bound parameters well under SQLite's limit.
const CHUNK: usize = 500;

/// Multi-row INSERTs in chunks, through the concrete connection: diesel's MultiConnection
/// does not take batch inserts. Defined before the modules that use it (textual scoping).
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for chunk in $rows.chunks($crate::db::CHUNK) {
            match &mut *$conn {
                hte_shared::db::DbConnection::Postgresql(pg) => {
                    diesel::insert_into($table).values(chunk).execute(pg)?;
                }
                hte_shared::db::DbConnection::Sqlite(sqlite) => {
                    diesel::insert_into($table).values(chunk).execute(sqlite)?;
                }
            }
        }
    }};
}

pub mod alerts;
pub mod events;
pub mod pipeline;
pub mod schema;
/// One holder at a time for a scheduled job (the shared lease queries over this service's
/// own `leases` table).
pub use hte_shared::leases;
pub mod series;
pub mod snapshots;
pub mod statistics_inputs;
pub mod webhooks;

#[cfg(test)]
mod tests;

static POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
static SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Monitoring's migrations, for both backends.
pub const MIGRATIONS: Migrations = Migrations::new(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS);
