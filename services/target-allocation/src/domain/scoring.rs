//! Scoring schemes (考核办法) as data, and the score of one region under one.
//!
//! A scheme gives each assessed indicator a weight (分值; the weights add up to 100) and a
//! rule. With completion rate `r = achieved ÷ target` (a target of 0 counts as met, r = 1)
//! and 时序进度 `e` (the share of the indicator's window elapsed on the assessment date):
//!
//! - **linear** (线性计分): `base = weight × min(r, cap)`.
//! - **bands** (分档计分): `base = weight × share` of the highest band with `r ≥ at_least`;
//!   0 below every band.
//! - **bonus** (超额加分, optional): when `r > 1`,
//!   `min((r − 1) × 100 × points_per_percent, max_points)`.
//! - **deduction** (低于时序进度扣分, optional): when `r < e`,
//!   `min((e − r) × 100 × points_per_percent, max_points)`.
//! - the indicator's score is `max(0, base + bonus − deduction)`.
//!
//! Each part is computed as an exact fraction and rounded once, half away from zero, to a
//! millionth of a point; the total is the sum of the indicators' scores and the province's
//! bonus/penalty items (加减分项). Regions are ranked by exact total (1, 2, 2, 4).

use std::cmp::Ordering;

use super::exact::{Dec4, Ratio, dec_to_micro};

/// Bounds every scheme keeps (documented in the API).
pub mod bounds {
    use super::Dec4;

    /// Indicators per scheme.
    pub const MAX_ITEMS: usize = 20;
    /// Bands per rule.
    pub const MAX_BANDS: usize = 20;
    /// A weight: 0.01–100 points.
    pub const WEIGHT: (Dec4, Dec4) = (Dec4::from_units(100), Dec4::whole(100));
    /// The weights add up to exactly this.
    pub const WEIGHT_TOTAL: Dec4 = Dec4::whole(100);
    /// A linear cap on the completion rate: 0.01–10.
    pub const CAP: (Dec4, Dec4) = (Dec4::from_units(100), Dec4::whole(10));
    /// A band's lower completion rate: 0–10.
    pub const AT_LEAST: (Dec4, Dec4) = (Dec4::ZERO, Dec4::whole(10));
    /// A band's share of the weight: 0–2.
    pub const SHARE: (Dec4, Dec4) = (Dec4::ZERO, Dec4::whole(2));
    /// Points per percentage point of a bonus or deduction: 0.0001–100.
    pub const PER_PERCENT: (Dec4, Dec4) = (Dec4::from_units(1), Dec4::whole(100));
    /// The most a bonus or deduction gives or takes: 0.01–100 points.
    pub const MAX_POINTS: (Dec4, Dec4) = (Dec4::from_units(100), Dec4::whole(100));
    /// The province's bonus/penalty items per region, in total: 0–100 points each way.
    pub const ADJUSTMENT_LIMIT: (Dec4, Dec4) = (Dec4::ZERO, Dec4::whole(100));
}

/// A scheme, checked: what scoring uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub items: Vec<Item>,
    /// Most bonus points (加分上限) the province's items may give one region.
    pub max_bonus: Dec4,
    /// Most penalty points (扣分上限) they may take from one region.
    pub max_penalty: Dec4,
}

/// One assessed indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub indicator: String,
    pub weight: Dec4,
    pub rule: Rule,
    pub bonus: Option<Step>,
    pub deduction: Option<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Linear {
        cap: Dec4,
    },
    /// Ordered by `at_least`, highest first; no two equal.
    Bands(Vec<Band>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub at_least: Dec4,
    pub share: Dec4,
}

/// Points per percentage point, up to a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub points_per_percent: Dec4,
    pub max_points: Dec4,
}

/// What one region's score on one indicator rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inputs {
    pub achieved: i64,
    /// 0 or more.
    pub target: i64,
    /// 时序进度 in 0–1.
    pub expected: Ratio,
}

