//! The target tree's invariant: once a region's target is split (any child has a target for
//! the same indicator and period), its children's targets add up to it exactly. A child
//! without a target counts as 0; a child with a target under a parent without one breaks
//! the invariant too (its parent is not set).

use std::collections::BTreeMap;

use hte_shared::i18n::Text;
use hte_shared::regions::{self, RegionCode};
use hte_shared::text;

use super::plan::{MAX_PLAN_INDICATORS, MAX_PLAN_YEARS};

/// Most targets a tree holds: one per region of the province (the fixed region table holds
/// at most `regions::MAX_REGIONS`) for each indicator and year of the plan. `TargetTree`'s
/// `targets` states it as its `maxItems`.
pub const MAX_TREE_TARGETS: usize = regions::MAX_REGIONS * MAX_PLAN_INDICATORS * MAX_PLAN_YEARS;

/// Most places a tree can break the sum rule: there is one kind of break (children that do
/// not add up to their region), found at most once per region, indicator and year.
pub const MAX_TREE_VIOLATIONS: usize = MAX_TREE_TARGETS;

/// One target value: indicator, region, period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetValue {
    pub indicator: String,
    pub region: RegionCode,
    pub period: String,
    pub value: i64,
}

/// Where the invariant is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub indicator: String,
    pub period: String,
    /// The region whose children do not add up to it.
    pub region: RegionCode,
    /// Its target, or `None` when it has none although children do.
    pub value: Option<i64>,
    pub children_sum: i64,
}

impl Violation {
    /// `targets.<indicator>.<period>.<region>`, the field an API error names.
    pub fn field(&self) -> String {
        format!("targets.{}.{}.{}", self.indicator, self.period, self.region)
    }

    pub fn message(&self) -> Text {
        let name = regions::find(&self.region).map_or("", |r| r.name.as_str());
        let (region, sum, indicator, period) = (
            self.region,
            self.children_sum,
            &self.indicator,
            &self.period,
        );
        match self.value {
            Some(value) => {
                let difference = self.children_sum - value;
                let off = difference.abs();
                let (en, zh) = if difference > 0 {
                    ("too many", "多")
                } else {
                    ("too few", "少")
                };
                text!(
                    "the children of {region} {name} add up to {sum} for {indicator} {period}, \
                     but its target is {value} ({off} {en})",
                    "{region} {name}的下级地区 {indicator} {period} 年目标合计为 {sum}，\
                     但其本级目标为 {value}（{zh}了 {off}）"
                )
            }
            None => text!(
                "{region} {name} has no target for {indicator} {period}, yet its children's \
                 targets add up to {sum}",
                "{region} {name}没有 {indicator} {period} 年目标，但其下级地区目标合计为 {sum}"
            ),
        }
    }
}

/// The sum of the children's targets of every split node, keyed by (indicator, period,
/// region).
pub fn children_sums(values: &[TargetValue]) -> BTreeMap<(String, String, RegionCode), i64> {
    let mut sums: BTreeMap<(String, String, RegionCode), i64> = BTreeMap::new();
    for v in values {
        if let Some(parent) = regions::find(&v.region).and_then(|r| r.parent) {
            *sums
                .entry((v.indicator.clone(), v.period.clone(), parent))
                .or_default() += v.value;
        }
    }
    sums
}

/// Every place the invariant fails, ordered by indicator, period and region code.
pub fn violations(values: &[TargetValue]) -> Vec<Violation> {
    let own: BTreeMap<(String, String, RegionCode), i64> = values
        .iter()
        .map(|v| ((v.indicator.clone(), v.period.clone(), v.region), v.value))
        .collect();
    let mut out = Vec::new();
    for (key, sum) in children_sums(values) {
        let value = own.get(&key).copied();
        if value != Some(sum) {
            out.push(Violation {
                indicator: key.0,
                period: key.1,
                region: key.2,
                value,
                children_sum: sum,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tv(region: &str, value: i64) -> TargetValue {
        TargetValue {
            indicator: "hte_count".into(),
            region: RegionCode::parse(region).unwrap(),
            period: "2020".into(),
            value,
        }
    }

    #[test]
    fn unsplit_regions_are_fine_and_sums_must_match() {
        assert!(violations(&[tv("320000", 100)]).is_empty());
        assert!(violations(&[tv("320000", 100), tv("320100", 60), tv("320500", 40)]).is_empty());
        let broken = violations(&[tv("320000", 100), tv("320100", 60), tv("320500", 30)]);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].region.to_string(), "320000");
        assert_eq!(broken[0].children_sum, 90);
        assert_eq!(broken[0].field(), "targets.hte_count.2020.320000");
        assert!(broken[0].message().contains("10 too few"));
    }

    #[test]
    fn a_tree_and_its_breaks_stay_within_one_per_region_indicator_and_year() {
        // Every region of the table with a target of 1: every split region is broken.
        let values: Vec<TargetValue> = regions::all()
            .iter()
            .map(|r| tv(&r.code.to_string(), 1))
            .collect();
        assert!(values.len() <= regions::MAX_REGIONS);
        let broken = violations(&values);
        assert!(!broken.is_empty() && broken.len() <= values.len());
        // One break per (indicator, period, region) at most, whatever the values.
        let mut keys: Vec<_> = broken.iter().map(Violation::field).collect();
        keys.dedup();
        assert_eq!(keys.len(), broken.len());
        assert_eq!(
            MAX_TREE_TARGETS,
            regions::MAX_REGIONS * MAX_PLAN_INDICATORS * MAX_PLAN_YEARS
        );
        assert_eq!(MAX_TREE_VIOLATIONS, MAX_TREE_TARGETS);
    }

    #[test]
    fn a_child_under_a_parent_without_target_is_reported() {
        let broken = violations(&[tv("320583", 5)]);
        assert_eq!(broken[0].region.to_string(), "320500");
        assert_eq!(broken[0].value, None);
    }
}
