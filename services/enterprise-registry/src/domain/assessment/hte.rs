//! HTE recognition conditions (高新技术企业认定条件) and the innovation-capability estimate.

use chrono::Days;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::exact::{
    PPM, additive_shortfall, ceil_div, growth_at_least, micro_to_f64, observed_pct_en,
    observed_pct_zh, pct_en, pct_zh, plural, points_text, ppm, ratio_at_least, ratio_f64,
    shortfall, years_text, yuan_en, yuan_round_en, yuan_round_zh, yuan_zh,
};
use super::result::{
    Comparator, ConditionKind, ConditionResult, Gap, Outcome, OverallOutcome, Readiness, ScoreItem,
    ScoreSource, Unit, combine,
};
use super::rules::{ExpertItem, HteRules, Indicator, InnovationRules, PointRange};
use super::{
    CLASS1_IP, CLASS2_IP, CONVERSIONS, Context, EMPLOYEES, Field, HIGHTECH_INCOME,
    INVENTION_PATENTS, Lookup, NET_ASSETS, RD, RD_DOMESTIC, SALES, ST_STAFF, TOTAL_INCOME,
};

/// HTE eligibility (高新技术企业认定条件评估).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HteAssessment {
    /// Overall verdict (总体结论).
    pub outcome: OverallOutcome,
    /// The conditions in a fixed order: registration_age, core_ip, tech_domain, st_staff_ratio,
    /// rd_intensity, rd_domestic_share, hightech_income_share, innovation_score, clean_record.
    #[schema(max_items = 9)]
    pub conditions: Vec<ConditionResult>,
    /// Number of conditions known to pass (已达标条件数).
    pub passing: u32,
    /// Number of failing conditions (未达标条件数).
    pub failing: u32,
    /// Number of unknown conditions (无法判断条件数).
    pub unknown: u32,
    /// The innovation-capability estimate item by item (创新能力评价估算明细).
    pub score_breakdown: InnovationScore,
}

impl HteAssessment {
    /// Ranking key for candidate screening; see [`Readiness`] for the order.
    pub fn readiness(&self) -> Readiness {
        Readiness {
            passing: self.passing,
            failing: self.failing,
            relative_gap_ppm: self
                .conditions
                .iter()
                .map(ConditionResult::relative_gap_ppm)
                .sum(),
            unknown: self.unknown,
        }
    }

    /// The condition with this key, if any.
    pub fn condition(&self, key: &str) -> Option<&ConditionResult> {
        self.conditions.iter().find(|c| c.key == key)
    }
}

/// The innovation-capability score as far as data allows (企业创新能力评价).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InnovationScore {
    /// Estimated total (估算总分): computed items at the low end of their bands, expert items
    /// at the rule set's assumed share, missing data as 0; IP capped.
    pub estimate: f64,
    /// Highest total the data leaves possible (可能最高分): computed items at the top of their
    /// bands, expert and missing items at their maximum (expert items at 100 %); IP capped.
    pub possible: f64,
    /// Lowest total the data and entered scores guarantee (保底分): computed items at the low
    /// end of their bands, entered expert scores as entered, expert items not entered at 0 %,
    /// missing data as 0; IP capped.
    #[serde(default)]
    pub floor: f64,
    /// Points of the estimate that rest on assumed expert scores (假设得分): `estimate` minus
    /// `floor`. A pass that needs them is only likely.
    #[serde(default)]
    pub points_at_risk: f64,
    /// The total must exceed this (及格线，不含).
    pub pass_mark: u32,
    /// Item by item (评分明细): IP quantity, the rule set's expert items (at most
    /// `rules::MAX_EXPERT_ITEMS`, 100), conversions and the two growth rates.
    #[schema(max_items = 104)]
    pub items: Vec<ScoreItem>,
}

pub(crate) fn assess(ctx: &Context<'_>, rules: &HteRules) -> HteAssessment {
    let (innovation, score_breakdown) = innovation_score(ctx, &rules.innovation);
    let conditions = vec![
        registration_age(ctx, rules),
        core_ip(ctx),
        tech_domain(ctx),
        st_staff_ratio(ctx, rules),
        rd_intensity(ctx, rules),
        rd_domestic_share(ctx, rules),
        hightech_income_share(ctx, rules),
        innovation,
        clean_record(ctx),
    ];
    let count = |o: Outcome| conditions.iter().filter(|c| c.outcome == o).count() as u32;
    HteAssessment {
        outcome: combine(conditions.iter().map(|c| (c.outcome, c.kind))),
        passing: count(Outcome::Pass),
        failing: count(Outcome::Fail),
        unknown: count(Outcome::Unknown),
        conditions,
        score_breakdown,
    }
}

/// Relative shortfall of `num / den` below the threshold, 0..=1; 1 when undefined.
fn relative(num: i128, den: i128, threshold_ppm: i128) -> f64 {
    if den <= 0 || threshold_ppm <= 0 {
        return 1.0;
    }
    let required = den * threshold_ppm;
    (required - num * PPM) as f64 / required as f64
}

fn no_fiscal_year(ctx: &Context<'_>) -> String {
    format!(
        "no fiscal year has closed since registration in {}",
        ctx.registration_year
    )
}

