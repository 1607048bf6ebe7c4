//! Builds a [`Bulletin`] from stored values: a snapshot with its indicators and values, the
//! snapshots 环比 and 同比 compare with, the period's alerts and the published 考核 results.
//! Pure: the route loads these (see [`regions_read`]) and calls [`build`].
//!
//! Figures are recomputed exactly from the stored numerators, denominators and targets
//! (the stored decimals are only for sorting and charts), and 时序进度 from the stored
//! window and the as-of date, so every format shows the snapshot's own figures.

use std::collections::HashMap;

use chrono::NaiveDate;
use hte_shared::regions::{self, RegionCode, RegionLevel};

use super::model::{
    Assessment, Bulletin, BulletinAlert, Change, Figure, IndicatorLine, LaggingRegion, Reading,
    RegionLine, RegionRef, RegionTable, SnapshotRef,
};
use super::prose;
use super::text::period_zh;
use crate::db::alerts::AlertRow;
use crate::db::snapshots::{SnapshotIndicatorRow, SnapshotRow, SnapshotValueRow};
use crate::domain::alert::{AlertKind, Severity};
use crate::domain::indicator::IndicatorDefinition;
use crate::domain::period::Period;
use crate::domain::progress::{self, Standing};
use crate::domain::ranking;
use crate::domain::ratio::Ratio;
use crate::domain::snapshot::SnapshotStatus;

/// What a bulletin is built from; every slice as the database returned it.
#[derive(Debug, Clone, Copy)]
pub struct BulletinSource<'a> {
    pub snapshot: &'a SnapshotRow,
    pub indicators: &'a [SnapshotIndicatorRow],
    /// The snapshot's values for [`regions_read`] (others are ignored).
    pub values: &'a [SnapshotValueRow],
    /// The latest snapshot of the previous period (环比), if any.
    pub previous: Option<Earlier<'a>>,
    /// The latest snapshot of the same period a year earlier (同比), if any.
    pub year_earlier: Option<Earlier<'a>>,
    /// The period's alerts; those outside the scope are left out.
    pub alerts: &'a [AlertRow],
    /// The plan's published assessments; only the scope's lines are listed.
    pub assessments: &'a [Assessment],
}

#[derive(Debug, Clone, Copy)]
pub struct Earlier<'a> {
    pub snapshot: &'a SnapshotRow,
    pub values: &'a [SnapshotValueRow],
}

/// What the caller decides: whose bulletin, who issues it, and the 时序进度 margin.
#[derive(Debug, Clone, PartialEq)]
pub struct BulletinOptions {
    /// The province, or a region with its subdivisions (a city official's own city).
    pub scope: RegionCode,
    /// 发文机关, e.g. 江苏省科学技术厅.
    pub issuer: String,
    /// 发文字号, if the bulletin has one.
    pub document_number: Option<String>,
    /// What the title calls the work, e.g. 高新技术企业培育工作.
    pub subject: String,
    /// 主送机关; by default the subdivisions' departments.
    pub addressees: Option<String>,
    /// Tolerated lag behind 时序进度 before a region counts as lagging (as the alerts use).
    pub schedule_margin: Ratio,
    /// 成文日期.
    pub issued_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BulletinError {
    #[error("region {0} is not a Jiangsu region (非江苏行政区划)")]
    UnknownRegion(String),
    /// The inputs do not belong together (values of another snapshot, another plan).
    #[error("{0}")]
    Mismatch(String),
    /// A stored value cannot be read: a fault in the data, not in the request.
    #[error("stored {what} cannot be read: {detail}")]
    Stored { what: String, detail: String },
}

fn stored(what: impl Into<String>, detail: impl ToString) -> BulletinError {
    BulletinError::Stored {
        what: what.into(),
        detail: detail.to_string(),
    }
}

/// The region codes whose values a bulletin for `scope` reads: the scope and its
/// subdivisions (`values_of(…, Some(&regions_read(scope)))`).
pub fn regions_read(scope: RegionCode) -> Vec<String> {
    std::iter::once(scope)
        .chain(regions::children(&scope).map(|r| r.code))
        .map(|c| c.to_string())
        .collect()
}

impl<'a> Earlier<'a> {
    fn index(self) -> Result<ValueIndex<'a>, BulletinError> {
        index(self.snapshot, self.values)
    }
}

