//! Output vocabulary shared by the HTE, tech-SME and gazelle assessments.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::Indicator;

/// Result of one condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Met (达标).
    Pass,
    /// Not met (未达标).
    Fail,
    /// Cannot be decided from the data at hand (无法判断); `missing` says what is lacking.
    Unknown,
}

/// Where a condition's outcome comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// Computed from registry data (annual reports, registration facts).
    Data,
    /// Partly computed, partly assumed (the innovation-capability score's expert items).
    Estimate,
    /// Something the firm declares or an authority attests (e.g. the clean record); registry
    /// data may not hold it.
    Declaration,
}

/// Overall verdict for one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverallOutcome {
    /// Every condition passes on registry data, declarations or entered expert scores
    /// (符合条件).
    Qualifies,
    /// Nothing fails and no data is missing, but the pass rests on assumptions: an estimated
    /// condition passes only with assumed points, or a declaration (such as the clean record)
    /// is still open (基本符合).
    LikelyQualifies,
    /// At least one condition fails (不符合).
    DoesNotQualify,
    /// Nothing fails, but a data condition is unknown, or an estimated one could go either way
    /// (待定).
    Undetermined,
}

/// How a condition's value is compared with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Comparator {
    /// value ≥ threshold (不低于)
    #[serde(rename = ">=")]
    AtLeast,
    /// value > threshold (超过 / 不含)
    #[serde(rename = ">")]
    GreaterThan,
    /// value ≤ threshold (不超过)
    #[serde(rename = "<=")]
    AtMost,
    /// value belongs to the supported high-tech domains (属于国家重点支持的高新技术领域)
    #[serde(rename = "in catalogue")]
    InCatalogue,
    /// a stated fact holds (是)
    #[serde(rename = "holds")]
    Holds,
}

/// Unit of a value, threshold or gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// calendar days (天)
    Days,
    /// decimal ratio, 0.05 = 5 % (比例)
    Ratio,
    /// RMB yuan (元)
    Yuan,
    /// a count (件/个)
    Count,
    /// score points (分)
    Points,
    /// people (人)
    Staff,
    /// IP items (件)
    Items,
    /// a category such as a technology domain (类别)
    Category,
    /// a yes/no fact (是/否)
    Flag,
}

/// What is short and what to do about it (差距).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Gap {
    /// Shortfall in the unit a manager acts on, rounded up (差额).
    pub amount: i64,
    /// Unit of `amount`.
    pub unit: Unit,
    /// Shortfall relative to what the threshold requires, 0 = at the threshold, 1 = nothing
    /// there yet (相对差距); used for ranking.
    pub relative: f64,
    /// Advice in English (建议, 英文).
    pub advice_en: String,
    /// Advice in Chinese (建议).
    pub advice_zh: String,
}

/// One eligibility condition, evaluated (条件评估结果).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConditionResult {
    /// Stable snake_case key, e.g. `rd_intensity`.
    pub key: String,
    /// Condition name in English.
    pub name_en: String,
    /// Condition name in Chinese (条件名称).
    pub name_zh: String,
    /// pass / fail / unknown (评估结果).
    pub outcome: Outcome,
    /// Data, estimate or declaration.
    pub kind: ConditionKind,
    /// Observed value in `unit` (实际值); null when it cannot be computed.
    pub value: Option<f64>,
    /// Threshold in `unit` (标准值).
    pub threshold: Option<f64>,
    /// How value and threshold compare for a pass.
    pub comparator: Comparator,
    /// Unit of `value` and `threshold`.
    pub unit: Unit,
    /// What is short, when the condition is not met (差距).
    pub gap: Option<Gap>,
    /// True when the outcome rests on assumptions (估算).
    pub estimated: bool,
    /// Which years and figures were used (依据).
    pub basis: String,
    /// Figures that were missing, as `year.field` (缺失数据): each at most once, over at most
    /// four years (the three assessed ones and the growth base year) and the 14 figures of an
    /// annual report, so at most 56 (`assessment::MAX_MISSING`).
    #[schema(max_items = 56)]
    pub missing: Vec<String>,
}

/// Where a score item's points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSource {
    /// From registry data, at the low end of its band (据数据计算).
    Computed,
    /// Assumed from the rule set's fraction of the item's maximum (假设值).
    Assumed,
    /// Entered from an expert review (专家评审录入), capped at the item's maximum.
    Entered,
    /// The data was missing; counted as 0 in the estimate (数据缺失).
    MissingData,
    /// From registry data that falls between the guideline's bands, so the points are the
    /// experts' judgement within the range shown; the estimate takes its low end (专家酌情).
    ExpertJudgement,
    /// The data does not allow a rule-based score (e.g. negative net assets); counted as 0 in
    /// the estimate and flagged for manual review (需人工复核).
    ManualReview,
}

/// One item of a score table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScoreItem {
    /// Stable key, e.g. `ip_quantity`.
    pub key: String,
    /// Indicator the item belongs to (评价指标).
    pub indicator: Indicator,
    /// Item name in English.
    pub name_en: String,
    /// Item name in Chinese (评分项).
    pub name_zh: String,
    /// Points in the estimate (估算得分).
    pub points: f64,
    /// The most the item could score given the data (可能最高分): the top of the band for
    /// computed items, the item maximum for assumed or missing ones.
    pub possible: f64,
    /// Item maximum (满分).
    pub max: u32,
    /// Computed, assumed, missing or manual review.
    pub source: ScoreSource,
    /// True unless the points come straight from data.
    pub estimated: bool,
    /// Observed value behind a computed item (a growth rate, conversions per year, an IP
    /// count), if any.
    pub value: Option<f64>,
    /// How the points were found.
    pub basis: String,
}