fn registration_age(ctx: &Context<'_>, rules: &HteRules) -> ConditionResult {
    let c = ConditionResult::new(
        "registration_age",
        "Registered at least one year",
        "注册成立一年以上",
        Comparator::AtLeast,
        Unit::Days,
    )
    .threshold(f64::from(rules.min_registration_days));
    let registered = ctx.facts.registered_on;
    let days = (ctx.as_of - registered).num_days();
    let min = i64::from(rules.min_registration_days);
    let basis = format!(
        "registered on {registered}: {days} days before {}",
        ctx.as_of
    );
    if days >= min {
        return c.pass(Some(days as f64), basis);
    }
    let wait = min - days;
    let from = registered
        .checked_add_days(Days::new(rules.min_registration_days.into()))
        .map_or_else(String::new, |d| d.to_string());
    let from_zh = registered
        .checked_add_days(Days::new(rules.min_registration_days.into()))
        .map_or_else(String::new, |d| d.format("%Y年%-m月%-d日").to_string());
    let (now_en, now_zh) = if days >= 0 {
        (
            format!("Registered {} ago", plural(days.into(), "day", "days")),
            format!("企业注册成立{days}天"),
        )
    } else {
        (
            format!("Registered on {registered}, after {}", ctx.as_of),
            format!("企业注册日期（{registered}）晚于评估日期"),
        )
    };
    let gap = Gap::new(
        wait.into(),
        Unit::Days,
        wait as f64 / min as f64,
        format!(
            "{now_en}; the firm may apply once registered for {min} days, from {from} ({} from \
             now).",
            plural(wait.into(), "day", "days")
        ),
        format!("{now_zh}，须满{min}天方可申报，还需等待{wait}天（{from_zh}起）。"),
    );
    c.fail(Some(days as f64), basis, Some(gap))
}

/// Lower and upper bound of an IP count; `None` upper bound means unbounded.
#[derive(Clone, Copy)]
pub(crate) struct CountBound {
    pub low: i128,
    pub high: Option<i128>,
}

/// Class I and Class II counts of the latest year. Invention patents are Class I, so they give
/// a lower bound when the Class I count itself is missing.
pub(crate) fn ip_counts(l: &mut Lookup<'_, '_>, year: i32) -> (CountBound, CountBound) {
    let class1 = match l.peek(year, CLASS1_IP) {
        Some(n) => CountBound {
            low: n.into(),
            high: Some(n.into()),
        },
        None => {
            l.note_missing(year, CLASS1_IP);
            CountBound {
                low: l.peek(year, INVENTION_PATENTS).unwrap_or(0).max(0).into(),
                high: None,
            }
        }
    };
    let class2 = match l.get(year, CLASS2_IP) {
        Some(n) => CountBound {
            low: n.into(),
            high: Some(n.into()),
        },
        None => CountBound { low: 0, high: None },
    };
    (class1, class2)
}

fn core_ip(ctx: &Context<'_>) -> ConditionResult {
    let c = ConditionResult::new(
        "core_ip",
        "Owns core intellectual property",
        "拥有核心自主知识产权",
        Comparator::AtLeast,
        Unit::Items,
    )
    .threshold(1.0);
    let year = ctx.latest_year;
    let mut l = ctx.lookup();
    let (class1, class2) = ip_counts(&mut l, year);
    let low = class1.low + class2.low;
    let high = class1.high.zip(class2.high).map(|(a, b)| a + b);
    let basis = format!(
        "{year} annual report: Class I and Class II IP items owned; whether they support the \
         main products is not checked"
    );
    if low >= 1 {
        c.pass(Some(low as f64), basis)
    } else if let Some(high) = high.filter(|h| *h <= 0) {
        let gap = Gap::new(
            1,
            Unit::Items,
            1.0,
            format!(
                "No Class I or Class II IP is recorded in the {year} annual report: the firm \
                 needs at least one item it owns outright (e.g. an invention or utility-model \
                 patent, or a software copyright); exclusive licences do not count."
            ),
            format!(
                "{year}年年报未记录Ⅰ类或Ⅱ类知识产权：企业须至少拥有1件自主所有的知识产权\
                 （如发明专利、实用新型专利或软件著作权），独占许可不计入。"
            ),
        );
        c.fail(Some(high as f64), basis, Some(gap))
    } else {
        c.unknown(basis, l.take())
    }
}

fn tech_domain(ctx: &Context<'_>) -> ConditionResult {
    let c = ConditionResult::new(
        "tech_domain",
        "Core technology in a supported high-tech domain",
        "核心技术属于国家重点支持的高新技术领域",
        Comparator::InCatalogue,
        Unit::Category,
    );
    match ctx.facts.tech_domain {
        Some(domain) => c.pass(
            None,
            format!(
                "main technology domain: {} ({}); the sub-field is not checked",
                domain.name_zh(),
                domain.key()
            ),
        ),
        None => c.unknown(
            "no technology domain recorded".to_owned(),
            vec!["tech_domain".to_owned()],
        ),
    }
}

