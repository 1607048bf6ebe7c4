//! Operations and views: what can be done with the registry's records, whoever asks. Routes
//! call these for the API, the importer calls them in batches, the demo seed calls them
//! too; each record kind has one write path here, over the `db` queries, checked by the
//! `domain` rules. Nothing here knows about HTTP.

use diesel::QueryResult;
use hte_shared::audit::{self, Actor, ChainWriter, Change};
use hte_shared::db::DbConnection;

pub mod annual_reports;
pub mod assessment;
pub mod audit_log;
pub mod candidates;
pub mod carriers;
pub mod certificates;
pub mod compliance;
pub mod enterprises;
pub mod exports;
pub mod facts;
pub mod imports;
pub mod incubations;
pub mod labels;
pub mod pool_entries;
pub mod rule_sets;
pub mod statistics;
pub mod zones;

/// Where an operation records its changes.
pub enum AuditTrail<'a> {
    /// Each change chained and written as it happens (one write at a time).
    Append(&'a Actor),
    /// Changes collected, then chained and written together by [`AuditTrail::flush`]
    /// (a batch of imported rows).
    Batch(&'a Actor, ChainWriter),
}

impl AuditTrail<'_> {
    pub fn record(&mut self, conn: &mut DbConnection, change: Change<'_>) -> QueryResult<()> {
        match self {
            Self::Append(actor) => audit::append(conn, actor, change),
            Self::Batch(actor, writer) => {
                writer.push(actor, change);
                Ok(())
            }
        }
    }

    /// Records what `action` did to the record `key` of `entity_type`, for a reason when it
    /// has one, with the record before (absent when created) and after.
    pub fn changed(
        &mut self,
        conn: &mut DbConnection,
        (entity_type, key): (&str, &str),
        (action, reason): (&str, Option<&str>),
        before: Option<serde_json::Value>,
        after: serde_json::Value,
    ) -> QueryResult<()> {
        let change = Change {
            entity_type,
            entity_key: key,
            action,
            reason,
            before,
            after: Some(after),
        };
        self.record(conn, change)
    }

    /// Writes what a batch collected; call after the rows it records.
    pub fn flush(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        match self {
            Self::Append(_) => Ok(()),
            Self::Batch(_, writer) => writer.flush(conn),
        }
    }
}
