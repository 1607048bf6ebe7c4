//! Progress (进度): target against actual per region, from the registry's statistics. When
//! the registry cannot answer, the last good figures for the same question are served marked
//! `stale` with their time; without any, the answer is a 503 problem of type
//! `upstream-unavailable`, never a wrong number.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::figures::{self, Figures, check_figures_date, figures_date, measure_and_window};
use super::plans::load;
use super::targets::splittable_indicator;
use super::validated;
use crate::clients::registry::{RegistryClient, StatisticsQuery};
use crate::db::plans::{self as plan_queries, IndicatorRow, PlanRow};
use crate::db::targets::{self as target_queries, TargetRow};
use crate::domain::plan::{Measure, parse_target_period};
use crate::domain::progress::{
    ExactRate, completion_rate, elapsed_fraction, expected_window, ranks_by,
};
use crate::error::AllocationError;

/// What is asked, as sent (all optional; checked here).
#[derive(Debug, Clone, Default)]
pub struct ProgressQuery {
    /// A splittable indicator with a registry measure (default `hte_count`).
    pub indicator: Option<String>,
    /// `city` (default) or `county`.
    pub level: Option<String>,
    /// The city whose counties are shown (level county; default the caller's city).
    pub parent: Option<String>,
    /// Date of the actual figures (default the period's end, or today while it runs).
    pub as_of: Option<String>,
    /// Target period (default as_of's year, else this year, kept within the plan).
    pub period: Option<String>,
}

/// One region's progress.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgressRow {
    #[schema(example = "320500")]
    pub region_code: String,
    /// Region name (地区名称).
    #[schema(example = "苏州市")]
    pub name: String,
    /// Target (目标值); absent when none is set.
    pub target: Option<i64>,
    /// Actual value from the registry (实际完成).
    pub actual: i64,
    /// Completion rate (完成率) = actual ÷ target, a decimal (may exceed 1); absent without a
    /// positive target.
    pub completion_rate: Option<f64>,
    /// Target − actual (差距), when a target is set; negative when exceeded.
    pub gap: Option<i64>,
    /// Whether completion_rate ≥ expected_completion (达到时序进度).
    pub on_track: Option<bool>,
    /// Rank among the rows by completion rate (排名), 1 = best; equal rates share a rank.
    pub rank: Option<u32>,
}

/// Progress of one indicator by region.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgressReport {
    pub plan_id: String,
    pub indicator: String,
    pub period: String,
    pub level: RegionLevel,
    /// The region whose children are listed (the province or a city).
    pub parent_code: String,
    pub as_of: NaiveDate,
    /// Tree version the targets come from.
    pub tree_version: i32,
    /// Expected completion by elapsed time (时序进度), 0–1:
    /// `(as_of − window_start + 1 day) ÷ (window_end − window_start + 1 day)`, clamped.
    pub expected_completion: f64,
    /// Start of the elapsed-time window: the plan's start for stock indicators, 1 January of
    /// the period for annual ones.
    pub window_start: NaiveDate,
    /// End of the window: 31 December of the period (within the plan).
    pub window_end: NaiveDate,
    /// True when the registry could not be reached and these are the last good figures.
    pub stale: bool,
    /// When the registry figures were fetched (UTC).
    #[serde(with = "hte_shared::time::utc")]
    pub fetched_at: NaiveDateTime,
    /// The parent region's own line (its target; actual = sum over the rows).
    pub parent: ProgressRow,
    /// One row per child region, ordered by code.
    #[schema(max_items = 200)] // hte_shared::regions::MAX_REGIONS
    pub items: Vec<ProgressRow>,
}

/// Where and when: the figures' date as sent, the level and the region whose children are
/// listed.
struct Scope {
    as_of: Option<NaiveDate>,
    level: RegionLevel,
    parent: RegionCode,
}

