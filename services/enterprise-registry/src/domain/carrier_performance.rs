//! What a carrier achieved over a period (孵化绩效): the firms it incubated then, and of those
//! how many became tech-based SMEs, pool members and HTEs during or after incubation, and the
//! labels they earned. Counted from facts alone; no I/O.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use hte_shared::problem::FieldError;
use hte_shared::text;
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

/// Highest weight a ranking accepts: with counts of firms, no score can overflow.
pub const MAX_WEIGHT: i64 = 100;

/// Points per firm counted (评分权重), each 0–100. The programme makes the HTEs and tech-based
/// SMEs a carrier incubates the main factors of its evaluation (苏政办发〔2019〕57号), hence
/// the defaults: an HTE 5, a tech-based SME 3, a pool member 2, a firm incubated 1, a label 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Weights {
    /// Per firm incubated in the period.
    #[schema(example = 1, minimum = 0, maximum = 100)]
    pub firms_incubated: i64,
    /// Per tech-based SME among them.
    #[schema(example = 3, minimum = 0, maximum = 100)]
    pub tech_smes: i64,
    /// Per pool member among them.
    #[schema(example = 2, minimum = 0, maximum = 100)]
    pub pool_members: i64,
    /// Per HTE certified among them.
    #[schema(example = 5, minimum = 0, maximum = 100)]
    pub htes_certified: i64,
    /// Per label earned.
    #[schema(example = 1, minimum = 0, maximum = 100)]
    pub labels_earned: i64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            firms_incubated: 1,
            tech_smes: 3,
            pool_members: 2,
            htes_certified: 5,
            labels_earned: 1,
        }
    }
}

/// The parameter name of each weight, with its Chinese name, in the order of [`Weights`].
pub const WEIGHT_NAMES: [(&str, &str); 5] = [
    ("weight_firms_incubated", "在孵企业数权重"),
    ("weight_tech_smes", "科技型中小企业数权重"),
    ("weight_pool_members", "入库企业数权重"),
    ("weight_htes_certified", "高新技术企业数权重"),
    ("weight_labels_earned", "称号数权重"),
];

impl Weights {
    /// The weights asked for, a default for each one not given; every weight outside 0–100
    /// named at once.
    pub fn parse(asked: [Option<i64>; 5]) -> Result<Self, Vec<FieldError>> {
        let default = Self::default().as_array();
        let mut values = [0; 5];
        let mut errors = Vec::new();
        for (i, ((name, _), value)) in WEIGHT_NAMES.iter().zip(asked).enumerate() {
            let value = value.unwrap_or(default[i]);
            if (0..=MAX_WEIGHT).contains(&value) {
                values[i] = value;
            } else {
                errors.push(FieldError::new(
                    *name,
                    "range",
                    text!(
                        "{name} must be between 0 and 100; got {value}",
                        "{name} 须在 0 至 100 之间；收到 {value}"
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let [
            firms_incubated,
            tech_smes,
            pool_members,
            htes_certified,
            labels_earned,
        ] = values;
        Ok(Self {
            firms_incubated,
            tech_smes,
            pool_members,
            htes_certified,
            labels_earned,
        })
    }

    pub fn as_array(&self) -> [i64; 5] {
        [
            self.firms_incubated,
            self.tech_smes,
            self.pool_members,
            self.htes_certified,
            self.labels_earned,
        ]
    }

    /// Σ weight × count, or `None` should it not fit (it cannot with weights of at most 100
    /// and counts of stored firms).
    pub fn score(&self, p: &Performance) -> Option<i64> {
        let counts = [
            p.firms_incubated,
            p.tech_smes,
            p.pool_members,
            p.htes_certified,
            p.labels_earned,
        ];
        self.as_array()
            .iter()
            .zip(counts)
            .try_fold(0_i64, |sum, (w, c)| sum.checked_add(w.checked_mul(c)?))
    }
}

/// Orders `(score, id, item)` by score, highest first, ties by id; equal scores share the
/// rank of the first of them (1, 2, 2, 4): `(rank, score, item)`.
pub fn rank<T>(mut scored: Vec<(i64, String, T)>) -> Vec<(i64, i64, T)> {
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut ranked: Vec<(i64, i64, T)> = Vec::with_capacity(scored.len());
    for (position, (score, _, item)) in (1_i64..).zip(scored) {
        let rank = match ranked.last() {
            Some((previous_rank, previous_score, _)) if *previous_score == score => *previous_rank,
            _ => position,
        };
        ranked.push((rank, score, item));
    }
    ranked
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

#[cfg(test)]
mod ranking_tests {
    use super::*;

    fn counts(firms: i64, htes: i64) -> Performance {
        Performance {
            firms_incubated: firms,
            htes_certified: htes,
            ..Performance::default()
        }
    }

    #[test]
    fn the_score_is_the_weighted_sum_of_the_counts() {
        let p = Performance {
            firms_incubated: 4,
            tech_smes: 3,
            pool_members: 2,
            htes_certified: 1,
            labels_earned: 5,
        };
        assert_eq!(Weights::default().score(&p), Some(4 + 9 + 4 + 5 + 5));
        let huge = counts(i64::MAX, 0);
        assert_eq!(Weights::default().score(&huge), Some(i64::MAX));
        assert_eq!(Weights::default().score(&counts(i64::MAX, 1)), None);
    }

    #[test]
    fn equal_scores_share_a_rank_and_are_ordered_by_id() {
        let weights = Weights::default();
        let entries = [
            ("c", counts(2, 0)),
            ("b", counts(1, 1)),
            ("a", counts(6, 0)),
            ("d", counts(0, 0)),
        ];
        let scored = entries
            .iter()
            .map(|(id, p)| (weights.score(p).unwrap(), (*id).to_owned(), *id))
            .collect();
        let ranked = rank(scored);
        assert_eq!(ranked, [(1, 6, "a"), (1, 6, "b"), (3, 2, "c"), (4, 0, "d")]);
    }

    #[test]
    fn weights_default_and_every_one_out_of_bounds_is_named() {
        assert_eq!(Weights::parse([None; 5]), Ok(Weights::default()));
        let asked = Weights::parse([Some(0), None, Some(100), None, None]).unwrap();
        assert_eq!(asked.as_array(), [0, 3, 100, 5, 1]);
        let errors = Weights::parse([Some(-1), None, Some(101), None, Some(i64::MAX)]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "weight_firms_incubated",
                "weight_pool_members",
                "weight_labels_earned"
            ]
        );
    }
}
