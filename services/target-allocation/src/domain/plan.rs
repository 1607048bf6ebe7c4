//! Plans and indicators as data: identifiers, statuses and the closed vocabularies of an
//! indicator (comparator, data source, registry measure, aggregation).

use chrono::{Datelike, NaiveDate};
use hte_shared::i18n::Text;
use hte_shared::text;
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

        ::hte_shared::keyed_variants!($name { $($variant = $key,)* });
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

keyed_enum! {
    /// Which period of the statistics inputs a formula reads (统计输入期别), in monitoring.
    InputPeriod {
        /// 最新: the latest period ended by the snapshot's date that has every input.
        Latest = "latest",
        /// 年报年度: the year of the annual reports the registry sums (the year before the
        /// snapshot's date), so a registry sum and an input describe the same year.
        ReportYear = "report_year",
    }
}

keyed_enum! {
    /// A figure of the registry's statistics row (GET /api/v1/statistics) that a formula
    /// may add up (登记库统计字段).
    RegistryStatistic {
        /// 登记企业数
        Registered = "registered",
        /// 科技型中小企业数
        TechSme = "tech_sme",
        /// 入库培育企业数
        Pool = "pool",
        /// 有效高新技术企业数
        Hte = "hte",
        /// 规上高企数
        HteAboveScale = "hte_above_scale",
        /// 建有研发机构的规上高企数
        HteAboveScaleWithRdInstitution = "hte_above_scale_with_rd_institution",
        /// 省级高新区内高企数
        HteInProvincialZone = "hte_in_provincial_zone",
        /// 国家级高新区内高企数
        HteInNationalZone = "hte_in_national_zone",
        /// 高企研发费用 (yuan)
        HteRdExpenseYuan = "hte_rd_expense_yuan",
        /// 高企有效发明专利
        HteInventionPatents = "hte_invention_patents",
        /// 高企高新技术产品收入 (yuan)
        HteHightechIncomeYuan = "hte_hightech_income_yuan",
        /// 新认定高企数
        NewCertificates = "new_certificates",
        /// 瞪羚企业数
        #[serde(rename = "labels.gazelle")]
        LabelsGazelle = "labels.gazelle",
        /// 专精特新"小巨人"数
        #[serde(rename = "labels.little_giant")]
        LabelsLittleGiant = "labels.little_giant",
        /// 制造业单项冠军数
        #[serde(rename = "labels.single_champion")]
        LabelsSingleChampion = "labels.single_champion",
        /// 创新型领军企业数
        #[serde(rename = "labels.innovative_leader")]
        LabelsInnovativeLeader = "labels.innovative_leader",
        /// 百强创新型企业数
        #[serde(rename = "labels.top100")]
        LabelsTop100 = "labels.top100",
        /// 上市后备企业数
        #[serde(rename = "labels.listing_pipeline")]
        LabelsListingPipeline = "labels.listing_pipeline",
    }
}

keyed_enum! {
    /// An external statistic (统计部门数据) entered in monitoring, in yuan.
    StatisticsInput {
        /// 全社会研究与试验发展经费支出
        SocietyRdExpenseYuan = "society_rd_expense_yuan",
        /// 全省企业研发经费投入
        EnterpriseRdExpenseYuan = "enterprise_rd_expense_yuan",
        /// 规模以上工业企业研发经费支出
        AboveScaleIndustrialRdExpenseYuan = "above_scale_industrial_rd_expense_yuan",
        /// 规模以上工业总产值
        AboveScaleIndustrialOutputYuan = "above_scale_industrial_output_yuan",
        /// 高新技术产业产值
        HightechIndustryOutputYuan = "hightech_industry_output_yuan",
    }
}

impl From<Measure> for RegistryStatistic {
    fn from(measure: Measure) -> Self {
        match measure {
            Measure::Hte => Self::Hte,
            Measure::NewCertificates => Self::NewCertificates,
            Measure::HteInventionPatents => Self::HteInventionPatents,
            Measure::Pool => Self::Pool,
            Measure::TechSme => Self::TechSme,
        }
    }
}

/// One figure a formula adds up (求和项): `{"registry": "hte"}` or
/// `{"input": "enterprise_rd_expense_yuan"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Term {
    /// A field of the registry's statistics row (登记库统计).
    Registry(RegistryStatistic),
    /// An external statistics input entered in monitoring (统计部门数据).
    Input(StatisticsInput),
}

/// A sum of 1–8 distinct terms (求和项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Operand(pub Vec<Term>);

impl utoipa::PartialSchema for Operand {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name("Term"))
            .min_items(Some(1))
            .max_items(Some(MAX_TERMS))
            .description(Some(
                "1–8 distinct terms, added up (求和项为1–8个，不得重复)",
            ))
            .into()
    }
}

