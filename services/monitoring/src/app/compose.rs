//! From gathered figures to a snapshot's rows, without I/O: for every indicator of the plan,
//! its 时序进度 window and share on the as-of date, and for the province, the 13 cities and
//! (where the formula has county figures, i.e. reads no statistics inputs) the counties, the
//! exact value or why there is none, the target in force, and where each figure came from.
//!
//! The target in force for an indicator is the target tree's value for its region and
//! target year: for a stock, the first year from as-of's on that has targets (the plan's
//! last year if none has); for an annual count, as-of's year. A share's plan-wide rate
//! applies to every region; a count's plan-wide number to the province in the plan's last
//! year when the tree has none.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode};

use super::gather::{Gathered, SnapshotOrder};
use crate::clients::registry::RegistryStatistics;
use crate::db::pipeline::PipelineRow;
use crate::db::snapshots::{SnapshotIndicatorRow, SnapshotRow, SnapshotValueRow};
use crate::db::statistics_inputs::InputRow;
use crate::domain::indicator::{
    Aggregation, IndicatorDefinition, InputFigure, Missing, PeriodChoice, RegionFigures,
    choose_input_period, evaluate,
};
use crate::domain::inputs::InputMeasure;
use crate::domain::period::Period;
use crate::domain::progress;
use crate::domain::ratio::Ratio;
use crate::domain::snapshot::{InputSource, SnapshotStatus, Source, assess_sources};
use crate::error::MonitoringError;

/// A snapshot's rows, ready to record.
#[derive(Debug, Clone)]
pub struct Composed {
    pub snapshot: SnapshotRow,
    pub indicators: Vec<SnapshotIndicatorRow>,
    pub values: Vec<SnapshotValueRow>,
    pub pipeline: Vec<PipelineRow>,
}

const MONITORING: &str = "monitoring";

/// One region's statistics inputs by measure and period: (value in yuan, version).
type HeldInputs = BTreeMap<InputMeasure, BTreeMap<Period, (i64, i32)>>;
/// Statistics inputs by region.
type InputIndex = HashMap<String, HeldInputs>;
/// The registry's figures by region, with the statistics they were read from.
type RegistryIndex<'a> = HashMap<String, (&'a BTreeMap<String, i64>, &'a RegistryStatistics)>;

fn input_index(rows: &[InputRow]) -> Result<InputIndex, MonitoringError> {
    let mut index: InputIndex = HashMap::new();
    for row in rows {
        let corrupt = |what: &str, v: &str| hte_shared::stored::corrupt(what, v);
        let measure = InputMeasure::from_key(&row.measure)
            .ok_or_else(|| corrupt("statistics input measure", &row.measure))?;
        let period =
            Period::parse(&row.period).map_err(|e| corrupt("statistics input period", &e.0))?;
        index
            .entry(row.region_code.clone())
            .or_default()
            .entry(measure)
            .or_default()
            .insert(period, (row.value, row.version));
    }
    Ok(index)
}

/// The region's figures of the registry, and the statistics they were read from.
fn registry_index(g: &Gathered) -> RegistryIndex<'_> {
    let mut index = HashMap::new();
    for stats in [&g.cities, &g.counties] {
        for row in &stats.rows {
            index.insert(row.region_code.clone(), (&row.figures, stats));
        }
    }
    index.insert(
        g.cities.totals.region_code.clone(),
        (&g.cities.totals.figures, &g.cities),
    );
    index
}

/// Targets of the tree by (indicator, region, year).
fn target_index(g: &Gathered) -> HashMap<(String, String, i32), i64> {
    g.tree
        .targets
        .iter()
        .filter_map(|t| {
            let year = t.period.parse::<i32>().ok()?;
            Some(((t.indicator.clone(), t.region_code.clone(), year), t.value))
        })
        .collect()
}

/// The year whose targets are in force on `as_of` (see the module docs).
fn target_year(
    definition: &IndicatorDefinition,
    targets: &HashMap<(String, String, i32), i64>,
    (starts_on, ends_on): (NaiveDate, NaiveDate),
    as_of: NaiveDate,
) -> i32 {
    let from = progress::target_year(starts_on, ends_on, as_of);
    if definition.aggregation == Aggregation::Annual {
        return from;
    }
    targets
        .keys()
        .filter(|(key, _, year)| *key == definition.key && *year >= from)
        .map(|(_, _, year)| *year)
        .min()
        .unwrap_or(ends_on.year())
}

