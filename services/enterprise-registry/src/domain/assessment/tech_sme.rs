//! Technology-based SME evaluation (科技型中小企业评价), on the latest year's figures.
//!
//! Assessed: the size caps, the clean record, and either a direct route or the 100-point score.
//! Not assessed, for lack of registry data: residence and audited-accounts taxation
//! (condition 1) and the industry negative list (condition 3). The R&D figure is the annual
//! report's; the Measures collect it on the super-deduction basis, which may differ from the
//! HTE basis.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::exact::{
    additive_shortfall, pct_en, pct_zh, plural, ppm, ratio_at_least, ratio_f64, shortfall, yuan_en,
    yuan_zh,
};
use super::hte::{CountBound, ip_counts, staff_gap};
use super::result::{
    Comparator, ConditionKind, ConditionResult, Gap, Outcome, OverallOutcome, Unit, combine,
};
use super::rules::TechSmeRules;
use super::{Context, EMPLOYEES, Field, RD, SALES, ST_STAFF, TOTAL_ASSETS, TOTAL_COSTS};

/// How the firm qualifies, or would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TechSmeRoute {
    /// By the 100-point evaluation score (评分).
    Score,
    /// Directly, holding a valid HTE certificate (直接认定：高新技术企业).
    DirectHteCertificate,
    /// Directly, with a provincial-or-higher R&D institution (直接认定：省部级以上研发机构).
    DirectRdInstitution,
    /// Directly, a national S&T award in the last five years as one of the first three
    /// completers (直接认定：国家级科技奖励).
    DirectNationalAward,
    /// Directly, led the drafting of an international, national or industry standard in the
    /// last five years (直接认定：主导制定标准).
    DirectLedStandard,
}

/// Tech-SME eligibility (科技型中小企业评价).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TechSmeAssessment {
    /// Overall verdict (总体结论).
    pub outcome: OverallOutcome,
    /// The route that applies: a direct route when one holds, otherwise the score.
    pub route: TechSmeRoute,
    /// Evaluation score out of 100 (评价得分); null when missing data leaves it open.
    pub score: Option<u32>,
    /// S&T staff indicator points, of 20 (科技人员指标).
    pub staff_points: Option<u32>,
    /// R&D indicator points, of 50, the better of the two bases (研发投入指标).
    pub rd_points: Option<u32>,
    /// S&T results (IP) indicator points, of 30 (科技成果指标).
    pub ip_points: Option<u32>,
    /// Size caps, clean record, then the route's conditions: four, then the direct route
    /// held, or the staff and score conditions and an open direct route (at most three).
    #[schema(max_items = 7)]
    pub conditions: Vec<ConditionResult>,
}

/// Points known to lie in `low..=high`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Bounds {
    low: u32,
    high: u32,
}

impl Bounds {
    fn exact(points: u32) -> Self {
        Bounds {
            low: points,
            high: points,
        }
    }

    fn known(self) -> Option<u32> {
        (self.low == self.high).then_some(self.low)
    }
}

/// The size caps and the clean record, which every tech-SME meets.
fn base_conditions(ctx: &Context<'_>, rules: &TechSmeRules) -> Vec<ConditionResult> {
    vec![
        cap(
            ctx,
            EMPLOYEES,
            rules.max_employees,
            CapText {
                key: "employees_cap",
                name_en: "Employees within the SME cap",
                name_zh: "职工总数不超过500人",
                unit: Unit::Count,
                what_en: "employees",
                what_zh: "职工总数",
                money: false,
            },
        ),
        cap(
            ctx,
            SALES,
            rules.max_sales_yuan,
            CapText {
                key: "sales_cap",
                name_en: "Annual sales revenue within the SME cap",
                name_zh: "年销售收入不超过2亿元",
                unit: Unit::Yuan,
                what_en: "sales revenue",
                what_zh: "年销售收入",
                money: true,
            },
        ),
        cap(
            ctx,
            TOTAL_ASSETS,
            rules.max_total_assets_yuan,
            CapText {
                key: "total_assets_cap",
                name_en: "Total assets within the SME cap",
                name_zh: "资产总额不超过2亿元",
                unit: Unit::Yuan,
                what_en: "total assets",
                what_zh: "资产总额",
                money: true,
            },
        ),
        clean_record(ctx),
    ]
}

