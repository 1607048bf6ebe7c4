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
            "range",
            text!(
                "{field} {date} is before 1949-10-01",
                "{field} {date} 早于 1949-10-01"
            ),
        ));
    }
}

/// Programme years accepted for pool entries and labels.
pub fn check_programme_year(year: i32, today: NaiveDate) -> Result<(), Text> {
    let last = today.year() + 1;
    if (2015..=last).contains(&year) {
        Ok(())
    } else {
        Err(text!(
            "year must be between 2015 and {last}; got {year}",
            "年度须在 2015 至 {last} 之间，现为 {year}"
        ))
    }
}

/// The end of a fact that stops counting (an exit, a revocation): its first day and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub on: NaiveDate,
    pub reason: String,
}
