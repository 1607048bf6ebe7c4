//! Pool entries from a file: a new entry is entered, a stored one restated; a file without
//! exit columns does not reopen an exit recorded since.

use hte_shared::time::now;

use super::{Batch, ChildKind, RowResult, created, outside_existence, rejected, restated};
use crate::app::imports::parse::Line;
use crate::app::pool_entries::row_of;
use crate::db::enterprises::EnterpriseRow;
use crate::db::pool_entries::{self as queries, PoolEntryRow};
use crate::domain::pool_entries::PoolEntry;
use crate::error::RegistryError;

pub(in crate::app::imports) const KIND: ChildKind<PoolEntry, PoolEntryRow, (String, i32)> =
    ChildKind {
        load: |conn, codes, _| queries::of_enterprises(conn, codes),
        keys: (
            |entry| (entry.credit_code.clone(), entry.year),
            |line| (line.credit_code.clone(), line.record.year),
        ),
        insert_all: queries::insert_all,
        apply_line: enter,
    };

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
            let reason = hte_shared::i18n::Text::new(
                format!("entered the pool {why}"),
                format!("入库日期{}", why.zh()),
            );
            return Ok(Err(rejected(line.number, Some("entered_on"), reason)));
        }
        let row = row_of(&line.credit_code, &line.record, now());
        return created(batch, new_rows, row);
    };
    let mut after = row_of(&line.credit_code, &line.record, before.created_at);
    if line.record.exit.is_none() {
        after.exited_on = before.exited_on;
        after.exit_reason.clone_from(&before.exit_reason);
    }
    let changed = facts(before) != facts(&after);
    restated(batch, (before, &after), changed)
}