/// The evaluation's points: staff, R&D and IP, and their sum.
#[derive(Clone, Copy)]
struct Points {
    staff: Bounds,
    rd: Bounds,
    ip: Bounds,
    score: Bounds,
}

/// The score route's outcome, its conditions pushed; `open` names the direct-route facts not
/// known yet, any of which could still qualify the firm when the score does not.
fn score_route(
    ctx: &Context<'_>,
    rules: &TechSmeRules,
    points: Points,
    open: Vec<String>,
    conditions: &mut Vec<ConditionResult>,
) -> Outcome {
    let Points {
        staff,
        rd,
        ip,
        score,
    } = points;
    let staff_condition = rules
        .staff_points_must_be_nonzero
        .then(|| staff_nonzero(ctx, rules, staff));
    let score_condition = evaluation_score(ctx, rules, staff, rd, ip, score);
    let mut outcomes = vec![score_condition.outcome];
    outcomes.extend(staff_condition.iter().map(|c| c.outcome));
    let score_route = if outcomes.contains(&Outcome::Fail) {
        Outcome::Fail
    } else if outcomes.iter().all(|o| *o == Outcome::Pass) {
        Outcome::Pass
    } else {
        Outcome::Unknown
    };
    conditions.extend(staff_condition);
    conditions.push(score_condition);
    if score_route == Outcome::Pass || open.is_empty() {
        return score_route;
    }
    // 115号 Art. 8: a direct route not yet known could still qualify the firm, so a score
    // that fails alone leaves the verdict open.
    conditions.push(direct_route(ctx).unknown(
        format!(
            "the score route does not pass; not recorded: {}",
            open.join(", ")
        ),
        open,
    ));
    Outcome::Unknown
}

/// The direct route that qualifies the firm (115号 Art. 8, in its order), with its basis.
fn direct_route_held(
    ctx: &Context<'_>,
    certificate: bool,
    by_institution: Option<bool>,
) -> Option<(TechSmeRoute, String)> {
    let year = ctx.latest_year;
    let declared = &ctx.facts.declared;
    if certificate {
        let basis = format!("holds a valid HTE certificate on {}", ctx.as_of);
        Some((TechSmeRoute::DirectHteCertificate, basis))
    } else if declared.national_award == Some(true) {
        let basis = "a declared national S&T award of the last five years, among the first \
                     three completers"
            .to_owned();
        Some((TechSmeRoute::DirectNationalAward, basis))
    } else if by_institution == Some(true) {
        let level = ctx
            .report(year)
            .and_then(|r| r.rd_institution)
            .map_or("", |l| l.name_zh());
        let basis = format!("{year} annual report: {level}");
        Some((TechSmeRoute::DirectRdInstitution, basis))
    } else if declared.led_standard == Some(true) {
        let basis = "a declared standard of the last five years the firm led".to_owned();
        Some((TechSmeRoute::DirectLedStandard, basis))
    } else {
        None
    }
}