fn st_staff_ratio(ctx: &Context<'_>, rules: &HteRules) -> ConditionResult {
    let c = ConditionResult::new(
        "st_staff_ratio",
        "S&T staff share of employees",
        "科技人员占职工总数的比例",
        Comparator::AtLeast,
        Unit::Ratio,
    )
    .threshold(rules.min_st_staff_ratio);
    let year = ctx.latest_year;
    let mut l = ctx.lookup();
    let st = l.latest(ST_STAFF);
    let emp = l.latest(EMPLOYEES);
    let basis = format!("{year} annual report: S&T staff and total employees");
    let (Some(st), Some(emp)) = (st, emp) else {
        return c.unknown(basis, l.take());
    };
    let threshold = ppm(rules.min_st_staff_ratio);
    let value = ratio_f64(st, emp);
    if emp > 0 && ratio_at_least(st, emp, threshold) {
        return c.pass(value, basis);
    }
    let c = c.fail(value, basis, None);
    let gap = staff_gap(
        year,
        st,
        emp,
        threshold,
        &pct_en(threshold),
        &pct_zh(threshold),
    );
    ConditionResult { gap, ..c }
}

/// Gap to an S&T-staff share: hiring `n` S&T staff also adds `n` employees, so `n` is the
/// smallest integer with `(st + n) / (emp + n) >= threshold`. The advice also gives the number
/// of existing employees who would have to move into S&T roles at constant headcount.
pub(crate) fn staff_gap(
    year: i32,
    st: i128,
    emp: i128,
    threshold: i128,
    pct_en: &str,
    pct_zh: &str,
) -> Option<Gap> {
    let hire = additive_shortfall(st, emp, threshold);
    let reassign = (emp > 0).then(|| shortfall(st, emp, threshold));
    let now_en = if emp > 0 {
        format!(
            "S&T staff are {st} of {emp} employees ({}) in {year}",
            observed_pct_en(st, emp)
        )
    } else {
        format!("No employees are recorded for {year}")
    };
    let now_zh = if emp > 0 {
        format!(
            "{year}年科技人员{st}人，占职工总数{emp}人的{}",
            observed_pct_zh(st, emp)
        )
    } else {
        format!("{year}年未记录职工人数")
    };
    let (amount, en, zh) = match (hire, reassign) {
        (Some(n), Some(m)) => (
            n,
            format!(
                "{now_en}, below the {pct_en} minimum: hire {n} more S&T staff, or move {m} \
                 existing employees into S&T roles."
            ),
            format!(
                "{now_zh}，低于{pct_zh}的要求：需新增科技人员{n}人，或将现有职工中的{m}人调整为科技人员。"
            ),
        ),
        (Some(n), None) => (
            n,
            format!("{now_en}: hire {n} S&T staff to reach {pct_en}."),
            format!("{now_zh}：需新增科技人员{n}人，方可达到{pct_zh}。"),
        ),
        (None, Some(m)) => (
            m,
            format!(
                "{now_en}, below the {pct_en} minimum: move {m} existing employees into S&T roles."
            ),
            format!("{now_zh}，低于{pct_zh}的要求：需将现有职工中的{m}人调整为科技人员。"),
        ),
        (None, None) => return None,
    };
    Some(Gap::new(
        amount,
        Unit::Staff,
        relative(st, emp, threshold),
        en,
        zh,
    ))
}

/// Which band applies to latest-year sales, and its wording.
fn rd_band(rules: &HteRules, latest_sales: i128) -> Option<(i128, String, String)> {
    let bands = &rules.rd_intensity_bands;
    let index = bands.iter().position(|b| {
        b.max_latest_sales_yuan
            .is_none_or(|max| latest_sales <= i128::from(max))
    })?;
    let band = &bands[index];
    let lower = index
        .checked_sub(1)
        .and_then(|i| bands[i].max_latest_sales_yuan)
        .map(i128::from);
    let upper = band.max_latest_sales_yuan.map(i128::from);
    let (en, zh) = match (lower, upper) {
        (None, Some(u)) => (
            format!("up to {}", yuan_round_en(u)),
            format!("不超过{}", yuan_round_zh(u)),
        ),
        (Some(l), Some(u)) => (
            format!("above {} up to {}", yuan_round_en(l), yuan_round_en(u)),
            format!("超过{}、不超过{}", yuan_round_zh(l), yuan_round_zh(u)),
        ),
        (Some(l), None) => (
            format!("above {}", yuan_round_en(l)),
            format!("超过{}", yuan_round_zh(l)),
        ),
        (None, None) => ("of any amount".to_owned(), "不限".to_owned()),
    };
    Some((ppm(band.min_ratio), en, zh))
}

