//! Computing an assessment: what is asked, what it rests on (plan, scheme, targets), the
//! registry's figures, and the scored, ranked lines.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode, RegionLevel};
use hte_shared::stored;
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;

use super::{AdjustmentInput, AdjustmentLine, AssessmentLine, IndicatorScore, NewAssessment};
use crate::app::figures::{self, Figures, figures_date};
use crate::app::plans::{load, refuse_closed};
use crate::app::scoring::{SchemeRules, stored_scheme, view as scheme_view};
use crate::app::targets::parse_region;
use crate::app::validated;
use crate::clients::registry::{RegionFigures, RegistryClient, StatisticsQuery};
use crate::db::assessments::AssessmentRow;
use crate::db::plans::{self as plan_queries, IndicatorRow, PlanRow};
use crate::db::scoring as scheme_queries;
use crate::db::targets::{self as target_queries, TargetRow};
use crate::domain::exact::{Dec4, Ratio, micro_to_f64};
use crate::domain::lifecycle::{AssessedLevel, AssessmentStatus};
use crate::domain::plan::{Measure, check_reason, parse_target_period};
use crate::domain::progress::{elapsed_ratio, expected_window};
use crate::domain::scoring::{Inputs, Item, Overflow, Scheme, points_micro, ranks, sum_micro};
use crate::error::AllocationError;

/// Most targets a refusal names; the detail gives the count.
const MAX_NAMED: usize = 20;

/// A computed assessment, ready to be stored as a draft.
pub struct Computed(AssessmentRow);

impl Computed {
    pub(super) fn row(&self) -> &AssessmentRow {
        &self.0
    }
}

/// What is asked, checked: the regions assessed and the province's items.
struct Ask {
    level: AssessedLevel,
    parent: RegionCode,
    regions: Vec<RegionCode>,
    adjustments: Vec<(RegionCode, Dec4, String)>,
}

/// The level and regions, and each adjustment's shape (400 naming each refused field).
/// What a closed plan means for assessments (see [`refuse_closed`]).
const ASSESSMENTS_CLOSED: (&str, &str) = (
    "; it is read-only and takes no new assessments",
    "，只读，不再开展新的考核",
);

fn parse_ask(input: &NewAssessment) -> Result<Ask, Problem> {
    let level = input.level.unwrap_or(AssessedLevel::City);
    let parent = match (level, input.parent.as_deref()) {
        (AssessedLevel::City, None) => PROVINCE_CODE,
        (AssessedLevel::City, Some(_)) => {
            return Err(Problem::invalid_field(
                "parent",
                "not_used",
                hte_shared::i18n::Text::fixed(
                    "parent is for level county; the cities' parent is the province",
                    "parent 仅用于县级考核；设区市考核的上级即为全省，无需指定 parent",
                ),
            ));
        }
        (AssessedLevel::County, raw) => city_code(raw)?,
    };
    let regions: Vec<RegionCode> = regions::children(&parent).map(|r| r.code).collect();
    let mut errors = Vec::new();
    if input.adjustments.len() > 100 {
        errors.push(FieldError::new(
            "adjustments",
            "length",
            hte_shared::i18n::Text::fixed("at most 100 items", "最多 100 项"),
        ));
    }
    let adjustments = input
        .adjustments
        .iter()
        .take(100)
        .enumerate()
        .map(|(i, item)| adjustment(i, item, &regions, &mut errors))
        .collect();
    validated(
        errors,
        Ask {
            level,
            parent,
            regions,
            adjustments,
        },
    )
}

fn city_code(raw: Option<&str>) -> Result<RegionCode, Problem> {
    let refused = || {
        Problem::invalid_field(
            "parent",
            "city_code",
            hte_shared::i18n::Text::fixed(
                "level county needs parent, a Jiangsu city code",
                "县级考核须在 parent 中指定所属设区市的代码",
            ),
        )
    };
    // Any code that is not a city's, Jiangsu's or not, breaks the same rule.
    let code = parse_region("parent", raw.ok_or_else(refused)?).map_err(|_| refused())?;
    match regions::find(&code) {
        Some(r) if r.level == RegionLevel::City => Ok(code),
        _ => Err(refused()),
    }
}

