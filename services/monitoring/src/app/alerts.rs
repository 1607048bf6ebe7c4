//! Alerts (预警): listed within the reader's region, acknowledged by officials with a note.
//! Snapshots open, update and resolve them ([`super::snapshots::record`]); resolved alerts
//! are kept.

use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::RegionCode;
use hte_shared::telemetry::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_plan_id, record_change, region_name, scope_or_errors, subtree_codes};
use crate::db::alerts::{self as queries, Acknowledged, AlertFilter, AlertRow};
use crate::domain::alert::{AlertKind, Severity};
use crate::domain::inputs::bounded_text;
use crate::error::MonitoringError;

/// 预警状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// 未处理: the condition holds and no one has acknowledged it.
    Open,
    /// 已知悉: the condition holds; an official acknowledged it.
    Acknowledged,
    /// 已解除: the condition no longer holds.
    Resolved,
}

impl AlertStatus {
    fn from_key(key: &str) -> Option<Self> {
        match key {
            "open" => Some(Self::Open),
            "acknowledged" => Some(Self::Acknowledged),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// Who acknowledged an alert, when and with what note (确认信息).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AcknowledgementView {
    pub by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub at: NaiveDateTime,
    pub note: String,
}

/// An alert (预警).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    pub kind: AlertKind,
    /// The kind in Chinese (预警类型).
    pub kind_name_zh: String,
    pub severity: Severity,
    /// 严重程度
    pub severity_name_zh: String,
    pub status: AlertStatus,
    pub plan_id: Option<String>,
    pub indicator: Option<String>,
    pub region_code: String,
    pub region_name: String,
    /// The figures behind it (ratios as decimals 0–1).
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
    pub message_zh: String,
    pub message_en: String,
    /// The snapshot whose evaluation last saw it.
    pub last_snapshot_id: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub first_seen: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub last_seen: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc::option")]
    pub resolved_at: Option<NaiveDateTime>,
    pub acknowledgement: Option<AcknowledgementView>,
    /// Grows with every change; the ETag is `"v<version>"`.
    pub version: i32,
}

/// Body of `POST /alerts/{id}/acknowledgement`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgementInput {
    /// What is being done about it (处理说明), 1–1000 characters.
    #[schema(
        example = "已约谈落后地区，督促加快培育进度",
        min_length = 1,
        max_length = 1000
    )]
    pub note: String,
}

pub fn view(row: &AlertRow) -> Result<AlertView, MonitoringError> {
    let corrupt = |what: &str, v: &str| hte_shared::stored::corrupt(what, v);
    let kind = AlertKind::from_key(&row.kind).ok_or_else(|| corrupt("alert kind", &row.kind))?;
    let severity = Severity::from_key(&row.severity)
        .ok_or_else(|| corrupt("alert severity", &row.severity))?;
    let acknowledgement = match (
        &row.acknowledged_by,
        row.acknowledged_at,
        &row.acknowledgement_note,
    ) {
        (Some(by), Some(at), Some(note)) => Some(AcknowledgementView {
            by: by.clone(),
            at,
            note: note.clone(),
        }),
        (None, None, None) => None,
        _ => return Err(corrupt("alert acknowledgement", &row.id).into()),
    };
    let status = match (row.resolved_at, &acknowledgement) {
        (Some(_), _) => AlertStatus::Resolved,
        (None, Some(_)) => AlertStatus::Acknowledged,
        (None, None) => AlertStatus::Open,
    };
    Ok(AlertView {
        id: row.id.clone(),
        kind,
        kind_name_zh: kind.name_zh().to_owned(),
        severity,
        severity_name_zh: severity.name_zh().to_owned(),
        status,
        plan_id: row.plan_id.clone(),
        indicator: row.indicator_key.clone(),
        region_name: region_name(&row.region_code),
        region_code: row.region_code.clone(),
        figures: hte_shared::stored::parse("alert figures", &row.figures_json)?,
        message_zh: row.message_zh.clone(),
        message_en: row.message_en.clone(),
        last_snapshot_id: row.last_snapshot_id.clone(),
        first_seen: row.first_seen,
        last_seen: row.last_seen,
        resolved_at: row.resolved_at,
        acknowledgement,
        version: row.version,
    })
}

/// Filters of the list, as sent (comma-separated lists where plural).
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub region: Option<String>,
    pub plan: Option<String>,
    pub indicator: Option<String>,
}

/// Parses a comma-separated list of keys, naming `field` on an unknown one.
fn key_list<T>(
    field: &str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    keys: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<T>> {
    // `?kind=` names no kind: refused like any other unknown one, not read as "all".
    let raw = raw.map(str::trim)?;
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim) {
        match parse(item) {
            Some(value) => out.push(value),
            None => errors.push(FieldError::new(
                field,
                "enum",
                hte_shared::text!(
                    "{field} must be one or more of {keys}; got {item:?}",
                    "{field} 须为以下一项或多项：{keys}，收到的是 {item:?}"
                ),
            )),
        }
    }
    Some(out)
}

