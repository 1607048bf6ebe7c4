//! The alert conditions a snapshot shows, and the forecasts behind them: for every indicator
//! and region with a value and a target, whether it lags 时序进度 and whether its forecast
//! misses the target; and the registry's compliance findings, one alert per county and
//! kind. The same forecast serves the KPI board ([`forecast_for`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use hte_shared::regions::RegionCode;

use crate::db::alerts::AlertScope;
use crate::db::snapshots::{SnapshotIndicatorRow, SnapshotRow, SnapshotValueRow};
use crate::domain::alert::{
    AlertCondition, AlertKind, AlertRules, ComplianceFinding, Subject, behind_schedule,
    compliance_alerts, off_track,
};
use crate::domain::forecast::{ConversionRate, Forecast, Pipeline, Point, forecast};
use crate::domain::indicator::IndicatorDefinition;
use crate::domain::progress::{self, Standing};
use crate::domain::ratio::Ratio;
use crate::error::MonitoringError;

/// An indicator of a stored snapshot, its definition read back.
#[derive(Debug, Clone)]
pub struct StoredIndicator {
    pub row: SnapshotIndicatorRow,
    pub definition: IndicatorDefinition,
}

impl StoredIndicator {
    pub fn read(row: &SnapshotIndicatorRow) -> Result<Self, MonitoringError> {
        Ok(Self {
            row: row.clone(),
            definition: hte_shared::stored::parse("snapshot indicator", &row.definition_json)?,
        })
    }

    /// 时序进度 on `as_of`, exact, from the stored window.
    pub fn expected(&self, as_of: NaiveDate) -> Ratio {
        progress::elapsed_share(self.row.window_starts_on, self.row.window_ends_on, as_of)
    }
}

/// The exact value and target of a stored value row.
pub fn exact(row: &SnapshotValueRow) -> Result<(Option<Ratio>, Option<Ratio>), MonitoringError> {
    let value = match (row.numerator, row.denominator) {
        (Some(n), Some(d)) => Ratio::new(i128::from(n), i128::from(d)),
        (Some(n), None) => Some(Ratio::integer(n)),
        _ => None,
    };
    let target = row
        .target
        .as_deref()
        .map(|t| {
            Ratio::parse_decimal(t).map_err(|e| hte_shared::stored::corrupt("snapshot target", &e))
        })
        .transpose()?;
    Ok((value, target))
}

/// The forecast of a series to the end of the indicator's window, with the pipeline term
/// where the definition asks for it and the ready firms are known.
pub fn forecast_for(
    definition: &IndicatorDefinition,
    points: &[Point],
    on: NaiveDate,
    ready_firms: Option<i64>,
    conversion_rate: ConversionRate,
) -> Forecast {
    let pipeline = ready_firms
        .filter(|_| definition.pipeline)
        .map(|ready| Pipeline {
            ready,
            conversion_rate,
        });
    forecast(points, on, pipeline)
}

/// Series points by (indicator, region), one per period (its latest revision), deduplicated
/// by as-of date (the latest taken wins).
pub fn points_by_key(
    snapshots: &[SnapshotRow],
    values: &[SnapshotValueRow],
) -> HashMap<(String, String), Vec<Point>> {
    let by_id: HashMap<&str, &SnapshotRow> = snapshots.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut latest: HashMap<(String, String, NaiveDate), (chrono::NaiveDateTime, f64)> =
        HashMap::new();
    for value in values {
        let (Some(snapshot), Some(v)) = (by_id.get(value.snapshot_id.as_str()), value.value) else {
            continue;
        };
        let key = (
            value.indicator_key.clone(),
            value.region_code.clone(),
            snapshot.as_of,
        );
        let entry = latest.entry(key).or_insert((snapshot.taken_at, v));
        if snapshot.taken_at >= entry.0 {
            *entry = (snapshot.taken_at, v);
        }
    }
    let mut points: HashMap<(String, String), Vec<Point>> = HashMap::new();
    for ((indicator, region, on), (_, value)) in latest {
        points
            .entry((indicator, region))
            .or_default()
            .push(Point { on, value });
    }
    for list in points.values_mut() {
        list.sort_by_key(|p| p.on);
    }
    points
}

