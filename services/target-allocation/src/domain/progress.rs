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

use chrono::NaiveDate;

/// Share of the window `[start, end]` elapsed on `as_of`, both ends counted, in 0–1.
pub fn elapsed_fraction(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> f64 {
    let total = (end - start).num_days() + 1;
    if total <= 0 {
        return 1.0;
    }
    let elapsed = ((as_of - start).num_days() + 1).clamp(0, total);
    round6(elapsed as f64 / total as f64)
}

/// actual ÷ target, or `None` without a positive target.
pub fn completion_rate(actual: i64, target: Option<i64>) -> Option<f64> {
    match target {
        Some(t) if t > 0 => Some(round6(actual as f64 / t as f64)),
        _ => None,
    }
}

/// Competition ranks (1, 2, 2, 4) by descending key; `None` keys get no rank.
pub fn competition_ranks(keys: &[Option<f64>]) -> Vec<Option<u32>> {
    keys.iter()
        .map(|key| {
            key.map(|k| {
                let better = keys.iter().flatten().filter(|other| **other > k).count();
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
            competition_ranks(&[Some(0.5), Some(0.9), None, Some(0.5), Some(0.1)]),
            vec![Some(2), Some(1), None, Some(2), Some(4)]
        );
    }
}