type ValueIndex<'a> = HashMap<(&'a str, &'a str), &'a SnapshotValueRow>;

fn index<'a>(
    snapshot: &SnapshotRow,
    values: &'a [SnapshotValueRow],
) -> Result<ValueIndex<'a>, BulletinError> {
    let mut index = HashMap::with_capacity(values.len());
    for row in values {
        if row.snapshot_id != snapshot.id {
            return Err(BulletinError::Mismatch(format!(
                "a value of snapshot {} was given with snapshot {}",
                row.snapshot_id, snapshot.id
            )));
        }
        index.insert((row.indicator_key.as_str(), row.region_code.as_str()), row);
    }
    Ok(index)
}

/// The exact value of a stored row; `None` when it is missing.
fn exact(row: &SnapshotValueRow) -> Result<Option<Ratio>, BulletinError> {
    match (row.numerator, row.denominator) {
        (None, _) => Ok(None),
        (Some(n), None) => Ok(Some(Ratio::integer(n))),
        (Some(n), Some(d)) => Ratio::new(i128::from(n), i128::from(d))
            .filter(|_| d > 0)
            .map(Some)
            .ok_or_else(|| {
                stored(
                    format!("value {}/{}", row.indicator_key, row.region_code),
                    format!("denominator {d}"),
                )
            }),
    }
}

fn target(row: &SnapshotValueRow) -> Result<Option<Ratio>, BulletinError> {
    row.target
        .as_deref()
        .map(Ratio::parse_decimal)
        .transpose()
        .map_err(|e| {
            stored(
                format!("target {}/{}", row.indicator_key, row.region_code),
                e,
            )
        })
}

fn snapshot_ref(row: &SnapshotRow) -> Result<SnapshotRef, BulletinError> {
    Ok(SnapshotRef {
        id: row.id.clone(),
        period: row.period.clone(),
        revision: row.revision,
        as_of: row.as_of,
        status: SnapshotStatus::from_key(&row.status)
            .ok_or_else(|| stored(format!("status of snapshot {}", row.id), &row.status))?,
        partial_reason: row.partial_reason.clone(),
        taken_at: row.taken_at,
    })
}

/// An indicator of the snapshot, its definition read and 时序进度 recomputed exactly.
struct Indicator<'a> {
    row: &'a SnapshotIndicatorRow,
    definition: IndicatorDefinition,
    expected: Ratio,
}

/// A reading with the exact figures ranking and lagging need.
struct Assessed {
    reading: Reading,
    value: Option<Ratio>,
    target: Option<Ratio>,
    standing: Option<Standing>,
}

/// The values the figures are compared with.
struct Context<'a> {
    current: ValueIndex<'a>,
    previous: Option<ValueIndex<'a>>,
    year_earlier: Option<ValueIndex<'a>>,
    margin: Ratio,
}