fn rd_intensity(ctx: &Context<'_>, rules: &HteRules) -> ConditionResult {
    let c = ConditionResult::new(
        "rd_intensity",
        "R&D expense share of sales revenue",
        "研究开发费用总额占同期销售收入总额的比例",
        Comparator::AtLeast,
        Unit::Ratio,
    );
    let years = &ctx.window;
    let span = years_text(years);
    let latest = ctx.latest_year;
    let mut l = ctx.lookup();
    let sum_rd = l.sum(years, RD);
    let sum_sales = l.sum(years, SALES);
    let latest_sales = l.latest(SALES);
    let (Some(sum_rd), Some(sum_sales), Some(latest_sales)) = (sum_rd, sum_sales, latest_sales)
    else {
        let basis = if years.is_empty() {
            no_fiscal_year(ctx)
        } else {
            format!("{span} annual reports: R&D expense and sales revenue")
        };
        return c.unknown(basis, l.take());
    };
    let Some((threshold, band_en, band_zh)) = rd_band(rules, latest_sales) else {
        return c.unknown("the rule set has no R&D band".to_owned(), Vec::new());
    };
    let c = c.threshold(threshold as f64 / PPM as f64);
    let basis = format!(
        "{span} annual reports: R&D {} over sales {}; band from {latest} sales {} ({band_en}: {})",
        yuan_en(sum_rd),
        yuan_en(sum_sales),
        yuan_en(latest_sales),
        pct_en(threshold)
    );
    if sum_sales <= 0 {
        return c.fail(
            None,
            format!("{basis}; no sales revenue, so no ratio"),
            None,
        );
    }
    let value = ratio_f64(sum_rd, sum_sales);
    if ratio_at_least(sum_rd, sum_sales, threshold) {
        return c.pass(value, basis);
    }
    let short = shortfall(sum_rd, sum_sales, threshold);
    let gap = Gap::new(
        short,
        Unit::Yuan,
        relative(sum_rd, sum_sales, threshold),
        format!(
            "R&D spend over {span} is short by {} of the {} minimum for sales {band_en} \
             (R&D {} is {} of sales {}).",
            yuan_en(short),
            pct_en(threshold),
            yuan_en(sum_rd),
            observed_pct_en(sum_rd, sum_sales),
            yuan_en(sum_sales)
        ),
        format!(
            "研发费用（{span}年）距{}的最低比例还差{}（最近一年销售收入{band_zh}；现研发费用{}，\
             占销售收入{}的{}）。",
            pct_zh(threshold),
            yuan_zh(short),
            yuan_zh(sum_rd),
            yuan_zh(sum_sales),
            observed_pct_zh(sum_rd, sum_sales)
        ),
    );
    c.fail(value, basis, Some(gap))
}

/// Domestic share of R&D over the assessed years. The gap is the domestic R&D shortfall at
/// constant total R&D: the part of the R&D spent abroad that would have had to be spent in
/// China.
fn rd_domestic_share(ctx: &Context<'_>, rules: &HteRules) -> ConditionResult {
    let c = ConditionResult::new(
        "rd_domestic_share",
        "Share of R&D expense incurred in China",
        "境内研究开发费用占全部研究开发费用的比例",
        Comparator::AtLeast,
        Unit::Ratio,
    )
    .threshold(rules.min_rd_domestic_share);
    let years = &ctx.window;
    let span = years_text(years);
    let mut l = ctx.lookup();
    let sum_domestic = l.sum(years, RD_DOMESTIC);
    let sum_rd = l.sum(years, RD);
    let (Some(sum_domestic), Some(sum_rd)) = (sum_domestic, sum_rd) else {
        let basis = if years.is_empty() {
            no_fiscal_year(ctx)
        } else {
            format!("{span} annual reports: domestic and total R&D expense")
        };
        return c.unknown(basis, l.take());
    };
    let threshold = ppm(rules.min_rd_domestic_share);
    let basis = format!(
        "{span} annual reports: domestic R&D {} of total R&D {}",
        yuan_en(sum_domestic),
        yuan_en(sum_rd)
    );
    if sum_rd <= 0 {
        return c.fail(None, format!("{basis}; no R&D expense, so no share"), None);
    }
    let value = ratio_f64(sum_domestic, sum_rd);
    if ratio_at_least(sum_domestic, sum_rd, threshold) {
        return c.pass(value, basis);
    }
    let short = shortfall(sum_domestic, sum_rd, threshold);
    let gap = Gap::new(
        short,
        Unit::Yuan,
        relative(sum_domestic, sum_rd, threshold),
        format!(
            "R&D spent in China over {span} is {} of all R&D, below the {} minimum: at the same \
             total, {} more would have to be spent in China.",
            observed_pct_en(sum_domestic, sum_rd),
            pct_en(threshold),
            yuan_en(short)
        ),
        format!(
            "境内研发费用（{span}年）占全部研发费用的{}，低于{}的要求：在研发费用总额不变的情况下，\
             境内研发费用还差{}。",
            observed_pct_zh(sum_domestic, sum_rd),
            pct_zh(threshold),
            yuan_zh(short)
        ),
    );
    c.fail(value, basis, Some(gap))
}

