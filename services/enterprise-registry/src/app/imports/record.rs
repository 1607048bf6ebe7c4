//! The import record (导入批次): what became of each row of a file, kept for `GET
//! /imports/{id}`.

use diesel::Connection;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{BatchTurn, DbConnection};
use hte_shared::idempotency::{self, ClaimToken, IdempotencyKey, StoredResponse};
use hte_shared::problem::Problem;
use hte_shared::regions::RegionCode;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Counts, FileFormat, ImportWarning, Mode, RowError, Settings};
use crate::db::imports::{self as queries, ImportRow};
use crate::domain::import::ImportKind;
use crate::error::{RegistryError, stored};

/// An import (导入批次) and what became of each row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportView {
    pub id: String,
    pub kind: ImportKind,
    pub mode: Mode,
    /// `completed` (rows written, or rehearsed for dry_run) or `rejected` (atomic import with
    /// refused rows: nothing written).
    pub status: String,
    /// csv, xlsx, xls or ods.
    pub file_format: String,
    /// The text encoding a CSV file was read in (utf-8 or gbk); a workbook's format.
    pub encoding: String,
    pub counts: Counts,
    /// Rows and columns read past (title rows above the header, columns no field has): the
    /// first 100 unknown columns one warning each, the rest counted in one more warning
    /// (`MAX_KEPT_WARNINGS`).
    #[schema(max_items = 102)]
    pub warnings: Vec<ImportWarning>,
    /// Refused rows with line, column and reason (at most 1,000 kept, `MAX_KEPT_ERRORS`).
    #[schema(max_items = 1000)]
    pub errors: Vec<RowError>,
    pub errors_truncated: bool,
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub finished_at: chrono::NaiveDateTime,
}

fn view_of(row: &ImportRow) -> Result<ImportView, RegistryError> {
    let errors = serde_json::from_str(&row.errors_json).map_err(|e| {
        RegistryError::internal(
            "stored import errors do not parse",
            format!("{}: {e}", row.id),
        )
    })?;
    let warnings = serde_json::from_str(&row.warnings_json)
        .map(super::kept_warnings)
        .map_err(|e| {
            RegistryError::internal(
                "stored import warnings do not parse",
                format!("{}: {e}", row.id),
            )
        })?;
    Ok(ImportView {
        id: row.id.clone(),
        warnings,
        kind: stored("kind", &row.kind, ImportKind::from_key)?,
        mode: stored("mode", &row.mode, Mode::from_key)?,
        status: row.status.clone(),
        file_format: row.file_format.clone(),
        encoding: row.encoding.clone(),
        counts: Counts {
            rows: row.rows_total,
            created: row.created,
            updated: row.updated,
            unchanged: row.unchanged,
            rejected: row.rejected,
        },
        errors,
        errors_truncated: row.errors_truncated,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        finished_at: row.finished_at,
    })
}

/// Where an import's record is read.
pub fn location_of(view: &ImportView) -> String {
    format!("/api/v1/imports/{}", view.id)
}

/// Applies the file and records the import; with a claimed key, its answer is stored in the
/// transaction that records the import.
pub fn import_file(
    conn: &mut DbConnection,
    path: &std::path::Path,
    settings: Settings,
    (caller, actor): (&Caller, &Actor),
    claimed: Option<&(IdempotencyKey, ClaimToken)>,
    turn: &BatchTurn,
) -> Result<ImportView, RegistryError> {
    let id = uuid::Uuid::new_v4().to_string();
    let started = now();
    let outcome = super::run(conn, path, &settings, caller, actor, &id, turn)?;
    let Settings {
        kind, mode, format, ..
    } = settings;
    let errors_json = serde_json::to_string(&outcome.errors)
        .map_err(|e| RegistryError::internal("cannot serialise import errors", e))?;
    let warnings_json = serde_json::to_string(&outcome.warnings)
        .map_err(|e| RegistryError::internal("cannot serialise import warnings", e))?;
    let row = ImportRow {
        id,
        kind: kind.key().to_owned(),
        mode: mode.key().to_owned(),
        status: if mode == Mode::Atomic && !outcome.committed {
            "rejected"
        } else {
            "completed"
        }
        .to_owned(),
        // A workbook's reader names its format (`xlsx`, `ods` or `xls`).
        file_format: if format == FileFormat::Csv {
            "csv"
        } else {
            outcome.encoding
        }
        .to_owned(),
        encoding: outcome.encoding.to_owned(),
        rows_total: outcome.counts.rows,
        created: outcome.counts.created,
        updated: outcome.counts.updated,
        unchanged: outcome.counts.unchanged,
        rejected: outcome.counts.rejected,
        errors_json,
        errors_truncated: outcome.errors_truncated,
        warnings_json,
        created_by: actor.subject.clone(),
        created_by_region: caller.region.to_string(),
        created_at: started,
        finished_at: now(),
    };
    let view = view_of(&row)?;
    let _turn = turn.take();
    conn.transaction(|conn| {
        queries::insert(conn, &row)?;
        if let Some((key, token)) = claimed {
            store_answer(conn, actor, (key, token), &view)?;
        }
        Ok::<_, RegistryError>(())
    })?;
    Ok(view)
}

/// Stores the 201 answer under the claimed key.
fn store_answer(
    conn: &mut DbConnection,
    actor: &Actor,
    (key, token): (&IdempotencyKey, &ClaimToken),
    view: &ImportView,
) -> Result<(), RegistryError> {
    let answer = StoredResponse {
        status: 201,
        body: serde_json::to_string(view)
            .map_err(|e| RegistryError::internal("cannot serialise an import", e))?,
        location: Some(location_of(view)),
    };
    if !idempotency::complete(conn, &idempotency::scope_of(actor), key, token, &answer)? {
        // Only after an hour, when the claim counted as abandoned and another request took
        // the key over: that request answers it; this import stands on its own.
        tracing::warn!(import = %view.id, "the Idempotency-Key was taken over; answer not stored");
    }
    Ok(())
}

/// An import the caller may see: whoever may read the region it was made for (a token's
/// subject is no identity on its own: the same name may hold tokens for other regions).
pub fn find(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<ImportView, RegistryError> {
    let not_found =
        || Problem::not_found(hte_shared::text!("no import {id}", "未找到导入记录 {id}"));
    let row = queries::find(conn, id)?.ok_or_else(not_found)?;
    let region = RegionCode::parse(&row.created_by_region).map_err(|e| {
        RegistryError::internal(
            "stored created_by_region does not parse",
            format!("{id}: {e}"),
        )
    })?;
    if caller.may_read(&region) {
        view_of(&row)
    } else {
        Err(not_found().into())
    }
}
