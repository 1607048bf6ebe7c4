//! Everything a snapshot is made from, fetched for one as-of date: the plan and its target
//! tree from the allocation service; the registry's statistics for every city and every
//! county; the pool firms ready for recognition (when an indicator adds them to its
//! forecast); the registry's compliance alerts; and monitoring's own statistics inputs.
//!
//! The plan, the tree and the statistics are essential: if one cannot be had, nothing is
//! taken (the caller gets a 503). The ready firms and the compliance alerts are not: their
//! failure is recorded and the snapshot is marked partial, or the compliance alerts are
//! left as they were.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use hte_shared::db::Db;
use hte_shared::problem::Problem;
use hte_shared::regions::{self, PROVINCE_CODE, RegionLevel};
use hte_shared::telemetry::RequestId;

use super::Monitor;
use crate::clients::allocation::{PlanDoc, TargetTree};
use crate::clients::registry::{ReadyFirms, RegistryStatistics, StatisticsRequest};
use crate::db::series;
use crate::db::statistics_inputs::{self as input_queries, InputRow};
use crate::domain::alert::{AlertKind, ComplianceFinding};
use crate::domain::indicator::IndicatorDefinition;
use crate::domain::period::Period;
use crate::domain::snapshot::Trigger;
use crate::error::MonitoringError;

/// What to take: a plan's period as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotOrder {
    pub plan_id: String,
    pub period: Period,
    pub as_of: NaiveDate,
    pub trigger: Trigger,
    /// The caller's subject, or `system:scheduler`.
    pub taken_by: String,
}

impl SnapshotOrder {
    /// The year of the annual reports the registry sums: the year before as-of.
    pub fn report_year(&self) -> i32 {
        self.as_of.year() - 1
    }
}

/// Everything fetched for one snapshot.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub plan: PlanDoc,
    /// The plan's indicators monitoring evaluates, in the plan's order.
    pub definitions: Vec<IndicatorDefinition>,
    /// Indicators that could not be evaluated, with why (their definition is refused).
    pub refused: Vec<String>,
    pub tree: TargetTree,
    pub cities: RegistryStatistics,
    pub counties: RegistryStatistics,
    /// `None` when no indicator adds the pipeline to its forecast.
    pub ready: Option<Result<ReadyFirms, String>>,
    /// `None` when the snapshot is not the plan's latest (older periods leave alerts be).
    pub compliance: Option<Result<Vec<ComplianceFinding>, String>>,
    /// Current statistics inputs of the measures the plan reads, ended by as-of.
    pub inputs: Vec<InputRow>,
    pub inputs_read_at: NaiveDateTime,
}

