//! An enterprise's programme status on any date, derived from dated facts (never stored), so
//! every count can be asked "as of" a past date.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Status (状态) on a date, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseStatus {
    /// 注销: deregistered on or before the date.
    Deregistered,
    /// 高新技术企业: holds a certificate valid that day.
    Hte,
    /// 入库培育: in the cultivation pool that day.
    Pool,
    /// 已登记: registered, neither HTE nor in the pool.
    Registered,
    /// Registered only after that date.
    NotYetRegistered,
}

impl EnterpriseStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Deregistered => "deregistered",
            Self::Hte => "hte",
            Self::Pool => "pool",
            Self::Registered => "registered",
            Self::NotYetRegistered => "not_yet_registered",
        }
    }
}

/// The dates of a certificate that matter for validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateSpan {
    pub issued_on: NaiveDate,
    /// Last day of validity (inclusive).
    pub expires_on: NaiveDate,
    /// First day it no longer counts.
    pub revoked_on: Option<NaiveDate>,
}

impl CertificateSpan {
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.issued_on <= date
            && date <= self.expires_on
            && self.revoked_on.is_none_or(|revoked| date < revoked)
    }
}

/// The dates of a pool entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSpan {
    pub entered_on: NaiveDate,
    /// First day out of the pool.
    pub exited_on: Option<NaiveDate>,
}

impl PoolSpan {
    pub fn member_on(&self, date: NaiveDate) -> bool {
        self.entered_on <= date && self.exited_on.is_none_or(|exited| date < exited)
    }
}

pub struct StatusFacts<'a> {
    pub registered_on: NaiveDate,
    pub deregistered_on: Option<NaiveDate>,
    pub certificates: &'a [CertificateSpan],
    pub pool_entries: &'a [PoolSpan],
}

/// Why a fact dated `date` cannot belong to an enterprise: it falls before its registration
/// or after its deregistration. One rule for the API and for imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutsideExistence {
    BeforeRegistration(NaiveDate),
    AfterDeregistration(NaiveDate),
}

pub fn outside_existence(
    registered_on: NaiveDate,
    deregistered_on: Option<NaiveDate>,
    date: NaiveDate,
) -> Option<OutsideExistence> {
    if date < registered_on {
        return Some(OutsideExistence::BeforeRegistration(registered_on));
    }
    deregistered_on
        .filter(|gone| date > *gone)
        .map(OutsideExistence::AfterDeregistration)
}

pub fn status_on(facts: &StatusFacts<'_>, date: NaiveDate) -> EnterpriseStatus {
    if date < facts.registered_on {
        EnterpriseStatus::NotYetRegistered
    } else if facts.deregistered_on.is_some_and(|d| d <= date) {
        EnterpriseStatus::Deregistered
    } else if facts.certificates.iter().any(|c| c.valid_on(date)) {
        EnterpriseStatus::Hte
    } else if facts.pool_entries.iter().any(|p| p.member_on(date)) {
        EnterpriseStatus::Pool
    } else {
        EnterpriseStatus::Registered
    }
}

impl CertificateSpan {
    /// Last day the certificate counts: its expiry, or the day before its revocation.
    pub fn last_valid_day(&self) -> NaiveDate {
        match self.revoked_on.and_then(|r| r.pred_opt()) {
            Some(before) => before.min(self.expires_on),
            None => self.expires_on,
        }
    }
}

/// Last day of the unbroken run of valid certificates that covers `date`; `None` when no
/// certificate is valid that day. A certificate issued the day after the previous one lapses
/// continues the run (a re-certified firm keeps its status without a break).
pub fn hte_valid_until(certificates: &[CertificateSpan], date: NaiveDate) -> Option<NaiveDate> {
    let mut until = certificates
        .iter()
        .filter(|c| c.valid_on(date))
        .map(CertificateSpan::last_valid_day)
        .max()?;
    while let Some(next) = until.succ_opt().and_then(|day| {
        certificates
            .iter()
            .filter(|c| c.valid_on(day))
            .map(CertificateSpan::last_valid_day)
            .max()
    }) {
        until = next;
    }
    Some(until)
}

