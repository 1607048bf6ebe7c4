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

/// Years a certificate obliges reports for: from the issue year, each year whose report falls
/// due while the certificate is still valid.
///
/// 国科发火〔2016〕32号 (认定管理办法) art. 15 and the 2016 Guidelines: a recognised firm files
/// the previous year's figures by 31 May each year. A year whose report would fall due after the
/// certificate's last valid day is owed by the firm only if it holds the status again then, which
/// the next certificate's own years cover (a re-certified firm owes reports continuously).
pub fn owed_report_years(issued_on: NaiveDate, last_valid_day: NaiveDate) -> Vec<i32> {
    (issued_on.year()..=last_valid_day.year())
        .filter(|year| report_due_on(*year) <= last_valid_day)
        .collect()
}

/// Years a certificate obliges reports for that are already due on `as_of` and are missing.
pub fn missing_report_years(
    issued_on: NaiveDate,
    last_valid_day: NaiveDate,
    filed_years: &[i32],
    as_of: NaiveDate,
) -> Vec<i32> {
    owed_report_years(issued_on, last_valid_day)
        .into_iter()
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
    fn reports_are_owed_only_when_due_while_the_certificate_is_valid() {
        // (issued, last valid day, owed years)
        let cases: &[(&str, &str, &[i32])] = &[
            // The example: the 2024 report would fall due on 2025-05-31, after expiry.
            ("2021-11-30", "2024-11-29", &[2021, 2022, 2023]),
            // Expiring on the due date itself: still holding the status that day.
            ("2021-05-31", "2024-05-31", &[2021, 2022, 2023]),
            // One day earlier: the 2023 report falls due after expiry.
            ("2021-05-30", "2024-05-30", &[2021, 2022]),
            // Issued on 1 January: the issue year counts.
            ("2022-01-01", "2024-12-31", &[2022, 2023]),
            // Issued on 31 December: the issue year's report is due five months later.
            ("2022-12-31", "2025-12-30", &[2022, 2023, 2024]),
        ];
        for (issued, last, owed) in cases {
            assert_eq!(
                owed_report_years(d(issued), d(last)),
                owed.to_vec(),
                "{issued}..{last}"
            );
        }
    }

    #[test]
    fn a_recertified_firm_owes_every_year() {
        // Two consecutive certificates: the second owes 2024, which the first does not.
        let mut owed = owed_report_years(d("2021-11-30"), d("2024-11-29"));
        owed.extend(owed_report_years(d("2024-11-30"), d("2027-11-29")));
        assert_eq!(owed, vec![2021, 2022, 2023, 2024, 2025, 2026]);
    }

    #[test]
    fn missing_years_count_only_reports_already_due() {
        let (issued, last) = (d("2021-11-30"), d("2024-11-29"));
        let cases: &[(&[i32], &str, &[i32])] = &[
            (&[], "2022-05-31", &[]),
            (&[], "2022-06-01", &[2021]),
            (&[2021, 2023], "2026-01-01", &[2022]),
            // The example: one missed year, a warning, not a cancellation.
            (&[2021, 2023], "2025-06-10", &[2022]),
            (&[2021], "2024-06-01", &[2022, 2023]),
        ];
        for (filed, as_of, missing) in cases {
            assert_eq!(
                missing_report_years(issued, last, filed, d(as_of)),
                missing.to_vec(),
                "filed {filed:?} as of {as_of}"
            );
        }
        assert_eq!(missing_report_severity(1), Severity::Warning);
        assert_eq!(missing_report_severity(2), Severity::Critical);
        assert_eq!(expiry_severity(30), Severity::Critical);
        assert_eq!(expiry_severity(31), Severity::Warning);
        assert_eq!(expiry_severity(91), Severity::Info);
    }
}
