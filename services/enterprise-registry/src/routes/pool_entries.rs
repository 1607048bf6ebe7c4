//! Pool entries (入库培育): entry for a year, the list, and the exit (出库) with a reason.

use actix_web::{get, post};
use chrono::NaiveDate;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::time::today;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_ending, path_credit_code};
use crate::app::pool_entries::{self as operations, PoolEntryView};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::{Ending, check_past_date, check_programme_year};
use crate::domain::enterprise::{parse_identifier, prefixed};
use crate::domain::pool_entries::{PoolEntry, check_batch};

/// Body of `POST …/pool-entries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoolEntry {
    /// Pool year (入库年度), 2015 to next year.
    #[schema(example = 2025)]
    #[schema(minimum = 2015, maximum = 2100)]
    pub year: i32,
    /// Batch (批次), 1 to 99.
    #[schema(example = 1, minimum = 1, maximum = 99)]
    pub batch: i32,
    /// Source (来源), 1–64 characters.
    #[schema(
        example = "市推荐",
        min_length = 1,
        max_length = 64,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s])?[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub source: String,
    /// Date of entry (入库日期).
    pub entered_on: NaiveDate,
}

/// Body of `POST …/pool-entries/{year}/exit`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolExit {
    /// First day out of the pool (出库日期).
    pub exited_on: NaiveDate,
    /// Why (出库原因), 2–500 characters.
    #[schema(
        example = "已认定为高新技术企业",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

impl NewPoolEntry {
    fn parse(&self, today: NaiveDate) -> Result<PoolEntry, Problem> {
        let mut errors = Vec::new();
        if let Err((rule, e)) = check_programme_year(self.year, today) {
            errors.push(FieldError::new("year", rule, e));
        }
        if let Err(e) = check_batch(i64::from(self.batch)) {
            errors.push(FieldError::new("batch", "range", e));
        }
        let source = match parse_identifier(&self.source) {
            Ok(source) => Some(source),
            Err(e) => {
                errors.push(FieldError::new("source", "format", prefixed("source", &e)));
                None
            }
        };
        check_past_date("entered_on", self.entered_on, today, &mut errors);
        match source {
            Some(source) if errors.is_empty() => Ok(PoolEntry {
                year: self.year,
                batch: self.batch,
                source,
                entered_on: self.entered_on,
                exit: None,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

fact_create_route! {
    /// Enter the enterprise into the cultivation pool (入库) for a year.
    create_pool_entry: POST "/enterprises/{credit_code}/pool-entries",
    tag = "programme", collection = "pool-entries",
    NewPoolEntry => 201 PoolEntryView "Entered", operations::enter,
}

fact_list_route! {
    /// The enterprise's pool entries, by year.
    list_pool_entries: GET "/enterprises/{credit_code}/pool-entries",
    tag = "programme", Page<PoolEntryView>, operations::list,
}

fact_end_route! {
    /// Take the enterprise out of the pool (出库), with a reason.
    exit_pool_entry: POST "/enterprises/{credit_code}/pool-entries/{year}/exit",
    tag = "programme",
    params(("year" = i32, Path, description = "Pool year (入库年度)"))
        as (String, i32) => pool_entry_path,
    PoolExit => PoolEntryView "Exited", operations::exit,
}

/// The pool entry a path names: the enterprise and the pool year.
fn pool_entry_path((raw_code, year): (String, i32)) -> Result<(CreditCode, i32), Problem> {
    Ok((path_credit_code(&raw_code)?, year))
}

impl PoolExit {
    fn parse(&self) -> Result<Ending, Problem> {
        parse_ending(("exited_on", self.exited_on), &self.reason, today())
    }
}