fn filter_of(caller: &Caller, query: &AlertQuery) -> Result<AlertFilter, Problem> {
    let mut errors = Vec::new();
    let kinds = key_list(
        "kind",
        query.kind.as_deref(),
        AlertKind::from_key,
        &AlertKind::keys(),
        &mut errors,
    );
    let severities = key_list(
        "severity",
        query.severity.as_deref(),
        Severity::from_key,
        &Severity::keys(),
        &mut errors,
    );
    let statuses = key_list(
        "status",
        query.status.as_deref(),
        AlertStatus::from_key,
        "open, acknowledged, resolved",
        &mut errors,
    );
    let plan = query.plan.as_deref().and_then(|p| {
        check_plan_id("plan", p)
            .map_err(|e| errors.extend(e.errors))
            .ok()
    });
    let scope = scope_or_errors(caller, query.region.as_deref(), &mut errors)?;
    super::validated(errors, ())?;
    // One status maps to two flags; several statuses are filtered after reading.
    let (open, acknowledged) = match statuses.as_deref() {
        Some([AlertStatus::Open]) => (Some(true), Some(false)),
        Some([AlertStatus::Acknowledged]) => (Some(true), Some(true)),
        Some([AlertStatus::Resolved]) => (Some(false), None),
        _ => (None, None),
    };
    Ok(AlertFilter {
        kinds: kinds.map(|k| k.iter().map(|k| k.key().to_owned()).collect()),
        severities: severities.map(|s| s.iter().map(|s| s.key().to_owned()).collect()),
        regions: scope.as_ref().map(subtree_codes),
        plan_id: plan,
        indicator_key: query.indicator.clone(),
        open,
        acknowledged,
    })
}

/// Alerts within the caller's region, newest first.
pub async fn list(
    db: &Db,
    caller: &Caller,
    query: AlertQuery,
    page: PageRequest<(NaiveDateTime, String)>,
) -> Result<Page<AlertView>, MonitoringError> {
    let filter = filter_of(caller, &query)?;
    let statuses: Option<Vec<AlertStatus>> = query.status.as_deref().map(|raw| {
        raw.split(',')
            .filter_map(|s| AlertStatus::from_key(s.trim()))
            .collect()
    });
    db.read(move |conn| {
        let mut views = Vec::new();
        let mut after = page.after;
        // Several statuses are filtered here, so a page may take more than one read.
        loop {
            let rows = queries::list(conn, &filter, after.clone(), i64::from(page.limit) + 1)?;
            let exhausted = rows.len() <= page.limit as usize;
            after = rows.last().map(|r| (r.first_seen, r.id.clone()));
            for row in &rows {
                let view = view(row)?;
                if statuses.as_ref().is_none_or(|s| s.contains(&view.status)) {
                    views.push(view);
                }
            }
            if exhausted || views.len() > page.limit as usize {
                break;
            }
        }
        Ok(Page::from_rows(views, page.limit, |v| {
            (v.first_seen, v.id.clone())
        }))
    })
    .await
}

/// One alert, for a reader of its region.
pub async fn get(db: &Db, caller: &Caller, id: String) -> Result<AlertView, MonitoringError> {
    let caller = caller.clone();
    db.read(move |conn| {
        let row = visible(&caller, queries::find(conn, &id)?, &id)?;
        view(&row)
    })
    .await
}

/// The alert, or 404 when it does not exist or lies outside the caller's region.
fn no_alert(id: &str) -> Problem {
    Problem::not_found(hte_shared::text!("no alert {id}", "未找到预警 {id}"))
}

fn visible(caller: &Caller, row: Option<AlertRow>, id: &str) -> Result<AlertRow, MonitoringError> {
    row.filter(|r| RegionCode::parse(&r.region_code).is_ok_and(|code| caller.may_read(&code)))
        .ok_or_else(|| no_alert(id).into())
}

/// An official acknowledges an alert of their region with a note (If-Match required).
pub async fn acknowledge(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    id: String,
    if_match: IfMatch,
    input: AcknowledgementInput,
) -> Result<AlertView, MonitoringError> {
    caller.require_writer()?;
    let note = bounded_text("note", &input.note, 1, 1000)
        .map_err(|e| Problem::invalid_field("note", e.rule(), e.text()))?;
    let actor = Actor::new(caller, request_id);
    let caller = caller.clone();
    db.write(move |conn| {
        let before = visible(&caller, queries::find(conn, &id)?, &id)?;
        let region = RegionCode::parse(&before.region_code)
            .map_err(|e| hte_shared::stored::corrupt("alert region", &e.0))?;
        caller.require_write(&region)?;
        if_match.check(before.version)?;
        if before.resolved_at.is_some() {
            return Err(Problem::conflict(hte_shared::i18n::Text::fixed(
                "the alert is resolved and kept as it was",
                "预警已解除，保持原状，不能再确认",
            ))
            .into());
        }
        let now = hte_shared::time::now();
        let after =
            match queries::acknowledge(conn, &id, before.version, &actor.subject, &note, now)? {
                Acknowledged::Done(row) => *row,
                Acknowledged::NotFound => {
                    return Err(no_alert(&id).into());
                }
                Acknowledged::Stale { current } => {
                    return Err(Problem::precondition_failed(hte_shared::text!(
                        "the alert changed meanwhile (now \"v{current}\"); read it again",
                        "预警已被他人修改（当前为 \"v{current}\"），请重新读取后再试"
                    ))
                    .into());
                }
            };
        let (before, after) = (view(&before)?, view(&after)?);
        record_change(
            conn,
            &actor,
            ("alert", &id),
            ("acknowledge", Some(&note)),
            Some(&before),
            &after,
        )?;
        Ok(after)
    })
    .await
}