/// What the latest snapshot of a plan says about alerts.
pub struct Evaluation {
    pub conditions: Vec<AlertCondition>,
    /// The open alerts these conditions replace: any not seen again is resolved.
    pub scopes: Vec<AlertScope>,
}

/// Inputs of [`evaluate`].
pub struct EvaluationInput<'a> {
    pub snapshot: &'a SnapshotRow,
    pub indicators: &'a [StoredIndicator],
    pub values: &'a [SnapshotValueRow],
    /// Points of the plan's series, this snapshot's included.
    pub points: &'a HashMap<(String, String), Vec<Point>>,
    pub ready_firms: &'a HashMap<String, i64>,
    pub compliance: Option<&'a [ComplianceFinding]>,
    pub rules: &'a AlertRules,
    pub conversion_rate: ConversionRate,
}

/// The conditions the snapshot shows (see the module docs).
pub fn evaluate(input: &EvaluationInput<'_>) -> Result<Evaluation, MonitoringError> {
    let mut conditions = Vec::new();
    let by_key: HashMap<&str, &StoredIndicator> = input
        .indicators
        .iter()
        .map(|i| (i.definition.key.as_str(), i))
        .collect();
    for row in input.values {
        let Some(indicator) = by_key.get(row.indicator_key.as_str()) else {
            continue;
        };
        let (Some(value), Some(target)) = exact(row)? else {
            continue;
        };
        let region = RegionCode::parse(&row.region_code)
            .map_err(|e| hte_shared::stored::corrupt("snapshot region", &e.0))?;
        conditions.extend(conditions_for(input, indicator, region, value, target));
    }
    let mut scopes = vec![AlertScope {
        kinds: [AlertKind::BehindSchedule, AlertKind::OffTrackForecast]
            .map(|k| k.key().to_owned())
            .to_vec(),
        plan_id: Some(input.snapshot.plan_id.clone()),
        indicators: Some(by_key.keys().map(|k| (*k).to_owned()).collect()),
        regions: None,
    }];
    if let Some(findings) = input.compliance {
        conditions.extend(compliance_alerts(findings, input.rules));
        scopes.push(AlertScope {
            kinds: [
                AlertKind::CertificatesExpiring,
                AlertKind::AnnualReportsMissing,
            ]
            .map(|k| k.key().to_owned())
            .to_vec(),
            ..AlertScope::default()
        });
    }
    Ok(Evaluation { conditions, scopes })
}

fn conditions_for(
    input: &EvaluationInput<'_>,
    indicator: &StoredIndicator,
    region: RegionCode,
    value: Ratio,
    target: Ratio,
) -> Vec<AlertCondition> {
    let definition = &indicator.definition;
    let as_of = input.snapshot.as_of;
    let expected = indicator.expected(as_of);
    let subject = Subject {
        plan_id: &input.snapshot.plan_id,
        definition,
        region,
        as_of,
    };
    let mut out = Vec::new();
    let standing: Option<Standing> = progress::standing(
        definition.comparator,
        value,
        target,
        expected,
        input.rules.schedule_margin,
    );
    if let Some(standing) = standing {
        out.extend(behind_schedule(
            subject,
            value,
            target,
            expected,
            &standing,
            input.rules,
        ));
    }
    let key = (definition.key.clone(), region.to_string());
    let points = input.points.get(&key).map_or(&[][..], Vec::as_slice);
    let forecast = forecast_for(
        definition,
        points,
        indicator.row.window_ends_on,
        input.ready_firms.get(&region.to_string()).copied(),
        input.conversion_rate,
    );
    out.extend(off_track(subject, &forecast, target, input.rules));
    out
}
