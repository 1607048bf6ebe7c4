//! Pool entries (入库培育): entering a firm into the cultivation pool for a year, and its
//! exit (出库) with a reason. Nothing is deleted.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::{Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AuditTrail;
use super::enterprises::{check_within_existence, load_visible, load_writable};
use crate::db::pool_entries::{self as queries, PoolEntryRow};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::Ending;
use crate::domain::pool_entries::PoolEntry;
use crate::error::{RegistryError, to_json};

/// A pool entry (入库培育记录).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolEntryView {
    pub credit_code: String,
    /// Pool year (入库年度).
    #[schema(example = 2025)]
    pub year: i32,
    /// Batch (批次) within the year.
    #[schema(example = 1)]
    pub batch: i32,
    /// How the firm came in (来源), e.g. city recommendation (市推荐).
    pub source: String,
    /// Date of entry (入库日期).
    pub entered_on: NaiveDate,
    /// First day out of the pool (出库日期).
    pub exited_on: Option<NaiveDate>,
    /// Why it left (出库原因).
    pub exit_reason: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolEntryList {
    pub items: Vec<PoolEntryView>,
}

pub fn view_of(row: &PoolEntryRow) -> PoolEntryView {
    PoolEntryView {
        credit_code: row.credit_code.clone(),
        year: row.year,
        batch: row.batch,
        source: row.source.clone(),
        entered_on: row.entered_on,
        exited_on: row.exited_on,
        exit_reason: row.exit_reason.clone(),
        created_at: row.created_at,
    }
}

/// The row of `entry` for the enterprise `credit_code`.
pub fn row_of(credit_code: &str, entry: &PoolEntry, created_at: NaiveDateTime) -> PoolEntryRow {
    PoolEntryRow {
        credit_code: credit_code.to_owned(),
        year: entry.year,
        batch: entry.batch,
        source: entry.source.clone(),
        entered_on: entry.entered_on,
        exited_on: entry.exit.as_ref().map(|e| e.on),
        exit_reason: entry.exit.as_ref().map(|e| e.reason.clone()),
        created_at,
    }
}

/// Audits a change to an entry, recorded as its view before and after.
pub fn record_change(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    (action, reason): (&str, Option<&str>),
    before: Option<&PoolEntryRow>,
    after: &PoolEntryRow,
) -> Result<(), RegistryError> {
    let before = before.map(|b| to_json(&view_of(b))).transpose()?;
    trail.record(
        conn,
        Change {
            entity_type: "pool_entry",
            entity_key: &after.credit_code,
            action,
            reason,
            before,
            after: Some(to_json(&view_of(after))?),
        },
    )?;
    Ok(())
}

/// Enters an enterprise the caller may write into the pool for a year.
pub fn enter(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    entry: &PoolEntry,
) -> Result<PoolEntryView, RegistryError> {
    let enterprise = load_writable(conn, caller, code)?;
    check_within_existence("entered_on", entry.entered_on, &enterprise)?;
    if queries::find(conn, code.as_str(), entry.year)?.is_some() {
        return Err(Problem::conflict(format!(
            "{code} already has a pool entry for {}",
            entry.year
        ))
        .into());
    }
    let row = row_of(code.as_str(), entry, now());
    queries::insert(conn, &row)?;
    let mut trail = AuditTrail::Append(actor);
    record_change(conn, &mut trail, ("create", None), None, &row)?;
    Ok(view_of(&row))
}

/// The pool entries of a visible enterprise, by year.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
) -> Result<Vec<PoolEntryView>, RegistryError> {
    load_visible(conn, caller, code)?;
    Ok(queries::of_enterprise(conn, code.as_str())?
        .iter()
        .map(view_of)
        .collect())
}

/// Takes an enterprise the caller may write out of the pool (出库).
pub fn exit(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    (code, year): (&CreditCode, i32),
    ending: &Ending,
) -> Result<PoolEntryView, RegistryError> {
    load_writable(conn, caller, code)?;
    let before = queries::find(conn, code.as_str(), year)?
        .ok_or_else(|| Problem::not_found(format!("{code} has no pool entry for {year}")))?;
    if let Some(date) = before.exited_on {
        return Err(
            Problem::conflict(format!("the {year} pool entry already ended on {date}")).into(),
        );
    }
    if ending.on < before.entered_on {
        return Err(Problem::invalid_field(
            "exited_on",
            "not_before_entry",
            format!("exited_on is before entered_on {}", before.entered_on),
        )
        .into());
    }
    let after = PoolEntryRow {
        exited_on: Some(ending.on),
        exit_reason: Some(ending.reason.clone()),
        ..before.clone()
    };
    if !queries::record_exit(conn, &after)? {
        return Err(Problem::conflict("the pool entry was ended concurrently").into());
    }
    let mut trail = AuditTrail::Append(actor);
    let action = ("exit", Some(ending.reason.as_str()));
    record_change(conn, &mut trail, action, Some(&before), &after)?;
    Ok(view_of(&after))
}

/// Replaces a stored entry with what an import restates, and audits it.
pub fn restate(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    before: &PoolEntryRow,
    after: &PoolEntryRow,
    reason: &str,
) -> Result<(), RegistryError> {
    queries::update(conn, after)?;
    record_change(conn, trail, ("update", Some(reason)), Some(before), after)
}
