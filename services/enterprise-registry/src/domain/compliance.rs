//! Compliance checks (合规提醒) on programme facts: certificates about to expire, certified
//! firms that missed annual reports, and pool entries older than the plan allows.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// 证书即将到期: a valid certificate expires within the window.
    CertificateExpiring,
    /// 年报缺报: a certified firm has not filed the annual report of a year its certificate
    /// covered; two missed years lose the qualification.
    MissingAnnualReport,
    /// 培育超期: still in the pool longer than the plan allows.
    PoolOverstay,
}

impl AlertKind {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "certificate_expiring" => Some(Self::CertificateExpiring),
            "missing_annual_report" => Some(Self::MissingAnnualReport),
            "pool_overstay" => Some(Self::PoolOverstay),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    /// Action needed now: the qualification is lost or about to be.
    Critical,
}

/// Annual reports are due by 31 May of the following year.
pub fn report_due_on(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year + 1, 5, 31).unwrap_or(NaiveDate::MAX)
}

/// Years a certificate obliges reports for that are already due on `as_of` and are missing.
pub fn missing_report_years(
    issued_on: NaiveDate,
    last_valid_day: NaiveDate,
    filed_years: &[i32],
    as_of: NaiveDate,
) -> Vec<i32> {
    (issued_on.year()..=last_valid_day.year())
        .filter(|year| report_due_on(*year) < as_of)
        .filter(|year| !filed_years.contains(year))
        .collect()
}

/// Years of missed reports that cancel an HTE qualification (累计两年未报).
pub const MISSED_YEARS_CANCELLING: usize = 2;

/// Severity of missing reports: critical once they cost the qualification.
pub fn missing_report_severity(missed_years: usize) -> Severity {
    if missed_years >= MISSED_YEARS_CANCELLING {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

/// Severity of an expiring certificate: critical within 30 days, warning within 90.
pub fn expiry_severity(days_left: i64) -> Severity {
    match days_left {
        d if d <= 30 => Severity::Critical,
        d if d <= 90 => Severity::Warning,
        _ => Severity::Info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn missing_years_count_only_reports_already_due() {
        let (issued, last) = (d("2021-11-30"), d("2024-11-29"));
        assert_eq!(
            missing_report_years(issued, last, &[], d("2022-05-31")),
            Vec::<i32>::new()
        );
        assert_eq!(
            missing_report_years(issued, last, &[], d("2022-06-01")),
            vec![2021]
        );
        assert_eq!(
            missing_report_years(issued, last, &[2021, 2023], d("2026-01-01")),
            vec![2022, 2024]
        );
        assert_eq!(expiry_severity(30), Severity::Critical);
        assert_eq!(expiry_severity(31), Severity::Warning);
        assert_eq!(expiry_severity(91), Severity::Info);
    }
}