fn adjustment(
    i: usize,
    item: &AdjustmentInput,
    regions: &[RegionCode],
    errors: &mut Vec<FieldError>,
) -> (RegionCode, Dec4, String) {
    let at = |name: &str| format!("adjustments[{i}].{name}");
    let region = match RegionCode::parse(&item.region_code) {
        Ok(code) if regions.contains(&code) => code,
        _ => {
            errors.push(FieldError::new(
                at("region_code"),
                "assessed_region",
                hte_shared::i18n::Text::fixed("not one of the regions assessed", "不是被考核地区"),
            ));
            PROVINCE_CODE
        }
    };
    let (min, max) = (Dec4::whole(-100), Dec4::whole(100));
    let points = match Dec4::parse(item.points, min, max) {
        Ok(p) if p != Dec4::ZERO => p,
        Ok(_) => {
            errors.push(FieldError::new(
                at("points"),
                "non_zero",
                hte_shared::i18n::Text::fixed("points must not be 0", "分值不能为 0"),
            ));
            Dec4::ZERO
        }
        Err((rule, e)) => {
            errors.push(FieldError::new(
                at("points"),
                rule,
                hte_shared::i18n::Text::new(format!("points {e}"), format!("分值{}", e.zh())),
            ));
            Dec4::ZERO
        }
    };
    let reason = check_reason(&item.reason).unwrap_or_else(|e| {
        errors.push(FieldError::new(at("reason"), "length", e));
        String::new()
    });
    (region, points, reason)
}

/// What an assessment rests on: the plan, the scheme, its indicators and the targets.
struct Basis {
    plan: PlanRow,
    scheme_version: i32,
    rules: SchemeRules,
    scheme: Scheme,
    indicators: Vec<IndicatorRow>,
    targets: Vec<TargetRow>,
}

async fn basis(db: &Db, plan_id: &str, asked: Option<i32>) -> Result<Basis, AllocationError> {
    let plan_id = plan_id.to_owned();
    db.read(move |conn| {
        let plan = load(conn, &plan_id)?;
        refuse_closed(&plan, ASSESSMENTS_CLOSED)?;
        let row = match asked {
            Some(version) => scheme_queries::find(conn, &plan_id, version)?.ok_or_else(|| {
                Problem::invalid_field(
                    "scheme_version",
                    "exists",
                    hte_shared::text!(
                        "plan {plan_id} has no scoring scheme version {version}",
                        "规划 {plan_id} 没有第 {version} 版考核办法"
                    ),
                )
            })?,
            None => scheme_queries::latest(conn, &plan_id)?.ok_or_else(|| {
                Problem::conflict(hte_shared::text!(
                    "plan {plan_id} has no scoring scheme yet; POST /api/v1/plans/{plan_id}/scoring-schemes first",
                    "规划 {plan_id} 尚未制定考核办法；请先 POST /api/v1/plans/{plan_id}/scoring-schemes"
                ))
            })?,
        };
        let view = scheme_view(&row)?;
        let scheme = stored_scheme(&view.rules)?;
        let indicators = plan_queries::indicators_of(conn, &plan_id)?;
        let targets = target_queries::targets_at(conn, &plan_id, plan.tree_version)?;
        Ok(Basis {
            plan,
            scheme_version: row.version,
            rules: view.rules,
            scheme,
            indicators,
            targets,
        })
    })
    .await
}

/// Computes a draft assessment from the current targets and live registry figures (never
/// cached ones). Refused before the registry is asked: 409 on a closed plan or a plan
/// without a scheme, 422 when an indicator lacks a target for a region assessed or the
/// items exceed the scheme's limits. Province only. Nothing is stored yet.
pub async fn compute(
    db: &Db,
    registry: &RegistryClient,
    caller: &Caller,
    request_id: &RequestId,
    plan_id: String,
    input: &NewAssessment,
) -> Result<Computed, AllocationError> {
    caller.require_province(("run assessments", "开展考核"))?;
    let ask = parse_ask(input)?;
    let basis = basis(db, &plan_id, input.scheme_version).await?;
    refuse_closed(&basis.plan, ASSESSMENTS_CLOSED)?;
    let year = parse_target_period(&input.period, basis.plan.starts_on, basis.plan.ends_on)
        .map_err(|(rule, e)| Problem::invalid_field("period", rule, e))?;
    let as_of = assessment_date(&basis.plan, year, input.as_of)?;
    let plan = Plan::of(&basis, year, as_of)?;
    plan.require_targets(&ask.regions)?;
    require_within_limits(&ask, &basis.scheme)?;
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of);
    let query = StatisticsQuery::children_of(ask.parent, as_of, from, as_of);
    let figures = figures::fetch(db, registry, &plan_id, &query, request_id, false).await?;
    let rows = plan.lines(&ask, &figures)?;
    Ok(Computed(AssessmentRow {
        id: uuid::Uuid::new_v4().to_string(),
        plan_id,
        period: year.to_string(),
        level: ask.level.key().to_owned(),
        parent_code: ask.parent.to_string(),
        as_of,
        scheme_version: basis.scheme_version,
        scheme_json: stored::to_text(&basis.rules)?,
        status: AssessmentStatus::Draft.key().to_owned(),
        version: 1,
        tree_version: basis.plan.tree_version,
        rows_json: stored::to_text(&rows)?,
        computed_at: figures.fetched_at,
        created_by: caller.subject.clone(),
        created_at: now(),
        published_by: None,
        published_at: None,
    }))
}

