//! Indicator definitions (指标定义) as data, and their evaluation for one region.
//!
//! An indicator is a key, labels, a unit, a comparator and a formula. The formula is either a
//! quantity (a sum of terms) or a share (numerator sum ÷ denominator sum); each term is a
//! named figure of the registry's statistics row (`GET /api/v1/statistics`, e.g. `hte`) or
//! an external statistics input (e.g. `enterprise_rd_expense_yuan`). Nothing here names a
//! particular indicator: the plan's definitions (the allocation service's data) drive it, so
//! a 2021–2025 plan with other indicators works unchanged. The 2019–2020 plan's set is the
//! data file [`JIANGSU_2019_57`].
//!
//! Evaluation is exact: integer sums, and a share kept as numerator and denominator. When a
//! figure is absent (the registry does not publish it, or no statistics input exists for
//! the region and period) the result says which, rather than a number.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::inputs::InputMeasure;
use super::period::Period;
use super::ratio::{self, Ratio};
use super::vocabulary::closed_vocabulary;

/// The indicators of the 2019–2020 plan (苏政办发〔2019〕57号), DESIGN.md §1, as the JSON a
/// plan's indicator list holds.
pub const JIANGSU_2019_57: &str = include_str!("../../data/indicators-jiangsu-2019-57.json");

closed_vocabulary! {
    /// How the value is compared with the target (比较方式); the allocation service's keys.
    Comparator {
        /// 达到 (≥)
        AtLeast = "at_least" => "达到",
        /// 超过/突破 (>)
        MoreThan = "more_than" => "超过",
        /// 不超过 (≤)
        AtMost = "at_most" => "不超过",
        /// 低于 (<)
        LessThan = "less_than" => "低于",
    }
}

impl Comparator {
    /// True when a larger value is better (a target to reach, not a ceiling).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Self::AtLeast | Self::MoreThan)
    }

    /// Whether `value` meets `target`.
    pub fn met(self, value: Ratio, target: Ratio) -> bool {
        match self {
            Self::AtLeast => value >= target,
            Self::MoreThan => value > target,
            Self::AtMost => value <= target,
            Self::LessThan => value < target,
        }
    }
}

closed_vocabulary! {
    /// How a target accumulates (累计方式); the allocation service's keys.
    #[derive(Default)]
    Aggregation {
        /// 存量: a level reached by the end of the period.
        #[default]
        Stock = "stock",
        /// 年度增量: a count within the calendar year.
        Annual = "annual",
    }
}

closed_vocabulary! {
    /// Which period of the statistics inputs a formula reads.
    #[derive(Default)]
    InputPeriod {
        /// The latest period that has ended by the as-of date and has a figure for every input
        /// of the formula.
        #[default]
        Latest = "latest",
        /// The year of the annual reports the registry sums (the year before as-of), so a
        /// registry sum and an input describe the same year.
        ReportYear = "report_year",
    }
}

/// A field of the registry's statistics row, e.g. `hte`, `hte_rd_expense_yuan`, or a nested
/// one such as `labels.gazelle`: lowercase snake_case segments joined by dots, 2–64
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegistryMeasure(String);

impl RegistryMeasure {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RegistryMeasure {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        let segment_ok = |s: &str| {
            s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if (2..=64).contains(&name.len()) && name.split('.').all(segment_ok) {
            Ok(Self(name))
        } else {
            Err(format!(
                "a registry measure is a statistics field such as hte or labels.gazelle \
                 (登记库统计字段); got {name:?}"
            ))
        }
    }
}

impl From<RegistryMeasure> for String {
    fn from(measure: RegistryMeasure) -> String {
        measure.0
    }
}

/// One figure a formula adds up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Term {
    /// A field of the registry's statistics row (登记库统计).
    Registry(RegistryMeasure),
    /// An external statistics input (统计部门数据).
    Input(InputMeasure),
}

/// A sum of 1–8 distinct terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Term>", into = "Vec<Term>")]
pub struct Operand(Vec<Term>);

impl Operand {
    pub fn terms(&self) -> &[Term] {
        &self.0
    }
}

