//! Splitting a parent target among child regions: the province's target among
//! its 13 cities, or a city's target among its counties.
//!
//! Targets are whole enterprises, so a split must produce integers that add up
//! to the parent exactly; a proportional split has to round, and this module
//! fixes one rounding rule so that every caller gets the same answer.
//!
//! # Methods
//!
//! - **Manual**: a person types one share per child; they are checked, not
//!   changed.
//! - **Proportional**: Hamilton's largest-remainder method. Child *i*'s exact
//!   quota is `parent × wᵢ / Σw`. Each child first gets the whole part of its
//!   quota; the units still left over (fewer than the number of children) go
//!   one each to the children with the largest fractional parts.
//! - **Proportional with minimums**: every child gets at least its minimum and
//!   the rest is split proportionally. Children whose quota falls below their
//!   minimum are held at the minimum and taken out; the remaining target is
//!   re-split among the others, repeating until no quota is below its
//!   minimum; then the largest-remainder rule rounds that final split.
//!
//! # Tie-break
//!
//! Among children whose fractional remainders are exactly equal (compared as
//! exact fractions, never as floating point), the child with the **larger
//! weight** gets the extra unit first, then the child with the **lower index**.
//! Callers list children in region-code order, so "lower index" means "lower
//! region code". Example: 10 split equally three ways is 4, 3, 3.
//!
//! # Guarantees
//!
//! For every successful result:
//!
//! 1. The shares add up to the parent target exactly, and none is negative.
//! 2. Proportional: each share differs from its exact quota by less than 1
//!    (it is the quota rounded down or up).
//! 3. With minimums: each share is at least its minimum. A child is held at
//!    its minimum only when its quota is below that minimum; every other child
//!    differs by less than 1 from its exact quota in the final round,
//!    `(parent − Σ minimums of held children) × wᵢ / Σ weights of the others`.
//!    So a share never differs from its quota by 1 or more unless a minimum
//!    forces it.
//! 4. The result depends only on the inputs and their order; children with the
//!    same weight and minimum get the same share, give or take the one unit
//!    that the tie-break hands to the lower index.
//! 5. The arithmetic is exact: for any weights that fit in `u64` and any
//!    parent that fits in `i64`, nothing is rounded through floating point and
//!    nothing overflows (128-bit integers are used inside).
//!
//! # Known quirk
//!
//! Largest remainder can show the "Alabama paradox": raising the parent can
//! lower a child's share. Weights 6, 6, 2 give 4, 4, 2 out of 10 but 5, 5, 1
//! out of 11. Each year's target is split on its own, so this is accepted in
//! exchange for guarantee 2, which divisor methods cannot give.

use std::cmp::Reverse;
use std::fmt;

use hte_shared::i18n::Text;
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A child's non-negative weight: a baseline such as its current count of
/// High and New Technology Enterprises, or a figure a planner chooses.
/// Unsigned, so a negative weight cannot be expressed at all.
pub type Weight = u64;

/// How to split the parent target. Each vector has one entry per child, in
/// the caller's child order (region-code order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// Shares typed by a person; they must be non-negative and add up to the
    /// parent.
    Manual { shares: Vec<i64> },
    /// Largest-remainder split in proportion to the weights.
    Proportional { weights: Vec<Weight> },
    /// As `Proportional`, but no child gets less than its minimum.
    ProportionalWithMinimums {
        weights: Vec<Weight>,
        minimums: Vec<i64>,
    },
}

/// A split with what the API shows beside it, so a planner can see how each
/// share was rounded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Allocation {
    /// One share per child, adding up to the parent target.
    pub shares: Vec<i64>,
    /// The exact quota each share was rounded from, as a decimal for display
    /// (the exact value is a fraction). For a child held at its minimum, its
    /// quota in the round it was held, which is below the minimum. For a
    /// manual split, the share itself.
    pub quotas: Vec<f64>,
    /// Whether the child was held at its minimum because its quota fell below
    /// it. Always false except for `ProportionalWithMinimums`.
    pub forced_to_minimum: Vec<bool>,
}

/// Why a split could not be made. Each is a fault in the request, so a
/// handler reports it as a 400 problem; `child()` names the child at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApportionError {
    /// The parent target is negative.
    NegativeParent { parent: i64 },
    /// A list does not have one entry per child.
    LengthMismatch {
        field: &'static str,
        children: usize,
        len: usize,
    },
    /// A share or minimum is negative.
    NegativeValue {
        field: &'static str,
        child: usize,
        value: i64,
    },
    /// Manual shares do not add up to the parent; `difference` is
    /// `sum − parent` (positive: too many units handed out).
    ManualSumMismatch {
        parent: i64,
        sum: i128,
        difference: i128,
    },
    /// Units remain to be split but every child that could take them has
    /// weight zero, so there is no basis for a proportional split. Splitting
    /// equally instead would silently invent a policy.
    ZeroWeights { remaining: i64 },
    /// The minimums alone add up to more than the parent.
    MinimumsExceedParent { minimums: u128, parent: i64 },
    /// There are no children, yet the parent target is positive.
    NoChildren { parent: i64 },
    /// An intermediate result did not fit in 128 bits. Cannot happen with
    /// fewer than 2⁶⁴ children; it exists so arithmetic is checked rather
    /// than wrapping.
    Overflow,
}

impl ApportionError {
    /// The index of the child the error is about, if it is about one child.
    #[must_use]
    pub fn child(&self) -> Option<usize> {
        match self {
            Self::NegativeValue { child, .. } => Some(*child),
            _ => None,
        }
    }
}

