//! Dates of facts: none before 1949-10-01 or after today; programme years from 2015.

use chrono::{Datelike, NaiveDate};
use hte_shared::i18n::Text;
use hte_shared::problem::FieldError;
use hte_shared::text;

/// Earliest date accepted anywhere (registrations, reports): before it, data is a typo.
pub fn earliest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1949, 10, 1).unwrap_or(NaiveDate::MIN)
}

/// Checks a date is neither implausibly early nor after `today`.
pub fn check_past_date(
    field: &str,
    date: NaiveDate,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) {
    if date > today {
        errors.push(FieldError::new(
            field,
            "not_in_future",
            text!(
                "{field} {date} is in the future (today is {today})",
                "{field} {date} 晚于今天（{today}）"
            ),
        ));
    } else if date < earliest_date() {
        errors.push(FieldError::new(
            field,
            "too_early",
            text!(
                "{field} {date} is before 1949-10-01",
                "{field} {date} 早于 1949-10-01"
            ),
        ));
    }
}

/// The last year any year field of this service accepts: the document's `maximum`. Later
/// years inside it are refused as `not_in_future` (a rule of today's date, 422), beyond it as
/// `range` (a rule the document states, 400).
pub const LAST_YEAR: i32 = 2100;

/// Programme years accepted for pool entries and labels: 2015 to next year. The error is the
/// rule that failed and its message.
pub fn check_programme_year(year: i32, today: NaiveDate) -> Result<(), (&'static str, Text)> {
    let last = today.year() + 1;
    if !(2015..=LAST_YEAR).contains(&year) {
        Err((
            "range",
            text!(
                "year must be between 2015 and {last}; got {year}",
                "年度须在 2015 至 {last} 之间，现为 {year}"
            ),
        ))
    } else if year > last {
        Err((
            "not_in_future",
            text!(
                "year {year} is too far ahead: at most {last} (next year)",
                "年度 {year} 过远：至多为 {last}（下一年）"
            ),
        ))
    } else {
        Ok(())
    }
}

/// The end of a fact that stops counting (an exit, a revocation): its first day and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub on: NaiveDate,
    pub reason: String,
}