/// The date of the figures, which must fall within the assessed year.
fn assessment_date(
    plan: &PlanRow,
    year: i32,
    sent: Option<NaiveDate>,
) -> Result<NaiveDate, Problem> {
    let as_of = figures_date(plan, year, sent)?;
    if as_of.year() != year {
        return Err(Problem::invalid_field(
            "as_of",
            "period",
            hte_shared::text!(
                "as_of {as_of} must fall within the assessed year {year}",
                "数据日期 {as_of} 须在考核年度 {year} 年之内"
            ),
        ));
    }
    Ok(as_of)
}

/// One scheme item with what scoring it needs: its registry measure, 时序进度 and targets.
struct Scored<'a> {
    item: &'a Item,
    measure: Measure,
    expected: Ratio,
    targets: BTreeMap<String, i64>,
}

/// The scheme's items ready to score, for one year and date.
struct Plan<'a> {
    items: Vec<Scored<'a>>,
    period: String,
}

impl<'a> Plan<'a> {
    /// 409 when the scheme names an indicator the plan no longer has (or cannot assess).
    fn of(basis: &'a Basis, year: i32, as_of: NaiveDate) -> Result<Self, AllocationError> {
        let period = year.to_string();
        let mut items = Vec::new();
        for item in &basis.scheme.items {
            let indicator = basis
                .indicators
                .iter()
                .find(|i| i.indicator_key == item.indicator && i.splittable);
            let measure = indicator.map(IndicatorRow::measure).transpose()?.flatten();
            let (Some(indicator), Some(measure)) = (indicator, measure) else {
                return Err(Problem::conflict(hte_shared::text!(
                    "scheme version {} assesses {}, which the plan no longer has as a split, \
                     registry-measured indicator; set a new scheme",
                    "第 {} 版考核办法考核的指标 {} 已不再是规划中可分解且由企业库计量的指标，\
                     无法考核；请制定新的考核办法",
                    basis.scheme_version,
                    item.indicator
                ))
                .into());
            };
            let (start, end) = expected_window(
                basis.plan.starts_on,
                basis.plan.ends_on,
                indicator.aggregation()?,
                year,
            );
            let targets = basis
                .targets
                .iter()
                .filter(|t| t.indicator == item.indicator && t.period == period)
                .map(|t| (t.region_code.clone(), t.value))
                .collect();
            items.push(Scored {
                item,
                measure,
                expected: elapsed_ratio(start, end, as_of),
                targets,
            });
        }
        Ok(Self { items, period })
    }

