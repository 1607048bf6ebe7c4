//! Gazelle enterprise screening (瞪羚企业). Jiangsu's thresholds are unconfirmed: the rule set
//! says so in `confirmed`, and the result carries it as `confirmed_rules`.

use chrono::Months;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::exact::{PPM, ceil_div, pct_en, pct_zh, ppm, yuan_en, yuan_zh};
use super::result::{Comparator, ConditionResult, Gap, OverallOutcome, Unit, combine};
use super::rules::GazelleRules;
use super::{Context, SALES};

/// Gazelle eligibility (瞪羚企业条件评估).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GazelleAssessment {
    /// Overall verdict (总体结论), against thresholds that may be placeholders.
    pub outcome: OverallOutcome,
    /// Whether the rule set's gazelle thresholds are confirmed (规则已核实).
    pub confirmed_rules: bool,
    /// The rule set's note on where the thresholds come from.
    pub note: String,
    /// Age, HTE certificate (when the rule set asks for one), revenue floor and revenue growth.
    #[schema(max_items = 4)]
    pub conditions: Vec<ConditionResult>,
}

pub(crate) fn assess(ctx: &Context<'_>, rules: &GazelleRules) -> GazelleAssessment {
    let mut conditions = vec![age(ctx, rules)];
    if rules.requires_hte_certificate {
        conditions.push(hte_certificate(ctx));
    }
    conditions.push(revenue_floor(ctx, rules));
    conditions.push(revenue_cagr(ctx, rules));
    GazelleAssessment {
        outcome: combine(conditions.iter().map(|c| (c.outcome, c.kind))),
        confirmed_rules: rules.confirmed,
        note: rules.note.clone(),
        conditions,
    }
}

fn age(ctx: &Context<'_>, rules: &GazelleRules) -> ConditionResult {
    let c = ConditionResult::new(
        "gazelle_age",
        "Young enough (years since registration)",
        "成立年限",
        Comparator::AtMost,
        Unit::Days,
    );
    let registered = ctx.facts.registered_on;
    let days = (ctx.as_of - registered).num_days();
    let Some(limit) = rules
        .max_age_years
        .checked_mul(12)
        .and_then(|months| registered.checked_add_months(Months::new(months)))
    else {
        return c.unknown("registration date out of range".to_owned(), Vec::new());
    };
    let limit_days = (limit - registered).num_days();
    let c = c.threshold(limit_days as f64);
    let basis = format!(
        "registered on {registered}; at most {} years means on or before {limit}",
        rules.max_age_years
    );
    if ctx.as_of <= limit {
        c.pass(Some(days as f64), basis)
    } else {
        c.fail(Some(days as f64), basis, None)
    }
}

fn hte_certificate(ctx: &Context<'_>) -> ConditionResult {
    let c = ConditionResult::new(
        "gazelle_hte_certificate",
        "Holds a valid HTE certificate",
        "有效期内高新技术企业",
        Comparator::Holds,
        Unit::Flag,
    );
    let basis = format!("certificate status on {}", ctx.as_of);
    if ctx.facts.holds_valid_hte_certificate {
        c.pass(Some(1.0), basis)
    } else {
        let gap = Gap::new(
            1,
            Unit::Items,
            1.0,
            "The firm needs HTE recognition first.".to_owned(),
            "企业须先通过高新技术企业认定。".to_owned(),
        );
        c.fail(Some(0.0), basis, Some(gap))
    }
}