/// Which route qualifies the firm (a direct one or the score) and its outcome; the route's
/// conditions are pushed.
fn choose_route(
    ctx: &Context<'_>,
    rules: &TechSmeRules,
    points: Points,
    conditions: &mut Vec<ConditionResult>,
) -> (TechSmeRoute, Outcome) {
    let year = ctx.latest_year;
    let certificate = rules.direct_route_hte_certificate && ctx.facts.holds_valid_hte_certificate;
    let institution = ctx.report(year).and_then(|r| r.rd_institution);
    // Some(true) / Some(false) when decided, None when the institution level is missing.
    let by_institution = match rules.direct_route_min_rd_institution {
        None => Some(false),
        Some(min) => institution.map(|level| level >= min),
    };
    if let Some((route, basis)) = direct_route_held(ctx, certificate, by_institution) {
        conditions.push(direct_route(ctx).pass(Some(1.0), basis));
        return (route, Outcome::Pass);
    }
    let declared = &ctx.facts.declared;
    let mut open = Vec::new();
    if declared.national_award.is_none() {
        open.push("national_award".to_owned());
    }
    if by_institution.is_none() {
        open.push(format!("{year}.rd_institution"));
    }
    if declared.led_standard.is_none() {
        open.push("led_standard".to_owned());
    }
    let outcome = score_route(ctx, rules, points, open, conditions);
    (TechSmeRoute::Score, outcome)
}

pub(crate) fn assess(ctx: &Context<'_>, rules: &TechSmeRules) -> TechSmeAssessment {
    let mut conditions = base_conditions(ctx, rules);
    let base = combine(conditions.iter().map(|c| (c.outcome, c.kind)));

    let staff = staff_points(ctx, rules);
    let rd = rd_points(ctx, rules);
    let ip = ip_points(ctx, rules);
    let score = Bounds {
        low: staff.low + rd.low + ip.low,
        high: staff.high + rd.high + ip.high,
    };
    let points = Points {
        staff,
        rd,
        ip,
        score,
    };
    let (route, route_outcome) = choose_route(ctx, rules, points, &mut conditions);

    let outcome = combine([
        (overall_as_outcome(base), ConditionKind::Data),
        (route_outcome, ConditionKind::Data),
    ]);
    // Keep "likely" when the base conditions only lack a declaration.
    let outcome = match (outcome, base) {
        (OverallOutcome::Qualifies, OverallOutcome::LikelyQualifies) => {
            OverallOutcome::LikelyQualifies
        }
        (o, _) => o,
    };
    TechSmeAssessment {
        outcome,
        route,
        score: score.known(),
        staff_points: staff.known(),
        rd_points: rd.known(),
        ip_points: ip.known(),
        conditions,
    }
}

fn overall_as_outcome(o: OverallOutcome) -> Outcome {
    match o {
        OverallOutcome::Qualifies | OverallOutcome::LikelyQualifies => Outcome::Pass,
        OverallOutcome::DoesNotQualify => Outcome::Fail,
        OverallOutcome::Undetermined => Outcome::Unknown,
    }
}

struct CapText {
    key: &'static str,
    name_en: &'static str,
    name_zh: &'static str,
    unit: Unit,
    what_en: &'static str,
    what_zh: &'static str,
    money: bool,
}

