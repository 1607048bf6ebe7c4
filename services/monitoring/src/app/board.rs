//! The KPI board (指标看板) and an indicator's series, answered from stored snapshots only,
//! so they answer whatever the state of the services the snapshots were taken from. When
//! one of those is down now (its circuit breaker is open, or its latest call failed), the
//! answer says so: `stale`, with the snapshot's time and the services' state.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode, RegionLevel};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::evaluate::{StoredIndicator, exact, forecast_for, points_by_key};
use super::snapshots::{IndicatorHead, SnapshotSummary, SourceView, indicator_head, summary};
use super::{Monitor, check_plan_id, parse_region, region_name, require_read};
use crate::clients::UpstreamStatus;
use crate::db::snapshots::{self as queries, Comparisons, SnapshotRow, SnapshotValueRow};
use crate::db::{pipeline, series};
use crate::domain::forecast::Forecast;
use crate::domain::period::Period;
use crate::domain::progress;
use crate::domain::ranking::{self, Change};
use crate::domain::ratio::Ratio;
use crate::domain::snapshot::{SnapshotStatus, Source};
use crate::error::MonitoringError;

/// What the board or series is asked for, as sent.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    pub plan: String,
    /// Default: the caller's region.
    pub region: Option<String>,
    /// Default: the plan's latest snapshot.
    pub period: Option<String>,
}

/// A change against an earlier snapshot (环比 or 同比).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeView {
    /// The earlier period compared with.
    #[schema(example = "2020-08")]
    pub period: String,
    pub snapshot_id: String,
    pub as_of: NaiveDate,
    /// The earlier value.
    pub value: f64,
    /// current − earlier (a share's in its own unit: 0.02 is two points).
    pub delta: f64,
    /// delta ÷ earlier, when the earlier value is not zero.
    pub relative: Option<f64>,
}

/// 预测结果.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForecastStatus {
    /// 已预测: a trend through at least two points on different days.
    Projected,
    /// 数据不足: fewer than two such points.
    Insufficient,
}

/// The forecast to the end of the target's window (the plan's end for its final targets):
/// the least-squares trend over the snapshots plus, for counts that say so, ready pool
/// firms times the conversion rate (预测).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ForecastView {
    pub status: ForecastStatus,
    /// The date forecast.
    pub on: NaiveDate,
    /// max(0, trend + pipeline).
    pub value: Option<f64>,
    pub trend: Option<f64>,
    /// Ready firms × conversion rate (培育库储备贡献).
    pub pipeline: Option<f64>,
    /// Ready pool firms in the region when the snapshot was taken (可认定的入库企业).
    pub ready_firms: Option<i64>,
    pub slope_per_day: Option<f64>,
    /// Snapshots the trend was fitted to.
    pub points: u32,
    /// Whether the forecast misses the target (预计无法完成).
    pub misses_target: Option<bool>,
}

/// One indicator on the board (指标看板条目).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardItem {
    pub indicator: IndicatorHead,
    /// The date the figures describe.
    pub as_of: NaiveDate,
    /// 指标值; shares as decimals 0–1.
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// Why there is no value (缺失原因).
    pub missing_reason: Option<String>,
    /// The target in force (目标值).
    pub target: Option<f64>,
    /// What is left (差距): target − value (value − target for a ceiling).
    pub gap: Option<f64>,
    /// value ÷ target (完成率), where more is better and the target is positive.
    pub completion: Option<f64>,
    /// 时序进度: the share of the target's window elapsed on the as-of date, 0–1.
    pub expected_completion: f64,
    pub window_starts_on: NaiveDate,
    pub window_ends_on: NaiveDate,
    /// Whether the target is met (已达标).
    pub met: Option<bool>,
    /// Whether completion keeps up with 时序进度 within the margin (达到时序进度).
    pub on_track: Option<bool>,
    /// How far completion lags 时序进度, when it does (落后幅度).
    pub behind_by: Option<f64>,
    /// 环比: against the previous period's latest snapshot.
    pub previous: Option<ChangeView>,
    /// 同比: against the same period a year earlier.
    pub year_earlier: Option<ChangeView>,
    /// Rank among the region's siblings (排名), 1 = best; equal figures share a rank.
    pub rank: Option<u32>,
    /// Siblings ranked (参与排名的地区数), the region included.
    pub ranked_among: u32,
    pub forecast: ForecastView,
    /// Where the figures came from (数据来源): the target tree, the registry and at most one
    /// per statistics measure (five).
    #[schema(max_items = 7)]
    pub sources: Vec<SourceView>,
}

