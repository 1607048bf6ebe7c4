//! Progress against a target (进度), with the allocation service's definitions:
//!
//! - expected completion by elapsed time (时序进度) = days elapsed ÷ days in the window,
//!   counting both ends, clamped to 0–1: `(as_of − start + 1) ÷ (end − start + 1)`. The
//!   window of a stock indicator runs from the plan's first day to the end of the target's
//!   year (within the plan); of an annual indicator, over the target's calendar year
//!   ([`window`]). Here it is exact; allocation rounds it to 6 places for display.
//! - completion (完成率) = value ÷ target, for indicators where more is better (`at_least`,
//!   `more_than`) and a positive target.
//! - on track (达到时序进度) when completion ≥ expected − margin, or the target is met; once
//!   the window is over, only when met. The allocation service's progress uses margin 0.
//! - gap (差距) = target − value while more is better (negative once exceeded).
//!
//! For a ceiling (`at_most`, `less_than`) elapsed time does not apply: the region is on track
//! while it stays within the ceiling, the gap is value − target (positive when over it), and
//! there is no completion rate.

use chrono::{Datelike, NaiveDate};

use super::indicator::{Aggregation, Comparator};
use super::ratio::Ratio;

/// The window `[start, end]` over which an indicator's target for `target_year` is paced.
pub fn window(
    aggregation: Aggregation,
    plan_starts_on: NaiveDate,
    plan_ends_on: NaiveDate,
    target_year: i32,
) -> (NaiveDate, NaiveDate) {
    let jan1 = NaiveDate::from_ymd_opt(target_year, 1, 1).unwrap_or(plan_starts_on);
    let dec31 = NaiveDate::from_ymd_opt(target_year, 12, 31).unwrap_or(plan_ends_on);
    match aggregation {
        Aggregation::Annual => (jan1.max(plan_starts_on), dec31.min(plan_ends_on)),
        Aggregation::Stock => (plan_starts_on, dec31.min(plan_ends_on)),
    }
}

/// The target year a date falls in, kept within the plan's years.
pub fn target_year(plan_starts_on: NaiveDate, plan_ends_on: NaiveDate, on: NaiveDate) -> i32 {
    on.year().clamp(plan_starts_on.year(), plan_ends_on.year())
}

/// Share of `[start, end]` elapsed on `as_of`, both ends counted, clamped to 0–1; a window
/// that ends before it starts counts as elapsed.
pub fn elapsed_share(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> Ratio {
    let total = (end - start).num_days() + 1;
    if total <= 0 {
        return Ratio::ONE;
    }
    let elapsed = ((as_of - start).num_days() + 1).clamp(0, total);
    Ratio::new(i128::from(elapsed), i128::from(total)).unwrap_or(Ratio::ONE)
}

/// Where a value stands against its target on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// value ÷ target; only where more is better and the target is positive.
    pub completion: Option<Ratio>,
    /// Whether the target is met now.
    pub met: bool,
    /// What is left to do: target − value where more is better, value − target for a
    /// ceiling; negative or zero once done.
    pub gap: Ratio,
    /// Completion ≥ expected − margin (or met); for a ceiling, within it.
    pub on_track: bool,
    /// How far completion lags the expected share (expected − completion), when it does.
    pub behind_by: Option<Ratio>,
}