struct IndicatorContext<'a> {
    definition: &'a IndicatorDefinition,
    year: i32,
    plan_end_year: i32,
    targets: &'a HashMap<(String, String, i32), i64>,
    tree_source: Source,
}

impl IndicatorContext<'_> {
    fn target(&self, region: &str) -> Option<Ratio> {
        let key = (self.definition.key.clone(), region.to_owned(), self.year);
        if let Some(value) = self.targets.get(&key) {
            return Some(Ratio::integer(*value));
        }
        let plan_wide = self.definition.formula.is_share()
            || (region == PROVINCE_CODE.to_string() && self.year == self.plan_end_year);
        if plan_wide {
            self.definition.target_value
        } else {
            None
        }
    }
}

/// The province, the cities and, for formulas with county figures, the counties.
fn regions_of(definition: &IndicatorDefinition) -> Vec<RegionCode> {
    let counties = definition.formula.inputs().is_empty();
    regions::all()
        .iter()
        .filter(|r| {
            r.code == PROVINCE_CODE
                || r.level == regions::RegionLevel::City
                || (counties && r.is_county_level())
        })
        .map(|r| r.code)
        .collect()
}

/// The inputs a formula reads for a region, all of one period (see
/// [`choose_input_period`]), with their sources.
fn chosen_inputs(
    definition: &IndicatorDefinition,
    held: Option<&HeldInputs>,
    (as_of, report_year): (NaiveDate, i32),
    read_at: chrono::NaiveDateTime,
) -> (BTreeMap<InputMeasure, InputFigure>, Vec<Source>) {
    let empty = BTreeMap::new();
    let held = held.unwrap_or(&empty);
    let available: BTreeMap<InputMeasure, BTreeSet<Period>> = held
        .iter()
        .map(|(m, periods)| (*m, periods.keys().copied().collect()))
        .collect();
    let PeriodChoice::Chosen(period) =
        choose_input_period(definition, &available, as_of, report_year)
    else {
        return (BTreeMap::new(), Vec::new());
    };
    let mut figures = BTreeMap::new();
    let mut sources = Vec::new();
    for measure in definition.formula.inputs() {
        if let Some((value_yuan, version)) = held.get(&measure).and_then(|p| p.get(&period)) {
            let figure = InputFigure {
                value_yuan: *value_yuan,
                period,
                version: *version,
            };
            figures.insert(measure, figure);
            sources.push(Source {
                service: MONITORING.to_owned(),
                route: format!("GET /api/v1/statistics-inputs/{}/{period}", measure.key()),
                as_of: period.ends_on(),
                fetched_at: read_at,
                input: Some(InputSource { measure, figure }),
            });
        }
    }
    (figures, sources)
}

fn missing_text(missing: &[Missing]) -> String {
    missing
        .iter()
        .map(|m| format!("{}（{}）", m.message_zh(), m.message_en()))
        .collect::<Vec<_>>()
        .join("；")
}