/// The KPI board of a region (指标看板).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Board {
    pub plan_id: String,
    pub region_code: String,
    pub region_name: String,
    pub level: RegionLevel,
    /// The snapshot answered from.
    pub snapshot: SnapshotSummary,
    /// True when a service the snapshots are taken from is down now: the figures are the
    /// last ones had, of `snapshot.taken_at` (数据可能已过时).
    pub stale: bool,
    /// When the figures were taken (快照时间), as `snapshot.taken_at`.
    #[serde(with = "hte_shared::time::utc")]
    pub figures_taken_at: NaiveDateTime,
    /// The registry's and allocation's breakers.
    #[schema(max_items = 2)]
    pub upstreams: Vec<UpstreamStatus>,
    /// One per indicator of the plan.
    /// (A plan holds at most 1,000 indicators: allocation's body limit.)
    #[schema(max_items = 1000)]
    pub items: Vec<BoardItem>,
}

/// One snapshot's value in a series (序列点).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SeriesPoint {
    pub snapshot_id: String,
    #[schema(example = "2020-09")]
    pub period: String,
    pub revision: i32,
    pub as_of: NaiveDate,
    #[serde(with = "hte_shared::time::utc")]
    pub taken_at: NaiveDateTime,
    pub status: SnapshotStatus,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    pub target: Option<f64>,
    pub missing_reason: Option<String>,
}

/// An indicator's values over the plan's snapshots for one region, for charts (指标序列):
/// the latest revision of each period, by as-of date.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Series {
    pub plan_id: String,
    /// As the latest snapshot with this indicator defines it.
    pub indicator: IndicatorHead,
    pub region_code: String,
    pub region_name: String,
    /// As on the board.
    pub stale: bool,
    /// The registry's and allocation's breakers.
    #[schema(max_items = 2)]
    pub upstreams: Vec<UpstreamStatus>,
    /// One per period (latest revision), by as-of date; periods lie in 2000–2100, so at most
    /// 1,717 (`domain::limits::MAX_SERIES_POINTS`).
    #[schema(max_items = 1717)]
    pub points: Vec<SeriesPoint>,
}

/// The plan, region and period asked for, checked against the caller's reach.
struct Target {
    plan_id: String,
    region: RegionCode,
    period: Option<Period>,
}

fn parse_query(caller: &Caller, query: &BoardQuery) -> Result<Target, Problem> {
    let mut errors: Vec<FieldError> = Vec::new();
    let plan_id = check_plan_id("plan", &query.plan)
        .map_err(|p| errors.extend(p.errors))
        .ok();
    let region = match query.region.as_deref() {
        Some(raw) => parse_region("region", raw)
            .map_err(|p| errors.extend(p.errors))
            .ok(),
        None => Some(caller.read_scope().copied().unwrap_or(PROVINCE_CODE)),
    };
    let period = query.period.as_deref().and_then(|p| {
        Period::parse(p)
            .map_err(|e| errors.push(FieldError::new("period", "format", e.text())))
            .ok()
    });
    let (Some(plan_id), Some(region)) = (plan_id, region) else {
        return Err(Problem::validation(errors));
    };
    super::validated(errors, ())?;
    require_read(caller, &region)?;
    Ok(Target {
        plan_id,
        region,
        period,
    })
}

fn snapshot_of(conn: &mut DbConnection, target: &Target) -> Result<SnapshotRow, MonitoringError> {
    let found = match target.period {
        Some(period) => queries::latest(conn, &target.plan_id, &period.to_string())?,
        None => series::latest_of_plan(conn, &target.plan_id)?,
    };
    found.ok_or_else(|| {
        let plan = &target.plan_id;
        Problem::not_found(match target.period {
            Some(p) => hte_shared::text!(
                "no snapshot of plan {plan} for {p} yet",
                "规划 {plan} 在 {p} 尚无快照"
            ),
            None => hte_shared::text!("no snapshot of plan {plan} yet", "规划 {plan} 尚无快照"),
        })
        .into()
    })
}

