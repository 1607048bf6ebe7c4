//! Progress (进度) arithmetic.
//!
//! - completion rate (完成率) = actual ÷ target; absent when the target is absent or 0.
//! - expected completion by elapsed time (时序进度) = days elapsed ÷ days in the window,
//!   counting both ends, clamped to 0–1: `(as_of − start + 1) ÷ (end − start + 1)`. The
//!   window is, for a stock indicator (e.g. valid HTEs), from the plan's first day to the
//!   end of the target's period year (capped at the plan's last day); for an annual
//!   indicator (e.g. new HTEs in the year), the target's calendar year.
//! - rank (排名) among siblings: by completion rate, highest first; equal rates share a rank
//!   (1, 2, 2, 4); regions without a rate are not ranked.

use chrono::{Datelike, NaiveDate};

use crate::domain::exact::Ratio;
use crate::domain::plan::{Aggregation, Measure};

/// The dates whose registry figures give `measure`'s actual value on `as_of` for the target
/// period `period_year`: for new certificates, those issued in the period's year up to
/// `as_of`; for the other measures (levels on `as_of`), `as_of`'s year up to `as_of`.
pub fn actual_window(
    measure: Measure,
    period_year: i32,
    as_of: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let jan1 = NaiveDate::from_ymd_opt(period_year, 1, 1).unwrap_or(as_of);
    let dec31 = NaiveDate::from_ymd_opt(period_year, 12, 31).unwrap_or(as_of);
    if measure == Measure::NewCertificates {
        (jan1, as_of.min(dec31).max(jan1))
    } else {
        let year_start = NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of);
        (year_start, as_of)
    }
}

/// The window against which elapsed time is measured (see the module docs) for a plan
/// running `starts_on..=ends_on`.
pub fn expected_window(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    aggregation: Aggregation,
    period_year: i32,
) -> (NaiveDate, NaiveDate) {
    let jan1 = NaiveDate::from_ymd_opt(period_year, 1, 1).unwrap_or(starts_on);
    let dec31 = NaiveDate::from_ymd_opt(period_year, 12, 31).unwrap_or(ends_on);
    match aggregation {
        Aggregation::Annual => (jan1.max(starts_on), dec31.min(ends_on)),
        Aggregation::Stock => (starts_on, dec31.min(ends_on)),
    }
}

/// Share of the window `[start, end]` elapsed on `as_of`, both ends counted, in 0–1.
pub fn elapsed_fraction(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> f64 {
    let (elapsed, total) = elapsed_days(start, end, as_of);
    round6(elapsed as f64 / total as f64)
}

/// The same share, exactly.
pub fn elapsed_ratio(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> Ratio {
    let (elapsed, total) = elapsed_days(start, end, as_of);
    Ratio::new(i128::from(elapsed), i128::from(total)).unwrap_or(Ratio::int(1))
}

/// (days elapsed, days in the window), both ends counted; an empty window counts as over.
fn elapsed_days(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> (i64, i64) {
    let total = (end - start).num_days() + 1;
    if total <= 0 {
        return (1, 1);
    }
    (((as_of - start).num_days() + 1).clamp(0, total), total)
}

/// actual ÷ target, or `None` without a positive target.
pub fn completion_rate(actual: i64, target: Option<i64>) -> Option<f64> {
    match target {
        Some(t) if t > 0 => Some(round6(actual as f64 / t as f64)),
        _ => None,
    }
}

/// A completion rate as the exact fraction achieved ÷ target, so ranks compare what was
/// achieved, not rates rounded for display (2/1924 and 2/1923 are not a tie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactRate {
    achieved: i64,
    target: i64,
}

impl ExactRate {
    /// `None` without a positive target.
    pub fn new(achieved: i64, target: Option<i64>) -> Option<Self> {
        target
            .filter(|t| *t > 0)
            .map(|target| Self { achieved, target })
    }
}

impl PartialOrd for ExactRate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ExactRate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // a/b against c/d with b, d > 0: a·d against c·b, exactly in i128.
        (i128::from(self.achieved) * i128::from(other.target))
            .cmp(&(i128::from(other.achieved) * i128::from(self.target)))
    }
}

/// Competition ranks (1, 2, 2, 4) by descending key; `None` keys get no rank.
pub fn ranks_by<K: PartialOrd>(keys: &[Option<K>]) -> Vec<Option<u32>> {
    keys.iter()
        .map(|key| {
            key.as_ref().map(|k| {
                let better = keys.iter().flatten().filter(|other| *other > k).count();
                u32::try_from(better).unwrap_or(u32::MAX).saturating_add(1)
            })
        })
        .collect()
}

/// Rounds to 6 decimals, enough for a rate shown as a percentage with 4 decimals.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_compare_exact_rates_not_rounded_ones() {
        let rates = [
            ExactRate::new(2, Some(1924)),
            ExactRate::new(2, Some(1923)),
            ExactRate::new(1, Some(10_000)),
            ExactRate::new(2, Some(20_000)),
            ExactRate::new(5, Some(0)),
        ];
        assert_eq!(
            completion_rate(2, Some(1924)),
            completion_rate(2, Some(1923)),
            "equal once rounded"
        );
        assert_eq!(
            ranks_by(&rates),
            [Some(2), Some(1), Some(3), Some(3), None],
            "1/10000 and 2/20000 are one rate"
        );
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn elapsed_counts_both_ends_and_clamps() {
        assert_eq!(
            elapsed_fraction(d("2019-01-01"), d("2020-12-31"), d("2018-06-01")),
            0.0
        );
        assert_eq!(
            elapsed_fraction(d("2019-01-01"), d("2020-12-31"), d("2021-06-01")),
            1.0
        );
        assert_eq!(
            elapsed_fraction(d("2020-01-01"), d("2020-12-31"), d("2020-12-31")),
            1.0
        );
        // 2020 is a leap year: 183 of 366 days by 1 July.
        assert_eq!(
            elapsed_fraction(d("2020-01-01"), d("2020-12-31"), d("2020-07-01")),
            0.5
        );
    }

    #[test]
    fn rates_and_ranks() {
        assert_eq!(completion_rate(3, Some(4)), Some(0.75));
        assert_eq!(completion_rate(3, Some(0)), None);
        assert_eq!(completion_rate(3, None), None);
        assert_eq!(
            ranks_by(&[Some(0.5), Some(0.9), None, Some(0.5), Some(0.1)]),
            vec![Some(2), Some(1), None, Some(2), Some(4)]
        );
    }
}
