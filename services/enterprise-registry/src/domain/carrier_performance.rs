//! What a carrier achieved over a period (孵化绩效): the firms it incubated then, and of those
//! how many became tech-based SMEs, pool members and HTEs during or after incubation, and the
//! labels they earned. Counted from facts alone; no I/O.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One firm's facts as performance needs them.
#[derive(Debug, Clone, Default)]
pub struct FirmFacts {
    /// Starts of the carrier's incubations of the firm that overlap the period.
    pub incubated_from: Vec<NaiveDate>,
    /// Certificates' issue dates, unrevoked ones only.
    pub certified_on: Vec<NaiveDate>,
    /// Pool entries' dates.
    pub pool_entered_on: Vec<NaiveDate>,
    /// Unrevoked labels: (kind key, year).
    pub labels: Vec<(String, i32)>,
}

/// A carrier's performance over `[from, to]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Performance {
    /// Firms incubated in the period (在孵企业数).
    pub firms_incubated: i64,
    /// Of which tech-based SMEs (科技型中小企业) by a label of a year from their incubation to `to`.
    pub tech_smes: i64,
    /// Of which entered the cultivation pool (入库企业) from their incubation to `to`.
    pub pool_members: i64,
    /// Of which certified HTEs (高新技术企业) from their incubation to `to`.
    pub htes_certified: i64,
    /// Labels (称号) other than tech-based SME the firms earned from their incubation to `to`.
    pub labels_earned: i64,
}

/// Counts each firm once: an event counts when it falls between the firm's first incubation
/// start in the period and `to` ("during or after incubation").
pub fn performance(firms: &BTreeMap<String, FirmFacts>, to: NaiveDate) -> Performance {
    let mut p = Performance::default();
    for facts in firms.values() {
        let Some(start) = facts.incubated_from.iter().min().copied() else {
            continue;
        };
        let after_start = |d: &NaiveDate| *d >= start && *d <= to;
        let in_years = |y: &i32| *y >= start.year() && *y <= to.year();
        p.firms_incubated += 1;
        let tech_sme = facts
            .labels
            .iter()
            .any(|(k, y)| k == "tech_sme" && in_years(y));
        p.tech_smes += i64::from(tech_sme);
        p.pool_members += i64::from(facts.pool_entered_on.iter().any(after_start));
        p.htes_certified += i64::from(facts.certified_on.iter().any(after_start));
        let labels = facts
            .labels
            .iter()
            .filter(|(k, y)| k != "tech_sme" && in_years(y));
        p.labels_earned += i64::try_from(labels.count()).unwrap_or(i64::MAX);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn events_count_during_or_after_incubation_up_to_the_end() {
        let mut firms = BTreeMap::new();
        firms.insert(
            "a".to_owned(),
            FirmFacts {
                incubated_from: vec![d("2020-03-01")],
                certified_on: vec![d("2019-12-01"), d("2022-11-01")],
                pool_entered_on: vec![d("2021-05-01")],
                labels: vec![
                    ("tech_sme".into(), 2021),
                    ("gazelle".into(), 2022),
                    ("gazelle".into(), 2019),
                ],
            },
        );
        firms.insert(
            "b".to_owned(),
            FirmFacts {
                incubated_from: vec![d("2021-01-01")],
                certified_on: vec![d("2025-01-01")],
                pool_entered_on: vec![d("2020-01-01")],
                labels: vec![],
            },
        );
        firms.insert("c".to_owned(), FirmFacts::default());
        let p = performance(&firms, d("2023-12-31"));
        assert_eq!(
            p,
            Performance {
                firms_incubated: 2,
                tech_smes: 1,
                pool_members: 1,
                htes_certified: 1,
                labels_earned: 1
            }
        );
    }
}