/// High-tech income share of the latest year. The gap is at constant total income (income that
/// would have to qualify as high-tech income); the advice also gives the amount of new
/// high-tech income that would do, since new income raises the total as well.
fn hightech_income_share(ctx: &Context<'_>, rules: &HteRules) -> ConditionResult {
    let c = ConditionResult::new(
        "hightech_income_share",
        "High-tech products/services income share of total income",
        "高新技术产品（服务）收入占同期总收入的比例",
        Comparator::AtLeast,
        Unit::Ratio,
    )
    .threshold(rules.min_hightech_income_share);
    let year = ctx.latest_year;
    let mut l = ctx.lookup();
    let hightech = l.latest(HIGHTECH_INCOME);
    let total = l.latest(TOTAL_INCOME);
    let (Some(hightech), Some(total)) = (hightech, total) else {
        return c.unknown(
            format!("{year} annual report: high-tech income and total income"),
            l.take(),
        );
    };
    let threshold = ppm(rules.min_hightech_income_share);
    let basis = format!(
        "{year} annual report: high-tech income {} of total income {}",
        yuan_en(hightech),
        yuan_en(total)
    );
    if total <= 0 {
        return c.fail(None, format!("{basis}; no income, so no share"), None);
    }
    let value = ratio_f64(hightech, total);
    if ratio_at_least(hightech, total, threshold) {
        return c.pass(value, basis);
    }
    let short = shortfall(hightech, total, threshold);
    let (alt_en, alt_zh) = match additive_shortfall(hightech, total, threshold) {
        Some(extra) => (
            format!(" (or {} of additional high-tech income)", yuan_en(extra)),
            format!(
                "；若以新增收入补足，需新增高新技术产品（服务）收入{}",
                yuan_zh(extra)
            ),
        ),
        None => (String::new(), String::new()),
    };
    let gap = Gap::new(
        short,
        Unit::Yuan,
        relative(hightech, total, threshold),
        format!(
            "High-tech products/services income in {year} is {} of total income, below the {} \
             minimum: {} more of the year's income would have to be high-tech income{alt_en}.",
            observed_pct_en(hightech, total),
            pct_en(threshold),
            yuan_en(short)
        ),
        format!(
            "{year}年高新技术产品（服务）收入占总收入的{}，低于{}的要求：在总收入不变的情况下还差{}{alt_zh}。",
            observed_pct_zh(hightech, total),
            pct_zh(threshold),
            yuan_zh(short)
        ),
    );
    c.fail(value, basis, Some(gap))
}

fn clean_record(ctx: &Context<'_>) -> ConditionResult {
    let c = ConditionResult::new(
        "clean_record",
        "No major safety or quality accident or serious environmental violation in the past year",
        "申请认定前一年内未发生重大安全、重大质量事故或严重环境违法行为",
        Comparator::Holds,
        Unit::Flag,
    )
    .kind(ConditionKind::Declaration);
    match ctx.facts.clean_record {
        Some(true) => c.pass(Some(1.0), "declared or attested".to_owned()),
        Some(false) => c.fail(
            Some(0.0),
            "an accident or violation is on record for the period".to_owned(),
            None,
        ),
        None => c.unknown(
            "not in registry data; the firm declares it when applying".to_owned(),
            vec!["clean_record".to_owned()],
        ),
    }
}

/// One computed or assumed item, in micro-points.
struct Item {
    key: String,
    indicator: Indicator,
    name_en: String,
    name_zh: String,
    low: i128,
    high: i128,
    max: u32,
    source: ScoreSource,
    value: Option<f64>,
    basis: String,
}

impl Item {
    fn computed(key: &str, indicator: Indicator, en: &str, zh: &str, max: u32) -> Self {
        Item {
            key: key.to_owned(),
            indicator,
            name_en: en.to_owned(),
            name_zh: zh.to_owned(),
            low: 0,
            high: 0,
            max,
            source: ScoreSource::Computed,
            value: None,
            basis: String::new(),
        }
    }

    fn band(mut self, range: PointRange, basis: String) -> Self {
        self.low = i128::from(range.low) * PPM;
        self.high = i128::from(range.high) * PPM;
        self.basis = basis;
        self
    }

    /// Missing data: 0 in the estimate, anything up to the maximum in the best case.
    fn open(mut self, source: ScoreSource, basis: String) -> Self {
        self.low = 0;
        self.high = i128::from(self.max) * PPM;
        self.source = source;
        self.basis = basis;
        self
    }

    fn into_score_item(self) -> ScoreItem {
        ScoreItem {
            key: self.key,
            indicator: self.indicator,
            name_en: self.name_en,
            name_zh: self.name_zh,
            points: micro_to_f64(self.low),
            possible: micro_to_f64(self.high),
            max: self.max,
            estimated: self.source != ScoreSource::Computed,
            source: self.source,
            value: self.value,
            basis: self.basis,
        }
    }
}

const ZERO: PointRange = PointRange { low: 0, high: 0 };

fn ip_quantity_range(rules: &InnovationRules, class1: i128, class2: i128) -> PointRange {
    let q = &rules.ip_quantity;
    if class1 >= 1 {
        return q.class1_points;
    }
    q.class2_bands
        .iter()
        .find(|b| class2 >= i128::from(b.min_count))
        .map_or(ZERO, |b| b.points)
}