/// Ranking key for screening HTE candidates: smaller is closer to qualifying.
///
/// Unknown is not ready: a firm whose conditions cannot be judged has shown nothing yet, so it
/// ranks below one that is known to meet more conditions, however far the latter falls short on
/// the rest. The order compares:
/// 1. `passing` – more conditions known to pass first;
/// 2. `failing` – then fewer failing conditions;
/// 3. `relative_gap_ppm` – then the smaller sum of relative gaps, in integer parts per million
///    (each condition's `gap.relative` rounded to ppm before summing, a failing condition without
///    a gap counts as 1.0), so the order is total and deterministic;
/// 4. `unknown` – then fewer unknown conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// Number of conditions known to pass (已达标条件数).
    #[serde(default)]
    pub passing: u32,
    /// Number of failing conditions (未达标条件数).
    pub failing: u32,
    /// Sum of relative gaps in parts per million (相对差距合计, 百万分之).
    pub relative_gap_ppm: u64,
    /// Number of unknown conditions (无法判断条件数).
    pub unknown: u32,
}

impl Ord for Readiness {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .passing
            .cmp(&self.passing)
            .then(self.failing.cmp(&other.failing))
            .then(self.relative_gap_ppm.cmp(&other.relative_gap_ppm))
            .then(self.unknown.cmp(&other.unknown))
    }
}

impl PartialOrd for Readiness {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Combine condition outcomes into a verdict: any fail → does not qualify; otherwise any data
/// or estimate condition unknown → undetermined; otherwise a declaration still open or an
/// estimate condition passing only on assumed points → likely qualifies; otherwise qualifies.
/// An estimate condition whose pass does not rest on assumptions is given as `Data`.
pub(crate) fn combine(items: impl IntoIterator<Item = (Outcome, ConditionKind)>) -> OverallOutcome {
    let mut any_fail = false;
    let mut open_data = false;
    let mut assumed = false;
    for (outcome, kind) in items {
        match (outcome, kind) {
            (Outcome::Fail, _) => any_fail = true,
            (Outcome::Unknown, ConditionKind::Declaration) => assumed = true,
            (Outcome::Unknown, _) => open_data = true,
            (Outcome::Pass, ConditionKind::Estimate) => assumed = true,
            (Outcome::Pass, _) => {}
        }
    }
    if any_fail {
        OverallOutcome::DoesNotQualify
    } else if open_data {
        OverallOutcome::Undetermined
    } else if assumed {
        OverallOutcome::LikelyQualifies
    } else {
        OverallOutcome::Qualifies
    }
}

/// Relative gap in ppm, clamped at 0.
pub(crate) fn relative_ppm(relative: f64) -> u64 {
    if relative.is_finite() && relative > 0.0 {
        (relative * 1_000_000.0).round() as u64
    } else {
        0
    }
}

impl ConditionResult {
    /// A data condition, unknown until decided.
    pub(crate) fn new(
        key: &str,
        name_en: &str,
        name_zh: &str,
        comparator: Comparator,
        unit: Unit,
    ) -> Self {
        ConditionResult {
            key: key.to_owned(),
            name_en: name_en.to_owned(),
            name_zh: name_zh.to_owned(),
            outcome: Outcome::Unknown,
            kind: ConditionKind::Data,
            value: None,
            threshold: None,
            comparator,
            unit,
            gap: None,
            estimated: false,
            basis: String::new(),
            missing: Vec::new(),
        }
    }

    pub(crate) fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = Some(threshold);
        self
    }

    pub(crate) fn kind(mut self, kind: ConditionKind) -> Self {
        self.kind = kind;
        self.estimated = kind == ConditionKind::Estimate;
        self
    }

    /// Unknown because of missing figures.
    pub(crate) fn unknown(mut self, basis: String, missing: Vec<String>) -> Self {
        self.outcome = Outcome::Unknown;
        self.basis = basis;
        self.missing = missing;
        self
    }

    pub(crate) fn pass(mut self, value: Option<f64>, basis: String) -> Self {
        self.outcome = Outcome::Pass;
        self.value = value;
        self.basis = basis;
        self
    }

    pub(crate) fn fail(mut self, value: Option<f64>, basis: String, gap: Option<Gap>) -> Self {
        self.outcome = Outcome::Fail;
        self.value = value;
        self.basis = basis;
        self.gap = gap;
        self
    }

    /// This condition's contribution to the relative-gap sum of a [`Readiness`].
    pub(crate) fn relative_gap_ppm(&self) -> u64 {
        match (&self.gap, self.outcome) {
            (Some(gap), _) => relative_ppm(gap.relative),
            (None, Outcome::Fail) => 1_000_000,
            (None, _) => 0,
        }
    }
}

impl Gap {
    pub(crate) fn new(
        amount: i128,
        unit: Unit,
        relative: f64,
        advice_en: String,
        advice_zh: String,
    ) -> Self {
        Gap {
            amount: super::exact::to_i64(amount),
            unit,
            relative: if relative.is_finite() {
                relative.clamp(0.0, 1.0)
            } else {
                1.0
            },
            advice_en,
            advice_zh,
        }
    }
}