impl ApportionError {
    /// The message in English and Chinese; in Chinese, child `i` is `第 i 个下级地区` (see
    /// [`Self::zh_child`]; callers may name the region instead).
    pub fn text(&self) -> Text {
        match self {
            Self::NegativeParent { parent } => text!(
                "the parent target must not be negative, got {parent}",
                "上级目标不得为负数，现为 {parent}"
            ),
            Self::LengthMismatch {
                field,
                children,
                len,
            } => text!(
                "{field} has {len} entries but there are {children} children; give exactly one per child",
                "{field} 有 {len} 项，而下级地区有 {children} 个；须每个下级地区恰好一项"
            ),
            Self::NegativeValue {
                field,
                child,
                value,
            } => Text::new(
                format!("{field} for child {child} is {value}; it must not be negative"),
                format!(
                    "{} 的 {field} 为 {value}，不得为负数",
                    Self::zh_child(*child)
                ),
            ),
            Self::ManualSumMismatch {
                parent,
                sum,
                difference,
            } => {
                let amount = difference.unsigned_abs();
                let (word, word_zh) = if *difference > 0 {
                    ("more", "多")
                } else {
                    ("fewer", "少")
                };
                text!(
                    "manual shares add up to {sum}, which is {amount} {word} than the parent target {parent}",
                    "手工分配的份额合计为 {sum}，比上级目标 {parent} {word_zh} {amount}"
                )
            }
            Self::ZeroWeights { remaining } => text!(
                "all weights are zero, so {remaining} units have no basis for a proportional split; give at least one child a positive weight",
                "所有权重均为零，剩余的 {remaining} 个单位无法按比例分配；请至少给一个下级地区设置正的权重"
            ),
            Self::MinimumsExceedParent { minimums, parent } => text!(
                "the minimums add up to {minimums}, more than the parent target {parent}",
                "最低值合计为 {minimums}，超过上级目标 {parent}"
            ),
            Self::NoChildren { parent } => text!(
                "there are no children to receive the parent target {parent}",
                "没有可承接上级目标 {parent} 的下级地区"
            ),
            Self::Overflow => Text::fixed(
                "the split overflowed 128-bit arithmetic",
                "分解计算超出 128 位整数范围",
            ),
        }
    }

    /// The message in Chinese (see [`Self::text`]).
    pub fn zh(&self) -> String {
        self.text().zh().to_owned()
    }

    /// How [`Self::zh`] names child `i`.
    pub fn zh_child(child: usize) -> String {
        format!("第 {child} 个下级地区")
    }
}

impl fmt::Display for ApportionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().en())
    }
}

impl std::error::Error for ApportionError {}

/// Splits `parent` among `children` children. The result has one share per
/// child, in the same order, adding up to `parent` exactly.
///
/// # Errors
///
/// An [`ApportionError`] when the request cannot be met: a negative parent
/// or entry, a list without one entry per child, manual shares that do not
/// add up, minimums above the parent, or units left with no weight to split
/// them by.
pub fn apportion(
    parent: i64,
    children: usize,
    method: &Method,
) -> Result<Vec<i64>, ApportionError> {
    apportion_detailed(parent, children, method).map(|allocation| allocation.shares)
}

/// As [`apportion`], also returning each child's exact quota and whether a
/// minimum forced its share.
///
/// # Errors
///
/// As for [`apportion`].
pub fn apportion_detailed(
    parent: i64,
    children: usize,
    method: &Method,
) -> Result<Allocation, ApportionError> {
    if parent < 0 {
        return Err(ApportionError::NegativeParent { parent });
    }
    match method {
        Method::Manual { shares } => {
            check_len("shares", children, shares.len())?;
            let units = non_negative("shares", shares)?;
            check_has_children(parent, children)?;
            manual(parent, shares, &units)
        }
        Method::Proportional { weights } => {
            check_len("weights", children, weights.len())?;
            check_has_children(parent, children)?;
            proportional(parent, weights, &vec![0; children])
        }
        Method::ProportionalWithMinimums { weights, minimums } => {
            check_len("weights", children, weights.len())?;
            check_len("minimums", children, minimums.len())?;
            let minimums = non_negative("minimums", minimums)?;
            check_has_children(parent, children)?;
            proportional(parent, weights, &minimums)
        }
    }
}

fn check_len(field: &'static str, children: usize, len: usize) -> Result<(), ApportionError> {
    if len == children {
        Ok(())
    } else {
        Err(ApportionError::LengthMismatch {
            field,
            children,
            len,
        })
    }
}

fn check_has_children(parent: i64, children: usize) -> Result<(), ApportionError> {
    if children == 0 && parent > 0 {
        Err(ApportionError::NoChildren { parent })
    } else {
        Ok(())
    }
}

/// Converts to unsigned, naming the first negative entry.
fn non_negative(field: &'static str, values: &[i64]) -> Result<Vec<u128>, ApportionError> {
    values
        .iter()
        .enumerate()
        .map(|(child, &value)| {
            u128::try_from(value).map_err(|_| ApportionError::NegativeValue {
                field,
                child,
                value,
            })
        })
        .collect()
}

fn checked_sum(values: impl IntoIterator<Item = u128>) -> Result<u128, ApportionError> {
    values
        .into_iter()
        .try_fold(0u128, u128::checked_add)
        .ok_or(ApportionError::Overflow)
}

fn to_i64(value: u128) -> Result<i64, ApportionError> {
    i64::try_from(value).map_err(|_| ApportionError::Overflow)
}

fn manual(parent: i64, shares: &[i64], units: &[u128]) -> Result<Allocation, ApportionError> {
    let sum = i128::try_from(checked_sum(units.iter().copied())?)
        .map_err(|_| ApportionError::Overflow)?;
    let parent_wide = i128::from(parent);
    if sum != parent_wide {
        return Err(ApportionError::ManualSumMismatch {
            parent,
            sum,
            difference: sum - parent_wide,
        });
    }
    Ok(Allocation {
        shares: shares.to_vec(),
        quotas: shares.iter().map(|&share| share as f64).collect(),
        forced_to_minimum: vec![false; shares.len()],
    })
}