impl Context<'_> {
    fn earlier(
        &self,
        index: Option<&ValueIndex<'_>>,
        key: &str,
        region: &str,
    ) -> Result<Option<Ratio>, BulletinError> {
        match index.and_then(|i| i.get(&(key, region))) {
            Some(row) => exact(row),
            None => Ok(None),
        }
    }

    fn assess(&self, indicator: &Indicator<'_>, region: &str) -> Result<Assessed, BulletinError> {
        let key = indicator.definition.key.as_str();
        let Some(row) = self.current.get(&(key, region)) else {
            return Ok(Assessed {
                reading: missing_reading("快照中无该地区数值 (no figure in the snapshot)"),
                value: None,
                target: None,
                standing: None,
            });
        };
        let value = exact(row)?;
        let target = target(row)?;
        let standing = match (value, target) {
            (Some(v), Some(t)) => Some(
                progress::standing(
                    indicator.definition.comparator,
                    v,
                    t,
                    indicator.expected,
                    self.margin,
                )
                .ok_or_else(|| stored(format!("figures {key}/{region}"), "overflow"))?,
            ),
            _ => None,
        };
        let change = |earlier: Option<Ratio>| {
            value
                .and_then(|v| ranking::change(v, earlier))
                .map(|c| Change {
                    delta: c.delta.to_f64(),
                    relative: c.relative.map(Ratio::to_f64),
                })
        };
        let previous = self.earlier(self.previous.as_ref(), key, region)?;
        let year_earlier = self.earlier(self.year_earlier.as_ref(), key, region)?;
        let reading = Reading {
            target: target.map(Ratio::to_f64),
            value: row.numerator.zip(value).map(|(numerator, exact)| Figure {
                numerator,
                denominator: row.denominator,
                value: exact.to_f64(),
            }),
            missing_reason: row.missing_reason.clone(),
            completion: standing.and_then(|s| s.completion).map(Ratio::to_f64),
            met: standing.map(|s| s.met),
            on_track: standing.map(|s| s.on_track),
            behind_by: standing.and_then(|s| s.behind_by).map(Ratio::to_f64),
            gap: standing.map(|s| s.gap.to_f64()),
            change_from_previous: change(previous),
            change_from_year_earlier: change(year_earlier),
        };
        Ok(Assessed {
            reading,
            value,
            target,
            standing,
        })
    }
}

fn missing_reading(reason: &str) -> Reading {
    Reading {
        target: None,
        value: None,
        missing_reason: Some(reason.to_owned()),
        completion: None,
        met: None,
        on_track: None,
        behind_by: None,
        gap: None,
        change_from_previous: None,
        change_from_year_earlier: None,
    }
}

fn indicators<'a>(
    snapshot: &SnapshotRow,
    rows: &'a [SnapshotIndicatorRow],
) -> Result<Vec<Indicator<'a>>, BulletinError> {
    let mut sorted: Vec<&SnapshotIndicatorRow> = rows.iter().collect();
    sorted.sort_by_key(|r| r.position);
    sorted
        .into_iter()
        .map(|row| {
            if row.snapshot_id != snapshot.id {
                return Err(BulletinError::Mismatch(format!(
                    "an indicator of snapshot {} was given with snapshot {}",
                    row.snapshot_id, snapshot.id
                )));
            }
            let definition: IndicatorDefinition = serde_json::from_str(&row.definition_json)
                .map_err(|e| stored(format!("definition of {}", row.indicator_key), e))?;
            let expected =
                progress::elapsed_share(row.window_starts_on, row.window_ends_on, snapshot.as_of);
            Ok(Indicator {
                row,
                definition,
                expected,
            })
        })
        .collect()
}

fn headline(
    context: &Context<'_>,
    indicator: &Indicator<'_>,
    scope: &str,
) -> Result<IndicatorLine, BulletinError> {
    let definition = &indicator.definition;
    Ok(IndicatorLine {
        key: definition.key.clone(),
        name_zh: definition.name_zh.clone(),
        name_en: definition.name_en.clone(),
        unit: definition.unit.clone(),
        comparator: definition.comparator,
        expected_completion: indicator.expected.to_f64(),
        window_starts_on: indicator.row.window_starts_on,
        window_ends_on: indicator.row.window_ends_on,
        reading: context.assess(indicator, scope)?.reading,
    })
}

