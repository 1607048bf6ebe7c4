//! A line of a pool entries file: an entry, and its exit when the file records one.

use chrono::NaiveDate;
use hte_shared::i18n::Text;

use super::Cells;
use crate::domain::dates::Ending;
use crate::domain::pool_entries::{PoolEntry, check_batch};

pub(in crate::app::imports) fn parse(
    cells: &mut Cells<'_>,
    _credit_code: Option<&str>,
    today: NaiveDate,
) -> Option<PoolEntry> {
    let year = cells.programme_year("year", today);
    // A missing or unreadable batch is out of range too.
    let batch = match check_batch(cells.integer("batch").unwrap_or(0)) {
        Ok(batch) => Some(batch),
        Err(e) => {
            cells.fail("batch", e);
            None
        }
    };
    let entered_on = cells.past_date("entered_on", true, today);
    let exited_on = cells.past_date("exited_on", false, today);
    let exit_reason = cells.text("exit_reason");
    if exited_on.is_some() != exit_reason.is_some() {
        cells.fail(
            "exit_reason",
            Text::fixed(
                "exited_on and exit_reason go together",
                "出库日期与出库理由须同时填写",
            ),
        );
    }
    if let (Some(entered), Some(exited)) = (entered_on, exited_on)
        && exited < entered
    {
        cells.fail(
            "exited_on",
            Text::fixed("exited_on is before entered_on", "出库日期早于入库日期"),
        );
    }
    let source = cells.required("source");
    Some(PoolEntry {
        year,
        batch: batch?,
        source: source?,
        entered_on: entered_on?,
        exit: exited_on
            .zip(exit_reason)
            .map(|(on, reason)| Ending { on, reason }),
    })
}
