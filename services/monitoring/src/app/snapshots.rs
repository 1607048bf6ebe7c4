//! Snapshots (快照): taken on demand or by the scheduler, then only read. Taking one
//! [`prepare`]s it (fetching and composing, no database writes) and [`record`]s it in one
//! transaction with its ready-firm counts, the alerts it shows (when it is the plan's
//! latest) and its audit entry.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionLevel};
use hte_shared::telemetry::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::compose::{Composed, compose};
use super::evaluate::{EvaluationInput, StoredIndicator, evaluate, exact, points_by_key};
use super::gather::{SnapshotOrder, gather};
use super::{Monitor, check_plan_id, record_change, region_name};
use crate::db::alerts::{self as alert_queries, Seen};
use crate::db::leases::Fence;
use crate::db::pipeline::{self, PipelineRow};
use crate::db::series;
use crate::db::snapshots::{self as queries, NewSnapshot, Recorded, SnapshotFilter, SnapshotRow};
use crate::domain::alert::ComplianceFinding;
use crate::domain::indicator::{Aggregation, Comparator, InputPeriod};
use crate::domain::inputs::InputMeasure;
use crate::domain::period::Period;
use crate::domain::snapshot::{SnapshotStatus, Source, Trigger};
use crate::error::MonitoringError;

// ---- shapes ------------------------------------------------------------------------------------

/// Body of `POST /snapshots`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSnapshotRequest {
    /// The plan (规划代码) in the allocation service.
    #[schema(
        example = "jiangsu-2019-57",
        pattern = "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
    )]
    pub plan: String,
    /// Period (统计期): a month `2020-09`, a quarter `2020-Q3` or a year `2020`, overlapping
    /// the plan's dates.
    #[schema(
        example = "2020-09",
        pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$"
    )]
    pub period: String,
    /// Date the figures describe (截止日期), within the period and not after today; default
    /// the period's last day, or today while the period runs.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// A snapshot without its figures (快照概要).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotSummary {
    pub id: String,
    pub plan_id: String,
    /// 统计期
    #[schema(example = "2020-09")]
    pub period: String,
    /// Revision within the period, from 1; readers take the latest (修订版本).
    pub revision: i32,
    /// Date the figures describe (截止日期).
    pub as_of: NaiveDate,
    /// Year of the annual reports the registry summed (年报年度).
    pub report_year: i32,
    /// Why it was taken: `scheduled` (定期) or `on_demand` (按需).
    pub triggered_by: Trigger,
    /// `complete` (完整) or `partial` (不完整, with the reason).
    pub status: SnapshotStatus,
    pub partial_reason: Option<String>,
    /// Version of the plan's target tree the targets come from (目标树版本).
    pub plan_tree_version: Option<i32>,
    /// Who took it (a user, or `system:scheduler`).
    pub taken_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub taken_at: NaiveDateTime,
}

/// Where a figure came from (数据来源).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceView {
    /// `enterprise-registry`, `target-allocation` or `monitoring`.
    pub service: String,
    /// The route read, with its query.
    pub route: String,
    /// The date the figures describe.
    pub as_of: NaiveDate,
    #[serde(with = "hte_shared::time::utc")]
    pub fetched_at: NaiveDateTime,
    /// For a statistics input: which measure, period and version (统计输入版本).
    pub input: Option<InputSourceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InputSourceView {
    pub measure: InputMeasure,
    #[schema(example = "2019")]
    pub period: String,
    pub version: i32,
    pub value_yuan: i64,
}

impl From<Source> for SourceView {
    fn from(source: Source) -> Self {
        Self {
            service: source.service,
            route: source.route,
            as_of: source.as_of,
            fetched_at: source.fetched_at,
            input: source.input.map(|i| InputSourceView {
                measure: i.measure,
                period: i.figure.period.to_string(),
                version: i.figure.version,
                value_yuan: i.figure.value_yuan,
            }),
        }
    }
}

/// One indicator's figure for one region (指标值).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValueView {
    pub region_code: String,
    pub region_name: String,
    pub level: RegionLevel,
    /// The quantity, or the share's numerator (分子); absent when missing.
    pub numerator: Option<i64>,
    /// The share's denominator (分母).
    pub denominator: Option<i64>,
    /// numerator ÷ denominator, or the quantity (指标值); shares are decimals 0–1.
    pub value: Option<f64>,
    /// Why there is no value (缺失原因), in Chinese and English.
    pub missing_reason: Option<String>,
    /// The target in force (目标值).
    pub target: Option<f64>,
    /// Where the figure came from (数据来源): the target tree, the registry and at most one
    /// per statistics measure (five).
    #[schema(max_items = 7)]
    pub sources: Vec<SourceView>,
}

