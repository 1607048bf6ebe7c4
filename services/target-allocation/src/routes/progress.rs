//! Progress (进度): target against actual per region, from the registry's statistics. When
//! the registry cannot answer, the last good figures for the same question are served marked
//! `stale` with their time; without any, the answer is a 503 problem of type
//! `upstream-unavailable` — never a wrong number.

use actix_web::{HttpResponse, get, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::http_client::UpstreamError;
use hte_shared::openapi::{BadRequest, NotFound, ServiceUnavailable};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{now, parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::plans::load_plan;
use super::targets::splittable_indicator;
use crate::clients::registry::{RegistryClient, Statistics, StatisticsQuery};
use crate::db::plans::{self as plan_queries, IndicatorRow, PlanRow};
use crate::db::{cache, targets};
use crate::domain::plan::{Aggregation, Measure};
use crate::domain::progress::{ExactRate, completion_rate, elapsed_fraction, ranks_by};
use crate::error::AllocationError;

/// Registry figures and where they came from.
pub(crate) struct Figures {
    pub stats: Statistics,
    pub stale: bool,
    pub fetched_at: NaiveDateTime,
}

/// Asks the registry; on success keeps the answer as the last good one for (plan, query).
/// When the registry is unreachable or failing (5xx) and `allow_stale`, serves the last
/// good answer marked stale; otherwise the upstream error (503 upstream-unavailable).
pub(crate) async fn fetch_figures(
    db: &Db,
    registry: &RegistryClient,
    plan_id: &str,
    query: &StatisticsQuery,
    request_id: &RequestId,
    allow_stale: bool,
) -> Result<Figures, AllocationError> {
    let key = query.cache_key();
    match registry.statistics(query, request_id).await {
        Ok(stats) => {
            let fetched_at = now();
            let body = serde_json::to_string(&stats).unwrap_or_default();
            let (plan_id, key) = (plan_id.to_owned(), key.clone());
            db.write(move |conn| {
                cache::put(conn, &plan_id, &key, &body, fetched_at).map_err(AllocationError::from)
            })
            .await?;
            Ok(Figures {
                stats,
                stale: false,
                fetched_at,
            })
        }
        Err(error) => {
            let unavailable = match &error {
                UpstreamError::Unreachable { .. } | UpstreamError::Decode { .. } => true,
                UpstreamError::Status { status, .. } => *status >= 500,
            };
            if unavailable && allow_stale {
                let (plan_id, key) = (plan_id.to_owned(), key.clone());
                let cached = db
                    .read(move |conn| {
                        cache::get(conn, &plan_id, &key).map_err(AllocationError::from)
                    })
                    .await?;
                if let Some((body, fetched_at)) = cached
                    && let Ok(stats) = serde_json::from_str::<Statistics>(&body)
                {
                    tracing::warn!(%error, %fetched_at, "registry unavailable; serving cached figures");
                    return Ok(Figures {
                        stats,
                        stale: true,
                        fetched_at,
                    });
                }
            }
            if allow_stale {
                tracing::warn!(%error, "registry unavailable and no cached figures");
                return Err(Problem::upstream_unavailable(format!(
                    "the enterprise registry could not answer ({error}) and no earlier figures \
                     are kept for this question, so none are given rather than wrong ones; retry \
                     later"
                ))
                .into());
            }
            Err(error.into())
        }
    }
}

/// Dates sent to the registry stay within years it accepts.
/// Registry figures exist from 2000 up to today, not for dates still to come.
pub(crate) fn check_figures_date(field: &str, date: NaiveDate) -> Result<(), Problem> {
    let today = today();
    if date.year() >= 2000 && date <= today {
        Ok(())
    } else {
        Err(Problem::invalid_field(
            field,
            "range",
            format!("{field} must lie between 2000-01-01 and today ({today}); got {date}"),
        ))
    }
}

/// The registry statistic and new-certificate window that give `indicator`'s actual value
/// on `as_of` for `period`.
pub(crate) fn measure_and_window(
    indicator: &IndicatorRow,
    period_year: i32,
    as_of: NaiveDate,
) -> Result<(Measure, NaiveDate, NaiveDate), Problem> {
    let measure = indicator
        .measure
        .as_deref()
        .and_then(Measure::from_key)
        .ok_or_else(|| {
            Problem::invalid_field(
                "indicator",
                "measure",
                format!(
                    "indicator {} has no registry measure, so its actual value is not computed here",
                    indicator.indicator_key
                ),
            )
        })?;
    let jan1 = NaiveDate::from_ymd_opt(period_year, 1, 1).unwrap_or(as_of);
    let dec31 = NaiveDate::from_ymd_opt(period_year, 12, 31).unwrap_or(as_of);
    let (from, to) = if measure == Measure::NewCertificates {
        // Certificates issued in the period's year up to as_of.
        (jan1, as_of.min(dec31).max(jan1))
    } else {
        let year_start = NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of);
        (year_start, as_of)
    };
    Ok((measure, from, to))
}

/// The window against which elapsed time is measured (see the module docs of
/// `domain::progress`).
pub(crate) fn expected_window(
    plan: &PlanRow,
    indicator: &IndicatorRow,
    period_year: i32,
) -> (NaiveDate, NaiveDate) {
    let jan1 = NaiveDate::from_ymd_opt(period_year, 1, 1).unwrap_or(plan.starts_on);
    let dec31 = NaiveDate::from_ymd_opt(period_year, 12, 31).unwrap_or(plan.ends_on);
    match Aggregation::from_key(&indicator.aggregation) {
        Some(Aggregation::Annual) => (jan1.max(plan.starts_on), dec31.min(plan.ends_on)),
        _ => (plan.starts_on, dec31.min(plan.ends_on)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressParams {
    /// A splittable indicator with a registry measure (default `hte_count`).
    indicator: Option<String>,
    /// `city` (default: the 13 cities) or `county` (the counties of `parent`).
    level: Option<String>,
    /// The city whose counties are shown (level county; default the caller's city).
    parent: Option<String>,
    /// Date of the actual figures (default today, China time).
    as_of: Option<String>,
    /// Target period, a year of the plan (default as_of's year, kept within the plan).
    period: Option<String>,
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
    pub items: Vec<ProgressRow>,
}

/// Target against actual per region, completion rate, expected completion by elapsed time
/// and rank among siblings. City and county officials get the rows of their own subtree
/// (ranked among all siblings) and may not ask about a neighbour's region (404). If the
/// registry is unreachable, the last good figures for the
/// same question are returned with `stale: true` and `fetched_at`; if there are none, a
/// 503 problem of type `urn:jiangsu-hte:problem:upstream-unavailable`.
#[utoipa::path(
    tag = "progress",
    params(("id" = String, Path, description = "Plan id (规划代码)"), ProgressParams),
    responses(
        (status = 200, description = "Progress by region (possibly stale, see `stale`)", body = ProgressReport),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/plans/{id}/progress")]
pub async fn get_progress(
    db: web::Data<Db>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    params: web::Query<ProgressParams>,
) -> Result<HttpResponse, AllocationError> {
    let plan_id = path.into_inner();
    let mut errors = Vec::new();
    let as_of = parse_date_param("as_of", params.as_of.as_deref())
        .map_err(|p| errors.extend(p.errors))
        .ok()
        .flatten()
        .unwrap_or_else(today);
    let level = match params.level.as_deref().unwrap_or("city") {
        "city" => RegionLevel::City,
        "county" => RegionLevel::County,
        other => {
            errors.push(FieldError::new(
                "level",
                "enum",
                format!("level must be city or county; got {other:?}"),
            ));
            RegionLevel::City
        }
    };
    let parent = match level {
        RegionLevel::County => {
            let raw = params
                .parent
                .clone()
                .or_else(|| regions::city_of(&caller.region).map(|c| c.code.to_string()));
            match raw.as_deref().map(RegionCode::parse) {
                Some(Ok(code))
                    if regions::find(&code).is_some_and(|r| r.level == RegionLevel::City) =>
                {
                    code
                }
                _ => {
                    errors.push(FieldError::new(
                        "parent",
                        "city_code",
                        "level county needs parent, a Jiangsu city code",
                    ));
                    PROVINCE_CODE
                }
            }
        }
        _ => PROVINCE_CODE,
    };
    if let Err(p) = check_figures_date("as_of", as_of) {
        errors.extend(p.errors);
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    // City and county officials see rows of their own subtree; they may ask about their own
    // region or a region above it (to see where they stand), not a neighbour.
    let scope = caller.read_scope().copied();
    if let Some(scope) = scope
        && !(parent.is_within(&scope) || scope.is_within(&parent))
    {
        return Err(
            Problem::not_found(format!("region {parent} is outside your region {scope}")).into(),
        );
    }
    let indicator_key = params
        .indicator
        .clone()
        .unwrap_or_else(|| "hte_count".to_owned());
    let (plan, indicator) = {
        let (plan_id, key) = (plan_id.clone(), indicator_key.clone());
        db.read(move |conn| {
            let plan = load_plan(conn, &plan_id)?;
            let indicators = plan_queries::indicators_of(conn, &plan_id)?;
            let indicator = splittable_indicator(&indicators, "indicator", &key)?;
            Ok::<_, AllocationError>((plan, indicator))
        })
        .await?
    };
    let period_year = match params.period.as_deref() {
        Some(raw) => crate::domain::plan::parse_target_period(raw, plan.starts_on, plan.ends_on)
            .map_err(|e| Problem::invalid_field("period", "period", e))?,
        None => as_of
            .year()
            .clamp(plan.starts_on.year(), plan.ends_on.year()),
    };
    let period = period_year.to_string();
    let (measure, new_from, new_to) = measure_and_window(&indicator, period_year, as_of)?;
    let query = StatisticsQuery {
        level,
        parent: (level == RegionLevel::County).then_some(parent),
        as_of,
        new_from,
        new_to,
    };
    let figures = fetch_figures(&db, &registry, &plan_id, &query, &request_id, true).await?;

    let rows = {
        let plan_id = plan_id.clone();
        let version = plan.tree_version;
        db.read(move |conn| {
            targets::targets_at(conn, &plan_id, version).map_err(AllocationError::from)
        })
        .await?
    };
    let target_of = |code: &str| {
        rows.iter()
            .find(|t| t.indicator == indicator_key && t.period == period && t.region_code == code)
            .map(|t| t.value)
    };
    let (window_start, window_end) = expected_window(&plan, &indicator, period_year);
    let expected = elapsed_fraction(window_start, window_end, as_of);
    let row = |code: String, name: String, actual: i64| {
        let target = target_of(&code);
        let rate = completion_rate(actual, target);
        ProgressRow {
            region_code: code,
            name,
            target,
            actual,
            completion_rate: rate,
            gap: target.map(|t| t - actual),
            on_track: rate.map(|r| r >= expected),
            rank: None,
        }
    };
    let mut items: Vec<ProgressRow> = figures
        .stats
        .items
        .iter()
        .map(|i| row(i.region_code.clone(), i.name.clone(), i.get(measure)))
        .collect();
    let ranks = ranks_by(
        &items
            .iter()
            .map(|r| ExactRate::new(r.actual, r.target))
            .collect::<Vec<_>>(),
    );
    for (item, rank) in items.iter_mut().zip(ranks) {
        item.rank = rank;
    }
    // Ranked among all siblings first, so a region's rank is the same whoever asks.
    if let Some(scope) = scope {
        items.retain(|item| {
            RegionCode::parse(&item.region_code).is_ok_and(|code| code.is_within(&scope))
        });
    }
    let parent_name = regions::find(&parent)
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let parent_row = row(
        parent.to_string(),
        parent_name,
        figures.stats.totals.get(measure),
    );
    Ok(HttpResponse::Ok().json(ProgressReport {
        plan_id,
        indicator: indicator.indicator_key,
        period: period_year.to_string(),
        level,
        parent_code: parent.to_string(),
        as_of,
        tree_version: plan.tree_version,
        expected_completion: expected,
        window_start,
        window_end,
        stale: figures.stale,
        fetched_at: figures.fetched_at,
        parent: parent_row,
        items,
    }))
}