fn ip_quantity_item(ctx: &Context<'_>, rules: &InnovationRules, l: &mut Lookup<'_, '_>) -> Item {
    let year = ctx.latest_year;
    let item = Item::computed(
        "ip_quantity",
        Indicator::IntellectualProperty,
        "Quantity of IP",
        "知识产权数量",
        rules.ip_quantity.max_points,
    );
    let before = l.missing.len();
    let (class1, class2) = ip_counts(l, year);
    let low = ip_quantity_range(rules, class1.low, class2.low);
    // An unbounded count can reach any band.
    let high = ip_quantity_range(
        rules,
        class1.high.unwrap_or(i128::MAX),
        class2.high.unwrap_or(i128::MAX),
    );
    let decided = low == high;
    if !decided {
        let mut item = item.open(
            ScoreSource::MissingData,
            format!("{year} annual report lacks the IP counts"),
        );
        item.low = i128::from(low.low) * PPM;
        item.high = i128::from(high.high) * PPM;
        return item;
    }
    // The counts that were missing did not matter.
    l.missing.truncate(before);
    let mut item = item.band(
        low,
        format!(
            "{year}: {} Class I, {} Class II items; band {}–{}, estimate takes the low end",
            class1.low, class2.low, low.low, low.high
        ),
    );
    item.value = Some((class1.low + class2.low) as f64);
    item
}

fn conversion_range(rules: &InnovationRules, total: i128, years: i128) -> PointRange {
    rules
        .conversion
        .bands
        .iter()
        .find(|b| ratio_at_least(total, years, ppm(b.min_per_year)))
        .map_or(ZERO, |b| b.points)
}

fn conversion_item(ctx: &Context<'_>, rules: &InnovationRules, l: &mut Lookup<'_, '_>) -> Item {
    let years = &ctx.window;
    let span = years_text(years);
    let item = Item::computed(
        "conversion",
        Indicator::Conversion,
        "Conversions of S&T results per year",
        "科技成果转化能力（年均转化数）",
        rules.conversion.max_points,
    );
    if years.is_empty() {
        return item.open(ScoreSource::MissingData, no_fiscal_year(ctx));
    }
    let count = years.len() as i128;
    let mut known = 0_i128;
    let mut complete = true;
    for &year in years {
        match l.get(year, CONVERSIONS) {
            Some(n) => known += i128::from(n),
            None => complete = false,
        }
    }
    let low = conversion_range(rules, known, count);
    if !complete {
        let mut item = item.open(
            ScoreSource::MissingData,
            format!("{span}: conversions missing for some years; estimate counts them as 0"),
        );
        item.low = i128::from(low.low) * PPM;
        return item;
    }
    if known > 0 && low == ZERO {
        return between_bands(item, rules, (known, count), &span);
    }
    let mut item = item.band(
        low,
        format!(
            "{span}: {known} conversions over {}; band {}–{}, estimate takes the low end",
            plural(count, "year", "years"),
            low.low,
            low.high
        ),
    );
    item.value = ratio_f64(known, count);
    item
}

/// Conversions averaging more than 0 but less than the lowest band (1 a year in the national
/// rules). The 2016 Guidelines' table (工作指引, 科技成果转化能力) scores "0" only for no
/// conversion and starts its lowest band at an average of 1; an average between falls in
/// neither, so experts may award anything from 0 to the top of the lowest band. The estimate
/// takes 0, the best case that top, and the item is marked as an estimate.
fn between_bands(
    mut item: Item,
    rules: &InnovationRules,
    (known, count): (i128, i128),
    span: &str,
) -> Item {
    let top = rules.conversion.bands.last().map_or(0, |b| b.points.high);
    item = item.band(
        PointRange { low: 0, high: top },
        format!(
            "{span}: {known} conversions over {}, fewer than the lowest band's average; \
             experts may award 0–{top}, estimate takes 0",
            plural(count, "year", "years"),
        ),
    );
    item.source = ScoreSource::ExpertJudgement;
    item.value = ratio_f64(known, count);
    item
}