/// The region and its siblings (the province stands alone).
fn with_siblings(region: &RegionCode) -> Vec<String> {
    match regions::find(region).and_then(|r| r.parent) {
        Some(parent) => regions::children(&parent)
            .map(|r| r.code.to_string())
            .collect(),
        None => vec![region.to_string()],
    }
}

fn change_view(
    current: Option<Ratio>,
    earlier: Option<&(SnapshotRow, Vec<SnapshotValueRow>)>,
    key: &str,
) -> Result<Option<ChangeView>, MonitoringError> {
    let Some((row, values)) = earlier else {
        return Ok(None);
    };
    let Some(value_row) = values.iter().find(|v| v.indicator_key == key) else {
        return Ok(None);
    };
    let (Some(current), (Some(before), _)) = (current, exact(value_row)?) else {
        return Ok(None);
    };
    Ok(
        ranking::change(current, Some(before)).map(|Change { delta, relative }| ChangeView {
            period: row.period.clone(),
            snapshot_id: row.id.clone(),
            as_of: row.as_of,
            value: before.to_f64(),
            delta: delta.to_f64(),
            relative: relative.map(Ratio::to_f64),
        }),
    )
}

/// Everything read for a board, in one go.
struct Loaded {
    snapshot: SnapshotRow,
    indicators: Vec<StoredIndicator>,
    values: Vec<SnapshotValueRow>,
    compared: Comparisons,
    points: HashMap<(String, String), Vec<crate::domain::forecast::Point>>,
    ready_firms: Option<i64>,
}

fn load(conn: &mut DbConnection, target: &Target) -> Result<Loaded, MonitoringError> {
    let snapshot = snapshot_of(conn, target)?;
    let region = target.region.to_string();
    let indicators = queries::indicators_of(conn, &snapshot.id)?
        .iter()
        .map(StoredIndicator::read)
        .collect::<Result<Vec<_>, _>>()?;
    let values = queries::values_of(
        conn,
        &snapshot.id,
        None,
        Some(&with_siblings(&target.region)),
    )?;
    let period = Period::parse(&snapshot.period)
        .map_err(|e| hte_shared::stored::corrupt("snapshot period", &e.0))?;
    let compared =
        queries::comparisons(conn, &target.plan_id, period, std::slice::from_ref(&region))?;
    // The trend runs through the snapshots up to this one.
    let snapshots: Vec<SnapshotRow> = series::latest_revisions(conn, &target.plan_id)?
        .into_iter()
        .filter(|s| s.as_of <= snapshot.as_of)
        .collect();
    let ids: Vec<String> = snapshots.iter().map(|s| s.id.clone()).collect();
    let series_values =
        series::values_of_many(conn, &ids, None, Some(std::slice::from_ref(&region)))?;
    let points = points_by_key(&snapshots, &series_values);
    let ready_firms = pipeline::of_snapshot(conn, &snapshot.id, Some(&[region]))?
        .first()
        .map(|p| p.ready_firms);
    Ok(Loaded {
        snapshot,
        indicators,
        values,
        compared,
        points,
        ready_firms,
    })
}

fn forecast_view(
    forecast: Forecast,
    on: NaiveDate,
    ready: Option<i64>,
    target: Option<Ratio>,
    definition: &crate::domain::indicator::IndicatorDefinition,
) -> ForecastView {
    match forecast {
        Forecast::Projected {
            on,
            trend,
            pipeline,
            value,
            slope_per_day,
            points,
        } => ForecastView {
            status: ForecastStatus::Projected,
            on,
            value: Some(value),
            trend: Some(trend),
            pipeline: Some(pipeline),
            ready_firms: ready.filter(|_| definition.pipeline),
            slope_per_day: Some(slope_per_day),
            points: u32::try_from(points).unwrap_or(u32::MAX),
            misses_target: target
                .map(|t| crate::domain::forecast::misses_target(definition.comparator, value, t)),
        },
        Forecast::Insufficient { points } => ForecastView {
            status: ForecastStatus::Insufficient,
            on,
            value: None,
            trend: None,
            pipeline: None,
            ready_firms: ready.filter(|_| definition.pipeline),
            slope_per_day: None,
            points: u32::try_from(points).unwrap_or(u32::MAX),
            misses_target: None,
        },
    }
}