fn cap(ctx: &Context<'_>, field: Field, max: i64, text: CapText) -> ConditionResult {
    let c = ConditionResult::new(
        text.key,
        text.name_en,
        text.name_zh,
        Comparator::AtMost,
        text.unit,
    )
    .threshold(max as f64);
    let year = ctx.latest_year;
    let mut l = ctx.lookup();
    let basis = format!("{year} annual report: {}", text.what_en);
    let Some(value) = l.latest(field) else {
        return c.unknown(basis, l.take());
    };
    if value <= i128::from(max) {
        return c.pass(Some(value as f64), basis);
    }
    let excess = value - i128::from(max);
    let (v_en, max_en, ex_en, v_zh, max_zh, ex_zh) = if text.money {
        (
            yuan_en(value),
            yuan_en(max.into()),
            yuan_en(excess),
            yuan_zh(value),
            yuan_zh(max.into()),
            yuan_zh(excess),
        )
    } else {
        (
            value.to_string(),
            max.to_string(),
            excess.to_string(),
            format!("{value}人"),
            format!("{max}人"),
            format!("{excess}人"),
        )
    };
    let gap = Gap::new(
        excess,
        if text.money { Unit::Yuan } else { Unit::Staff },
        excess as f64 / max.max(1) as f64,
        format!(
            "{} in {year} were {v_en}, {ex_en} above the cap of {max_en}: the firm is above the \
             tech-SME size limit.",
            capitalise(text.what_en)
        ),
        format!(
            "{year}年{}为{v_zh}，超过{max_zh}的上限{ex_zh}，超出科技型中小企业规模标准。",
            text.what_zh
        ),
    );
    c.fail(Some(value as f64), basis, Some(gap))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn clean_record(ctx: &Context<'_>) -> ConditionResult {
    let c = ConditionResult::new(
        "clean_record",
        "No major accident, serious violation or listed dishonesty in the previous and current year",
        "上一会计年度至当年未发生重大安全、质量事故和严重环境违法、严重失信行为，未列入经营异常名录和严重违法失信名单",
        Comparator::Holds,
        Unit::Flag,
    )
    .kind(ConditionKind::Declaration);
    match ctx.facts.clean_record {
        Some(true) => c.pass(Some(1.0), "declared or attested".to_owned()),
        Some(false) => c.fail(
            Some(0.0),
            "an accident, violation or listing is on record for the period".to_owned(),
            None,
        ),
        None => c.unknown(
            "not in registry data; the firm declares it when applying".to_owned(),
            vec!["clean_record".to_owned()],
        ),
    }
}

fn direct_route(_ctx: &Context<'_>) -> ConditionResult {
    ConditionResult::new(
        "direct_route",
        "Qualifies directly (valid HTE certificate, national S&T award among the first three \
         completers or led international/national/industry standard in the last five years, or \
         provincial-or-higher R&D institution)",
        "符合直接认定条件（有效期内高新技术企业；近五年获国家级科技奖励并在获奖单位中排名前三；\
         拥有省部级以上研发机构；近五年主导制定国际标准、国家标准或行业标准）",
        Comparator::Holds,
        Unit::Flag,
    )
}

fn staff_points(ctx: &Context<'_>, rules: &TechSmeRules) -> Bounds {
    let l = ctx.lookup();
    let year = ctx.latest_year;
    let max = rules.staff_bands.first().map_or(0, |b| b.points);
    match (l.peek(year, ST_STAFF), l.peek(year, EMPLOYEES)) {
        (Some(st), Some(emp)) => Bounds::exact(staff_band(rules, st.into(), emp.into())),
        _ => Bounds { low: 0, high: max },
    }
}

fn staff_band(rules: &TechSmeRules, st: i128, emp: i128) -> u32 {
    if emp <= 0 {
        return 0;
    }
    rules
        .staff_bands
        .iter()
        .find(|b| ratio_at_least(st, emp, ppm(b.min_ratio)))
        .map_or(0, |b| b.points)
}

/// Points on one base; 0 when the base is not positive.
fn rd_band(rules: &TechSmeRules, rd: i128, base: i128, of_sales: bool) -> u32 {
    if base <= 0 {
        return 0;
    }
    rules
        .rd_bands
        .iter()
        .find(|b| {
            let edge = if of_sales {
                b.min_ratio_of_sales
            } else {
                b.min_ratio_of_total_costs
            };
            ratio_at_least(rd, base, ppm(edge))
        })
        .map_or(0, |b| b.points)
}

/// The better of the sales and total-costs bases; a missing base leaves the points open.
fn rd_points(ctx: &Context<'_>, rules: &TechSmeRules) -> Bounds {
    let l = ctx.lookup();
    let year = ctx.latest_year;
    let max = rules.rd_bands.first().map_or(0, |b| b.points);
    let open = Bounds { low: 0, high: max };
    let Some(rd) = l.peek(year, RD).map(i128::from) else {
        return open;
    };
    let on = |field: Field, of_sales: bool| {
        l.peek(year, field).map_or(open, |base| {
            Bounds::exact(rd_band(rules, rd, base.into(), of_sales))
        })
    };
    let sales = on(SALES, true);
    let costs = on(TOTAL_COSTS, false);
    Bounds {
        low: sales.low.max(costs.low),
        high: sales.high.max(costs.high),
    }
}

fn ip_band(rules: &TechSmeRules, class1: i128, class2: i128) -> u32 {
    if class1 >= 1 {
        return rules.ip_class1_points;
    }
    rules
        .ip_class2_bands
        .iter()
        .find(|b| class2 >= i128::from(b.min_count))
        .map_or(0, |b| b.points)
}

fn ip_points(ctx: &Context<'_>, rules: &TechSmeRules) -> Bounds {
    let mut l = ctx.lookup();
    let (class1, class2): (CountBound, CountBound) = ip_counts(&mut l, ctx.latest_year);
    Bounds {
        low: ip_band(rules, class1.low, class2.low),
        high: ip_band(
            rules,
            class1.high.unwrap_or(i128::MAX),
            class2.high.unwrap_or(i128::MAX),
        ),
    }
}

fn staff_nonzero(ctx: &Context<'_>, rules: &TechSmeRules, staff: Bounds) -> ConditionResult {
    let lowest = rules.staff_bands.last().map_or(0.0, |b| b.min_ratio);
    let c = ConditionResult::new(
        "st_staff_score_nonzero",
        "S&T staff indicator scores above 0",
        "科技人员指标得分不为0",
        Comparator::AtLeast,
        Unit::Ratio,
    )
    .threshold(lowest);
    let year = ctx.latest_year;
    let mut l = ctx.lookup();
    let st = l.latest(ST_STAFF);
    let emp = l.latest(EMPLOYEES);
    let basis = format!("{year} annual report: S&T staff and total employees");
    let (Some(st), Some(emp)) = (st, emp) else {
        return c.unknown(basis, l.take());
    };
    let value = ratio_f64(st, emp);
    if staff.low > 0 {
        return c.pass(value, basis);
    }
    let threshold = ppm(lowest);
    let gap = staff_gap(
        year,
        st,
        emp,
        threshold,
        &pct_en(threshold),
        &pct_zh(threshold),
    );
    c.fail(value, basis, gap)
}

fn evaluation_score(
    ctx: &Context<'_>,
    rules: &TechSmeRules,
    staff: Bounds,
    rd: Bounds,
    ip: Bounds,
    score: Bounds,
) -> ConditionResult {
    let c = ConditionResult::new(
        "evaluation_score",
        "Evaluation score",
        "科技型中小企业评价得分",
        Comparator::AtLeast,
        Unit::Points,
    )
    .threshold(f64::from(rules.pass_points));
    let year = ctx.latest_year;
    let shown = |b: Bounds| b.known().map_or_else(|| "?".to_owned(), |p| p.to_string());
    let staff_max = rules.staff_bands.first().map_or(0, |b| b.points);
    let rd_max = rules.rd_bands.first().map_or(0, |b| b.points);
    let basis = format!(
        "{year} annual report: S&T staff {}/{staff_max}, R&D {}/{rd_max} (better of the sales \
         and total-costs bases), IP {}/{}",
        shown(staff),
        shown(rd),
        shown(ip),
        rules.ip_class1_points
    );
    let value = score.known().map(f64::from);
    if score.low >= rules.pass_points {
        return c.pass(value, basis);
    }
    if score.high >= rules.pass_points {
        let mut l = ctx.lookup();
        for field in [ST_STAFF, EMPLOYEES, RD, SALES, TOTAL_COSTS] {
            l.get(year, field);
        }
        ip_counts(&mut l, year);
        return c.unknown(basis, l.take());
    }
    let need = rules.pass_points - score.high;
    let (hint_en, hint_zh) = score_hints(ctx, rules, staff, rd, ip);
    let (is_en, is_zh) = if score.known().is_some() {
        ("is", "")
    } else {
        ("is at most", "至多")
    };
    let gap = Gap::new(
        need.into(),
        Unit::Points,
        f64::from(need) / f64::from(rules.pass_points.max(1)),
        format!(
            "The tech-SME score {is_en} {} of the {} needed ({basis_short}): {} more \
             needed.{hint_en}",
            score.high,
            rules.pass_points,
            plural(need.into(), "point", "points"),
            basis_short = format_args!(
                "S&T staff {}, R&D {}, IP {}",
                shown(staff),
                shown(rd),
                shown(ip)
            ),
        ),
        format!(
            "科技型中小企业评价得分{is_zh}{}分，距{}分还差{need}分（科技人员{}分、研发投入{}分、科技成果{}分）。{hint_zh}",
            score.high,
            rules.pass_points,
            shown(staff),
            shown(rd),
            shown(ip)
        ),
    );
    c.fail(value, basis, Some(gap))
}

/// The next band of each indicator and what reaching it takes.
fn score_hints(
    ctx: &Context<'_>,
    rules: &TechSmeRules,
    staff: Bounds,
    rd: Bounds,
    ip: Bounds,
) -> (String, String) {
    let year = ctx.latest_year;
    let l = ctx.lookup();
    let mut en = String::new();
    let mut zh = String::new();
    let get = |field: Field| l.peek(year, field).map(i128::from);

    let staff_step = staff.known().and_then(|points| {
        let band = rules.staff_bands.iter().rev().find(|b| b.points > points)?;
        let n = additive_shortfall(get(ST_STAFF)?, get(EMPLOYEES)?, ppm(band.min_ratio))?;
        Some((points, band, n))
    });
    if let Some((points, band, n)) = staff_step {
        let gain = band.points - points;
        en.push_str(&format!(
            " Hiring {n} more S&T staff (to {}) adds {gain} points.",
            pct_en(ppm(band.min_ratio))
        ));
        zh.push_str(&format!(
            "新增科技人员{n}人（达到{}）可增加{gain}分。",
            pct_zh(ppm(band.min_ratio))
        ));
    }

    let rd_step = rd.known().and_then(|points| {
        let band = rules.rd_bands.iter().rev().find(|b| b.points > points)?;
        Some((points, band, get(RD)?))
    });
    if let Some((points, band, spent)) = rd_step {
        // On the sales base more R&D leaves sales unchanged; on the costs base R&D is part of
        // the costs, so it raises both sides.
        let on_sales = get(SALES)
            .filter(|s| *s > 0)
            .map(|s| shortfall(spent, s, ppm(band.min_ratio_of_sales)));
        let on_costs = get(TOTAL_COSTS)
            .filter(|c| *c > 0)
            .and_then(|c| additive_shortfall(spent, c, ppm(band.min_ratio_of_total_costs)));
        let more = match (on_sales, on_costs) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(more) = more {
            let gain = band.points - points;
            en.push_str(&format!(
                " {} more R&D spend in a year adds {gain} points.",
                yuan_en(more)
            ));
            zh.push_str(&format!(
                "年度研发费用再增加{}可增加{gain}分。",
                yuan_zh(more)
            ));
        }
    }

    if let Some(points) = ip.known().filter(|p| *p < rules.ip_class1_points) {
        let gain = rules.ip_class1_points - points;
        en.push_str(&format!(
            " A first Class I IP item (e.g. an invention patent) adds {gain} points."
        ));
        zh.push_str(&format!("取得1件Ⅰ类知识产权（如发明专利）可增加{gain}分。"));
        let class2 = get(super::CLASS2_IP).unwrap_or(0);
        if let Some(band) = rules
            .ip_class2_bands
            .iter()
            .rev()
            .find(|b| b.points > points && i128::from(b.min_count) > class2)
        {
            let more = i128::from(band.min_count) - class2;
            let gain = band.points - points;
            en.push_str(&format!(
                " Or {} more add {gain} points.",
                plural(more, "Class II item", "Class II items")
            ));
            zh.push_str(&format!("或再取得{more}件Ⅱ类知识产权可增加{gain}分。"));
        }
    }
    (en, zh)
}
