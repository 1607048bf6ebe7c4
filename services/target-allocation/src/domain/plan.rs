//! Plans and indicators as data: identifiers, statuses and the closed vocabularies of an
//! indicator (comparator, data source, registry measure, aggregation).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $key:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            pub fn key(self) -> &'static str {
                match self {
                    $(Self::$variant => $key,)*
                }
            }

            pub fn from_key(key: &str) -> Option<Self> {
                match key {
                    $($key => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The accepted keys, for error messages.
            pub fn keys() -> String {
                Self::ALL.iter().map(|v| v.key()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

pub(crate) use keyed_enum;

keyed_enum! {
    /// Plan status (状态): draft (草案) → published (已发布) → closed (已结束).
    PlanStatus {
        /// 草案: targets change freely; the tree may be unbalanced.
        Draft = "draft",
        /// 已发布: the tree is balanced and changes only by recorded adjustments.
        Published = "published",
        /// 已结束: read-only.
        Closed = "closed",
    }
}

keyed_enum! {
    /// How the actual value is compared with the target (比较方式).
    Comparator {
        /// 达到 (≥)
        AtLeast = "at_least",
        /// 超过/突破 (>)
        MoreThan = "more_than",
        /// 不超过 (≤)
        AtMost = "at_most",
        /// 低于 (<)
        LessThan = "less_than",
    }
}

keyed_enum! {
    /// Where an indicator's actual value comes from (数据来源).
    DataSource {
        /// Computed from the enterprise registry (登记库).
        Registry = "registry",
        /// External statistics (统计部门数据), entered in monitoring.
        External = "external",
        /// A registry figure divided by an external statistic.
        RegistryAndExternal = "registry_and_external",
    }
}

keyed_enum! {
    /// The registry statistic (GET /api/v1/statistics field) that gives a splittable
    /// indicator's actual value per region, and that can serve as an apportionment baseline.
    Measure {
        /// Valid HTEs on the date (有效高企数).
        Hte = "hte",
        /// Certificates issued in the window (新认定高企数).
        NewCertificates = "new_certificates",
        /// HTEs' effective invention patents (高企有效发明专利).
        HteInventionPatents = "hte_invention_patents",
        /// Firms in the cultivation pool on the date (入库培育企业数).
        Pool = "pool",
        /// Tech-SME registrations of the year (科技型中小企业数).
        TechSme = "tech_sme",
    }
}

keyed_enum! {
    /// How a per-period target accumulates (累计方式).
    Aggregation {
        /// A level reached by the end of the period (存量), e.g. the number of valid HTEs.
        Stock = "stock",
        /// A count within the period's calendar year (年度增量), e.g. new HTEs that year.
        Annual = "annual",
    }
}

impl PlanStatus {
    /// The only moves: draft → published → closed.
    pub fn can_become(self, to: PlanStatus) -> bool {
        matches!(
            (self, to),
            (PlanStatus::Draft, PlanStatus::Published)
                | (PlanStatus::Published, PlanStatus::Closed)
        )
    }
}

/// The largest target a plan may set for a count: the target tree's own bound.
pub const MAX_TARGET_VALUE: f64 = 1e12;

/// A rule an indicator breaks: the field (of the indicator), the rule's name, a sentence.
pub type IndicatorViolation = (&'static str, &'static str, &'static str);

/// The rules between an indicator's fields: a target is a non-negative number (a ratio at
/// most 1); only counts are split by region (ratios cannot be added up); a registry measure
/// needs the registry as source.
pub fn indicator_violations(
    unit: &str,
    target_value: Option<f64>,
    splittable: bool,
    source: DataSource,
    measure: Option<Measure>,
) -> Vec<IndicatorViolation> {
    let mut out = Vec::new();
    if let Some(v) = target_value {
        let ratio = unit == "ratio";
        let max = if ratio { 1.0 } else { MAX_TARGET_VALUE };
        if !(v.is_finite() && (0.0..=max).contains(&v)) {
            out.push((
                "target_value",
                "range",
                if ratio {
                    "a ratio's target_value lies between 0 and 1 (比例目标值须在0至1之间)"
                } else {
                    "target_value lies between 0 and 10^12 (目标值须在0至10^12之间)"
                },
            ));
        }
    }
    if splittable && unit == "ratio" {
        out.push((
            "splittable",
            "splittable_counts_only",
            "only counts can be split by region; a ratio cannot be added up",
        ));
    }
    if measure.is_some() && source != DataSource::Registry {
        out.push((
            "measure",
            "registry_only",
            "measure names a registry statistic; it needs source = registry",
        ));
    }
    out
}

/// Plan ids are readable, stable slugs: lowercase letters, digits and hyphens, 3–64
/// characters, starting with a letter or digit, e.g. `jiangsu-2019-57`.
pub fn check_plan_id(id: &str) -> Result<(), String> {
    let ok = (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a plan id is 3–64 lowercase letters, digits and hyphens, e.g. jiangsu-2019-57; got {id:?}"
        ))
    }
}

/// Indicator keys: snake_case, 2–64 characters.
pub fn check_indicator_key(key: &str) -> Result<(), String> {
    let ok = (2..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && key.as_bytes()[0].is_ascii_lowercase();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "an indicator key is 2–64 snake_case characters, e.g. hte_count; got {key:?}"
        ))
    }
}

/// Trimmed text of `min..=max` characters.
pub fn check_text(value: &str, min: usize, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    let n = trimmed.chars().count();
    if (min..=max).contains(&n) {
        Ok(trimmed.to_owned())
    } else {
        Err(format!("must be {min}–{max} characters; got {n}"))
    }
}

/// A reason (理由) for a change to the target tree: 2–500 characters.
pub fn check_reason(value: &str) -> Result<String, String> {
    check_text(value, 2, 500).map_err(|e| format!("reason {e}"))
}

/// Plan periods are whole years between 2000 and 2100, at most 10 years long.
pub fn check_period(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<(), String> {
    if ends_on < starts_on {
        return Err("ends_on must not be before starts_on".into());
    }
    if !(2000..=2100).contains(&starts_on.year()) || !(2000..=2100).contains(&ends_on.year()) {
        return Err("the plan period must lie between 2000 and 2100".into());
    }
    if ends_on.year() - starts_on.year() > 10 {
        return Err("a plan period spans at most 10 years".into());
    }
    Ok(())
}

/// A target period (考核期) is a calendar year `YYYY` within the plan's period.
pub fn parse_target_period(
    raw: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<i32, String> {
    let year = raw
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|_| raw.trim().len() == 4)
        .ok_or_else(|| format!("period is a year like \"2020\"; got {raw:?}"))?;
    if year < starts_on.year() || year > ends_on.year() {
        return Err(format!(
            "period {year} is outside the plan period {}–{}",
            starts_on.year(),
            ends_on.year()
        ));
    }
    Ok(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys() {
        assert!(check_plan_id("jiangsu-2019-57").is_ok());
        for bad in ["ab", "Jiangsu", "-x-y", "x y z", "a_b_c"] {
            assert!(check_plan_id(bad).is_err(), "{bad}");
        }
        assert!(check_indicator_key("hte_count").is_ok());
        assert!(check_indicator_key("1abc").is_err());
        assert_eq!(
            PlanStatus::from_key("published"),
            Some(PlanStatus::Published)
        );
        assert_eq!(Measure::NewCertificates.key(), "new_certificates");
    }

    #[test]
    fn periods() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let bounds =
            |unit, v| indicator_violations(unit, Some(v), false, DataSource::Registry, None);
        assert_eq!(bounds("enterprises", 1e308)[0].1, "range");
        assert_eq!(bounds("ratio", 1.5)[0].1, "range");
        assert!(bounds("enterprises", 1e12).is_empty());
        assert_eq!(
            parse_target_period("2020", d("2019-01-01"), d("2020-12-31")),
            Ok(2020)
        );
        assert!(parse_target_period("2021", d("2019-01-01"), d("2020-12-31")).is_err());
        assert!(parse_target_period("20", d("2019-01-01"), d("2020-12-31")).is_err());
        assert!(check_period(d("2020-01-01"), d("2019-01-01")).is_err());
    }
}