/// The exact quota `total × weight / weight_sum` as whole part plus
/// `remainder / weight_sum`. `total < 2⁶³` and `weight < 2⁶⁴`, so the
/// product fits in 128 bits.
#[derive(Debug, Clone, Copy)]
struct Quota {
    whole: u128,
    remainder: u128,
    denominator: u128,
}

impl Quota {
    fn new(total: u128, weight: Weight, weight_sum: u128) -> Result<Self, ApportionError> {
        let numerator = total
            .checked_mul(u128::from(weight))
            .ok_or(ApportionError::Overflow)?;
        Ok(Self {
            whole: numerator / weight_sum,
            remainder: numerator % weight_sum,
            denominator: weight_sum,
        })
    }

    fn to_f64(self) -> f64 {
        self.whole as f64 + self.remainder as f64 / self.denominator as f64
    }
}

/// Largest remainder with minimums; plain proportional passes all-zero
/// minimums, which never bind.
fn proportional(
    parent: i64,
    weights: &[Weight],
    minimums: &[u128],
) -> Result<Allocation, ApportionError> {
    let children = weights.len();
    let parent_units =
        u128::try_from(parent).map_err(|_| ApportionError::NegativeParent { parent })?;
    let minimum_sum = checked_sum(minimums.iter().copied())?;
    if minimum_sum > parent_units {
        return Err(ApportionError::MinimumsExceedParent {
            minimums: minimum_sum,
            parent,
        });
    }
    let Held {
        forced,
        mut quotas,
        remaining,
        free_weight,
    } = hold_below_minimums(parent_units, weights, minimums)?;
    let mut shares = vec![0i64; children];
    for child in 0..children {
        if forced[child] {
            shares[child] = to_i64(minimums[child])?;
        }
    }
    if free_weight == 0 {
        if remaining > 0 {
            return Err(ApportionError::ZeroWeights {
                remaining: to_i64(remaining)?,
            });
        }
        // Nothing left to split and no weights: the others get zero.
    } else {
        let free = Free {
            remaining,
            free_weight,
            weights,
            forced: &forced,
        };
        free.round(&mut shares, &mut quotas)?;
    }
    Ok(Allocation {
        shares,
        quotas,
        forced_to_minimum: forced,
    })
}

/// Children held at their minimum (with the quota that fell below it), and the units and
/// weight left for the others.
struct Held {
    forced: Vec<bool>,
    quotas: Vec<f64>,
    remaining: u128,
    free_weight: u128,
}

/// Holds every child whose quota is below its minimum, all at once, then re-splits what is
/// left among the rest. Holding children lowers the remaining units per unit of weight
/// (their quotas were below what they take), so the held set only grows: at most
/// `children` rounds. `whole < minimum` is the same test as `quota < minimum` because the
/// minimum is an integer, and it needs no multiplication that could overflow.
fn hold_below_minimums(
    parent_units: u128,
    weights: &[Weight],
    minimums: &[u128],
) -> Result<Held, ApportionError> {
    let children = weights.len();
    let mut forced = vec![false; children];
    let mut quotas = vec![0.0; children];
    loop {
        let held = checked_sum(
            minimums
                .iter()
                .zip(&forced)
                .filter(|(_, is_forced)| **is_forced)
                .map(|(minimum, _)| *minimum),
        )?;
        let remaining = parent_units
            .checked_sub(held)
            .ok_or(ApportionError::Overflow)?;
        let free_weight = checked_sum(
            weights
                .iter()
                .zip(&forced)
                .filter(|(_, is_forced)| !**is_forced)
                .map(|(weight, _)| u128::from(*weight)),
        )?;

        let mut changed = false;
        for child in 0..children {
            if forced[child] {
                continue;
            }
            let (below, quota) = if free_weight == 0 {
                // No weight left to split by: any positive minimum binds.
                (minimums[child] > 0, 0.0)
            } else {
                let quota = Quota::new(remaining, weights[child], free_weight)?;
                (quota.whole < minimums[child], quota.to_f64())
            };
            if below {
                forced[child] = true;
                quotas[child] = quota;
                changed = true;
            }
        }
        if !changed {
            return Ok(Held {
                forced,
                quotas,
                remaining,
                free_weight,
            });
        }
    }
}

/// The units and weight left to the children not held at a minimum.
struct Free<'a> {
    remaining: u128,
    /// Above zero.
    free_weight: u128,
    weights: &'a [Weight],
    forced: &'a [bool],
}