/// An indicator as the snapshot evaluated it (指标定义).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IndicatorHead {
    #[schema(example = "hte_count")]
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// `ratio` for a share; otherwise what is counted.
    pub unit: String,
    pub comparator: Comparator,
    pub aggregation: Aggregation,
    /// The plan-wide target (规划目标值).
    pub target_value: Option<f64>,
    /// The formula (计算公式), as the plan defines it.
    #[schema(value_type = Object)]
    pub formula: serde_json::Value,
    pub input_period: InputPeriod,
    pub pipeline: bool,
}

/// An indicator of a snapshot with its 时序进度 window and values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotIndicatorView {
    pub indicator: IndicatorHead,
    /// The window 时序进度 is measured over.
    pub window_starts_on: NaiveDate,
    pub window_ends_on: NaiveDate,
    /// 时序进度 on the as-of date, 0–1.
    pub expected_completion: f64,
    /// By region code.
    #[schema(max_items = 200)] // hte_shared::regions::MAX_REGIONS
    pub values: Vec<ValueView>,
}

/// Ready pool firms in a region when the snapshot was taken (可认定的入库企业).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadyFirmsView {
    pub region_code: String,
    pub ready_firms: i64,
}

/// A snapshot with its figures, within the reader's region (快照).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotView {
    pub snapshot: SnapshotSummary,
    /// (A plan holds at most 1,000 indicators: allocation's body limit.)
    #[schema(max_items = 1000)]
    pub indicators: Vec<SnapshotIndicatorView>,
    /// By region; absent entries: the pipeline was not read (no indicator uses it, or it
    /// failed).
    #[schema(max_items = 200)] // hte_shared::regions::MAX_REGIONS
    pub ready_firms: Vec<ReadyFirmsView>,
}

/// What taking a snapshot did to the alerts (预警变化).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AlertChanges {
    pub opened: u32,
    pub updated: u32,
    pub escalated: u32,
    pub resolved: u32,
}

/// The answer to `POST /snapshots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotTaken {
    pub snapshot: SnapshotSummary,
    /// Values recorded (指标值条数).
    pub values: u32,
    /// Alerts changed; all zero when the snapshot is not the plan's latest.
    pub alerts: AlertChanges,
}

pub fn summary(row: &SnapshotRow) -> Result<SnapshotSummary, MonitoringError> {
    let corrupt = |what: &str, v: &str| hte_shared::stored::corrupt(what, v);
    Ok(SnapshotSummary {
        id: row.id.clone(),
        plan_id: row.plan_id.clone(),
        period: row.period.clone(),
        revision: row.revision,
        as_of: row.as_of,
        report_year: row.report_year,
        triggered_by: Trigger::from_key(&row.triggered_by)
            .ok_or_else(|| corrupt("snapshot trigger", &row.triggered_by))?,
        status: SnapshotStatus::from_key(&row.status)
            .ok_or_else(|| corrupt("snapshot status", &row.status))?,
        partial_reason: row.partial_reason.clone(),
        plan_tree_version: row.plan_tree_version,
        taken_by: row.taken_by.clone(),
        taken_at: row.taken_at,
    })
}

// ---- taking ------------------------------------------------------------------------------------

/// A snapshot fetched and composed, not yet recorded.
pub struct Prepared {
    pub composed: Composed,
    /// The compliance findings, when read for this snapshot (`Err`: reading them failed).
    pub compliance: Option<Result<Vec<ComplianceFinding>, String>>,
}

/// Checks an on-demand request (the province only; plan id, period, as-of date).
pub fn order_of(
    caller: &Caller,
    request: &NewSnapshotRequest,
    today: NaiveDate,
) -> Result<SnapshotOrder, Problem> {
    caller.require_province(("take snapshots", "生成快照"))?;
    let mut errors = Vec::new();
    let plan = check_plan_id("plan", &request.plan)
        .map_err(|p| errors.extend(p.errors))
        .ok();
    let period = Period::parse(&request.period)
        .map_err(|e| errors.push(FieldError::new("period", "format", e.text())))
        .ok();
    let as_of = period.map(|p| request.as_of.unwrap_or(p.ends_on().min(today)));
    if let (Some(period), Some(as_of)) = (period, as_of) {
        if !period.contains(as_of) {
            errors.push(FieldError::new(
                "as_of",
                "within_period",
                hte_shared::text!(
                    "as_of must lie within {period}",
                    "截止日期须在统计期 {period} 之内"
                ),
            ));
        } else if as_of > today {
            errors.push(FieldError::new(
                "as_of",
                "not_future",
                hte_shared::text!(
                    "as_of must not be after today, {today}",
                    "截止日期不能晚于今天（{today}）"
                ),
            ));
        }
    }
    match (plan, period, as_of) {
        (Some(plan_id), Some(period), Some(as_of)) if errors.is_empty() => Ok(SnapshotOrder {
            plan_id,
            period,
            as_of,
            trigger: Trigger::OnDemand,
            taken_by: caller.subject.clone(),
        }),
        _ => Err(Problem::validation(errors)),
    }
}