/// The region's rank among its siblings for one indicator, and how many were ranked.
fn rank_of(
    indicator: &StoredIndicator,
    values: &[SnapshotValueRow],
    region: &str,
) -> Result<(Option<u32>, u32), MonitoringError> {
    let siblings: Vec<&SnapshotValueRow> = values
        .iter()
        .filter(|v| v.indicator_key == indicator.definition.key)
        .collect();
    let figures = siblings
        .iter()
        .map(|v| exact(v))
        .collect::<Result<Vec<_>, _>>()?;
    let ranks = ranking::rank_siblings(indicator.definition.comparator, &figures);
    let ranked = u32::try_from(ranks.iter().flatten().count()).unwrap_or(u32::MAX);
    let mine = siblings
        .iter()
        .position(|v| v.region_code == region)
        .and_then(|i| ranks.get(i).copied().flatten());
    Ok((mine.filter(|_| ranked > 1), ranked))
}

fn item(
    loaded: &Loaded,
    indicator: &StoredIndicator,
    region: &str,
    monitor: &Monitor,
) -> Result<BoardItem, MonitoringError> {
    let definition = &indicator.definition;
    let key = definition.key.as_str();
    let row = loaded
        .values
        .iter()
        .find(|v| v.indicator_key == key && v.region_code == region);
    let (value, target) = match row {
        Some(row) => exact(row)?,
        None => (None, None),
    };
    let as_of = loaded.snapshot.as_of;
    let expected = indicator.expected(as_of);
    let standing = match (value, target) {
        (Some(v), Some(t)) => progress::standing(
            definition.comparator,
            v,
            t,
            expected,
            monitor.settings.alert_rules.schedule_margin,
        ),
        _ => None,
    };
    let (rank, ranked_among) = rank_of(indicator, &loaded.values, region)?;
    let points = loaded
        .points
        .get(&(key.to_owned(), region.to_owned()))
        .map_or(&[][..], Vec::as_slice);
    let on = indicator.row.window_ends_on;
    let forecast = forecast_for(
        definition,
        points,
        on,
        loaded.ready_firms,
        monitor.settings.conversion_rate,
    );
    let sources: Vec<Source> = match row {
        Some(row) => hte_shared::stored::parse("snapshot sources", &row.sources_json)?,
        None => Vec::new(),
    };
    Ok(BoardItem {
        indicator: indicator_head(indicator)?,
        as_of,
        value: value.map(Ratio::to_f64),
        numerator: row.and_then(|r| r.numerator),
        denominator: row.and_then(|r| r.denominator),
        missing_reason: match row {
            Some(row) => row.missing_reason.clone(),
            None => Some(
                "the snapshot has no figure of this indicator for this region: formulas that \
                 read statistics inputs are kept for the province and the cities \
                 (快照中无该地区数据)"
                    .to_owned(),
            ),
        },
        target: target.map(Ratio::to_f64),
        gap: standing.map(|s| s.gap.to_f64()),
        completion: standing.and_then(|s| s.completion).map(Ratio::to_f64),
        expected_completion: expected.to_f64(),
        window_starts_on: indicator.row.window_starts_on,
        window_ends_on: on,
        met: standing.map(|s| s.met),
        on_track: standing.map(|s| s.on_track),
        behind_by: standing.and_then(|s| s.behind_by).map(Ratio::to_f64),
        previous: change_view(value, loaded.compared.previous.as_ref(), key)?,
        year_earlier: change_view(value, loaded.compared.year_earlier.as_ref(), key)?,
        rank,
        ranked_among,
        forecast: forecast_view(forecast, on, loaded.ready_firms, target, definition),
        sources: sources.into_iter().map(SourceView::from).collect(),
    })
}