/// Growth-rate score of one figure. Year 1..3 are the assessed years (fewer for a young firm).
/// Edge rules: one year only scores 0; with three years, a year-2 value of 0 scores 0 and a
/// year-1 value of 0 uses the last two years; with two years, g = X2/X1 - 1 and X1 = 0 scores 0.
/// A negative base value cannot be scored by rule: the item is left to manual review.
fn growth_item(
    ctx: &Context<'_>,
    rules: &InnovationRules,
    l: &mut Lookup<'_, '_>,
    field: Field,
    key: &str,
    en: &str,
    zh: &str,
) -> Item {
    let years = &ctx.window;
    let span = years_text(years);
    let max = rules.growth.max_points;
    let item = Item::computed(key, Indicator::Growth, en, zh, max);
    if years.is_empty() {
        return item.open(ScoreSource::MissingData, no_fiscal_year(ctx));
    }
    if years.len() == 1 {
        return item.band(
            ZERO,
            format!("{span}: one year of operation only, scores 0"),
        );
    }
    let values: Vec<Option<i64>> = years.iter().map(|&y| l.get(y, field)).collect();
    let Some(values) = values
        .into_iter()
        .map(|v| v.map(i128::from))
        .collect::<Option<Vec<i128>>>()
    else {
        return item.open(
            ScoreSource::MissingData,
            format!("{span}: {} missing for some years", field.name),
        );
    };
    let review = |item: Item| {
        item.open(
            ScoreSource::ManualReview,
            format!(
                "{span}: a base-year {} is negative; score by hand",
                field.name
            ),
        )
    };
    // (numerator, denominator) of 1 + g.
    let fraction = match values.as_slice() {
        [x1, x2] => {
            if *x1 == 0 {
                return item.band(ZERO, format!("{span}: first-year value is 0, scores 0"));
            }
            if *x1 < 0 {
                return review(item);
            }
            (*x2, *x1)
        }
        [x1, x2, x3] => {
            if *x2 == 0 {
                return item.band(ZERO, format!("{span}: year-2 value is 0, scores 0"));
            }
            if *x2 < 0 {
                return review(item);
            }
            if *x1 == 0 {
                (*x3, *x2)
            } else if *x1 < 0 {
                return review(item);
            } else {
                // ½(X2/X1 + X3/X2) = (X2² + X3·X1) / (2·X1·X2)
                let num = x2.checked_mul(*x2).zip(x3.checked_mul(*x1));
                match num
                    .and_then(|(a, b)| a.checked_add(b))
                    .zip(x1.checked_mul(2 * *x2))
                {
                    Some(f) => f,
                    None => return review(item),
                }
            }
        }
        _ => return item.band(ZERO, format!("{span}: not enough years, scores 0")),
    };
    let (num, den) = fraction;
    let range = rules
        .growth
        .bands
        .iter()
        .find(|b| growth_at_least(num, den, ppm(b.min_rate), !b.inclusive))
        .map_or(ZERO, |b| b.points);
    let rate = num as f64 / den as f64 - 1.0;
    let mut item = item.band(
        range,
        format!(
            "{span}: growth rate {:.2} %; band {}–{}, estimate takes the low end",
            rate * 100.0,
            range.low,
            range.high
        ),
    );
    item.value = Some(rate);
    item
}

/// The score's items: IP quantity, the expert-scored ones at their assumed share, conversions
/// and the two growth rates.
fn score_items(ctx: &Context<'_>, rules: &InnovationRules, l: &mut Lookup<'_, '_>) -> Vec<Item> {
    let mut items = vec![ip_quantity_item(ctx, rules, l)];
    for e in &rules.expert_items {
        items.push(expert_item(ctx, e));
    }
    items.push(conversion_item(ctx, rules, l));
    items.push(growth_item(
        ctx,
        rules,
        l,
        NET_ASSETS,
        "net_asset_growth",
        "Net-asset growth rate",
        "净资产增长率",
    ));
    items.push(growth_item(
        ctx,
        rules,
        l,
        SALES,
        "sales_growth",
        "Sales revenue growth rate",
        "销售收入增长率",
    ));
    items
}

/// An expert-scored item: the review's entered points when a current review scored it,
/// otherwise the rule set's assumed share of its maximum, anything up to the maximum possible.
fn expert_item(ctx: &Context<'_>, e: &ExpertItem) -> Item {
    let max = i128::from(e.max_points) * PPM;
    let item = Item {
        key: e.key.clone(),
        indicator: e.indicator,
        name_en: e.name_en.clone(),
        name_zh: e.name_zh.clone(),
        low: 0,
        high: max,
        max: e.max_points,
        source: ScoreSource::Assumed,
        value: None,
        basis: String::new(),
    };
    match ctx.facts.declared.expert_scores.get(&e.key) {
        Some(&points) => {
            // Scores are entered in hundredths of a point; `points` is exact to that.
            let entered = ((points * 100.0).round() as i128 * PPM / 100).clamp(0, max);
            Item {
                low: entered,
                high: entered,
                source: ScoreSource::Entered,
                value: Some(points),
                basis: format!("entered from an expert review: {points} points"),
                ..item
            }
        }
        None => {
            let fraction = ppm(e.assumed_fraction);
            Item {
                low: i128::from(e.max_points) * fraction,
                basis: format!("expert-scored; assumed {} of the maximum", pct_en(fraction)),
                ..item
            }
        }
    }
}

/// The items' total with `pick` (low or high end), IP items capped together.
fn score_total(items: &[Item], rules: &InnovationRules, pick: fn(&Item) -> i128) -> i128 {
    let cap = i128::from(rules.ip_cap_points) * PPM;
    let ip: i128 = items
        .iter()
        .filter(|i| i.indicator == Indicator::IntellectualProperty)
        .map(pick)
        .sum();
    let other: i128 = items
        .iter()
        .filter(|i| i.indicator != Indicator::IntellectualProperty)
        .map(pick)
        .sum();
    ip.min(cap) + other
}