/// Checks the query's date, level and parent (400 naming each refused one).
fn parse_scope(caller: &Caller, query: &ProgressQuery) -> Result<Scope, Problem> {
    let mut errors = Vec::new();
    let as_of = parse_date_param("as_of", query.as_of.as_deref())
        .map_err(|p| errors.extend(p.errors))
        .ok()
        .flatten();
    let level = RegionLevel::parse_breakdown(query.level.as_deref().unwrap_or("city"))
        .unwrap_or_else(|error| {
            errors.push(error);
            RegionLevel::City
        });
    let parent = match level {
        RegionLevel::County => county_parent(caller, query, &mut errors),
        _ => {
            // Not used at city level, but a value the document refuses is refused here too.
            let known =
                |raw: &str| RegionCode::parse(raw).is_ok_and(|c| regions::find(&c).is_some());
            if query.parent.as_deref().is_some_and(|raw| !known(raw)) {
                errors.push(FieldError::new(
                    "parent",
                    "enum",
                    hte_shared::i18n::Text::fixed(
                        "parent must be a Jiangsu region code",
                        "parent 须为江苏省行政区划代码",
                    ),
                ));
            }
            PROVINCE_CODE
        }
    };
    if let Some(Err(p)) = as_of.map(|date| check_figures_date("as_of", date)) {
        errors.extend(p.errors);
    }
    validated(
        errors,
        Scope {
            as_of,
            level,
            parent,
        },
    )
}

/// The city whose counties are asked for: `parent`, else the caller's own city.
fn county_parent(
    caller: &Caller,
    query: &ProgressQuery,
    errors: &mut Vec<FieldError>,
) -> RegionCode {
    let raw = query
        .parent
        .clone()
        .or_else(|| regions::city_of(&caller.region).map(|c| c.code.to_string()));
    match raw.as_deref().map(RegionCode::parse) {
        Some(Ok(code)) if regions::find(&code).is_some_and(|r| r.level == RegionLevel::City) => {
            code
        }
        _ => {
            errors.push(FieldError::new(
                "parent",
                "city_code",
                hte_shared::i18n::Text::fixed(
                    "level county needs parent, a Jiangsu city code",
                    "县级须在 parent 中指定所属设区市的代码",
                ),
            ));
            PROVINCE_CODE
        }
    }
}

/// Target against actual per region, completion rate, expected completion by elapsed time
/// and rank among siblings. City and county officials get the rows of their own subtree
/// (ranked among all siblings) and may ask about their own region or one above it, not a
/// neighbour's (404).
pub async fn report(
    db: &Db,
    registry: &RegistryClient,
    caller: &Caller,
    request_id: &RequestId,
    plan_id: String,
    query: ProgressQuery,
) -> Result<ProgressReport, AllocationError> {
    let Scope {
        as_of,
        level,
        parent,
    } = parse_scope(caller, &query)?;
    let visible = require_visible(caller, parent)?;
    let indicator_key = query.indicator.unwrap_or_else(|| "hte_count".to_owned());
    let (plan, indicator) = plan_and_indicator(db, &plan_id, &indicator_key).await?;
    let period_year = period_year(query.period.as_deref(), &plan, as_of.unwrap_or_else(today))?;
    let as_of = figures_date(&plan, period_year, as_of)?;
    let (measure, new_from, new_to) = measure_and_window(&indicator, period_year, as_of)?;
    let statistics = StatisticsQuery {
        level,
        parent: (level == RegionLevel::County).then_some(parent),
        as_of,
        new_from,
        new_to,
    };
    let figures = figures::fetch(db, registry, &plan_id, &statistics, request_id, true).await?;
    let targets = {
        let (plan_id, version) = (plan_id.clone(), plan.tree_version);
        db.read(move |conn| {
            target_queries::targets_at(conn, &plan_id, version).map_err(AllocationError::from)
        })
        .await?
    };
    let (window_start, window_end) = expected_window(
        plan.starts_on,
        plan.ends_on,
        indicator.aggregation()?,
        period_year,
    );
    let rows = Rows {
        targets: &targets,
        indicator: &indicator_key,
        period: &period_year.to_string(),
        expected: elapsed_fraction(window_start, window_end, as_of),
    };
    let items = rows.children(&figures, measure, visible);
    let parent_name = regions::find(&parent)
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let parent_row = rows.row(
        parent.to_string(),
        parent_name,
        figures.stats.totals.get(measure),
    );
    Ok(ProgressReport {
        plan_id,
        indicator: indicator.indicator_key,
        period: period_year.to_string(),
        level,
        parent_code: parent.to_string(),
        as_of,
        tree_version: plan.tree_version,
        expected_completion: rows.expected,
        window_start,
        window_end,
        stale: figures.stale,
        fetched_at: figures.fetched_at,
        parent: parent_row,
        items,
    })
}