fn level_of(region: &RegionCode) -> RegionLevel {
    regions::find(region).map_or(RegionLevel::County, |r| r.level)
}

/// The KPI board of a region from the plan's latest snapshot (or a period's).
pub async fn board(
    db: &Db,
    monitor: &Monitor,
    caller: &Caller,
    query: BoardQuery,
) -> Result<Board, MonitoringError> {
    let target = parse_query(caller, &query)?;
    let monitor = monitor.clone();
    let upstreams = monitor.upstreams.status();
    db.read(move |conn| {
        let loaded = load(conn, &target)?;
        let region = target.region.to_string();
        let items = loaded
            .indicators
            .iter()
            .map(|indicator| item(&loaded, indicator, &region, &monitor))
            .collect::<Result<Vec<_>, _>>()?;
        let snapshot = summary(&loaded.snapshot)?;
        Ok(Board {
            plan_id: target.plan_id.clone(),
            region_name: region_name(&region),
            region_code: region,
            level: level_of(&target.region),
            figures_taken_at: snapshot.taken_at,
            snapshot,
            stale: upstreams.iter().any(|u| u.down),
            upstreams,
            items,
        })
    })
    .await
}

/// An indicator's series for a region over the plan's snapshots.
pub async fn series(
    db: &Db,
    monitor: &Monitor,
    caller: &Caller,
    key: String,
    query: BoardQuery,
) -> Result<Series, MonitoringError> {
    let target = parse_query(caller, &query)?;
    let upstreams = monitor.upstreams.status();
    db.read(move |conn| {
        let region = target.region.to_string();
        let snapshots = series::latest_revisions(conn, &target.plan_id)?;
        let ids: Vec<String> = snapshots.iter().map(|s| s.id.clone()).collect();
        let values =
            series::values_of_many(conn, &ids, Some(&key), Some(std::slice::from_ref(&region)))?;
        let by_id: HashMap<&str, &SnapshotRow> =
            snapshots.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut points = Vec::new();
        for value in &values {
            let Some(snapshot) = by_id.get(value.snapshot_id.as_str()) else {
                continue;
            };
            let (exact_value, target_value) = exact(value)?;
            points.push(SeriesPoint {
                snapshot_id: snapshot.id.clone(),
                period: snapshot.period.clone(),
                revision: snapshot.revision,
                as_of: snapshot.as_of,
                taken_at: snapshot.taken_at,
                status: summary(snapshot)?.status,
                value: exact_value.map(Ratio::to_f64),
                numerator: value.numerator,
                denominator: value.denominator,
                target: target_value.map(Ratio::to_f64),
                missing_reason: value.missing_reason.clone(),
            });
        }
        points.sort_by(|a, b| (a.as_of, &a.period).cmp(&(b.as_of, &b.period)));
        let latest = points
            .last()
            .map(|p| p.snapshot_id.clone())
            .ok_or_else(|| {
                Problem::not_found(hte_shared::text!(
                    "no snapshot of plan {} has indicator {key:?}",
                    "规划 {} 尚无含指标 {key:?} 的快照",
                    target.plan_id
                ))
            })?;
        let head = queries::indicators_of(conn, &latest)?
            .iter()
            .find(|i| i.indicator_key == key)
            .map(StoredIndicator::read)
            .transpose()?
            .ok_or_else(|| hte_shared::stored::corrupt("snapshot indicator", &key))?;
        Ok(Series {
            plan_id: target.plan_id.clone(),
            indicator: indicator_head(&head)?,
            region_name: region_name(&region),
            region_code: region,
            stale: upstreams.iter().any(|u| u.down),
            upstreams,
            points,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::limits::MAX_SERIES_POINTS;

    #[test]
    fn the_document_states_the_series_bound_the_domain_keeps() {
        let schema = serde_json::to_value(<Series as utoipa::PartialSchema>::schema()).unwrap();
        let max = schema["properties"]["points"]["maxItems"].as_u64();
        assert_eq!(max, Some(MAX_SERIES_POINTS as u64));
    }
}