/// The whole points a score short of the pass mark still needs, and what would raise it.
fn score_gap(
    rules: &InnovationRules,
    (estimate, possible): (i128, i128),
    (hint_en, hint_zh): (String, String),
    data_missing: bool,
) -> Gap {
    let pass_mark = i128::from(rules.pass_mark_points) * PPM;
    // Whole points to add so that the total exceeds the pass mark.
    let need = (pass_mark - estimate).div_euclid(PPM) + 1;
    let pass_points = rules.pass_mark_points;
    let est = points_text(estimate);
    let (missing_en, missing_zh) = if data_missing {
        (
            " Missing figures count as 0; filling them in may raise the estimate.",
            "缺失数据按0分计，补齐后估算分可能提高。",
        )
    } else {
        ("", "")
    };
    Gap::new(
        need,
        Unit::Points,
        need as f64 / f64::from(pass_points.max(1)),
        format!(
            "The estimated innovation score is {est}, {} short of exceeding {pass_points} \
             (expert-scored items at the rule set's assumed share; best case {}).\
             {hint_en}{missing_en}",
            plural(need, "point", "points"),
            points_text(possible)
        ),
        format!(
            "创新能力评价估算得分{est}分，距超过{pass_points}分还差{need}分（专家评分项按规则集假设比例估算，\
             最高可能得分{}分）。{hint_zh}{missing_zh}",
            points_text(possible)
        ),
    )
}

fn innovation_score(
    ctx: &Context<'_>,
    rules: &InnovationRules,
) -> (ConditionResult, InnovationScore) {
    let mut l = ctx.lookup();
    let items = score_items(ctx, rules, &mut l);
    let estimate = score_total(&items, rules, |i| i.low);
    let floor = score_total(&items, rules, |i| {
        if i.source == ScoreSource::Assumed {
            0
        } else {
            i.low
        }
    });
    let possible = score_total(&items, rules, |i| i.high);
    let pass_mark = i128::from(rules.pass_mark_points) * PPM;
    let missing = l.take();

    let hints = score_hints(ctx, rules, &items);
    let score_items: Vec<ScoreItem> = items.into_iter().map(Item::into_score_item).collect();

    let c = ConditionResult::new(
        "innovation_score",
        "Innovation capability score",
        "企业创新能力评价得分",
        Comparator::GreaterThan,
        Unit::Points,
    )
    .threshold(f64::from(rules.pass_mark_points))
    .kind(ConditionKind::Estimate);
    let span = years_text(&ctx.window);
    let basis = format!(
        "estimate from the {span} annual reports: computed items at the low end of their bands, \
         expert-scored items as entered or at the rule set's assumed share, missing data as 0; \
         {} of it assumed; range {}–{} (expert items not entered at 0 % and at 100 %)",
        points_text(estimate - floor),
        points_text(floor),
        points_text(possible)
    );
    let mut c = ConditionResult {
        value: Some(micro_to_f64(estimate)),
        basis,
        missing,
        ..c
    };
    c.outcome = if estimate > pass_mark {
        Outcome::Pass
    } else if possible <= pass_mark {
        Outcome::Fail
    } else {
        Outcome::Unknown
    };
    if c.outcome == Outcome::Pass && floor > pass_mark {
        // The pass holds with every expert item not entered at 0 %: it rests on data and
        // entered scores alone.
        c = c.kind(ConditionKind::Data);
    }
    if c.outcome != Outcome::Pass {
        let data_missing = !c.missing.is_empty();
        c.gap = Some(score_gap(rules, (estimate, possible), hints, data_missing));
    }
    let breakdown = InnovationScore {
        estimate: micro_to_f64(estimate),
        possible: micro_to_f64(possible),
        floor: micro_to_f64(floor),
        points_at_risk: micro_to_f64(estimate - floor),
        pass_mark: rules.pass_mark_points,
        items: score_items,
    };
    (c, breakdown)
}

/// Data levers for the innovation score: a first Class I item, and the next conversion band.
fn score_hints(ctx: &Context<'_>, rules: &InnovationRules, items: &[Item]) -> (String, String) {
    let mut en = String::new();
    let mut zh = String::new();
    let class1_low = i128::from(rules.ip_quantity.class1_points.low) * PPM;
    let computed = |key: &str| {
        items.iter().find(|i| {
            i.key == key
                && matches!(
                    i.source,
                    ScoreSource::Computed | ScoreSource::ExpertJudgement
                )
        })
    };
    if let Some(ip) = computed("ip_quantity").filter(|ip| ip.low < class1_low) {
        let gain = points_text(class1_low - ip.low);
        en.push_str(&format!(
            " Owning a Class I IP item (e.g. an invention patent) would add {gain} points to IP \
             quantity."
        ));
        zh.push_str(&format!(
            "拥有1件Ⅰ类知识产权（如发明专利）可使知识产权数量得分增加{gain}分。"
        ));
    }
    if let Some(conv) = computed("conversion").filter(|_| !ctx.window.is_empty()) {
        let years = ctx.window.len() as i128;
        let total = conv
            .value
            .map_or(0, |avg| (avg * years as f64).round() as i128);
        let next = rules
            .conversion
            .bands
            .iter()
            .rev()
            .find(|b| i128::from(b.points.low) * PPM > conv.low);
        if let Some(band) = next {
            let needed = ceil_div(years * ppm(band.min_per_year), PPM);
            let more = (needed - total).max(1);
            let gain = points_text(i128::from(band.points.low) * PPM - conv.low);
            let span = years_text(&ctx.window);
            en.push_str(&format!(
                " {more} more converted S&T results over {span} would add {gain} points."
            ));
            zh.push_str(&format!("{span}年再转化{more}项科技成果，可增加{gain}分。"));
        }
    }
    (en, zh)
}
