//! Pool entries (入库培育): a firm enters the cultivation pool for a year, in a batch, and
//! leaves it by an explicit exit with a reason.

use chrono::NaiveDate;

use super::dates::Ending;

/// An entry as recorded: year, batch, how the firm came in, when, and its exit once made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntry {
    pub year: i32,
    pub batch: i32,
    pub source: String,
    pub entered_on: NaiveDate,
    pub exit: Option<Ending>,
}

/// Batches within a year run from 1 to 99.
pub fn check_batch(batch: i64) -> Result<i32, hte_shared::i18n::Text> {
    match i32::try_from(batch) {
        Ok(batch) if (1..=99).contains(&batch) => Ok(batch),
        _ => Err(hte_shared::i18n::Text::fixed(
            "batch must be between 1 and 99",
            "批次须在 1 至 99 之间",
        )),
    }
}
