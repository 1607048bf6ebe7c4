//! Operations and views: what can be done with the registry's records, whoever asks. Routes
//! call these for the API, the importer calls them in batches, the demo seed calls them
//! too; each record kind has one write path here, over the `db` queries, checked by the
//! `domain` rules. Nothing here knows about HTTP.

use hte_shared::audit::{self, Actor, ChainWriter, Change};
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;

use crate::error::RegistryError;

pub mod annual_reports;
pub mod assessment;
pub mod candidates;
pub mod carrier_ranking;
pub mod carriers;
pub mod certificates;
pub mod compliance;
pub mod declarations;
pub mod enterprises;
pub mod exports;
pub mod facts;
pub mod imports;
pub mod incubations;
pub mod keyed_read;
pub mod labels;
pub mod pages;
pub mod pool_entries;
pub mod readiness;
pub mod rule_sets;
pub mod scheduler;
pub mod statistics;
pub mod zones;

/// Where an operation records its changes. A change to a firm's facts also refreshes the
/// firm's screening readiness in the same transaction: at once when appended, for the whole
/// batch when a batch is flushed (after its rows are written).
pub enum AuditTrail<'a> {
    /// Each change chained and written as it happens (one write at a time).
    Append(&'a Actor),
    /// Changes collected, then chained and written together by [`AuditTrail::flush`]
    /// (a batch of imported rows), with the firms they touched.
    Batch(&'a Actor, ChainWriter, Vec<String>),
}

impl<'a> AuditTrail<'a> {
    /// A trail collecting a batch.
    pub fn batch(actor: &'a Actor) -> Self {
        Self::Batch(actor, ChainWriter::new(), Vec::new())
    }

    pub fn record(
        &mut self,
        conn: &mut DbConnection,
        change: Change<'_>,
    ) -> Result<(), RegistryError> {
        let firm = readiness::FIRM_FACTS
            .contains(&change.entity_type)
            .then(|| change.entity_key.to_owned());
        match self {
            Self::Append(actor) => {
                audit::append(conn, actor, change)?;
                if let Some(code) = firm {
                    readiness::refresh(conn, &[code])?;
                }
            }
            Self::Batch(actor, writer, firms) => {
                writer.push(actor, change);
                firms.extend(firm);
            }
        }
        Ok(())
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
    ) -> Result<(), RegistryError> {
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
    pub fn flush(&mut self, conn: &mut DbConnection) -> Result<(), RegistryError> {
        match self {
            Self::Append(_) => Ok(()),
            Self::Batch(_, writer, firms) => {
                writer.flush(conn)?;
                firms.sort();
                firms.dedup();
                let touched = std::mem::take(firms);
                for chunk in touched.chunks(readiness::BUILD_BATCH as usize) {
                    readiness::refresh(conn, chunk)?;
                }
                Ok(())
            }
        }
    }
}

/// 409 for a new record under an id its sender chose, when a `kind` of record (in English and
/// Chinese) already holds that id.
fn id_taken((kind_en, kind_zh): (&str, &str), id: &str) -> Problem {
    Problem::conflict(hte_shared::text!(
        "a {kind_en} with id {id} already exists",
        "编号为 {id} 的{kind_zh}已存在"
    ))
}

/// 412 for an update whose version-checked write found the record changed since it was read.
fn changed_meanwhile() -> Problem {
    Problem::precondition_failed(hte_shared::i18n::Text::fixed(
        "the record changed while this update was being applied; read it again",
        "记录在本次修改期间已被他人修改，请重新读取后再试",
    ))
}

/// The Chinese name of a stored region code.
pub fn region_name(code: &str) -> Result<String, RegistryError> {
    let parsed = hte_shared::regions::RegionCode::parse(code).map_err(|e| {
        RegistryError::internal("stored region code does not parse", format!("{code}: {e}"))
    })?;
    hte_shared::regions::find(&parsed)
        .map(|r| r.name.clone())
        .ok_or_else(|| RegistryError::internal("stored region code is no division", code))
}