/// Fetches and composes a snapshot; nothing is written.
pub async fn prepare(
    db: &Db,
    monitor: &Monitor,
    order: &SnapshotOrder,
    request_id: &RequestId,
) -> Result<Prepared, MonitoringError> {
    let gathered = gather(db, monitor, order, request_id).await?;
    let composed = compose(&gathered, order)?;
    Ok(Prepared {
        composed,
        compliance: gathered.compliance,
    })
}

/// What recording came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Taken(SnapshotTaken),
    /// The scheduler's lease expired and was taken over: nothing recorded.
    LeaseLost,
    /// A complete scheduled snapshot of the period exists already.
    ScheduledExists,
}

/// Records a prepared snapshot, its ready firms, the alerts it shows and its audit entry;
/// run it in one transaction.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    monitor: &Monitor,
    prepared: Prepared,
    fence: Option<&Fence>,
) -> Result<Outcome, MonitoringError> {
    let Prepared {
        composed,
        compliance,
    } = prepared;
    let new = NewSnapshot {
        snapshot: composed.snapshot,
        indicators: composed.indicators,
        values: composed.values,
    };
    let values = u32::try_from(new.values.len()).unwrap_or(u32::MAX);
    let now = hte_shared::time::now();
    let row = match queries::record(conn, new, fence, now)? {
        Recorded::Inserted(row) => row,
        Recorded::LeaseLost => return Ok(Outcome::LeaseLost),
        Recorded::ScheduledExists => return Ok(Outcome::ScheduledExists),
    };
    let ready: Vec<PipelineRow> = composed
        .pipeline
        .into_iter()
        .map(|p| PipelineRow {
            snapshot_id: row.id.clone(),
            ..p
        })
        .collect();
    pipeline::insert(conn, &ready)?;
    let latest = series::latest_of_plan(conn, &row.plan_id)?;
    let alerts = if latest.is_some_and(|l| l.id == row.id) {
        let compliance = match &compliance {
            Some(Ok(findings)) => Some(findings.as_slice()),
            Some(Err(message)) => {
                tracing::warn!(%message, "compliance alerts not refreshed");
                None
            }
            None => None,
        };
        record_alerts(conn, monitor, &row, &ready, compliance, now)?
    } else {
        AlertChanges::default()
    };
    let taken = SnapshotTaken {
        snapshot: summary(&row)?,
        values,
        alerts,
    };
    record_change(
        conn,
        actor,
        ("snapshot", &row.id),
        ("create", None),
        None,
        &taken,
    )?;
    Ok(Outcome::Taken(taken))
}

/// Opens, updates and resolves the alerts the plan's latest snapshot shows.
fn record_alerts(
    conn: &mut DbConnection,
    monitor: &Monitor,
    snapshot: &SnapshotRow,
    ready: &[PipelineRow],
    compliance: Option<&[ComplianceFinding]>,
    now: NaiveDateTime,
) -> Result<AlertChanges, MonitoringError> {
    let snapshots = series::latest_revisions(conn, &snapshot.plan_id)?;
    let ids: Vec<String> = snapshots.iter().map(|s| s.id.clone()).collect();
    let all_values = series::values_of_many(conn, &ids, None, None)?;
    let points = points_by_key(&snapshots, &all_values);
    let indicators = queries::indicators_of(conn, &snapshot.id)?
        .iter()
        .map(StoredIndicator::read)
        .collect::<Result<Vec<_>, _>>()?;
    let values: Vec<_> = all_values
        .into_iter()
        .filter(|v| v.snapshot_id == snapshot.id)
        .collect();
    let ready_firms: HashMap<String, i64> = ready
        .iter()
        .map(|p| (p.region_code.clone(), p.ready_firms))
        .collect();
    let evaluation = evaluate(&EvaluationInput {
        snapshot,
        indicators: &indicators,
        values: &values,
        points: &points,
        ready_firms: &ready_firms,
        compliance,
        rules: &monitor.settings.alert_rules,
        conversion_rate: monitor.settings.conversion_rate,
    })?;
    let mut changes = AlertChanges::default();
    for condition in &evaluation.conditions {
        match alert_queries::record_seen(conn, condition, Some(&snapshot.id), now)? {
            Seen::Opened { .. } => changes.opened += 1,
            Seen::Updated { escalated, .. } => {
                changes.updated += 1;
                changes.escalated += u32::from(escalated);
            }
        }
    }
    for scope in &evaluation.scopes {
        let resolved = alert_queries::resolve_missing(conn, scope, &evaluation.conditions, now)?;
        changes.resolved += u32::try_from(resolved.len()).unwrap_or(u32::MAX);
    }
    Ok(changes)
}