impl TryFrom<Vec<Term>> for Operand {
    type Error = String;
    fn try_from(terms: Vec<Term>) -> Result<Self, String> {
        if terms.is_empty() || terms.len() > 8 {
            return Err(format!(
                "an operand adds up 1–8 terms (求和项为1–8个); got {}",
                terms.len()
            ));
        }
        let distinct: BTreeSet<&Term> = terms.iter().collect();
        if distinct.len() != terms.len() {
            return Err("an operand names each term once (求和项不能重复)".to_owned());
        }
        Ok(Self(terms))
    }
}

impl From<Operand> for Vec<Term> {
    fn from(operand: Operand) -> Self {
        operand.0
    }
}

/// What the indicator's value is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Formula {
    /// A count or an amount (数量): the sum of the terms.
    Quantity(Operand),
    /// A share (比重/比率): numerator ÷ denominator.
    Share {
        numerator: Operand,
        denominator: Operand,
    },
}

impl Formula {
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        let (first, second) = match self {
            Self::Quantity(operand) => (operand, None),
            Self::Share {
                numerator,
                denominator,
            } => (numerator, Some(denominator)),
        };
        first
            .terms()
            .iter()
            .chain(second.into_iter().flat_map(|o| o.terms()))
    }

    /// The statistics inputs the formula reads, each once.
    pub fn inputs(&self) -> BTreeSet<InputMeasure> {
        self.terms()
            .filter_map(|t| match t {
                Term::Input(m) => Some(*m),
                Term::Registry(_) => None,
            })
            .collect()
    }

    /// The registry fields the formula reads, each once.
    pub fn registry_measures(&self) -> BTreeSet<&RegistryMeasure> {
        self.terms()
            .filter_map(|t| match t {
                Term::Registry(m) => Some(m),
                Term::Input(_) => None,
            })
            .collect()
    }

    pub fn is_share(&self) -> bool {
        matches!(self, Self::Share { .. })
    }
}

/// An indicator of a plan (指标).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDefinition {
    /// Stable key (指标代码), snake_case.
    pub key: String,
    /// 指标名称
    pub name_zh: String,
    pub name_en: String,
    /// `ratio` for a share; otherwise what is counted (`enterprises`, `patents`, `yuan`).
    pub unit: String,
    pub comparator: Comparator,
    #[serde(default)]
    pub aggregation: Aggregation,
    /// The plan-wide target (目标值), a ratio as a decimal 0–1; absent when the plan text
    /// sets no number.
    #[serde(default, with = "ratio::optional_decimal")]
    pub target_value: Option<Ratio>,
    pub formula: Formula,
    #[serde(default)]
    pub input_period: InputPeriod,
    /// Whether pool firms ready for recognition add to this indicator's forecast (a count of
    /// HTEs, for instance).
    #[serde(default)]
    pub pipeline: bool,
}

/// A rule a definition breaks, with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub field: String,
    pub rule: &'static str,
    pub message: String,
}

impl IndicatorDefinition {
    /// The rules that a definition breaks (none when it is sound); `at` prefixes the field
    /// names, e.g. `indicators[2]`.
    pub fn check(&self, at: &str) -> Vec<DefinitionError> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, rule, message: String| {
            errors.push(DefinitionError {
                field: format!("{at}.{field}"),
                rule,
                message,
            })
        };
        let key_ok = (2..=64).contains(&self.key.len())
            && self.key.as_bytes()[0].is_ascii_lowercase()
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok {
            fail(
                "key",
                "format",
                format!(
                    "an indicator key is 2–64 snake_case characters (指标代码格式错误); got {:?}",
                    self.key
                ),
            );
        }
        for (field, text, max) in [
            ("name_zh", &self.name_zh, 200),
            ("name_en", &self.name_en, 200),
            ("unit", &self.unit, 32),
        ] {
            let n = text.trim().chars().count();
            if !(1..=max).contains(&n) {
                fail(
                    field,
                    "length",
                    format!("{field} must be 1–{max} characters (长度须为1–{max}个字符)"),
                );
            }
        }
        if self.formula.is_share() != (self.unit == "ratio") {
            fail(
                "unit",
                "ratio_is_share",
                "a share has unit ratio, and only a share does (比重类指标单位为 ratio)".to_owned(),
            );
        }
        if self.input_period == InputPeriod::ReportYear && self.formula.inputs().is_empty() {
            fail(
                "input_period",
                "needs_inputs",
                "input_period applies only to a formula with statistics inputs (无统计输入时不适用)".to_owned(),
            );
        }
        if self.pipeline && self.formula.is_share() {
            fail(
                "pipeline",
                "quantity_only",
                "only a count can add the pool's pipeline to its forecast (仅数量类指标可计入培育库储备)".to_owned(),
            );
        }
        if let Some(target) = self.target_value {
            let ceiling = if self.formula.is_share() {
                Some(Ratio::ONE)
            } else {
                None
            };
            if target.is_negative() || ceiling.is_some_and(|c| target > c) {
                fail(
                    "target_value",
                    "range",
                    "target_value must not be negative, and a share's lies between 0 and 1 (目标值超出范围)".to_owned(),
                );
            }
        }
        errors
    }
}