fn revenue_floor(ctx: &Context<'_>, rules: &GazelleRules) -> ConditionResult {
    let c = ConditionResult::new(
        "gazelle_revenue_floor",
        "Latest-year sales revenue at least the floor",
        "上年度营业收入下限",
        Comparator::AtLeast,
        Unit::Yuan,
    )
    .threshold(rules.min_latest_sales_yuan as f64);
    let year = ctx.latest_year;
    let mut l = ctx.lookup();
    let basis = format!("{year} annual report: sales revenue");
    let Some(sales) = l.latest(SALES) else {
        return c.unknown(basis, l.take());
    };
    let floor = i128::from(rules.min_latest_sales_yuan);
    if sales >= floor {
        return c.pass(Some(sales as f64), basis);
    }
    let short = floor - sales;
    let gap = Gap::new(
        short,
        Unit::Yuan,
        short as f64 / floor.max(1) as f64,
        format!(
            "Sales in {year} were {}, {} below the {} floor.",
            yuan_en(sales),
            yuan_en(short),
            yuan_en(floor)
        ),
        format!(
            "{year}年营业收入{}，距{}的下限还差{}。",
            yuan_zh(sales),
            yuan_zh(floor),
            yuan_zh(short)
        ),
    );
    c.fail(Some(sales as f64), basis, Some(gap))
}

/// `base × ((10^6 + rate) / 10^6)^periods`, rounded up; `f64` when the exact product overflows.
fn required_sales(base: i128, rate_ppm: i128, periods: u32) -> i128 {
    let exact = (0..periods).try_fold((base, 1_i128), |(num, den), _| {
        Some((num.checked_mul(PPM + rate_ppm)?, den.checked_mul(PPM)?))
    });
    match exact {
        Some((num, den)) => ceil_div(num, den),
        None => {
            let factor = (1.0 + rate_ppm as f64 / PPM as f64).powi(periods as i32);
            (base as f64 * factor).ceil() as i128
        }
    }
}

/// Compound growth of sales from the base year (`cagr_periods` years before the latest year) to
/// the latest year. A firm registered after the base year has too short a history and fails;
/// one registered during the base year uses that (possibly partial) year, as elsewhere.
fn revenue_cagr(ctx: &Context<'_>, rules: &GazelleRules) -> ConditionResult {
    let c = ConditionResult::new(
        "gazelle_revenue_cagr",
        "Compound annual growth of sales revenue",
        "营业收入复合增长率",
        Comparator::AtLeast,
        Unit::Ratio,
    )
    .threshold(rules.min_sales_cagr);
    let latest = ctx.latest_year;
    let periods = rules.cagr_periods.max(1);
    let base_year = latest - periods as i32;
    let basis = format!("{base_year} and {latest} annual reports: sales revenue");
    if !ctx.operated_in(base_year) {
        return c.fail(
            None,
            format!(
                "registered in {}: no {base_year} sales revenue to grow from",
                ctx.registration_year
            ),
            None,
        );
    }
    let mut l = ctx.lookup();
    let base = l.get(base_year, SALES).map(i128::from);
    let end = l.latest(SALES);
    let (Some(base), Some(end)) = (base, end) else {
        return c.unknown(basis, l.take());
    };
    if base <= 0 {
        return c.fail(
            None,
            format!("{basis}; base-year sales are not positive"),
            None,
        );
    }
    let rate = ppm(rules.min_sales_cagr);
    let target = required_sales(base, rate, periods);
    let value = (end >= 0).then(|| (end as f64 / base as f64).powf(1.0 / f64::from(periods)) - 1.0);
    if end >= target {
        return c.pass(value, basis);
    }
    let short = target - end;
    let gap = Gap::new(
        short,
        Unit::Yuan,
        short as f64 / target.max(1) as f64,
        format!(
            "Sales would have to reach {} in {latest} ({} more) for {} yearly growth since \
             {base_year} ({}).",
            yuan_en(target),
            yuan_en(short),
            pct_en(rate),
            yuan_en(base)
        ),
        format!(
            "按{base_year}年营业收入{}计，{latest}年营业收入须达到{}（还差{}）方满足年均复合增长{}。",
            yuan_zh(base),
            yuan_zh(target),
            yuan_zh(short),
            pct_zh(rate)
        ),
    );
    c.fail(value, basis, Some(gap))
}