impl ToSchema for Operand {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push(("Term".to_owned(), <Term as utoipa::PartialSchema>::schema()));
        <Term as ToSchema>::schemas(schemas);
    }
}

/// Most terms an operand adds up.
pub const MAX_TERMS: usize = 8;

/// What an indicator's value is (计算公式), as monitoring evaluates it:
/// `{"quantity": [terms]}` — a count or amount (数量), the sum of the terms; or
/// `{"share": {"numerator": [terms], "denominator": [terms]}}` — a share (比重).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Formula {
    /// 数量: the sum of the terms.
    #[schema(title = "QuantityFormula")]
    Quantity(Operand),
    /// 比重: numerator ÷ denominator.
    #[schema(title = "ShareFormula")]
    Share(ShareOperands),
}

/// The two sides of a share (比重). A named type, so generated clients get one class for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareOperands {
    /// 分子
    pub numerator: Operand,
    /// 分母
    pub denominator: Operand,
}

impl Formula {
    /// The one-term quantity a registry measure stands for (existing plans' default).
    pub fn of_measure(measure: Measure) -> Self {
        Self::Quantity(Operand(vec![Term::Registry(measure.into())]))
    }

    fn operands(&self) -> Vec<(&'static str, &Operand)> {
        match self {
            Self::Quantity(operand) => vec![("formula.quantity", operand)],
            Self::Share(ShareOperands {
                numerator,
                denominator,
            }) => vec![
                ("formula.share.numerator", numerator),
                ("formula.share.denominator", denominator),
            ],
        }
    }

    fn terms(&self) -> impl Iterator<Item = &Term> {
        self.operands().into_iter().flat_map(|(_, o)| o.0.iter())
    }

    pub fn is_share(&self) -> bool {
        matches!(self, Self::Share(_))
    }
}

/// A rule a formula breaks: the field (of the indicator), the rule's name, a sentence.
pub type FormulaViolation = (String, &'static str, Text);

/// The rules of an indicator's formula and what goes with it: operands of 1–8 distinct
/// terms; a share has unit `ratio` and only a share does; the terms fit the data source
/// (registry terms for `registry`, inputs for `external`, both for `registry_and_external`);
/// `input_period: report_year` needs inputs; only a quantity adds the pool's pipeline.
pub fn formula_violations(
    formula: Option<&Formula>,
    unit: &str,
    source: DataSource,
    input_period: InputPeriod,
    pipeline: bool,
) -> Vec<FormulaViolation> {
    let mut out: Vec<FormulaViolation> = Vec::new();
    let Some(formula) = formula else {
        if pipeline {
            out.push((
                "pipeline".into(),
                "needs_formula",
                Text::fixed(
                    "pipeline needs a quantity formula",
                    "未设置数量类公式的指标不能计入培育库储备",
                ),
            ));
        }
        return out;
    };
    for (field, operand) in formula.operands() {
        let distinct: std::collections::HashSet<&Term> = operand.0.iter().collect();
        if operand.0.is_empty() || operand.0.len() > MAX_TERMS {
            out.push((
                field.into(),
                "terms",
                text!(
                    "an operand adds up 1–{MAX_TERMS} terms",
                    "每个运算项须由 1 至 {MAX_TERMS} 个求和项组成"
                ),
            ));
        } else if distinct.len() != operand.0.len() {
            out.push((
                field.into(),
                "unique",
                Text::fixed(
                    "an operand names each term once",
                    "同一运算项中的求和项不得重复",
                ),
            ));
        }
    }
    if formula.is_share() != (unit == "ratio") {
        out.push((
            "unit".into(),
            "ratio_is_share",
            Text::fixed(
                "a share formula has unit ratio, and only a share does",
                "比重类公式的单位须为 ratio，且只有比重类公式使用 ratio",
            ),
        ));
    }
    let registry = formula.terms().any(|t| matches!(t, Term::Registry(_)));
    let inputs = formula.terms().any(|t| matches!(t, Term::Input(_)));
    let fits = match source {
        DataSource::Registry => !inputs,
        DataSource::External => !registry,
        DataSource::RegistryAndExternal => registry && inputs,
    };
    if !fits {
        out.push((
            "formula".into(),
            "fits_source",
            text!(
                "the formula's terms must fit source {}: registry terms for registry, inputs \
                 for external, both for registry_and_external",
                "公式各项须与数据来源 {} 相符：registry 使用企业库统计项，external 使用统计输入，\
                 registry_and_external 两者都要使用",
                source.key()
            ),
        ));
    }
    if input_period == InputPeriod::ReportYear && !inputs {
        out.push((
            "input_period".into(),
            "needs_inputs",
            Text::fixed(
                "input_period report_year applies only to a formula with statistics inputs",
                "input_period 取 report_year 仅适用于含统计输入的公式",
            ),
        ));
    }
    if pipeline && formula.is_share() {
        out.push((
            "pipeline".into(),
            "quantity_only",
            Text::fixed(
                "only a count can add the pool's pipeline to its forecast",
                "仅数量类指标可在预测中计入培育库储备",
            ),
        ));
    }
    out
}

impl PlanStatus {
    /// The status as an official reads it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Draft => "草案",
            Self::Published => "已发布",
            Self::Closed => "已结束",
        }
    }

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
pub type IndicatorViolation = (&'static str, &'static str, Text);

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
                // A ratio's bound depends on the unit, which the document cannot tie to it.
                if ratio { "ratio_range" } else { "range" },
                if ratio {
                    Text::fixed(
                        "a ratio's target_value lies between 0 and 1",
                        "比例类指标的目标值须在 0 至 1 之间",
                    )
                } else {
                    Text::fixed(
                        "target_value lies between 0 and 10^12",
                        "目标值须在 0 至 10^12 之间",
                    )
                },
            ));
        }
    }
    if splittable && unit == "ratio" {
        out.push((
            "splittable",
            "splittable_counts_only",
            Text::fixed(
                "only counts can be split by region; a ratio cannot be added up",
                "只有数量类指标可按地区分解；比例不能相加",
            ),
        ));
    }
    if measure.is_some() && source != DataSource::Registry {
        out.push((
            "measure",
            "registry_only",
            Text::fixed(
                "measure names a registry statistic; it needs source = registry",
                "measure 指向企业库统计项，数据来源须为 registry",
            ),
        ));
    }
    out
}