/// Checks a plan's whole indicator list: 1–50 definitions, each sound, keys unique.
pub fn check_definitions(definitions: &[IndicatorDefinition]) -> Vec<DefinitionError> {
    let mut errors = Vec::new();
    if definitions.is_empty() || definitions.len() > 50 {
        errors.push(DefinitionError {
            field: "indicators".to_owned(),
            rule: "count",
            message: "a plan has 1–50 indicators (指标数须为1–50个)".to_owned(),
        });
    }
    for (i, definition) in definitions.iter().enumerate() {
        let at = format!("indicators[{i}]");
        errors.extend(definition.check(&at));
        if definitions[..i].iter().any(|d| d.key == definition.key) {
            errors.push(DefinitionError {
                field: format!("{at}.key"),
                rule: "unique",
                message: format!(
                    "indicator key {:?} appears twice (指标代码重复)",
                    definition.key
                ),
            });
        }
    }
    errors
}

/// A statistics input's current figure for one region, as read for a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFigure {
    pub value_yuan: i64,
    pub period: Period,
    pub version: i32,
}

/// Everything known about one region for one snapshot: the registry's row as named integer
/// fields, and the statistics inputs chosen for the formula's period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionFigures {
    pub registry: BTreeMap<String, i64>,
    pub inputs: BTreeMap<InputMeasure, InputFigure>,
}

/// An indicator's value for a region: exact, with the input versions it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorValue {
    /// The quantity, or the share's numerator.
    pub numerator: i64,
    /// The share's denominator (positive); absent for a quantity.
    pub denominator: Option<i64>,
    /// The statistics inputs read, with their period and version.
    pub inputs: Vec<(InputMeasure, InputFigure)>,
}

impl IndicatorValue {
    pub fn value(&self) -> Ratio {
        let quantity = Ratio::integer(self.numerator);
        match self.denominator {
            Some(d) => Ratio::new(i128::from(self.numerator), i128::from(d)).unwrap_or(quantity),
            None => quantity,
        }
    }
}

/// Why an indicator has no value for a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum Missing {
    /// The registry's row has no such field.
    RegistryMeasure(String),
    /// No statistics input for the region and period.
    Input(InputMeasure),
    /// The denominator adds up to zero: a share of nothing.
    ZeroDenominator,
    /// A sum exceeds the integer range.
    Overflow,
    /// The inputs of one formula come from different periods.
    MixedInputPeriods(Vec<Period>),
}

impl Missing {
    pub fn message_zh(&self) -> String {
        match self {
            Self::RegistryMeasure(name) => format!("登记库统计缺少字段 {name}"),
            Self::Input(measure) => format!("缺少统计输入：{}", measure.name_zh()),
            Self::ZeroDenominator => "分母为零，比重无意义".to_owned(),
            Self::Overflow => "合计超出整数范围".to_owned(),
            Self::MixedInputPeriods(p) => format!("统计输入期别不一致：{}", list(p)),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Self::RegistryMeasure(name) => format!("the registry statistics have no field {name}"),
            Self::Input(measure) => format!("no statistics input {}", measure.key()),
            Self::ZeroDenominator => "the denominator is zero".to_owned(),
            Self::Overflow => "a sum exceeds the integer range".to_owned(),
            Self::MixedInputPeriods(p) => format!("inputs of different periods: {}", list(p)),
        }
    }
}