    /// 422 naming (up to 20) regions assessed without a target for an indicator.
    fn require_targets(&self, regions: &[RegionCode]) -> Result<(), Problem> {
        let missing: Vec<FieldError> = self
            .items
            .iter()
            .flat_map(|s| {
                regions
                    .iter()
                    .filter(|r| !s.targets.contains_key(&r.to_string()))
                    .map(|r| {
                        FieldError::new(
                            format!("targets.{}.{}.{r}", s.item.indicator, self.period),
                            "target_set",
                            hte_shared::text!(
                                "region {r} has no {} target for {}",
                                "地区 {r} 未设定 {} 指标 {} 年的目标",
                                s.item.indicator,
                                self.period
                            ),
                        )
                    })
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Problem::unprocessable(hte_shared::text!(
            "{} target(s) are missing for the regions assessed, so they cannot be assessed; set \
             or split the targets first",
            "被考核地区缺少 {} 个目标，无法考核；请先设定或分解目标",
            missing.len()
        ))
        .with_errors(missing.into_iter().take(MAX_NAMED).collect()))
    }

    /// One scored line per region, ranked by exact total.
    fn lines(&self, ask: &Ask, figures: &Figures) -> Result<Vec<AssessmentLine>, AllocationError> {
        let mut lines = Vec::new();
        let mut totals = Vec::new();
        for region in &ask.regions {
            let code = region.to_string();
            let found = figures.stats.items.iter().find(|i| i.region_code == code);
            let Some(found) = found else {
                return Err(Problem::upstream_unavailable(hte_shared::text!(
                    "the registry's figures lack region {code}; no assessment is made from partial figures",
                    "企业库的数据缺少地区 {code}；不依据不完整的数据开展考核"
                ))
                .into());
            };
            let (line, total) = self.line(region, found, ask).map_err(|Overflow| {
                Problem::unprocessable(hte_shared::text!(
                    "the figures of region {code} are too large to score exactly",
                    "地区 {code} 的数值过大，无法精确计分"
                ))
            })?;
            lines.push(line);
            totals.push(total);
        }
        for (line, rank) in lines.iter_mut().zip(ranks(&totals)) {
            line.rank = rank;
        }
        Ok(lines)
    }

    fn line(
        &self,
        region: &RegionCode,
        figures: &RegionFigures,
        ask: &Ask,
    ) -> Result<(AssessmentLine, i64), Overflow> {
        let code = region.to_string();
        let mut items = Vec::new();
        let mut scores = Vec::new();
        for s in &self.items {
            let inputs = Inputs {
                achieved: figures.get(s.measure),
                // Every region assessed has one: `require_targets` refused the request otherwise.
                target: s.targets.get(&code).copied().unwrap_or_default(),
                expected: s.expected,
            };
            let score = s.item.score(&inputs)?;
            scores.push(score.score);
            items.push(IndicatorScore {
                indicator: s.item.indicator.clone(),
                target: inputs.target,
                achieved: inputs.achieved,
                completion_rate: score.completion.to_f64(),
                expected_completion: s.expected.to_f64(),
                base_points: micro_to_f64(score.base),
                bonus_points: micro_to_f64(score.bonus),
                deduction_points: micro_to_f64(score.deduction),
                score: micro_to_f64(score.score),
            });
        }
        let own: Vec<&(RegionCode, Dec4, String)> =
            ask.adjustments.iter().filter(|a| a.0 == *region).collect();
        let adjustment = sum_micro(
            own.iter()
                .map(|a| points_micro(a.1))
                .collect::<Result<Vec<_>, _>>()?,
        )?;
        let total = sum_micro(scores.into_iter().chain([adjustment]))?;
        let line = AssessmentLine {
            region_code: code,
            name: regions::find(region)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            items,
            adjustments: own
                .iter()
                .map(|a| AdjustmentLine {
                    points: a.1.to_f64(),
                    reason: a.2.clone(),
                })
                .collect(),
            adjustment_points: micro_to_f64(adjustment),
            total: micro_to_f64(total),
            rank: 0,
        };
        Ok((line, total))
    }
}

/// 422 when one region's bonus items add up to more than the scheme's `max_bonus_points`, or
/// its penalty items to more than `max_penalty_points`.
fn require_within_limits(ask: &Ask, scheme: &Scheme) -> Result<(), Problem> {
    let mut errors = Vec::new();
    for region in &ask.regions {
        let mine = ask.adjustments.iter().filter(|a| a.0 == *region);
        let (mut bonus, mut penalty) = (0i64, 0i64);
        for (_, points, _) in mine {
            let units = points.units();
            if units > 0 {
                bonus = bonus.saturating_add(units);
            } else {
                penalty = penalty.saturating_add(units.saturating_neg());
            }
        }
        for (sum, limit, (what, what_zh)) in [
            (bonus, scheme.max_bonus, ("bonus", "加分")),
            (penalty, scheme.max_penalty, ("penalty", "扣分")),
        ] {
            if sum > limit.units() {
                errors.push(FieldError::new(
                    format!("adjustments.{region}"),
                    "limit",
                    hte_shared::text!(
                        "region {region}'s {what} items add up to {}, more than the scheme's {limit}",
                        "地区 {region} 的{what_zh}项合计为 {}，超过考核办法规定的 {limit}",
                        Dec4::from_units(sum)
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::unprocessable(hte_shared::i18n::Text::fixed(
            "bonus or penalty items exceed the scheme's limits",
            "加减分超过考核办法规定的上限",
        ))
        .with_errors(errors))
    }
}