/// One region's score on one indicator, in millionths of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemScore {
    pub completion: Ratio,
    pub base: i64,
    pub bonus: i64,
    pub deduction: i64,
    pub score: i64,
}

/// Figures too large to score exactly in 128 bits (never met by real counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

fn checked<T>(value: Option<T>) -> Result<T, Overflow> {
    value.ok_or(Overflow)
}

impl Inputs {
    /// achieved ÷ target; a target of 0 asks nothing, so it counts as met.
    pub fn completion(&self) -> Ratio {
        Ratio::new(i128::from(self.achieved), i128::from(self.target)).unwrap_or(Ratio::int(1))
    }
}

impl Item {
    pub fn score(&self, inputs: &Inputs) -> Result<ItemScore, Overflow> {
        let r = inputs.completion();
        let weight = Ratio::dec(self.weight);
        let base = match &self.rule {
            Rule::Linear { cap } => weight.checked_mul(checked(r.checked_min(Ratio::dec(*cap)))?),
            Rule::Bands(bands) => {
                let share = band_share(bands, r)?;
                weight.checked_mul(Ratio::dec(share))
            }
        };
        let base = checked(checked(base)?.to_micro())?;
        let over = checked(r.checked_sub(Ratio::int(1)))?;
        let bonus = step_points(self.bonus, over)?;
        let under = checked(inputs.expected.checked_sub(r))?;
        let deduction = step_points(self.deduction, under)?;
        let score = checked(
            base.checked_add(bonus)
                .and_then(|s| s.checked_sub(deduction)),
        )?
        .max(0);
        Ok(ItemScore {
            completion: r,
            base,
            bonus,
            deduction,
            score,
        })
    }
}

/// The share of the highest band reached; 0 below all.
fn band_share(bands: &[Band], r: Ratio) -> Result<Dec4, Overflow> {
    for band in bands {
        if checked(r.checked_cmp(Ratio::dec(band.at_least)))? != Ordering::Less {
            return Ok(band.share);
        }
    }
    Ok(Dec4::ZERO)
}

/// `min(gap × 100 × points_per_percent, max_points)` for a positive gap, else 0.
fn step_points(step: Option<Step>, gap: Ratio) -> Result<i64, Overflow> {
    let Some(step) = step else { return Ok(0) };
    if !gap.is_positive() {
        return Ok(0);
    }
    let raw = checked(
        gap.checked_mul(Ratio::int(100))
            .and_then(|g| g.checked_mul(Ratio::dec(step.points_per_percent))),
    )?;
    let capped = checked(raw.checked_min(Ratio::dec(step.max_points)))?;
    checked(capped.to_micro())
}

/// Competition ranks (1, 2, 2, 4) by total, highest first.
pub fn ranks(totals: &[i64]) -> Vec<u32> {
    totals
        .iter()
        .map(|total| {
            let better = totals.iter().filter(|other| *other > total).count();
            u32::try_from(better).unwrap_or(u32::MAX).saturating_add(1)
        })
        .collect()
}

/// The sum of millionths, or `Overflow`.
pub fn sum_micro(parts: impl IntoIterator<Item = i64>) -> Result<i64, Overflow> {
    parts
        .into_iter()
        .try_fold(0i64, i64::checked_add)
        .ok_or(Overflow)
}

/// A four-place decimal of points in millionths.
pub fn points_micro(points: Dec4) -> Result<i64, Overflow> {
    checked(dec_to_micro(points))
}

/// The weights add up to exactly 100.
pub fn weights_total(items: &[Item]) -> Option<Dec4> {
    items
        .iter()
        .try_fold(Dec4::ZERO, |sum, item| sum.checked_add(item.weight))
}

