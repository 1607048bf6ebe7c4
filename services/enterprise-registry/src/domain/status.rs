//! An enterprise's programme status on any date, derived from dated facts (never stored), so
//! every count can be asked "as of" a past date.

use chrono::NaiveDate;
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
}
