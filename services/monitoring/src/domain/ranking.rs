//! Ranking among sibling regions (排名) and change over time (环比, 同比).
//!
//! Regions rank by completion rate where the indicator has targets (as the allocation
//! service ranks), otherwise by value; more is better unless the indicator is a ceiling.
//! Ranks are competition ranks (1, 2, 2, 4): equal keys, compared exactly, share a rank, so
//! the rank of a region never depends on the order siblings are listed in. Regions without
//! a key (no value, or no positive target) are not ranked.

use super::indicator::Comparator;
use super::ratio::Ratio;

/// Competition ranks of `keys`, best first: highest first when `higher_is_better`,
/// otherwise lowest first. `None` keys get no rank.
pub fn competition_ranks(keys: &[Option<Ratio>], higher_is_better: bool) -> Vec<Option<u32>> {
    keys.iter()
        .map(|key| {
            key.map(|k| {
                let better = keys
                    .iter()
                    .flatten()
                    .filter(|other| {
                        if higher_is_better {
                            **other > k
                        } else {
                            **other < k
                        }
                    })
                    .count();
                u32::try_from(better).unwrap_or(u32::MAX).saturating_add(1)
            })
        })
        .collect()
}

/// The key a region ranks by: completion where every ranked sibling has a positive target
/// (pass `use_completion`), else the value itself.
pub fn rank_key(
    value: Option<Ratio>,
    target: Option<Ratio>,
    use_completion: bool,
) -> Option<Ratio> {
    let value = value?;
    if use_completion {
        value.checked_div(target.filter(|t| *t > Ratio::ZERO)?)
    } else {
        Some(value)
    }
}

/// Ranks siblings' `(value, target)` pairs for an indicator compared by `comparator`: by
/// completion when more is better and any sibling has a positive target, else by value.
pub fn rank_siblings(
    comparator: Comparator,
    figures: &[(Option<Ratio>, Option<Ratio>)],
) -> Vec<Option<u32>> {
    let use_completion = comparator.higher_is_better()
        && figures
            .iter()
            .any(|(_, t)| t.is_some_and(|t| t > Ratio::ZERO));
    let keys: Vec<Option<Ratio>> = figures
        .iter()
        .map(|(v, t)| rank_key(*v, *t, use_completion))
        .collect();
    competition_ranks(&keys, comparator.higher_is_better() || use_completion)
}

/// A change between two values of the same indicator and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// current − earlier (for a share, in the share's own unit: 0.02 is two points).
    pub delta: Ratio,
    /// delta ÷ earlier, when the earlier value is not zero.
    pub relative: Option<Ratio>,
}

/// The change from `earlier` to `current`; `None` without an earlier value (or on
/// overflow).
pub fn change(current: Ratio, earlier: Option<Ratio>) -> Option<Change> {
    let earlier = earlier?;
    let delta = current.checked_sub(earlier)?;
    let relative = if earlier.is_zero() {
        None
    } else {
        Some(delta.checked_div(earlier)?)
    };
    Some(Change { delta, relative })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    fn i(n: i64) -> Option<Ratio> {
        Some(Ratio::integer(n))
    }

    #[test]
    fn equal_keys_share_a_rank_and_the_next_rank_is_skipped() {
        type Case = (Vec<Option<Ratio>>, bool, Vec<Option<u32>>);
        let cases: [Case; 6] = [
            (
                vec![i(5), i(9), None, i(5), i(1)],
                true,
                vec![Some(2), Some(1), None, Some(2), Some(4)],
            ),
            (
                vec![i(5), i(9), None, i(5), i(1)],
                false,
                vec![Some(2), Some(4), None, Some(2), Some(1)],
            ),
            (vec![], true, vec![]),
            (vec![None, None], true, vec![None, None]),
            (
                vec![i(3), i(3), i(3)],
                true,
                vec![Some(1), Some(1), Some(1)],
            ),
            // Exact: 2/1924 and 2/1923 round alike but are not a tie; 1/10000 = 2/20000.
            (
                vec![
                    Some(r(2, 1924)),
                    Some(r(2, 1923)),
                    Some(r(1, 10_000)),
                    Some(r(2, 20_000)),
                ],
                true,
                vec![Some(2), Some(1), Some(3), Some(3)],
            ),
        ];
        for (keys, higher, expected) in cases {
            assert_eq!(competition_ranks(&keys, higher), expected, "{keys:?}");
        }
    }

    #[test]
    fn ranks_do_not_depend_on_listing_order() {
        let keys = vec![i(4), i(7), i(4), i(2)];
        let ranks = competition_ranks(&keys, true);
        let mut reversed = keys.clone();
        reversed.reverse();
        let mut back = competition_ranks(&reversed, true);
        back.reverse();
        assert_eq!(ranks, back);
    }

    #[test]
    fn siblings_rank_by_completion_where_targets_exist() {
        // Suzhou 900 of 1,000 (90%); Nanjing 1,200 of 1,500 (80%); Wuxi 300 of no target;
        // Xuzhou no value. By completion, Suzhou leads though Nanjing has more firms.
        let figures = [
            (i(900), i(1_000)),
            (i(1_200), i(1_500)),
            (i(300), None),
            (None, i(400)),
        ];
        assert_eq!(
            rank_siblings(Comparator::AtLeast, &figures),
            vec![Some(1), Some(2), None, None]
        );
        // Without any target, by value.
        let plain = [(i(900), None), (i(1_200), None)];
        assert_eq!(
            rank_siblings(Comparator::AtLeast, &plain),
            vec![Some(2), Some(1)]
        );
        // A ceiling ranks the lowest value first.
        assert_eq!(
            rank_siblings(Comparator::AtMost, &[(i(10), i(50)), (i(5), i(50))]),
            vec![Some(2), Some(1)]
        );
        assert_eq!(
            rank_key(i(1), i(0), true),
            None,
            "a zero target gives no rate"
        );
    }

    #[test]
    fn changes_since_an_earlier_value() {
        let cases = [
            (
                Ratio::integer(1_100),
                i(1_000),
                Some((Ratio::integer(100), Some(r(1, 10)))),
            ),
            (
                Ratio::integer(900),
                i(1_000),
                Some((Ratio::integer(-100), Some(r(-1, 10)))),
            ),
            (Ratio::integer(5), i(0), Some((Ratio::integer(5), None))),
            (
                r(57, 100),
                Some(r(55, 100)),
                Some((r(1, 50), Some(r(2, 55)))),
            ),
            (Ratio::integer(5), None, None),
        ];
        for (current, earlier, expected) in cases {
            let got = change(current, earlier).map(|c| (c.delta, c.relative));
            assert_eq!(got, expected, "{current} from {earlier:?}");
        }
    }
}
