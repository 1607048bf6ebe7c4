//! Alert rules (预警规则).
//!
//! Four conditions raise an alert:
//! - behind schedule (落后于时序进度): a region's completion lags the expected share by more
//!   than the configured margin; critical beyond the critical margin, or when the window is
//!   over and the target is not met;
//! - off track by forecast (预计无法完成): the forecast to the plan's end misses the target;
//!   critical when it falls short by more than the critical margin of the target;
//! - certificates expiring (证书即将到期) and annual reports missing (年报缺报), from the
//!   registry's compliance alerts, gathered into one alert per county with the count, the
//!   worst severity and the firms concerned.
//!
//! Each condition has a fingerprint naming what it is about (kind, plan, indicator, region)
//! but not its figures, so the same condition seen again updates the open alert's figures
//! and `last_seen` instead of opening another, and an open alert whose condition is no
//! longer seen is resolved ([`to_resolve`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use hte_shared::regions::{self, RegionCode};
use serde_json::json;

use super::forecast::{Forecast, misses_target};
use super::indicator::IndicatorDefinition;
use super::progress::Standing;
use super::ratio::Ratio;
use super::vocabulary::closed_vocabulary;

closed_vocabulary! {
    AlertKind {
        BehindSchedule = "behind_schedule" => "落后于时序进度",
        OffTrackForecast = "off_track_forecast" => "预计无法完成目标",
        CertificatesExpiring = "certificates_expiring" => "高企证书即将到期",
        AnnualReportsMissing = "annual_reports_missing" => "高企年报缺报",
    }
}

closed_vocabulary! {
    /// Ordered: info < warning < critical.
    Severity {
        Info = "info" => "提示",
        Warning = "warning" => "警告",
        Critical = "critical" => "严重",
    }
}

/// The configurable thresholds of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertRules {
    /// Tolerated lag behind 时序进度 (a share, default 0.05).
    pub schedule_margin: Ratio,
    /// Lag (or forecast shortfall relative to the target) that makes an alert critical
    /// (default 0.15).
    pub critical_margin: Ratio,
    /// Window for expiring certificates, 1–730 days (default 90), as the registry accepts.
    pub expiring_within_days: u32,
}

impl Default for AlertRules {
    fn default() -> Self {
        Self {
            schedule_margin: Ratio::new(5, 100).unwrap_or(Ratio::ZERO),
            critical_margin: Ratio::new(15, 100).unwrap_or(Ratio::ZERO),
            expiring_within_days: 90,
        }
    }
}

impl AlertRules {
    pub fn new(
        schedule_margin: Ratio,
        critical_margin: Ratio,
        expiring_within_days: u32,
    ) -> Result<Self, String> {
        if schedule_margin.is_negative() || critical_margin > Ratio::ONE {
            return Err("margins lie between 0 and 1 (容差须在0–1之间)".to_owned());
        }
        if critical_margin < schedule_margin {
            return Err(
                "the critical margin is at least the schedule margin (严重阈值不得小于容差)"
                    .to_owned(),
            );
        }
        if !(1..=730).contains(&expiring_within_days) {
            return Err("the expiry window is 1–730 days (到期预警天数须为1–730)".to_owned());
        }
        Ok(Self {
            schedule_margin,
            critical_margin,
            expiring_within_days,
        })
    }
}

/// A condition that should have an open alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCondition {
    pub kind: AlertKind,
    pub severity: Severity,
    pub plan_id: Option<String>,
    pub indicator: Option<String>,
    pub region: RegionCode,
    /// The figures behind it, as JSON (ratios as decimals 0–1).
    pub figures: serde_json::Value,
    pub message_zh: String,
    pub message_en: String,
}

impl AlertCondition {
    /// What the alert is about, not its figures: the same for the same condition seen again.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.kind.key(),
            self.plan_id.as_deref().unwrap_or("-"),
            self.indicator.as_deref().unwrap_or("-"),
            self.region
        )
    }
}

/// The indicator, region and date a plan alert is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub plan_id: &'a str,
    pub definition: &'a IndicatorDefinition,
    pub region: RegionCode,
    pub as_of: NaiveDate,
}