/// Plan ids are readable, stable slugs (the suite's one rule, [`hte_shared::plan_id`]).
pub fn check_plan_id(id: &str) -> Result<(), Text> {
    if hte_shared::plan_id::is_valid(id) {
        return Ok(());
    }
    let shown = hte_shared::i18n::quote(id);
    Err(text!(
        "a plan id is 3–64 lowercase letters, digits and hyphens, e.g. jiangsu-2019-57; got {shown}",
        "规划编号须为 3 至 64 个小写字母、数字或连字符，如 jiangsu-2019-57，收到的是 {shown}"
    ))
}

/// Indicator keys: snake_case, 2–64 characters.
pub fn check_indicator_key(key: &str) -> Result<(), Text> {
    let ok = (2..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && key.as_bytes()[0].is_ascii_lowercase();
    if ok {
        Ok(())
    } else {
        let shown = hte_shared::i18n::quote(key);
        Err(text!(
            "an indicator key is 2–64 snake_case characters, e.g. hte_count; got {shown}",
            "指标键名须为 2 至 64 个小写下划线格式（snake_case）字符，如 hte_count，收到的是 {shown}"
        ))
    }
}

/// Trimmed text of `min..=max` characters.
pub fn check_text(value: &str, min: usize, max: usize) -> Result<String, Text> {
    let trimmed = value.trim();
    let n = trimmed.chars().count();
    if (min..=max).contains(&n) {
        Ok(trimmed.to_owned())
    } else {
        Err(text!(
            "must be {min}–{max} characters; got {n}",
            "须为 {min} 至 {max} 个字符，现为 {n} 个"
        ))
    }
}

/// A reason (理由) for a change to the target tree: 2–500 characters.
pub fn check_reason(value: &str) -> Result<String, Text> {
    check_text(value, 2, 500)
        .map_err(|e| Text::new(format!("reason {e}"), format!("理由{}", e.zh())))
}

/// Most calendar years a plan period touches: `check_period` lets the last year be at most
/// 10 after the first, so targets (one period per year) and year-end assessments of a plan
/// come in at most this many years.
pub const MAX_PLAN_YEARS: usize = 11;

/// Most indicators a plan holds: it is stored from a plan body, whose arrays hold at most
/// `hte_shared::bounds::MAX_ITEMS` (refused at the edge above it).
pub const MAX_PLAN_INDICATORS: usize = hte_shared::bounds::MAX_ITEMS;

/// Plan periods are whole years between 2000 and 2100, at most 10 years long.
pub fn check_period(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<(), Text> {
    if ends_on < starts_on {
        return Err(Text::fixed(
            "ends_on must not be before starts_on",
            "规划截止日期不得早于开始日期",
        ));
    }
    if !(2000..=2100).contains(&starts_on.year()) || !(2000..=2100).contains(&ends_on.year()) {
        return Err(Text::fixed(
            "the plan period must lie between 2000 and 2100",
            "规划期须在 2000 年至 2100 年之间",
        ));
    }
    if ends_on.year() - starts_on.year() > 10 {
        return Err(Text::fixed(
            "a plan period spans at most 10 years",
            "规划期最长为 10 年",
        ));
    }
    Ok(())
}

/// A target period (考核期) is a calendar year `YYYY` (the document's pattern `^[0-9]{4}$`)
/// within the plan's period. The error carries its rule: `format` breaks the document,
/// `plan_period` (outside this plan) only the stored plan.
pub fn parse_target_period(
    raw: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<i32, (&'static str, Text)> {
    let year = raw
        .parse::<i32>()
        .ok()
        .filter(|_| raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            let shown = hte_shared::i18n::quote(raw);
            (
                "format",
                text!(
                    "period is a year like \"2020\"; got {shown}",
                    "考核期须为年份，如 \"2020\"，收到的是 {shown}"
                ),
            )
        })?;
    if year < starts_on.year() || year > ends_on.year() {
        return Err((
            "plan_period",
            text!(
                "period {year} is outside the plan period {}–{}",
                "考核期 {year} 年不在规划期 {} 至 {} 年之内",
                starts_on.year(),
                ends_on.year()
            ),
        ));
    }
    Ok(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_period_touches_at_most_max_plan_years() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let longest = (d("2020-01-01"), d("2030-12-31"));
        assert!(check_period(longest.0, longest.1).is_ok());
        let years = (longest.1.year() - longest.0.year() + 1) as usize;
        assert_eq!(years, MAX_PLAN_YEARS);
        assert!(check_period(d("2020-01-01"), d("2031-01-01")).is_err());
    }

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
    fn formulas_are_checked_against_unit_source_and_options() {
        let share: Formula = serde_json::from_str(
            r#"{"share": {"numerator": [{"registry": "hte_rd_expense_yuan"}],
                          "denominator": [{"input": "enterprise_rd_expense_yuan"}]}}"#,
        )
        .unwrap();
        let both = DataSource::RegistryAndExternal;
        assert!(
            formula_violations(Some(&share), "ratio", both, InputPeriod::ReportYear, false)
                .is_empty()
        );
        let rules = |f: Option<&Formula>, unit, source, period, pipeline| {
            formula_violations(f, unit, source, period, pipeline)
                .into_iter()
                .map(|(field, rule, _)| format!("{field}:{rule}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            rules(
                Some(&share),
                "enterprises",
                DataSource::Registry,
                InputPeriod::Latest,
                true
            ),
            [
                "unit:ratio_is_share",
                "formula:fits_source",
                "pipeline:quantity_only"
            ]
        );
        let count = Formula::of_measure(Measure::Hte);
        assert_eq!(
            serde_json::to_value(&count).unwrap(),
            serde_json::json!({"quantity": [{"registry": "hte"}]})
        );
        assert_eq!(
            rules(
                Some(&count),
                "enterprises",
                DataSource::Registry,
                InputPeriod::ReportYear,
                true
            ),
            ["input_period:needs_inputs"]
        );
        let repeated = Formula::Quantity(Operand(vec![Term::Registry(RegistryStatistic::Hte); 2]));
        assert_eq!(
            rules(
                Some(&repeated),
                "enterprises",
                DataSource::Registry,
                InputPeriod::Latest,
                false
            ),
            ["formula.quantity:unique"]
        );
        let empty = Formula::Quantity(Operand(vec![]));
        assert_eq!(
            rules(
                Some(&empty),
                "enterprises",
                DataSource::Registry,
                InputPeriod::Latest,
                false
            ),
            ["formula.quantity:terms"]
        );
        assert_eq!(
            rules(
                None,
                "enterprises",
                DataSource::Registry,
                InputPeriod::Latest,
                true
            ),
            ["pipeline:needs_formula"]
        );
        let label: Term = serde_json::from_str(r#"{"registry": "labels.gazelle"}"#).unwrap();
        assert_eq!(label, Term::Registry(RegistryStatistic::LabelsGazelle));
        assert!(serde_json::from_str::<Term>(r#"{"input": "gdp_yuan"}"#).is_err());
    }

    #[test]
    fn periods() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let bounds =
            |unit, v| indicator_violations(unit, Some(v), false, DataSource::Registry, None);
        assert_eq!(bounds("enterprises", 1e308)[0].1, "range");
        assert_eq!(bounds("ratio", 1.5)[0].1, "ratio_range");
        assert!(bounds("enterprises", 1e12).is_empty());
        assert_eq!(
            parse_target_period("2020", d("2019-01-01"), d("2020-12-31")),
            Ok(2020)
        );
        let period = |raw| parse_target_period(raw, d("2019-01-01"), d("2020-12-31"));
        assert_eq!(period("2021").unwrap_err().0, "plan_period");
        assert_eq!(period("20").unwrap_err().0, "format");
        assert_eq!(period(" 2020").unwrap_err().0, "format");
        assert!(check_period(d("2020-01-01"), d("2019-01-01")).is_err());
    }
}
