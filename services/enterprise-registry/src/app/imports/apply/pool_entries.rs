//! Pool entries from a file: a new entry is entered, a stored one restated; a file without
//! exit columns does not reopen an exit recorded since.

use std::collections::HashMap;

use hte_shared::time::now;

use super::{
    Batch, RowOutcome, RowResult, apply_lines, codes_of, firms_of, outside_existence, rejected,
};
use crate::app::imports::parse::Line;
use crate::app::pool_entries::{record_change, restate, row_of};
use crate::db::enterprises::EnterpriseRow;
use crate::db::pool_entries::{self as queries, PoolEntryRow};
use crate::domain::pool_entries::PoolEntry;
use crate::error::RegistryError;

pub(in crate::app::imports) fn apply(
    batch: &mut Batch<'_>,
    lines: Vec<Line<PoolEntry>>,
) -> Result<Vec<RowResult>, RegistryError> {
    let firms = firms_of(batch.conn, &lines)?;
    let stored: HashMap<(String, i32), PoolEntryRow> =
        queries::of_enterprises(batch.conn, &codes_of(&firms))?
            .into_iter()
            .map(|r| ((r.credit_code.clone(), r.year), r))
            .collect();
    apply_lines(
        batch,
        &firms,
        lines,
        queries::insert_all,
        |batch, new_rows, firm, line| {
            let before = stored.get(&(line.credit_code.clone(), line.record.year));
            enter(batch, new_rows, firm, before, line)
        },
    )
}

/// What a restatement compares: everything but the key and the creation time.
fn facts(
    e: &PoolEntryRow,
) -> (
    i32,
    &str,
    chrono::NaiveDate,
    Option<chrono::NaiveDate>,
    Option<&str>,
) {
    (
        e.batch,
        &e.source,
        e.entered_on,
        e.exited_on,
        e.exit_reason.as_deref(),
    )
}

fn enter(
    batch: &mut Batch<'_>,
    new_rows: &mut Vec<PoolEntryRow>,
    firm: &EnterpriseRow,
    before: Option<&PoolEntryRow>,
    line: Line<PoolEntry>,
) -> Result<RowResult, RegistryError> {
    let Some(before) = before else {
        if let Some(why) = outside_existence(firm, line.record.entered_on) {
            let reason = format!("entered the pool {why}");
            return Ok(Err(rejected(line.number, Some("entered_on"), reason)));
        }
        let row = row_of(&line.credit_code, &line.record, now());
        record_change(
            batch.conn,
            &mut batch.trail,
            ("create", Some(batch.reason)),
            None,
            &row,
        )?;
        new_rows.push(row);
        return Ok(Ok(RowOutcome::Created));
    };
    let mut after = row_of(&line.credit_code, &line.record, before.created_at);
    if line.record.exit.is_none() {
        after.exited_on = before.exited_on;
        after.exit_reason.clone_from(&before.exit_reason);
    }
    if facts(before) == facts(&after) {
        return Ok(Ok(RowOutcome::Unchanged));
    }
    restate(batch.conn, &mut batch.trail, before, &after, batch.reason)?;
    Ok(Ok(RowOutcome::Updated))
}