impl Subject<'_> {
    /// The condition of `kind` (with its severity) about this plan's indicator in this
    /// region: the figures behind it and its message in Chinese and English.
    fn condition(
        &self,
        (kind, severity): (AlertKind, Severity),
        figures: serde_json::Value,
        (message_zh, message_en): (String, String),
    ) -> AlertCondition {
        AlertCondition {
            kind,
            severity,
            plan_id: Some(self.plan_id.to_owned()),
            indicator: Some(self.definition.key.clone()),
            region: self.region,
            figures,
            message_zh,
            message_en,
        }
    }
}

fn region_name(code: RegionCode) -> String {
    regions::find(&code).map_or_else(|| code.to_string(), |r| r.name.clone())
}

/// A share as a percentage with one decimal, e.g. `44.9`.
fn percent(x: Ratio) -> String {
    x.checked_mul(Ratio::integer(100))
        .map_or_else(|| format!("{:.1}", x.to_f64() * 100.0), |p| p.to_decimal(1))
}

fn decimal(x: Ratio) -> f64 {
    x.to_f64()
}

/// An alert when the region is not on track for 时序进度 (more-is-better indicators).
pub fn behind_schedule(
    subject: Subject<'_>,
    value: Ratio,
    target: Ratio,
    expected: Ratio,
    standing: &Standing,
    rules: &AlertRules,
) -> Option<AlertCondition> {
    let definition = subject.definition;
    if standing.on_track || !definition.comparator.higher_is_better() {
        return None;
    }
    let completion = standing.completion?;
    let behind_by = standing.behind_by.unwrap_or(Ratio::ZERO);
    let over = expected >= Ratio::ONE;
    let severity = if over || behind_by > rules.critical_margin {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let name = region_name(subject.region);
    let figures = json!({
        "as_of": subject.as_of,
        "value": decimal(value),
        "target": decimal(target),
        "completion": decimal(completion),
        "expected_completion": decimal(expected),
        "behind_by": decimal(behind_by),
        "margin": decimal(rules.schedule_margin),
    });
    let message_zh = format!(
        "{name}“{}”完成率{}%，低于时序进度{}%（落后{}个百分点）",
        definition.name_zh,
        percent(completion),
        percent(expected),
        percent(behind_by)
    );
    let message_en = format!(
        "{name}: {} at {}% of target, behind the {}% expected by elapsed time ({} points)",
        definition.name_en,
        percent(completion),
        percent(expected),
        percent(behind_by)
    );
    let kind = (AlertKind::BehindSchedule, severity);
    Some(subject.condition(kind, figures, (message_zh, message_en)))
}

/// An alert when the forecast to the plan's end misses the target.
pub fn off_track(
    subject: Subject<'_>,
    forecast: &Forecast,
    target: Ratio,
    rules: &AlertRules,
) -> Option<AlertCondition> {
    let Forecast::Projected {
        on,
        trend,
        pipeline,
        value,
        points,
        ..
    } = *forecast
    else {
        return None;
    };
    let definition = subject.definition;
    if !misses_target(definition.comparator, value, target) {
        return None;
    }
    let target_f = target.to_f64();
    let shortfall = if target_f > 0.0 {
        ((target_f - value) / target_f).abs()
    } else {
        1.0
    };
    let severity = if shortfall > rules.critical_margin.to_f64() {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let name = region_name(subject.region);
    let shown = |x: f64| {
        if definition.formula.is_share() {
            format!("{:.1}%", x * 100.0)
        } else {
            format!("{x:.0}")
        }
    };
    let figures = json!({
        "as_of": subject.as_of,
        "forecast_on": on,
        "forecast": value,
        "trend": trend,
        "pipeline": pipeline,
        "points": points,
        "target": target_f,
    });
    let message_zh = format!(
        "{name}“{}”预计到{on}为{}，{}目标{}",
        definition.name_zh,
        shown(value),
        if definition.comparator.higher_is_better() {
            "未达到"
        } else {
            "超出"
        },
        shown(target_f)
    );
    let message_en = format!(
        "{name}: {} is forecast at {} on {on}, missing the target of {}",
        definition.name_en,
        shown(value),
        shown(target_f)
    );
    let kind = (AlertKind::OffTrackForecast, severity);
    Some(subject.condition(kind, figures, (message_zh, message_en)))
}

/// One finding of the registry's compliance alerts (`GET /api/v1/compliance-alerts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceFinding {
    /// [`AlertKind::CertificatesExpiring`] or [`AlertKind::AnnualReportsMissing`].
    pub kind: AlertKind,
    pub severity: Severity,
    /// The firm's county-level region.
    pub region: RegionCode,
    pub credit_code: String,
    pub expires_on: Option<NaiveDate>,
    pub missing_years: Vec<i32>,
}

/// How many firms an alert lists by credit code; the count covers them all.
pub const LISTED_FIRMS: usize = 20;

/// One alert per (kind, county) for the findings, with counts, the worst severity, the
/// earliest expiry or the missing years, and the first firms by credit code.
pub fn compliance_alerts(
    findings: &[ComplianceFinding],
    rules: &AlertRules,
) -> Vec<AlertCondition> {
    let mut groups: BTreeMap<(AlertKind, RegionCode), Vec<&ComplianceFinding>> = BTreeMap::new();
    for finding in findings {
        if matches!(
            finding.kind,
            AlertKind::CertificatesExpiring | AlertKind::AnnualReportsMissing
        ) {
            groups
                .entry((finding.kind, finding.region))
                .or_default()
                .push(finding);
        }
    }
    groups
        .into_iter()
        .filter_map(|((kind, region), mut group)| {
            group.sort_by(|a, b| a.credit_code.cmp(&b.credit_code));
            group.dedup_by(|a, b| a.credit_code == b.credit_code);
            compliance_alert(kind, region, &group, rules)
        })
        .collect()
}

fn compliance_alert(
    kind: AlertKind,
    region: RegionCode,
    group: &[&ComplianceFinding],
    rules: &AlertRules,
) -> Option<AlertCondition> {
    let severity = group.iter().map(|f| f.severity).max()?;
    let count = group.len();
    let critical = group
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    let firms: Vec<&str> = group
        .iter()
        .take(LISTED_FIRMS)
        .map(|f| f.credit_code.as_str())
        .collect();
    let name = region_name(region);
    let (figures, message_zh, message_en) = if kind == AlertKind::CertificatesExpiring {
        let earliest = group.iter().filter_map(|f| f.expires_on).min();
        let days = rules.expiring_within_days;
        (
            json!({"count": count, "critical": critical, "earliest_expiry": earliest,
                   "within_days": days, "credit_codes": firms}),
            format!(
                "{name}有{count}家高新技术企业证书将在{days}天内到期（其中{critical}家情况紧急），请督促及早申报重新认定"
            ),
            format!(
                "{name}: {count} HTE certificates expire within {days} days ({critical} urgent); prompt the firms to apply for recognition again"
            ),
        )
    } else {
        let mut years: BTreeMap<i32, usize> = BTreeMap::new();
        for year in group.iter().flat_map(|f| &f.missing_years) {
            *years.entry(*year).or_default() += 1;
        }
        let listed = years
            .keys()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join("、");
        (
            json!({"count": count, "critical": critical, "by_year": years, "credit_codes": firms}),
            format!(
                "{name}有{count}家高新技术企业未按期报送年报（{listed}年度），其中{critical}家连续两年缺报将失去资格"
            ),
            format!(
                "{name}: {count} HTEs have not filed annual reports ({listed}); {critical} missed two years and lose the qualification"
            ),
        )
    };
    Some(AlertCondition {
        kind,
        severity,
        plan_id: None,
        indicator: None,
        region,
        figures,
        message_zh,
        message_en,
    })
}

/// The open alerts (id, fingerprint) of an evaluated scope whose condition was not seen
/// again: they are resolved.
pub fn to_resolve<'a>(open: &'a [(String, String)], seen: &[AlertCondition]) -> Vec<&'a str> {
    let seen: std::collections::BTreeSet<String> = seen.iter().map(|c| c.fingerprint()).collect();
    open.iter()
        .filter(|(_, fingerprint)| !seen.contains(fingerprint))
        .map(|(id, _)| id.as_str())
        .collect()
}

#[cfg(test)]
mod tests;