// ---- reading -------------------------------------------------------------------------------------

/// Filters of the list, as sent.
#[derive(Debug, Clone, Default)]
pub struct SnapshotQuery {
    pub plan: Option<String>,
    pub period: Option<String>,
}

/// Snapshots newest first; every role reads the list (the figures are scoped on reading).
pub async fn list(
    db: &Db,
    query: SnapshotQuery,
    page: PageRequest<(NaiveDateTime, String)>,
) -> Result<Page<SnapshotSummary>, MonitoringError> {
    let mut errors = Vec::new();
    let plan = query.plan.as_deref().and_then(|p| {
        check_plan_id("plan", p)
            .map_err(|e| errors.extend(e.errors))
            .ok()
    });
    let period = query.period.as_deref().and_then(|p| {
        Period::parse(p)
            .map_err(|e| errors.push(FieldError::new("period", "format", e.text())))
            .ok()
    });
    super::validated(errors, ())?;
    let filter = SnapshotFilter {
        plan_id: plan,
        period: period.map(|p| p.to_string()),
    };
    db.read(move |conn| {
        let rows = queries::list(conn, &filter, page.after, i64::from(page.limit) + 1)?;
        let views = rows.iter().map(summary).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(views, page.limit, |s| {
            (s.taken_at, s.id.clone())
        }))
    })
    .await
}

fn value_view(row: &crate::db::snapshots::SnapshotValueRow) -> Result<ValueView, MonitoringError> {
    let (_, target) = exact(row)?;
    let sources: Vec<Source> = hte_shared::stored::parse("snapshot sources", &row.sources_json)?;
    let level = hte_shared::regions::RegionCode::parse(&row.region_code)
        .ok()
        .and_then(|c| regions::find(&c))
        .ok_or_else(|| hte_shared::stored::corrupt("snapshot region", &row.region_code))?
        .level;
    Ok(ValueView {
        region_code: row.region_code.clone(),
        region_name: region_name(&row.region_code),
        level,
        numerator: row.numerator,
        denominator: row.denominator,
        value: row.value,
        missing_reason: row.missing_reason.clone(),
        target: target.map(|t| t.to_f64()),
        sources: sources.into_iter().map(SourceView::from).collect(),
    })
}

pub fn indicator_head(indicator: &StoredIndicator) -> Result<IndicatorHead, MonitoringError> {
    let d = &indicator.definition;
    Ok(IndicatorHead {
        key: d.key.clone(),
        name_zh: d.name_zh.clone(),
        name_en: d.name_en.clone(),
        unit: d.unit.clone(),
        comparator: d.comparator,
        aggregation: d.aggregation,
        target_value: d.target_value.map(|t| t.to_f64()),
        formula: hte_shared::stored::to_value(&d.formula)?,
        input_period: d.input_period,
        pipeline: d.pipeline,
    })
}

/// A snapshot with the figures the caller may read (their region's subtree).
pub async fn get(db: &Db, caller: &Caller, id: String) -> Result<SnapshotView, MonitoringError> {
    let scope: Option<Vec<String>> = caller.read_scope().map(super::subtree_codes);
    db.read(move |conn| {
        let row = queries::find(conn, &id)?.ok_or_else(|| {
            Problem::not_found(hte_shared::text!("no snapshot {id}", "未找到快照 {id}"))
        })?;
        let values = queries::values_of(conn, &id, None, scope.as_deref())?;
        let mut indicators = Vec::new();
        for indicator_row in queries::indicators_of(conn, &id)? {
            let stored = StoredIndicator::read(&indicator_row)?;
            indicators.push(SnapshotIndicatorView {
                indicator: indicator_head(&stored)?,
                window_starts_on: indicator_row.window_starts_on,
                window_ends_on: indicator_row.window_ends_on,
                expected_completion: indicator_row.expected_completion,
                values: values
                    .iter()
                    .filter(|v| v.indicator_key == indicator_row.indicator_key)
                    .map(value_view)
                    .collect::<Result<_, _>>()?,
            });
        }
        let ready_firms = pipeline::of_snapshot(conn, &id, scope.as_deref())?
            .into_iter()
            .map(|p| ReadyFirmsView {
                region_code: p.region_code,
                ready_firms: p.ready_firms,
            })
            .collect();
        Ok(SnapshotView {
            snapshot: summary(&row)?,
            indicators,
            ready_firms,
        })
    })
    .await
}