/// Today's single-indicator formula, `min(rate, 1.2) × 100`, as a scheme.
pub fn capped_linear(indicator: &str) -> Scheme {
    Scheme {
        items: vec![Item {
            indicator: indicator.to_owned(),
            weight: Dec4::whole(100),
            rule: Rule::Linear {
                cap: Dec4::from_units(12_000),
            },
            bonus: None,
            deduction: None,
        }],
        max_bonus: Dec4::ZERO,
        max_penalty: Dec4::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::exact::MICRO;

    fn d(units: i64) -> Dec4 {
        Dec4::from_units(units)
    }

    fn inputs(achieved: i64, target: i64) -> Inputs {
        Inputs {
            achieved,
            target,
            expected: Ratio::int(1),
        }
    }

    #[test]
    fn the_seeded_scheme_is_the_old_formula() {
        let item = &capped_linear("new_hte").items[0];
        assert_eq!(item.score(&inputs(15, 10)).unwrap().score, 120 * MICRO);
        assert_eq!(item.score(&inputs(8, 10)).unwrap().score, 80 * MICRO);
        assert_eq!(item.score(&inputs(1, 3)).unwrap().score, 33_333_333);
        assert_eq!(item.score(&inputs(5, 0)).unwrap().score, 100 * MICRO);
    }

    /// The hand-worked example (also run over HTTP in the cross-service tests):
    /// A: 60 points, linear to 1.2, +0.5 per point above 100 % up to 5;
    /// B: 40 points, bands ≥1 → 100 %, ≥0.8 → 60 %, −0.2 per point below 时序进度 up to 3.
    #[test]
    fn a_two_indicator_scheme_scored_by_hand() {
        let a = Item {
            indicator: "a".into(),
            weight: Dec4::whole(60),
            rule: Rule::Linear { cap: d(12_000) },
            bonus: Some(Step {
                points_per_percent: d(5_000),
                max_points: Dec4::whole(5),
            }),
            deduction: None,
        };
        let b = Item {
            indicator: "b".into(),
            weight: Dec4::whole(40),
            rule: Rule::Bands(vec![
                Band {
                    at_least: Dec4::whole(1),
                    share: Dec4::whole(1),
                },
                Band {
                    at_least: d(8_000),
                    share: d(6_000),
                },
            ]),
            bonus: None,
            deduction: Some(Step {
                points_per_percent: d(2_000),
                max_points: Dec4::whole(3),
            }),
        };
        // Suzhou: A 12 of 10 (r 1.2): base 72, bonus min(20 × 0.5, 5) = 5 → 77.
        let s = a.score(&inputs(12, 10)).unwrap();
        assert_eq!(
            (s.base, s.bonus, s.score),
            (72 * MICRO, 5 * MICRO, 77 * MICRO)
        );
        // Suzhou: B 9 of 10 (r 0.9): band 60 % → 24; 10 points below 时序进度 1 → −2 → 22.
        let s = b.score(&inputs(9, 10)).unwrap();
        assert_eq!(
            (s.base, s.deduction, s.score),
            (24 * MICRO, 2 * MICRO, 22 * MICRO)
        );
        // Nanjing: A 9 of 8 (r 1.125): base 67.5, bonus 12.5 × 0.5 = 6.25 → 5 → 72.5.
        assert_eq!(a.score(&inputs(9, 8)).unwrap().score, 72_500_000);
        // Nanjing: B 3 of 5 (r 0.6): no band → 0; deduction min(40 × 0.2, 3) = 3 → 0.
        let s = b.score(&inputs(3, 5)).unwrap();
        assert_eq!((s.base, s.deduction, s.score), (0, 3 * MICRO, 0));
    }

    #[test]
    fn ranks_share_equal_totals_and_huge_figures_do_not_panic() {
        assert_eq!(ranks(&[5, 9, 5, 1]), vec![2, 1, 2, 4]);
        let item = capped_linear("x").items[0].clone();
        let extreme = Inputs {
            achieved: i64::MAX,
            target: 1,
            expected: Ratio::new(1, 3).unwrap(),
        };
        assert_eq!(item.score(&extreme).unwrap().score, 120 * MICRO);
        let negative = Inputs {
            achieved: i64::MIN,
            ..extreme
        };
        assert_eq!(item.score(&negative), Err(Overflow), "refused, not wrapped");
        assert!(sum_micro([i64::MAX, 1]).is_err());
    }
}