/// The indicator across the scope's subdivisions, ranked, with the lagging ones; `None`
/// when no subdivision has a figure (the indicator does not split to that level).
fn region_table(
    context: &Context<'_>,
    indicator: &Indicator<'_>,
    children: &[&regions::Region],
) -> Result<Option<(RegionTable, Vec<LaggingRegion>)>, BulletinError> {
    let definition = &indicator.definition;
    let key = definition.key.as_str();
    let mut lines = Vec::new();
    for child in children {
        let code = child.code.to_string();
        // The 13 cities always appear; counties only where the indicator splits.
        if child.level == RegionLevel::City || context.current.contains_key(&(key, code.as_str())) {
            let assessed = context.assess(indicator, &code)?;
            lines.push((*child, assessed));
        }
    }
    if lines.is_empty() || lines.iter().all(|(_, a)| a.reading.value.is_none()) {
        return Ok(None);
    }
    let pairs: Vec<(Option<Ratio>, Option<Ratio>)> =
        lines.iter().map(|(_, a)| (a.value, a.target)).collect();
    let ranks = ranking::rank_siblings(definition.comparator, &pairs);
    let ranked_by_completion = definition.comparator.higher_is_better()
        && pairs
            .iter()
            .any(|(_, t)| t.is_some_and(|t| t > Ratio::ZERO));
    let expected = indicator.expected.to_f64();
    let mut lagging = Vec::new();
    let mut rows = Vec::with_capacity(lines.len());
    for ((region, assessed), rank) in lines.into_iter().zip(ranks) {
        if let Some(standing) = assessed.standing.filter(|s| !s.on_track)
            && definition.comparator.higher_is_better()
            && let Some(completion) = standing.completion
        {
            lagging.push(LaggingRegion {
                indicator_key: definition.key.clone(),
                indicator_name_zh: definition.name_zh.clone(),
                region_code: region.code.to_string(),
                name: region.name.clone(),
                completion: completion.to_f64(),
                expected_completion: expected,
                behind_by: standing.behind_by.unwrap_or(Ratio::ZERO).to_f64(),
            });
        }
        rows.push(RegionLine {
            region_code: region.code.to_string(),
            name: region.name.clone(),
            rank,
            reading: assessed.reading,
        });
    }
    lagging.sort_by(|a, b| b.behind_by.total_cmp(&a.behind_by));
    let level = children.first().map_or(RegionLevel::County, |r| r.level);
    let mut table = RegionTable {
        indicator_key: definition.key.clone(),
        indicator_name_zh: definition.name_zh.clone(),
        unit: definition.unit.clone(),
        comparator: definition.comparator,
        expected_completion: expected,
        level,
        ranked_by_completion,
        remark: String::new(),
        rows,
    };
    table.remark = prose::table_remark(&table);
    Ok(Some((table, lagging)))
}

fn bulletin_alert(row: &AlertRow) -> Result<BulletinAlert, BulletinError> {
    let kind = AlertKind::from_key(&row.kind)
        .ok_or_else(|| stored(format!("kind of alert {}", row.id), &row.kind))?;
    let severity = Severity::from_key(&row.severity)
        .ok_or_else(|| stored(format!("severity of alert {}", row.id), &row.severity))?;
    let region_name = RegionCode::parse(&row.region_code)
        .ok()
        .and_then(|c| regions::find(&c))
        .map_or_else(|| row.region_code.clone(), |r| r.name.clone());
    Ok(BulletinAlert {
        id: row.id.clone(),
        kind,
        kind_zh: kind.name_zh().to_owned(),
        severity,
        severity_zh: severity.name_zh().to_owned(),
        region_code: row.region_code.clone(),
        region_name,
        indicator_key: row.indicator_key.clone(),
        message_zh: row.message_zh.clone(),
        message_en: row.message_en.clone(),
        first_seen: row.first_seen,
        last_seen: row.last_seen,
        resolved_at: row.resolved_at,
        acknowledged: row.acknowledged_at.is_some(),
    })
}

fn within(code: &str, scope: &RegionCode) -> bool {
    RegionCode::parse(code).is_ok_and(|c| c.is_within(scope))
}

/// The scope's alerts, most severe first, then by region and first sighting.
fn alerts(rows: &[AlertRow], scope: &RegionCode) -> Result<Vec<BulletinAlert>, BulletinError> {
    let mut alerts = rows
        .iter()
        .filter(|row| within(&row.region_code, scope))
        .map(bulletin_alert)
        .collect::<Result<Vec<_>, _>>()?;
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.region_code.cmp(&b.region_code))
            .then_with(|| a.first_seen.cmp(&b.first_seen))
    });
    Ok(alerts)
}