impl Free<'_> {
    /// Each free child gets the whole part of its quota; the units still left go one each to
    /// the largest fractional parts.
    fn round(&self, shares: &mut [i64], quotas: &mut [f64]) -> Result<(), ApportionError> {
        let children = self.weights.len();
        let mut free: Vec<(usize, Quota)> = Vec::with_capacity(children);
        for child in (0..children).filter(|&child| !self.forced[child]) {
            let quota = Quota::new(self.remaining, self.weights[child], self.free_weight)?;
            quotas[child] = quota.to_f64();
            shares[child] = to_i64(quota.whole)?;
            free.push((child, quota));
        }
        let whole_sum = checked_sum(free.iter().map(|(_, quota)| quota.whole))?;
        // The fractional parts add up to this, and each is below 1, so it is
        // smaller than the number of children with a non-zero fractional part.
        let leftover = self
            .remaining
            .checked_sub(whole_sum)
            .ok_or(ApportionError::Overflow)?;

        // All free quotas share one denominator, so remainders compare exactly
        // as integers. Ties: larger weight, then lower index (region code).
        let weights = self.weights;
        free.sort_by_key(|&(child, quota)| {
            (Reverse(quota.remainder), Reverse(weights[child]), child)
        });
        for &(child, _) in free
            .iter()
            .take(usize::try_from(leftover).map_err(|_| ApportionError::Overflow)?)
        {
            shares[child] += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proportional(weights: &[Weight]) -> Method {
        Method::Proportional {
            weights: weights.to_vec(),
        }
    }

    fn with_minimums(weights: &[Weight], minimums: &[i64]) -> Method {
        Method::ProportionalWithMinimums {
            weights: weights.to_vec(),
            minimums: minimums.to_vec(),
        }
    }

    fn manual(shares: &[i64]) -> Method {
        Method::Manual {
            shares: shares.to_vec(),
        }
    }

    /// Illustrative baselines for the 13 cities of Jiangsu in region-code
    /// order (320100 Nanjing … 321300 Suqian); not official figures.
    const CITY_WEIGHTS: [Weight; 13] = [
        8800, 5600, 1900, 3900, 13500, 3000, 700, 800, 1200, 1500, 1300, 1400, 800,
    ];

    #[test]
    fn thirty_thousand_over_the_thirteen_cities() {
        // Worked independently with exact fractions.
        let shares = apportion(30_000, 13, &proportional(&CITY_WEIGHTS)).unwrap();
        assert_eq!(
            shares,
            [
                5946, 3784, 1284, 2635, 9122, 2027, 473, 541, 811, 1013, 878, 946, 540
            ]
        );
        assert_eq!(shares.iter().sum::<i64>(), 30_000);
        // Huai'an (320800) and Suqian (321300) both have quota 540.54…; the
        // lower region code gets the extra unit.
        assert_eq!((shares[7], shares[12]), (541, 540));
    }

    #[test]
    fn equal_weights_tie_goes_to_lower_index() {
        assert_eq!(
            apportion(10, 3, &proportional(&[1, 1, 1])).unwrap(),
            [4, 3, 3]
        );
        assert_eq!(
            apportion(11, 3, &proportional(&[5, 5, 5])).unwrap(),
            [4, 4, 3]
        );
    }

    #[test]
    fn equal_remainders_go_to_larger_weight_before_lower_index() {
        // Quotas 0.5, 1.5, 1: children 0 and 1 tie on remainder ½.
        assert_eq!(
            apportion(3, 3, &proportional(&[1, 3, 2])).unwrap(),
            [0, 2, 1]
        );
    }

    #[test]
    fn alabama_paradox_is_documented_behaviour() {
        assert_eq!(
            apportion(10, 3, &proportional(&[6, 6, 2])).unwrap(),
            [4, 4, 2]
        );
        assert_eq!(
            apportion(11, 3, &proportional(&[6, 6, 2])).unwrap(),
            [5, 5, 1]
        );
    }

    #[test]
    fn whole_quotas_are_not_rounded() {
        assert_eq!(
            apportion(600, 3, &proportional(&[1, 2, 3])).unwrap(),
            [100, 200, 300]
        );
    }

    #[test]
    fn zero_weight_child_gets_nothing() {
        assert_eq!(
            apportion(5, 3, &proportional(&[0, 1, 1])).unwrap(),
            [0, 3, 2]
        );
    }

    #[test]
    fn single_child_takes_everything() {
        assert_eq!(apportion(123, 1, &proportional(&[7])).unwrap(), [123]);
        assert_eq!(
            apportion(123, 1, &with_minimums(&[1], &[100])).unwrap(),
            [123]
        );
    }

    #[test]
    fn detailed_reports_quotas() {
        let allocation = apportion_detailed(10, 3, &proportional(&[1, 1, 1])).unwrap();
        assert_eq!(allocation.shares, [4, 3, 3]);
        for quota in &allocation.quotas {
            assert!((quota - 10.0 / 3.0).abs() < 1e-9);
        }
        assert_eq!(allocation.forced_to_minimum, [false; 3]);
    }

    #[test]
    fn parent_zero_gives_zeros() {
        assert_eq!(
            apportion(0, 3, &proportional(&[1, 2, 3])).unwrap(),
            [0, 0, 0]
        );
        assert_eq!(
            apportion(0, 3, &proportional(&[0, 0, 0])).unwrap(),
            [0, 0, 0]
        );
        assert_eq!(
            apportion(0, 2, &with_minimums(&[0, 5], &[0, 0])).unwrap(),
            [0, 0]
        );
        assert_eq!(apportion(0, 2, &manual(&[0, 0])).unwrap(), [0, 0]);
    }

    #[test]
    fn no_children_and_parent_zero_is_empty() {
        assert_eq!(
            apportion(0, 0, &proportional(&[])).unwrap(),
            Vec::<i64>::new()
        );
        assert_eq!(apportion(0, 0, &manual(&[])).unwrap(), Vec::<i64>::new());
        assert_eq!(
            apportion(0, 0, &with_minimums(&[], &[])).unwrap(),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn minimums_held_in_one_round() {
        let allocation =
            apportion_detailed(100, 3, &with_minimums(&[90, 5, 5], &[0, 10, 10])).unwrap();
        assert_eq!(allocation.shares, [80, 10, 10]);
        assert_eq!(allocation.forced_to_minimum, [false, true, true]);
        assert!((allocation.quotas[1] - 5.0).abs() < 1e-9);
        assert!((allocation.quotas[0] - 80.0).abs() < 1e-9);
    }

    #[test]
    fn minimums_held_over_several_rounds() {
        // Round 1: quotas 60, 25, 15; child 2 is held at 20.
        // Round 2: 80 over weight 85 gives child 1 23.5…, below 25: held.
        // Round 3: child 0 takes the remaining 55.
        let allocation =
            apportion_detailed(100, 3, &with_minimums(&[60, 25, 15], &[0, 25, 20])).unwrap();
        assert_eq!(allocation.shares, [55, 25, 20]);
        assert_eq!(allocation.forced_to_minimum, [false, true, true]);
        assert!((allocation.quotas[1] - 80.0 * 25.0 / 85.0).abs() < 1e-9);
    }

    #[test]
    fn minimums_that_do_not_bind_change_nothing() {
        let plain = apportion_detailed(30_000, 13, &proportional(&CITY_WEIGHTS)).unwrap();
        let floored =
            apportion_detailed(30_000, 13, &with_minimums(&CITY_WEIGHTS, &[400; 13])).unwrap();
        assert_eq!(plain, floored);
    }

    #[test]
    fn a_minimum_reached_exactly_by_the_quota_is_not_forced() {
        let allocation = apportion_detailed(100, 2, &with_minimums(&[1, 3], &[25, 0])).unwrap();
        assert_eq!(allocation.shares, [25, 75]);
        assert_eq!(allocation.forced_to_minimum, [false, false]);
    }

    #[test]
    fn minimums_equal_to_parent_are_the_answer() {
        assert_eq!(
            apportion(30, 3, &with_minimums(&[5, 0, 1], &[10, 15, 5])).unwrap(),
            [10, 15, 5]
        );
        assert_eq!(
            apportion(30, 3, &with_minimums(&[0, 0, 0], &[10, 15, 5])).unwrap(),
            [10, 15, 5]
        );
    }

    #[test]
    fn zero_weight_children_with_minimums() {
        assert_eq!(
            apportion(10, 3, &with_minimums(&[0, 5, 0], &[3, 0, 0])).unwrap(),
            [3, 7, 0]
        );
        assert_eq!(
            apportion(3, 2, &with_minimums(&[0, 0], &[3, 0])).unwrap(),
            [3, 0]
        );
    }

    #[test]
    fn huge_weights_and_parent_stay_exact() {
        let weights: Vec<Weight> = (0..5).map(|i| 1_000_000_000_000_000 + i * 7919).collect();
        let shares = apportion(1_000_000_000_000, 5, &proportional(&weights)).unwrap();
        assert_eq!(
            shares,
            [
                199_999_999_997,
                199_999_999_998,
                200_000_000_000,
                200_000_000_002,
                200_000_000_003
            ]
        );
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let weights = [u64::MAX, u64::MAX, 1, u64::MAX - 1];
        let shares = apportion(i64::MAX, 4, &proportional(&weights)).unwrap();
        assert_eq!(
            shares,
            [
                3_074_457_345_618_258_603,
                3_074_457_345_618_258_602,
                0,
                3_074_457_345_618_258_602
            ]
        );

        let shares = apportion(
            i64::MAX,
            5,
            &with_minimums(&[u64::MAX; 5], &[1 << 62, 0, 0, 0, 1 << 61]),
        )
        .unwrap();
        assert_eq!(
            shares.iter().map(|&s| i128::from(s)).sum::<i128>(),
            i128::from(i64::MAX)
        );
        assert!(shares[0] >= 1 << 62 && shares[4] >= 1 << 61);

        let shares = apportion(i64::MAX, 2, &manual(&[i64::MAX, 0])).unwrap();
        assert_eq!(shares, [i64::MAX, 0]);
    }

    #[test]
    fn manual_shares_are_returned_unchanged() {
        let shares = [
            5946, 3784, 1284, 2635, 9122, 2027, 473, 541, 811, 1013, 878, 946, 540,
        ];
        let allocation = apportion_detailed(30_000, 13, &manual(&shares)).unwrap();
        assert_eq!(allocation.shares, shares);
        assert_eq!(allocation.quotas[0], 5946.0);
        assert_eq!(allocation.forced_to_minimum, [false; 13]);
    }

    #[test]
    fn error_negative_parent() {
        for method in [proportional(&[1]), with_minimums(&[1], &[0]), manual(&[-1])] {
            let err = apportion(-1, 1, &method).unwrap_err();
            assert_eq!(err, ApportionError::NegativeParent { parent: -1 });
            assert!(err.to_string().contains("-1"));
        }
    }

    #[test]
    fn error_length_mismatch() {
        let err = apportion(10, 3, &proportional(&[1, 2])).unwrap_err();
        assert_eq!(
            err,
            ApportionError::LengthMismatch {
                field: "weights",
                children: 3,
                len: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "weights has 2 entries but there are 3 children; give exactly one per child"
        );
        assert_eq!(
            apportion(10, 2, &with_minimums(&[1, 2], &[0])).unwrap_err(),
            ApportionError::LengthMismatch {
                field: "minimums",
                children: 2,
                len: 1
            }
        );
        assert_eq!(
            apportion(10, 2, &with_minimums(&[1, 2, 3], &[0, 0])).unwrap_err(),
            ApportionError::LengthMismatch {
                field: "weights",
                children: 2,
                len: 3
            }
        );
        assert_eq!(
            apportion(10, 2, &manual(&[10])).unwrap_err(),
            ApportionError::LengthMismatch {
                field: "shares",
                children: 2,
                len: 1
            }
        );
    }

    #[test]
    fn error_negative_values_name_the_child() {
        let err = apportion(10, 3, &manual(&[6, 5, -1])).unwrap_err();
        assert_eq!(
            err,
            ApportionError::NegativeValue {
                field: "shares",
                child: 2,
                value: -1
            }
        );
        assert_eq!(err.child(), Some(2));
        assert_eq!(
            err.to_string(),
            "shares for child 2 is -1; it must not be negative"
        );

        let err = apportion(10, 3, &with_minimums(&[1, 1, 1], &[0, -4, 0])).unwrap_err();
        assert_eq!(
            err,
            ApportionError::NegativeValue {
                field: "minimums",
                child: 1,
                value: -4
            }
        );
        assert_eq!(err.child(), Some(1));
    }

    #[test]
    fn error_manual_sum_mismatch_gives_the_difference() {
        let err = apportion(10, 3, &manual(&[4, 4, 4])).unwrap_err();
        assert_eq!(
            err,
            ApportionError::ManualSumMismatch {
                parent: 10,
                sum: 12,
                difference: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "manual shares add up to 12, which is 2 more than the parent target 10"
        );
        assert_eq!(err.child(), None);

        let err = apportion(10, 2, &manual(&[3, 4])).unwrap_err();
        assert_eq!(
            err,
            ApportionError::ManualSumMismatch {
                parent: 10,
                sum: 7,
                difference: -3
            }
        );
        assert!(
            err.to_string()
                .contains("3 fewer than the parent target 10")
        );

        // Shares far beyond i64 in total are still reported exactly.
        let err = apportion(0, 3, &manual(&[i64::MAX; 3])).unwrap_err();
        assert_eq!(
            err,
            ApportionError::ManualSumMismatch {
                parent: 0,
                sum: 3 * i128::from(i64::MAX),
                difference: 3 * i128::from(i64::MAX)
            }
        );
    }

    #[test]
    fn error_zero_weights() {
        let err = apportion(10, 3, &proportional(&[0, 0, 0])).unwrap_err();
        assert_eq!(err, ApportionError::ZeroWeights { remaining: 10 });
        assert!(err.to_string().contains("10 units"));
        assert_eq!(
            apportion(10, 2, &with_minimums(&[0, 0], &[3, 3])).unwrap_err(),
            ApportionError::ZeroWeights { remaining: 4 }
        );
    }

    #[test]
    fn error_minimums_exceed_parent() {
        let err = apportion(10, 2, &with_minimums(&[1, 1], &[6, 5])).unwrap_err();
        assert_eq!(
            err,
            ApportionError::MinimumsExceedParent {
                minimums: 11,
                parent: 10
            }
        );
        assert_eq!(
            err.to_string(),
            "the minimums add up to 11, more than the parent target 10"
        );
        assert_eq!(
            apportion(0, 2, &with_minimums(&[1, 1], &[i64::MAX, i64::MAX])).unwrap_err(),
            ApportionError::MinimumsExceedParent {
                minimums: 2 * (i64::MAX as u128),
                parent: 0
            }
        );
    }

    #[test]
    fn error_no_children() {
        for method in [proportional(&[]), with_minimums(&[], &[]), manual(&[])] {
            let err = apportion(5, 0, &method).unwrap_err();
            assert_eq!(err, ApportionError::NoChildren { parent: 5 });
            assert_eq!(
                err.to_string(),
                "there are no children to receive the parent target 5"
            );
        }
    }

    #[test]
    fn error_overflow_has_a_message() {
        // Unreachable with real inputs (see the variant's doc); the handler
        // still needs text for it.
        assert!(ApportionError::Overflow.to_string().contains("overflow"));
        assert_eq!(ApportionError::Overflow.child(), None);
    }

    #[test]
    fn method_and_allocation_json_shapes() {
        let method: Method = serde_json::from_str(
            r#"{"method":"proportional_with_minimums","weights":[3,1],"minimums":[0,2]}"#,
        )
        .unwrap();
        assert_eq!(method, with_minimums(&[3, 1], &[0, 2]));
        let method: Method = serde_json::from_str(r#"{"method":"manual","shares":[1,2]}"#).unwrap();
        assert_eq!(method, manual(&[1, 2]));
        assert!(
            serde_json::from_str::<Method>(r#"{"method":"proportional","weights":[-1]}"#).is_err()
        );

        let allocation = apportion_detailed(10, 3, &proportional(&[1, 1, 2])).unwrap();
        let json = serde_json::to_value(&allocation).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "shares": [3, 2, 5],
                "quotas": [2.5, 2.5, 5.0],
                "forced_to_minimum": [false, false, false]
            })
        );
        assert_eq!(<Allocation as ToSchema>::name(), "Allocation");
        let _ = <Method as utoipa::PartialSchema>::schema();
    }
}

#[cfg(test)]
mod properties {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use proptest::test_runner::Config;

    use super::*;

    const MAX_CHILDREN: usize = 16;

    fn config() -> Config {
        // No regression files: they would land beside this source file.
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        }
    }

    fn parents() -> impl Strategy<Value = i64> {
        prop_oneof![
            3 => 0i64..=20,
            4 => 0i64..=1_000_000_000,
            2 => 1_000_000_000_000i64..=1_000_000_000_000_000,
            1 => 0i64..=i64::MAX,
        ]
    }

    fn weight_lists(n: usize) -> impl Strategy<Value = Vec<Weight>> {
        prop_oneof![
            proptest::collection::vec(0u64..=3, n),
            proptest::collection::vec(0u64..=1_000_000, n),
            proptest::collection::vec(prop_oneof![Just(0u64), 1u64..=1_000_000_000_000_000], n),
            (0u64..=1_000_000_000_000_000).prop_map(move |w| vec![w; n]),
            proptest::collection::vec(any::<u64>(), n),
        ]
    }

    /// Weights and a parent, one weight per child.
    fn proportional_cases() -> impl Strategy<Value = (i64, Vec<Weight>)> {
        (parents(), 1usize..=MAX_CHILDREN)
            .prop_flat_map(|(parent, n)| (Just(parent), weight_lists(n)))
    }

    /// Minimums whose sum is at most the parent: random shapes scaled to a
    /// random fraction (up to all) of the parent.
    fn minimum_cases() -> impl Strategy<Value = (i64, Vec<Weight>, Vec<i64>)> {
        (parents(), 1usize..=MAX_CHILDREN)
            .prop_flat_map(|(parent, n)| {
                (
                    Just(parent),
                    weight_lists(n),
                    proptest::collection::vec(prop_oneof![Just(0u64), 0u64..=1000], n),
                    prop_oneof![Just(1000u64), 0u64..=1000],
                )
            })
            .prop_map(|(parent, weights, shape, tightness)| {
                let shape_sum: u128 = shape.iter().map(|&s| u128::from(s)).sum();
                let minimums = shape
                    .iter()
                    .map(|&s| {
                        let budget = parent as u128 * u128::from(tightness) / 1000;
                        let m = (budget * u128::from(s)).checked_div(shape_sum).unwrap_or(0);
                        i64::try_from(m).unwrap()
                    })
                    .collect();
                (parent, weights, minimums)
            })
    }

    fn sum(shares: &[i64]) -> i128 {
        shares.iter().map(|&s| i128::from(s)).sum()
    }

    /// Checks the result against the definition, with exact integer
    /// arithmetic only: free children are their final-round quota rounded
    /// down or up, extra units went to the largest remainders under the
    /// tie-break, held children sit at their minimum with a quota below it,
    /// and the others' quotas reach their minimum.
    fn check_definition(
        parent: i64,
        weights: &[Weight],
        minimums: &[i64],
        allocation: &Allocation,
    ) {
        let n = weights.len();
        assert_eq!(allocation.shares.len(), n);
        assert_eq!(allocation.quotas.len(), n);
        assert_eq!(allocation.forced_to_minimum.len(), n);
        assert_eq!(sum(&allocation.shares), i128::from(parent));

        let forced = &allocation.forced_to_minimum;
        let held: u128 = (0..n)
            .filter(|&i| forced[i])
            .map(|i| minimums[i] as u128)
            .sum();
        let remaining = parent as u128 - held;
        let free_weight: u128 = (0..n)
            .filter(|&i| !forced[i])
            .map(|i| u128::from(weights[i]))
            .sum();

        let mut rounded_up = Vec::new();
        let mut rounded_down = Vec::new();
        for i in 0..n {
            let share = allocation.shares[i];
            assert!(share >= minimums[i], "child {i} below its minimum");
            if free_weight == 0 {
                assert_eq!(remaining, 0);
                if forced[i] {
                    assert_eq!(share, minimums[i]);
                    assert!(minimums[i] > 0);
                } else {
                    assert_eq!(share, 0);
                }
                continue;
            }
            let numerator = remaining * u128::from(weights[i]);
            let whole = numerator / free_weight;
            let remainder = numerator % free_weight;
            let key = (remainder, weights[i], std::cmp::Reverse(i));
            if forced[i] {
                assert_eq!(share, minimums[i], "held child {i} not at its minimum");
                assert!(whole < minimums[i] as u128, "child {i} held without cause");
            } else {
                assert!(
                    whole >= minimums[i] as u128,
                    "child {i} should have been held"
                );
                let share = share as u128;
                if share == whole {
                    rounded_down.push(key);
                } else {
                    // |share − quota| < 1: quota rounded up, and only when
                    // it has a fractional part.
                    assert_eq!(share, whole + 1, "child {i} more than 1 from its quota");
                    assert!(remainder > 0, "child {i} rounded up a whole quota");
                    rounded_up.push(key);
                }
            }
        }
        for up in &rounded_up {
            for down in &rounded_down {
                assert!(
                    up > down,
                    "tie-break violated: {up:?} rounded up before {down:?}"
                );
            }
        }
    }

    /// Shares of the children not held at a minimum, grouped by weight
    /// (children that tie on weight can only be told apart by index), each
    /// group in index order.
    fn free_by_weight(weights: &[Weight], allocation: &Allocation) -> BTreeMap<Weight, Vec<i64>> {
        let mut groups: BTreeMap<Weight, Vec<i64>> = BTreeMap::new();
        for (i, &weight) in weights.iter().enumerate() {
            if !allocation.forced_to_minimum[i] {
                groups.entry(weight).or_default().push(allocation.shares[i]);
            }
        }
        groups
    }

    /// `permuted` is the split of the same children listed as
    /// `permutation` says (position k holds original child `permutation[k]`).
    fn check_order_only(
        weights: &[Weight],
        original: &Allocation,
        permutation: &[usize],
        permuted: &Allocation,
    ) {
        // Being held at a minimum, and the share that comes with it, travel
        // with the child.
        for (k, &i) in permutation.iter().enumerate() {
            assert_eq!(permuted.forced_to_minimum[k], original.forced_to_minimum[i]);
            if original.forced_to_minimum[i] {
                assert_eq!(permuted.shares[k], original.shares[i]);
            }
        }
        let permuted_weights: Vec<Weight> = permutation.iter().map(|&i| weights[i]).collect();
        let before = free_by_weight(weights, original);
        let after = free_by_weight(&permuted_weights, permuted);
        for (weight, group) in before.iter().chain(&after) {
            // Lower index first among equal weights: never increasing, and
            // differing by at most the one tie-break unit.
            assert!(
                group.windows(2).all(|w| w[0] >= w[1]),
                "weight {weight}: {group:?}"
            );
            assert!(group.first().unwrap() - group.last().unwrap() <= 1);
        }
        let sorted = |groups: BTreeMap<Weight, Vec<i64>>| -> BTreeMap<Weight, Vec<i64>> {
            groups
                .into_iter()
                .map(|(weight, mut group)| {
                    group.sort_unstable();
                    (weight, group)
                })
                .collect()
        };
        let (before, after) = (sorted(before), sorted(after));
        assert_eq!(before, after);
        // No two free children share a weight: every share travels with
        // its child.
        if before.values().all(|group| group.len() == 1) {
            let expected: Vec<i64> = permutation.iter().map(|&i| original.shares[i]).collect();
            assert_eq!(permuted.shares, expected);
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn proportional_meets_its_definition((parent, weights) in proportional_cases()) {
            let n = weights.len();
            match apportion_detailed(parent, n, &Method::Proportional { weights: weights.clone() }) {
                Ok(allocation) => {
                    prop_assert!(allocation.forced_to_minimum.iter().all(|f| !f));
                    check_definition(parent, &weights, &vec![0; n], &allocation);
                }
                Err(err) => {
                    prop_assert_eq!(err, ApportionError::ZeroWeights { remaining: parent });
                    prop_assert!(parent > 0 && weights.iter().all(|&w| w == 0));
                }
            }
        }

        #[test]
        fn minimums_meet_their_definition((parent, weights, minimums) in minimum_cases()) {
            let n = weights.len();
            let method = Method::ProportionalWithMinimums { weights: weights.clone(), minimums: minimums.clone() };
            let minimum_sum = sum(&minimums);
            match apportion_detailed(parent, n, &method) {
                Ok(allocation) => check_definition(parent, &weights, &minimums, &allocation),
                Err(err) => {
                    // Only when nothing carries weight and units remain.
                    let remaining = i128::from(parent) - minimum_sum;
                    prop_assert_eq!(err, ApportionError::ZeroWeights { remaining: i64::try_from(remaining).unwrap() });
                    prop_assert!(remaining > 0 && weights.iter().all(|&w| w == 0));
                }
            }
        }

        #[test]
        fn zero_minimums_match_plain_proportional((parent, weights) in proportional_cases()) {
            let n = weights.len();
            let plain = apportion_detailed(parent, n, &Method::Proportional { weights: weights.clone() });
            let floored = apportion_detailed(parent, n, &Method::ProportionalWithMinimums { weights, minimums: vec![0; n] });
            prop_assert_eq!(plain, floored);
        }

        #[test]
        fn minimums_above_parent_are_rejected(
            (parent, weights, minimums) in minimum_cases(),
            extra in 1i64..=1000,
            child in 0usize..MAX_CHILDREN,
        ) {
            let n = weights.len();
            let mut minimums = minimums;
            let child = child % n;
            // Push the sum past the parent; beyond i64::MAX is fine too.
            let gap = i128::from(parent) - sum(&minimums);
            minimums[child] = minimums[child].saturating_add(i64::try_from(gap).unwrap()).saturating_add(extra);
            prop_assume!(sum(&minimums) > i128::from(parent));
            let err = apportion(parent, n, &Method::ProportionalWithMinimums { weights, minimums: minimums.clone() }).unwrap_err();
            prop_assert_eq!(err, ApportionError::MinimumsExceedParent { minimums: sum(&minimums) as u128, parent });
        }

        #[test]
        fn same_input_same_output((parent, weights, minimums) in minimum_cases()) {
            let n = weights.len();
            let method = Method::ProportionalWithMinimums { weights, minimums };
            let first = apportion_detailed(parent, n, &method);
            let second = apportion_detailed(parent, n, &method.clone());
            prop_assert_eq!(first, second);
        }

        #[test]
        fn only_order_matters(
            ((parent, weights, minimums), permutation) in minimum_cases().prop_flat_map(|case| {
                let n = case.1.len();
                (Just(case), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
            })
        ) {
            let n = weights.len();
            let original = apportion_detailed(parent, n, &Method::ProportionalWithMinimums {
                weights: weights.clone(), minimums: minimums.clone(),
            });
            let permuted = apportion_detailed(parent, n, &Method::ProportionalWithMinimums {
                weights: permutation.iter().map(|&i| weights[i]).collect(),
                minimums: permutation.iter().map(|&i| minimums[i]).collect(),
            });
            match (original, permuted) {
                (Ok(original), Ok(permuted)) => {
                    check_order_only(&weights, &original, &permutation, &permuted);
                }
                (original, permuted) => prop_assert_eq!(original, permuted),
            }
        }

        #[test]
        fn manual_round_trips_a_computed_split((parent, weights) in proportional_cases()) {
            let n = weights.len();
            if let Ok(shares) = apportion(parent, n, &Method::Proportional { weights }) {
                let again = apportion(parent, n, &Method::Manual { shares: shares.clone() }).unwrap();
                prop_assert_eq!(again, shares);
            }
        }

        #[test]
        fn manual_accepts_exact_and_reports_difference(
            shares in proptest::collection::vec(0i64..=1_000_000_000_000, 0..=MAX_CHILDREN),
            delta in -1_000i64..=1_000,
        ) {
            let n = shares.len();
            let total = shares.iter().sum::<i64>();
            let allocation = apportion_detailed(total, n, &Method::Manual { shares: shares.clone() }).unwrap();
            prop_assert_eq!(&allocation.shares, &shares);
            prop_assert!(allocation.forced_to_minimum.iter().all(|f| !f));

            let parent = total + delta;
            prop_assume!(delta != 0 && parent >= 0);
            let err = apportion(parent, n, &Method::Manual { shares }).unwrap_err();
            if n == 0 {
                prop_assert_eq!(err, ApportionError::NoChildren { parent });
            } else {
                prop_assert_eq!(err, ApportionError::ManualSumMismatch {
                    parent,
                    sum: i128::from(total),
                    difference: -i128::from(delta),
                });
            }
        }
    }
}