fn list(periods: &[Period]) -> String {
    periods
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn sum(
    operand: &Operand,
    figures: &RegionFigures,
    missing: &mut Vec<Missing>,
    used: &mut Vec<(InputMeasure, InputFigure)>,
) -> Option<i64> {
    let mut total: Option<i64> = Some(0);
    for term in operand.terms() {
        let value = match term {
            Term::Registry(name) => figures.registry.get(name.as_str()).copied().or_else(|| {
                missing.push(Missing::RegistryMeasure(name.as_str().to_owned()));
                None
            }),
            Term::Input(measure) => match figures.inputs.get(measure) {
                Some(figure) => {
                    used.push((*measure, *figure));
                    Some(figure.value_yuan)
                }
                None => {
                    missing.push(Missing::Input(*measure));
                    None
                }
            },
        };
        total = match (total, value) {
            (Some(t), Some(v)) => match t.checked_add(v) {
                Some(s) => Some(s),
                None => {
                    missing.push(Missing::Overflow);
                    None
                }
            },
            _ => None,
        };
    }
    total
}

/// The indicator's value for a region, or every reason it has none.
pub fn evaluate(
    definition: &IndicatorDefinition,
    figures: &RegionFigures,
) -> Result<IndicatorValue, Vec<Missing>> {
    let mut missing = Vec::new();
    let mut used = Vec::new();
    let (numerator, denominator) = match &definition.formula {
        Formula::Quantity(operand) => (sum(operand, figures, &mut missing, &mut used), None),
        Formula::Share {
            numerator,
            denominator,
        } => (
            sum(numerator, figures, &mut missing, &mut used),
            Some(sum(denominator, figures, &mut missing, &mut used)),
        ),
    };
    used.sort_by_key(|(measure, _)| *measure);
    used.dedup();
    let periods: BTreeSet<Period> = used.iter().map(|(_, f)| f.period).collect();
    if periods.len() > 1 {
        missing.push(Missing::MixedInputPeriods(periods.into_iter().collect()));
    }
    if denominator == Some(Some(0)) {
        missing.push(Missing::ZeroDenominator);
    }
    match (numerator, denominator) {
        (Some(numerator), None) if missing.is_empty() => Ok(IndicatorValue {
            numerator,
            denominator: None,
            inputs: used,
        }),
        (Some(numerator), Some(Some(d))) if missing.is_empty() => Ok(IndicatorValue {
            numerator,
            denominator: Some(d),
            inputs: used,
        }),
        _ => Err(missing),
    }
}

/// Which period of statistics inputs a formula reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodChoice {
    /// The formula reads no inputs.
    NotNeeded,
    Chosen(Period),
    /// No period has every input the formula needs.
    Unavailable,
}

/// Chooses one period for all the inputs of `definition` (never a mix), from the periods
/// each input has a figure for, on `as_of`; `report_year` is the year of the annual reports
/// the registry figures sum.
pub fn choose_input_period(
    definition: &IndicatorDefinition,
    available: &BTreeMap<InputMeasure, BTreeSet<Period>>,
    as_of: NaiveDate,
    report_year: i32,
) -> PeriodChoice {
    let needed = definition.formula.inputs();
    if needed.is_empty() {
        return PeriodChoice::NotNeeded;
    }
    let has_all = |period: &Period| {
        needed
            .iter()
            .all(|m| available.get(m).is_some_and(|set| set.contains(period)))
    };
    let chosen = match definition.input_period {
        InputPeriod::ReportYear => Some(Period::Year(report_year)).filter(has_all),
        InputPeriod::Latest => needed
            .iter()
            .filter_map(|m| available.get(m))
            .flatten()
            .filter(|p| p.ends_on() <= as_of && has_all(p))
            .max()
            .copied(),
    };
    chosen.map_or(PeriodChoice::Unavailable, PeriodChoice::Chosen)
}

#[cfg(test)]
mod tests;