/// The standing of `value` against `target` when `expected` of the window has elapsed, with
/// a tolerance of `margin` (both shares 0–1). `None` only on arithmetic overflow.
pub fn standing(
    comparator: Comparator,
    value: Ratio,
    target: Ratio,
    expected: Ratio,
    margin: Ratio,
) -> Option<Standing> {
    let met = comparator.met(value, target);
    if !comparator.higher_is_better() {
        return Some(Standing {
            completion: None,
            met,
            gap: value.checked_sub(target)?,
            on_track: met,
            behind_by: None,
        });
    }
    let completion = if target > Ratio::ZERO {
        Some(value.checked_div(target)?)
    } else {
        None
    };
    let behind_by = match completion {
        Some(c) if c < expected && !met => Some(expected.checked_sub(c)?),
        _ => None,
    };
    Some(Standing {
        completion,
        met,
        gap: target.checked_sub(value)?,
        // Once the window is over only meeting the target is on track.
        on_track: met || (expected < Ratio::ONE && behind_by.is_none_or(|b| b <= margin)),
        behind_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn r(n: i128, den: i128) -> Ratio {
        Ratio::new(n, den).unwrap()
    }

    #[test]
    fn elapsed_share_counts_both_ends_and_clamps() {
        let (start, end) = (d("2019-01-01"), d("2020-12-31"));
        let cases = [
            ("2018-06-01", r(0, 1)),
            ("2018-12-31", r(0, 1)),
            ("2019-01-01", r(1, 731)),
            ("2019-12-31", r(365, 731)),
            ("2020-12-31", r(1, 1)),
            ("2021-06-01", r(1, 1)),
        ];
        for (as_of, expected) in cases {
            assert_eq!(elapsed_share(start, end, d(as_of)), expected, "{as_of}");
        }
        // 2020 is a leap year: 183 of 366 days by 1 July, exactly one half.
        assert_eq!(
            elapsed_share(d("2020-01-01"), d("2020-12-31"), d("2020-07-01")),
            r(1, 2)
        );
        assert_eq!(
            elapsed_share(d("2020-01-02"), d("2020-01-01"), d("2019-01-01")),
            Ratio::ONE
        );
    }

    #[test]
    fn windows_follow_the_aggregation_within_the_plan() {
        let (starts, ends) = (d("2019-01-01"), d("2020-12-31"));
        let cases = [
            (Aggregation::Stock, 2020, "2019-01-01", "2020-12-31"),
            (Aggregation::Stock, 2019, "2019-01-01", "2019-12-31"),
            (Aggregation::Annual, 2020, "2020-01-01", "2020-12-31"),
            (Aggregation::Annual, 2019, "2019-01-01", "2019-12-31"),
        ];
        for (aggregation, year, from, to) in cases {
            assert_eq!(
                window(aggregation, starts, ends, year),
                (d(from), d(to)),
                "{aggregation:?} {year}"
            );
        }
        // A plan starting mid-year paces its first year from its first day.
        let mid = d("2021-07-01");
        assert_eq!(
            window(Aggregation::Annual, mid, d("2025-12-31"), 2021),
            (mid, d("2021-12-31"))
        );
        assert_eq!(target_year(starts, ends, d("2018-05-01")), 2019);
        assert_eq!(target_year(starts, ends, d("2020-05-01")), 2020);
        assert_eq!(target_year(starts, ends, d("2022-05-01")), 2020);
    }

    /// `"a/b"` or `"n"`.
    fn q(text: &str) -> Ratio {
        match text.split_once('/') {
            Some((n, d)) => r(n.parse().unwrap(), d.parse().unwrap()),
            None => Ratio::integer(text.parse().unwrap()),
        }
    }

    /// A standing in one line: completion, met, gap, on track, behind by.
    fn summary(s: &Standing) -> String {
        let show = |x: Option<Ratio>| x.map_or("-".to_owned(), |x| x.to_string());
        format!(
            "{} {} gap {} {} behind {}",
            show(s.completion),
            if s.met { "met" } else { "unmet" },
            s.gap,
            if s.on_track { "on-track" } else { "off-track" },
            show(s.behind_by)
        )
    }

    #[test]
    fn standing_against_targets() {
        let margin = q("5/100");
        for (comparator, value, target, expected, want) in standing_cases() {
            let got = standing(comparator, q(value), q(target), q(expected), margin).unwrap();
            assert_eq!(
                summary(&got),
                want,
                "{comparator:?} {value} of {target} at {expected}"
            );
        }
        // With margin 0 (the allocation service's rule) 45% at half time is behind.
        let strict = standing(
            Comparator::AtLeast,
            q("13500"),
            q("30000"),
            q("1/2"),
            Ratio::ZERO,
        )
        .unwrap();
        assert!(!strict.on_track);
    }

    /// (comparator, value, target, expected completion, the standing's summary) at a
    /// margin of 5%.
    fn standing_cases() -> Vec<(
        Comparator,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )> {
        use Comparator::*;
        vec![
            // 15,000 of 30,000 at half time: exactly on pace.
            (
                AtLeast,
                "15000",
                "30000",
                "1/2",
                "1/2 unmet gap 15000 on-track behind -",
            ),
            // 45% at half time: behind by exactly the margin, still on track.
            (
                AtLeast,
                "13500",
                "30000",
                "1/2",
                "9/20 unmet gap 16500 on-track behind 1/20",
            ),
            // One firm fewer is behind by more than the margin.
            (
                AtLeast,
                "13499",
                "30000",
                "1/2",
                "13499/30000 unmet gap 16501 off-track behind 1501/30000",
            ),
            // Exceeded: negative gap.
            (
                AtLeast,
                "31000",
                "30000",
                "1",
                "31/30 met gap -1000 on-track behind -",
            ),
            // A share target met exactly.
            (
                AtLeast,
                "3/5",
                "3/5",
                "1/2",
                "1 met gap 0 on-track behind -",
            ),
            // "More than 50%": exactly 50% is not met; once the window is over that is not on
            // track, though complete in proportion.
            (
                MoreThan,
                "1/2",
                "1/2",
                "1",
                "1 unmet gap 0 off-track behind -",
            ),
            (
                MoreThan,
                "1/2",
                "1/2",
                "9/10",
                "1 unmet gap 0 on-track behind -",
            ),
            // The window is over and the target missed: off track whatever the margin.
            (
                AtLeast,
                "29999",
                "30000",
                "1",
                "29999/30000 unmet gap 1 off-track behind 1/30000",
            ),
            // A zero target gives no completion rate; it is met at once.
            (AtLeast, "0", "0", "1/2", "- met gap 0 on-track behind -"),
            // Ceilings: within is on track whatever the date; over or at a strict one is not.
            (
                AtMost,
                "90",
                "100",
                "1/2",
                "- met gap -10 on-track behind -",
            ),
            (
                AtMost,
                "101",
                "100",
                "0",
                "- unmet gap 1 off-track behind -",
            ),
            (
                LessThan,
                "100",
                "100",
                "1/2",
                "- unmet gap 0 off-track behind -",
            ),
        ]
    }
}
