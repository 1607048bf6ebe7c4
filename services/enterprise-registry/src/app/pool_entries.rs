//! Pool entries (入库培育): entering a firm into the cultivation pool for a year, and its
//! exit (出库) with a reason. Nothing is deleted.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::Problem;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::enterprises::{check_within_existence, load_writable};
use super::{facts, pages};
use crate::db::pool_entries::{self as queries, PoolEntryRow};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::Ending;
use crate::domain::pool_entries::PoolEntry;
use crate::error::RegistryError;

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

facts::impl_fact!(
    PoolEntryRow,
    PoolEntryView,
    "pool_entry",
    queries::record_exit(exited_on, exit_reason),
    |row| Ok(view_of(row))
);

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
        return Err(Problem::conflict(hte_shared::text!(
            "{code} already has a pool entry for {}",
            "企业 {code} 已有 {} 年度的培育库入库记录",
            entry.year
        ))
        .into());
    }
    facts::create(conn, actor, &row_of(code.as_str(), entry, now()))
}

/// A page of a visible enterprise's pool entries, by year (the cursor's key).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    page: &PageRequest<i32>,
) -> Result<Page<PoolEntryView>, RegistryError> {
    let rows = queries::page_of_enterprise;
    pages::of_enterprise(
        conn,
        (caller, code),
        page,
        rows,
        (|r| r.year, |r| Ok(view_of(r))),
    )
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
    let before = queries::find(conn, code.as_str(), year)?.ok_or_else(|| {
        Problem::not_found(hte_shared::text!(
            "{code} has no pool entry for {year}",
            "未找到企业 {code} {year} 年度的培育库入库记录"
        ))
    })?;
    if let Some(date) = before.exited_on {
        return Err(Problem::conflict(hte_shared::text!(
            "the {year} pool entry already ended on {date}",
            "{year} 年度的培育库入库记录已于 {date} 出库"
        ))
        .into());
    }
    if ending.on < before.entered_on {
        return Err(Problem::invalid_field(
            "exited_on",
            "not_before_entry",
            hte_shared::text!(
                "exited_on is before entered_on {}",
                "出库日期早于入库日期 {}",
                before.entered_on
            ),
        )
        .into());
    }
    let concurrently = hte_shared::i18n::Text::fixed(
        "the pool entry was ended concurrently",
        "该培育库记录已被他人同时出库",
    );
    facts::end(conn, actor, &before, ("exit", ending), concurrently)
}