/// City and county officials may ask about their own region or a region above it (to see
/// where they stand), not a neighbour (404); returns their subtree, whose rows they get.
fn require_visible(caller: &Caller, parent: RegionCode) -> Result<Option<RegionCode>, Problem> {
    let visible = caller.read_scope().copied();
    if let Some(scope) = visible
        && !(parent.is_within(&scope) || scope.is_within(&parent))
    {
        return Err(Problem::not_found(hte_shared::text!(
            "region {parent} is outside your region {scope}",
            "地区 {parent} 不在您的辖区 {scope} 之内"
        )));
    }
    Ok(visible)
}

/// The target period: as asked (a year of the plan), else as_of's year kept within the plan.
fn period_year(asked: Option<&str>, plan: &PlanRow, as_of: NaiveDate) -> Result<i32, Problem> {
    match asked {
        Some(raw) => parse_target_period(raw, plan.starts_on, plan.ends_on)
            .map_err(|(rule, e)| Problem::invalid_field("period", rule, e)),
        None => Ok(as_of
            .year()
            .clamp(plan.starts_on.year(), plan.ends_on.year())),
    }
}

async fn plan_and_indicator(
    db: &Db,
    plan_id: &str,
    key: &str,
) -> Result<(PlanRow, IndicatorRow), AllocationError> {
    let (plan_id, key) = (plan_id.to_owned(), key.to_owned());
    db.read(move |conn| {
        let plan = load(conn, &plan_id)?;
        let indicators = plan_queries::indicators_of(conn, &plan_id)?;
        let indicator = splittable_indicator(&indicators, "indicator", &key)?;
        Ok((plan, indicator))
    })
    .await
}

/// How a region's row is made: its target from the tree, its rate against the expected one.
struct Rows<'a> {
    targets: &'a [TargetRow],
    indicator: &'a str,
    period: &'a str,
    expected: f64,
}

impl Rows<'_> {
    fn row(&self, code: String, name: String, actual: i64) -> ProgressRow {
        let target = self
            .targets
            .iter()
            .find(|t| {
                t.indicator == self.indicator && t.period == self.period && t.region_code == code
            })
            .map(|t| t.value);
        let rate = completion_rate(actual, target);
        ProgressRow {
            region_code: code,
            name,
            target,
            actual,
            completion_rate: rate,
            // Registry counts never come near i64's range; saturate rather than panic.
            gap: target.map(|t| t.saturating_sub(actual)),
            on_track: rate.map(|r| r >= self.expected),
            rank: None,
        }
    }
}

impl Rows<'_> {
    /// One ranked row per child region; only those within `visible` are kept, ranked among
    /// all siblings first so a region's rank is the same whoever asks.
    fn children(
        &self,
        figures: &Figures,
        measure: Measure,
        visible: Option<RegionCode>,
    ) -> Vec<ProgressRow> {
        let mut items: Vec<ProgressRow> = figures
            .stats
            .items
            .iter()
            .map(|i| self.row(i.region_code.clone(), i.name.clone(), i.get(measure)))
            .collect();
        rank(&mut items);
        if let Some(scope) = visible {
            items.retain(|item| {
                RegionCode::parse(&item.region_code).is_ok_and(|code| code.is_within(&scope))
            });
        }
        items
    }
}

/// Ranks rows by exact completion rate, highest first.
fn rank(items: &mut [ProgressRow]) {
    let rates: Vec<_> = items
        .iter()
        .map(|r| ExactRate::new(r.actual, r.target))
        .collect();
    for (item, rank) in items.iter_mut().zip(ranks_by(&rates)) {
        item.rank = rank;
    }
}