/// The plan's published assessments (the client keeps no drafts), each with the scope's
/// lines only.
fn assessments(all: &[Assessment], plan_id: &str, scope: &RegionCode) -> Vec<Assessment> {
    all.iter()
        .filter(|a| a.plan_id == plan_id)
        .filter_map(|a| {
            let rows: Vec<_> = a
                .rows
                .iter()
                .filter(|line| within(&line.region_code, scope))
                .cloned()
                .collect();
            (!rows.is_empty()).then(|| Assessment { rows, ..a.clone() })
        })
        .collect()
}

fn check_earlier(current: &SnapshotRow, earlier: Option<Earlier<'_>>) -> Result<(), BulletinError> {
    match earlier {
        Some(e) if e.snapshot.plan_id != current.plan_id => Err(BulletinError::Mismatch(format!(
            "snapshot {} is of plan {}, not {}",
            e.snapshot.id, e.snapshot.plan_id, current.plan_id
        ))),
        _ => Ok(()),
    }
}

/// Builds the bulletin of `source` for `options.scope`.
pub fn build(
    source: &BulletinSource<'_>,
    options: &BulletinOptions,
) -> Result<Bulletin, BulletinError> {
    let snapshot = source.snapshot;
    let scope = regions::find(&options.scope)
        .ok_or_else(|| BulletinError::UnknownRegion(options.scope.to_string()))?;
    check_earlier(snapshot, source.previous)?;
    check_earlier(snapshot, source.year_earlier)?;
    let period = Period::parse(&snapshot.period)
        .map_err(|e| stored(format!("period of snapshot {}", snapshot.id), e))?;
    let context = Context {
        current: index(snapshot, source.values)?,
        previous: source.previous.map(Earlier::index).transpose()?,
        year_earlier: source.year_earlier.map(Earlier::index).transpose()?,
        margin: options.schedule_margin,
    };
    let scope_code = scope.code.to_string();
    let children: Vec<&regions::Region> = regions::children(&scope.code).collect();
    let indicators = indicators(snapshot, source.indicators)?;
    let mut lines = Vec::with_capacity(indicators.len());
    let mut tables = Vec::new();
    let mut lagging = Vec::new();
    for indicator in &indicators {
        lines.push(headline(&context, indicator, &scope_code)?);
        if let Some((table, behind)) = region_table(&context, indicator, &children)? {
            tables.push(table);
            lagging.extend(behind);
        }
    }
    let scope_ref = RegionRef {
        code: scope_code,
        name: scope.name.clone(),
        level: scope.level,
    };
    let alerts = alerts(source.alerts, &scope.code)?;
    let words = prose::Words::new(&scope_ref, options);
    let period_zh = period_zh(period);
    let previous = source
        .previous
        .map(|e| snapshot_ref(e.snapshot))
        .transpose()?;
    let year_earlier = source
        .year_earlier
        .map(|e| snapshot_ref(e.snapshot))
        .transpose()?;
    let snapshot_ref = snapshot_ref(snapshot)?;
    Ok(Bulletin {
        issuer: options.issuer.clone(),
        document_number: options.document_number.clone(),
        title: words.title(&period_zh),
        addressees: words.addressees(),
        issued_on: options.issued_on,
        introduction: words.introduction(&period_zh, snapshot.as_of),
        summary: lines.iter().map(prose::indicator_sentence).collect(),
        lagging_summary: words.lagging_summary(&tables, &lagging),
        alerts_summary: words.alerts_summary(&alerts),
        requirements: prose::requirements(),
        notes: prose::notes(&snapshot_ref, previous.as_ref(), year_earlier.as_ref()),
        scope: scope_ref,
        plan_id: snapshot.plan_id.clone(),
        period: snapshot.period.clone(),
        period_zh,
        as_of: snapshot.as_of,
        snapshot: snapshot_ref,
        previous,
        year_earlier,
        indicators: lines,
        region_tables: tables,
        lagging,
        alerts,
        assessments: assessments(source.assessments, &snapshot.plan_id, &scope.code),
    })
}