/// The plan, or a 400 naming the field when the allocation service has no such plan; and
/// its indicators as monitoring's definitions.
async fn plan_of(
    monitor: &Monitor,
    order: &SnapshotOrder,
    request_id: &RequestId,
) -> Result<(PlanDoc, Vec<IndicatorDefinition>, Vec<String>), MonitoringError> {
    let plan = monitor
        .upstreams
        .allocation
        .plan(&order.plan_id, request_id)
        .await?
        .ok_or_else(|| {
            Problem::invalid_field(
                "plan",
                "exists",
                hte_shared::text!(
                    "the allocation service has no plan {:?}",
                    "目标分解服务中没有规划 {:?}",
                    order.plan_id
                ),
            )
        })?;
    if order.period.starts_on() > plan.ends_on || order.period.ends_on() < plan.starts_on {
        return Err(Problem::invalid_field(
            "period",
            "within_plan",
            hte_shared::text!(
                "period {} lies outside the plan's {}–{}",
                "统计期 {} 不在规划期 {} 至 {} 之内",
                order.period,
                plan.starts_on,
                plan.ends_on
            ),
        )
        .into());
    }
    let mut definitions = Vec::new();
    let mut refused = Vec::new();
    for indicator in &plan.indicators {
        match indicator.definition() {
            None => {}
            Some(Ok(definition)) if definition.check("indicator").is_empty() => {
                definitions.push(definition);
            }
            Some(Ok(definition)) => refused.push(format!(
                "indicator {} is not evaluated: {} (指标定义不完整)",
                definition.key,
                definition
                    .check("indicator")
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Some(Err(message)) => refused.push(format!(
                "indicator {} is not evaluated: {message}",
                indicator.key
            )),
        }
    }
    Ok((plan, definitions, refused))
}

fn statistics_request(level: RegionLevel, order: &SnapshotOrder) -> StatisticsRequest {
    StatisticsRequest {
        level,
        as_of: order.as_of,
        report_year: order.report_year(),
        new_from: NaiveDate::from_ymd_opt(order.as_of.year(), 1, 1).unwrap_or(order.as_of),
        new_to: order.as_of,
    }
}

async fn compliance(
    monitor: &Monitor,
    as_of: NaiveDate,
    request_id: &RequestId,
) -> Result<Vec<ComplianceFinding>, String> {
    let registry = &monitor.upstreams.registry;
    let within = monitor.settings.alert_rules.expiring_within_days;
    let (expiring, missing) = tokio::join!(
        registry.compliance(AlertKind::CertificatesExpiring, as_of, within, request_id),
        registry.compliance(AlertKind::AnnualReportsMissing, as_of, within, request_id),
    );
    let mut findings = expiring.map_err(|e| e.to_string())?;
    findings.extend(missing.map_err(|e| e.to_string())?);
    Ok(findings)
}

/// Whether no snapshot of the plan has a later as-of date.
async fn is_latest(db: &Db, order: &SnapshotOrder) -> Result<bool, MonitoringError> {
    let plan_id = order.plan_id.clone();
    let latest = db
        .read(move |conn| series::latest_of_plan(conn, &plan_id).map_err(MonitoringError::from))
        .await?;
    Ok(latest.is_none_or(|row| row.as_of <= order.as_of))
}

/// Fetches what the snapshot is made of; see the module docs for what may fail.
pub async fn gather(
    db: &Db,
    monitor: &Monitor,
    order: &SnapshotOrder,
    request_id: &RequestId,
) -> Result<Gathered, MonitoringError> {
    let (plan, definitions, refused) = plan_of(monitor, order, request_id).await?;
    let wants_pipeline = definitions.iter().any(|d| d.pipeline);
    let latest = is_latest(db, order).await?;
    let upstreams = &monitor.upstreams;
    let by_city = statistics_request(RegionLevel::City, order);
    let by_county = statistics_request(RegionLevel::County, order);
    let (tree, cities, counties, ready, compliance) = tokio::join!(
        upstreams.allocation.targets(&order.plan_id, request_id),
        upstreams.registry.statistics(&by_city, request_id),
        upstreams.registry.statistics(&by_county, request_id),
        async {
            if wants_pipeline {
                let ready = upstreams.registry.ready_pool_firms(order.as_of, request_id);
                Some(ready.await.map_err(|e| e.to_string()))
            } else {
                None
            }
        },
        async {
            if latest {
                Some(compliance(monitor, order.as_of, request_id).await)
            } else {
                None
            }
        },
    );
    let measures: Vec<String> = definitions
        .iter()
        .flat_map(|d| d.formula.inputs())
        .map(|m| m.key().to_owned())
        .collect();
    let regions: Vec<String> = regions::subtree(&PROVINCE_CODE)
        .map(|r| r.code.to_string())
        .collect();
    let as_of = order.as_of;
    let inputs = db
        .read(move |conn| {
            input_queries::current_ended_by(conn, &measures, &regions, as_of)
                .map_err(MonitoringError::from)
        })
        .await?;
    Ok(Gathered {
        plan,
        definitions,
        refused,
        tree: tree?,
        cities: cities?,
        counties: counties?,
        ready,
        compliance,
        inputs,
        inputs_read_at: hte_shared::time::now(),
    })
}