/// Where a firm stands in the HTE candidate screening of a year (高新技术企业培育遴选).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HteStanding {
    /// Holds no valid certificate: a candidate for first recognition (首次认定).
    FirstApplicant,
    /// Its status ends within the screening year: the 2016 Measures (国科发火〔2016〕32号) give
    /// the status for three years with no renewal review, so the firm applies again from
    /// scratch (重新认定) and is a candidate like any other.
    ReApplicant,
    /// Holds the status beyond the screening year: not a candidate.
    Certified,
}

/// The firm's standing in the screening of `screening_year`, given the last day of its
/// unbroken HTE status ([`hte_valid_until`]) on the screening date.
pub fn hte_standing(valid_until: Option<NaiveDate>, screening_year: i32) -> HteStanding {
    match valid_until {
        None => HteStanding::FirstApplicant,
        Some(until) if until.year() <= screening_year => HteStanding::ReApplicant,
        Some(_) => HteStanding::Certified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn status_follows_certificate_validity_and_revocation() {
        let certificate = CertificateSpan {
            issued_on: d("2021-11-30"),
            expires_on: d("2024-11-29"),
            revoked_on: None,
        };
        let pool = PoolSpan {
            entered_on: d("2020-05-01"),
            exited_on: Some(d("2021-11-30")),
        };
        let facts = StatusFacts {
            registered_on: d("2018-03-01"),
            deregistered_on: None,
            certificates: &[certificate],
            pool_entries: &[pool],
        };
        let cases = [
            ("2018-02-28", EnterpriseStatus::NotYetRegistered),
            ("2018-03-01", EnterpriseStatus::Registered),
            ("2020-05-01", EnterpriseStatus::Pool),
            ("2021-11-29", EnterpriseStatus::Pool),
            ("2021-11-30", EnterpriseStatus::Hte),
            ("2024-11-29", EnterpriseStatus::Hte),
            ("2024-11-30", EnterpriseStatus::Registered),
        ];
        for (date, expected) in cases {
            assert_eq!(status_on(&facts, d(date)), expected, "{date}");
        }

        let revoked = [CertificateSpan {
            revoked_on: Some(d("2023-06-01")),
            ..certificate
        }];
        let facts = StatusFacts {
            certificates: &revoked,
            deregistered_on: Some(d("2024-01-10")),
            ..facts
        };
        assert_eq!(status_on(&facts, d("2023-05-31")), EnterpriseStatus::Hte);
        assert_eq!(
            status_on(&facts, d("2023-06-01")),
            EnterpriseStatus::Registered
        );
        assert_eq!(
            status_on(&facts, d("2024-01-10")),
            EnterpriseStatus::Deregistered
        );
    }

    #[test]
    fn certificates_expiring_within_the_screening_year_make_re_applicants() {
        let span = |issued: &str, expires: &str, revoked: Option<&str>| CertificateSpan {
            issued_on: d(issued),
            expires_on: d(expires),
            revoked_on: revoked.map(d),
        };
        let first = span("2021-11-30", "2024-11-29", None);
        let next = span("2024-11-30", "2027-11-29", None);
        let later = span("2025-01-15", "2028-01-14", None);
        let revoked = span("2022-03-01", "2025-02-28", Some("2024-06-01"));
        // (certificates, screening date, standing)
        let cases: &[(&[CertificateSpan], &str, HteStanding)] = &[
            (&[], "2024-03-01", HteStanding::FirstApplicant),
            (&[first], "2024-03-01", HteStanding::ReApplicant),
            (&[first], "2024-11-29", HteStanding::ReApplicant),
            (&[first], "2024-11-30", HteStanding::FirstApplicant),
            (&[first], "2023-12-31", HteStanding::Certified),
            // Already re-certified without a break: not a candidate.
            (&[first, next], "2024-03-01", HteStanding::Certified),
            // A gap between the certificates: the status ends in 2024.
            (&[first, later], "2024-03-01", HteStanding::ReApplicant),
            // Revoked: the status ends the day before, within the year.
            (&[revoked], "2024-01-10", HteStanding::ReApplicant),
            (&[revoked], "2024-06-01", HteStanding::FirstApplicant),
        ];
        for (certificates, date, standing) in cases {
            let until = hte_valid_until(certificates, d(date));
            assert_eq!(
                hte_standing(until, d(date).year()),
                *standing,
                "{certificates:?} on {date}"
            );
        }
        assert_eq!(
            hte_valid_until(&[first, next], d("2024-03-01")),
            Some(d("2027-11-29"))
        );
    }
}