/// One indicator's value row for one region.
fn value_row(
    context: &IndicatorContext<'_>,
    region: &RegionCode,
    g: &Gathered,
    (registry, inputs): (&RegistryIndex<'_>, &InputIndex),
    as_of: NaiveDate,
) -> Result<(SnapshotValueRow, Vec<Source>), MonitoringError> {
    let code = region.to_string();
    let definition = context.definition;
    let mut sources = vec![context.tree_source.clone()];
    let mut figures = RegionFigures::default();
    if !definition.formula.registry_measures().is_empty()
        && let Some((row, stats)) = registry.get(&code)
    {
        figures.registry = (*row).clone();
        sources.push(Source {
            service: crate::clients::registry::SERVICE.to_owned(),
            route: stats.route.clone(),
            as_of: stats.as_of,
            fetched_at: stats.fetched_at,
            input: None,
        });
    }
    let report_year = as_of.year() - 1;
    let (chosen, input_sources) = chosen_inputs(
        definition,
        inputs.get(&code),
        (as_of, report_year),
        g.inputs_read_at,
    );
    figures.inputs = chosen;
    sources.extend(input_sources);
    let (numerator, denominator, value, missing_reason) = match evaluate(definition, &figures) {
        Ok(v) => (
            Some(v.numerator),
            v.denominator,
            Some(v.value().to_f64()),
            None,
        ),
        Err(missing) => (None, None, None, Some(missing_text(&missing))),
    };
    let row = SnapshotValueRow {
        snapshot_id: String::new(),
        indicator_key: definition.key.clone(),
        region_code: code.clone(),
        numerator,
        denominator,
        value,
        missing_reason,
        target: context.target(&code).map(Ratio::to_exact_decimal),
        sources_json: hte_shared::stored::to_text(&sources)?,
    };
    Ok((row, sources))
}

/// The snapshot's rows (see the module docs), its status and why it is partial.
pub fn compose(g: &Gathered, order: &SnapshotOrder) -> Result<Composed, MonitoringError> {
    let registry = registry_index(g);
    let inputs = input_index(&g.inputs)?;
    let targets = target_index(g);
    let plan_dates = (g.plan.starts_on, g.plan.ends_on);
    let tree_source = Source {
        service: crate::clients::allocation::SERVICE.to_owned(),
        route: format!("{} (tree version {})", g.tree.route, g.tree.version),
        as_of: order.as_of,
        fetched_at: g.tree.fetched_at,
        input: None,
    };
    let mut indicators = Vec::new();
    let mut values = Vec::new();
    let mut all_sources = Vec::new();
    for (position, definition) in g.definitions.iter().enumerate() {
        let year = target_year(definition, &targets, plan_dates, order.as_of);
        let (starts, ends) =
            progress::window(definition.aggregation, plan_dates.0, plan_dates.1, year);
        indicators.push(SnapshotIndicatorRow {
            snapshot_id: String::new(),
            indicator_key: definition.key.clone(),
            position: i32::try_from(position + 1).unwrap_or(i32::MAX),
            definition_json: hte_shared::stored::to_text(definition)?,
            window_starts_on: starts,
            window_ends_on: ends,
            expected_completion: progress::elapsed_share(starts, ends, order.as_of).to_f64(),
        });
        let context = IndicatorContext {
            definition,
            year,
            plan_end_year: plan_dates.1.year(),
            targets: &targets,
            tree_source: tree_source.clone(),
        };
        for region in regions_of(definition) {
            let (row, sources) =
                value_row(&context, &region, g, (&registry, &inputs), order.as_of)?;
            values.push(row);
            all_sources.extend(sources);
        }
    }
    let (pipeline, mut failures) = pipeline_rows(g);
    failures.extend(g.refused.iter().cloned());
    all_sources.sort_by(|a, b| (&a.service, &a.route).cmp(&(&b.service, &b.route)));
    all_sources.dedup_by(|a, b| a.service == b.service && a.route == b.route && a.as_of == b.as_of);
    let (status, partial_reason) = assess_sources(order.as_of, &all_sources, &failures);
    let snapshot = SnapshotRow {
        id: uuid::Uuid::new_v4().to_string(),
        plan_id: order.plan_id.clone(),
        period: order.period.to_string(),
        revision: 0,
        as_of: order.as_of,
        report_year: order.report_year(),
        triggered_by: order.trigger.key().to_owned(),
        status: status.key().to_owned(),
        partial_reason,
        plan_tree_version: Some(g.tree.version),
        taken_by: order.taken_by.clone(),
        taken_at: hte_shared::time::now(),
    };
    debug_assert!(status == SnapshotStatus::Complete || snapshot.partial_reason.is_some());
    Ok(Composed {
        snapshot,
        indicators,
        values,
        pipeline,
    })
}

/// Ready firms for the province, every city and every county (zero where none), or the
/// failure that left them out.
fn pipeline_rows(g: &Gathered) -> (Vec<PipelineRow>, Vec<String>) {
    match &g.ready {
        None => (Vec::new(), Vec::new()),
        Some(Err(message)) => (
            Vec::new(),
            vec![format!(
                "the pool firms ready for recognition could not be read: {message} \
                 (培育库储备数据不可用，预测未计入储备)"
            )],
        ),
        Some(Ok(ready)) => (
            regions::all()
                .iter()
                .map(|r| PipelineRow {
                    snapshot_id: String::new(),
                    region_code: r.code.to_string(),
                    ready_firms: ready
                        .by_region
                        .get(&r.code.to_string())
                        .copied()
                        .unwrap_or(0),
                })
                .collect(),
            Vec::new(),
        ),
    }
}
