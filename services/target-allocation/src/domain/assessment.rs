//! The year-end assessment (考核) score.
//!
//! For each city: completion rate `c = achieved ÷ target`, then
//! `score = min(c, cap) × weight`, with `cap` and `weight` stored with each assessment
//! (defaults: cap 1.2, weight 100, i.e. over-achievement counts up to 120 %). A city without
//! a positive target gets no rate, score or rank. Ranks are competition ranks by score
//! (1, 2, 2, 4); equal scores share a rank.

use crate::domain::progress::{Capped, ExactRate, completion_rate, ranks_by, round6};

pub const DEFAULT_CAP: f64 = 1.2;
pub const DEFAULT_WEIGHT: f64 = 100.0;

/// The formula's parameters (考核计分参数).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Formula {
    /// Highest completion rate that still earns points (封顶完成率), > 0.
    pub cap: f64,
    /// Points for a completion rate of 1 (分值), > 0.
    pub weight: f64,
}

impl Formula {
    pub fn new(cap: f64, weight: f64) -> Result<Self, (&'static str, String)> {
        if !(cap.is_finite() && cap > 0.0 && cap <= 10.0) {
            return Err((
                "cap",
                format!("cap must be above 0 and at most 10; got {cap}"),
            ));
        }
        if !(weight.is_finite() && weight > 0.0 && weight <= 1000.0) {
            return Err((
                "weight",
                format!("weight must be above 0 and at most 1000; got {weight}"),
            ));
        }
        Ok(Self { cap, weight })
    }

    pub fn score(&self, completion: Option<f64>) -> Option<f64> {
        completion.map(|c| round6(c.min(self.cap) * self.weight))
    }
}

/// Scores and ranks for (achieved, target) pairs. Ranks follow the exact capped rate (the
/// weight is common to all), not the score rounded for display.
pub fn score_and_rank(
    formula: &Formula,
    lines: &[(i64, Option<i64>)],
) -> Vec<(Option<f64>, Option<u32>)> {
    let scores: Vec<Option<f64>> = lines
        .iter()
        .map(|(achieved, target)| formula.score(completion_rate(*achieved, *target)))
        .collect();
    // At the cap ranks above every rate below it (those by exact rate); all at the cap tie,
    // as their scores do.
    let keys: Vec<Option<Capped>> = lines
        .iter()
        .map(|(achieved, target)| {
            ExactRate::new(*achieved, *target).map(|rate| rate.capped(formula.cap))
        })
        .collect();
    let ranks = ranks_by(&keys);
    scores.into_iter().zip(ranks).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_score_and_ranks() {
        let f = Formula::new(1.2, 100.0).unwrap();
        let rows = score_and_rank(
            &f,
            &[
                (15, Some(10)),
                (8, Some(10)),
                (3, None),
                (12, Some(10)),
                (2, Some(1924)),
                (2, Some(1923)),
            ],
        );
        assert_eq!(rows[0], (Some(120.0), Some(1)));
        assert_eq!(rows[1], (Some(80.0), Some(3)));
        assert_eq!(rows[2], (None, None));
        assert_eq!(rows[3], (Some(120.0), Some(1)));
        assert_eq!(rows[4].0, rows[5].0, "equal once rounded");
        assert_eq!((rows[4].1, rows[5].1), (Some(5), Some(4)));
        assert!(Formula::new(0.0, 1.0).is_err());
        assert!(Formula::new(1.0, -1.0).is_err());
    }
}
