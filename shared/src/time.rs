//! Clock helpers: timestamps are UTC with microsecond precision (what both backends store
//! exactly); calendar dates ("today") are China Standard Time, where the officials are.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, Utc};

pub fn now() -> NaiveDateTime {
    let now = Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros())
        .map_or(now.naive_utc(), |t| t.naive_utc())
}

pub fn today() -> NaiveDate {
    match FixedOffset::east_opt(8 * 3600) {
        Some(china) => Utc::now().with_timezone(&china).date_naive(),
        None => Utc::now().date_naive(),
    }
}

/// Parses an optional `YYYY-MM-DD` query parameter, naming it on failure.
pub fn parse_date_param(
    name: &str,
    raw: Option<&str>,
) -> Result<Option<NaiveDate>, crate::problem::Problem> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse::<NaiveDate>().map(Some).map_err(|_| {
            crate::problem::Problem::invalid_field(
                name,
                "date",
                format!("{name} must be a date like 2025-12-31; got {text:?}"),
            )
        }),
    }
}
