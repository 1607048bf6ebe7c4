//! Alerts: opened, updated while their condition persists, resolved when it is gone, and
//! acknowledged by officials. Resolved alerts are kept.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use hte_shared::db::DbConnection;
use serde_json::json;

use super::events;
use super::schema::alerts;
use crate::domain::alert::{AlertCondition, Severity, to_resolve};
use crate::domain::event::EventKind;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = alerts)]
pub struct AlertRow {
    pub id: String,
    pub fingerprint: String,
    pub kind: String,
    pub severity: String,
    pub plan_id: Option<String>,
    pub indicator_key: Option<String>,
    pub region_code: String,
    pub figures_json: String,
    pub message_zh: String,
    pub message_en: String,
    /// The snapshot whose evaluation last saw the condition.
    pub last_snapshot_id: Option<String>,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledgement_note: Option<String>,
    /// Grows with every change; the ETag.
    pub version: i32,
}

/// What recording a condition did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// No open alert had this fingerprint: a new one.
    Opened { id: String },
    /// The open alert was brought up to date; `escalated` when its severity rose.
    Updated { id: String, escalated: bool },
}

fn find_open(conn: &mut DbConnection, fingerprint: &str) -> QueryResult<Option<AlertRow>> {
    alerts::table
        .filter(alerts::fingerprint.eq(fingerprint))
        .filter(alerts::resolved_at.is_null())
        .select(AlertRow::as_select())
        .first(conn)
        .optional()
}

fn event_payload(row_id: &str, condition: &AlertCondition) -> serde_json::Value {
    json!({
        "alert_id": row_id,
        "kind": condition.kind.key(),
        "severity": condition.severity.key(),
        "plan_id": condition.plan_id,
        "indicator": condition.indicator,
        "region_code": condition.region.to_string(),
    })
}

fn update_open(
    conn: &mut DbConnection,
    open: &AlertRow,
    condition: &AlertCondition,
    snapshot_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Seen> {
    diesel::update(alerts::table.find(&open.id))
        .set((
            alerts::severity.eq(condition.severity.key()),
            alerts::figures_json.eq(condition.figures.to_string()),
            alerts::message_zh.eq(&condition.message_zh),
            alerts::message_en.eq(&condition.message_en),
            alerts::last_snapshot_id.eq(snapshot_id.or(open.last_snapshot_id.as_deref())),
            alerts::last_seen.eq(now),
            alerts::version.eq(open.version + 1),
        ))
        .execute(conn)?;
    let was = Severity::from_key(&open.severity).ok_or_else(|| {
        Error::DeserializationError(
            format!("alert {} has severity {:?}", open.id, open.severity).into(),
        )
    })?;
    let escalated = condition.severity > was;
    if escalated {
        let payload = event_payload(&open.id, condition);
        events::append(
            conn,
            EventKind::AlertEscalated,
            &open.region_code,
            &open.id,
            &payload,
            now,
        )?;
    }
    Ok(Seen::Updated {
        id: open.id.clone(),
        escalated,
    })
}

/// Records that `condition` holds at `now`: updates the open alert with its fingerprint
/// (figures, severity, last_seen), or opens one. Opening and escalation are recorded as
/// events. Run it in a transaction (`Db::write`).
pub fn record_seen(
    conn: &mut DbConnection,
    condition: &AlertCondition,
    snapshot_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Seen> {
    let fingerprint = condition.fingerprint();
    if let Some(open) = find_open(conn, &fingerprint)? {
        return update_open(conn, &open, condition, snapshot_id, now);
    }
    let row = AlertRow {
        id: uuid::Uuid::new_v4().to_string(),
        fingerprint: fingerprint.clone(),
        kind: condition.kind.key().to_owned(),
        severity: condition.severity.key().to_owned(),
        plan_id: condition.plan_id.clone(),
        indicator_key: condition.indicator.clone(),
        region_code: condition.region.to_string(),
        figures_json: condition.figures.to_string(),
        message_zh: condition.message_zh.clone(),
        message_en: condition.message_en.clone(),
        last_snapshot_id: snapshot_id.map(str::to_owned),
        first_seen: now,
        last_seen: now,
        resolved_at: None,
        acknowledged_by: None,
        acknowledged_at: None,
        acknowledgement_note: None,
        version: 1,
    };
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(alerts::table)
            .values(&row)
            .execute(conn)
    });
    match inserted {
        Ok(_) => {
            let payload = event_payload(&row.id, condition);
            events::append(
                conn,
                EventKind::AlertOpened,
                &row.region_code,
                &row.id,
                &payload,
                now,
            )?;
            Ok(Seen::Opened { id: row.id })
        }
        // Another replica opened it a moment ago: bring that one up to date.
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let open = find_open(conn, &fingerprint)?.ok_or(Error::NotFound)?;
            update_open(conn, &open, condition, snapshot_id, now)
        }
        Err(e) => Err(e),
    }
}

/// The open alerts an evaluation covered: its kinds, and where given its plan, indicators
/// and regions. Only these may be resolved by that evaluation (an indicator that could not
/// be evaluated keeps its alerts open).
#[derive(Debug, Clone, Default)]
pub struct AlertScope {
    pub kinds: Vec<String>,
    pub plan_id: Option<String>,
    pub indicators: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
}

/// (id, fingerprint) of the open alerts in `scope`.
pub fn open_in_scope(
    conn: &mut DbConnection,
    scope: &AlertScope,
) -> QueryResult<Vec<(String, String)>> {
    let mut query = alerts::table
        .filter(alerts::resolved_at.is_null())
        .filter(alerts::kind.eq_any(scope.kinds.clone()))
        .order(alerts::id.asc())
        .select((alerts::id, alerts::fingerprint))
        .into_boxed();
    if let Some(plan_id) = &scope.plan_id {
        query = query.filter(alerts::plan_id.eq(plan_id.clone()));
    }
    if let Some(indicators) = &scope.indicators {
        query = query.filter(alerts::indicator_key.eq_any(indicators.clone()));
    }
    if let Some(regions) = &scope.regions {
        query = query.filter(alerts::region_code.eq_any(regions.clone()));
    }
    query.load(conn)
}

/// Resolves the open alerts of `scope` whose condition is not among `seen`; returns their
/// ids. Each resolution is recorded as an event. Run it in a transaction.
pub fn resolve_missing(
    conn: &mut DbConnection,
    scope: &AlertScope,
    seen: &[AlertCondition],
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let open = open_in_scope(conn, scope)?;
    let gone: Vec<String> = to_resolve(&open, seen)
        .into_iter()
        .map(str::to_owned)
        .collect();
    for chunk in gone.chunks(500) {
        let rows: Vec<AlertRow> = alerts::table
            .filter(alerts::id.eq_any(chunk))
            .select(AlertRow::as_select())
            .load(conn)?;
        diesel::update(
            alerts::table
                .filter(alerts::id.eq_any(chunk))
                .filter(alerts::resolved_at.is_null()),
        )
        .set((
            alerts::resolved_at.eq(now),
            alerts::version.eq(alerts::version + 1),
        ))
        .execute(conn)?;
        for row in rows {
            let payload = json!({"alert_id": row.id, "kind": row.kind, "severity": row.severity,
                "plan_id": row.plan_id, "indicator": row.indicator_key, "region_code": row.region_code});
            events::append(
                conn,
                EventKind::AlertResolved,
                &row.region_code,
                &row.id,
                &payload,
                now,
            )?;
        }
    }
    Ok(gone)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AlertRow>> {
    alerts::table
        .find(id)
        .select(AlertRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledged {
    Done(Box<AlertRow>),
    NotFound,
    /// The alert changed since the version the official saw.
    Stale {
        current: i32,
    },
}

/// An official acknowledges the alert (who, when, a note), if it is still at `version`.
pub fn acknowledge(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    by: &str,
    note: &str,
    now: NaiveDateTime,
) -> QueryResult<Acknowledged> {
    let updated = diesel::update(
        alerts::table
            .filter(alerts::id.eq(id))
            .filter(alerts::version.eq(version)),
    )
    .set((
        alerts::acknowledged_by.eq(by),
        alerts::acknowledged_at.eq(now),
        alerts::acknowledgement_note.eq(note),
        alerts::version.eq(version + 1),
    ))
    .execute(conn)?;
    match find(conn, id)? {
        None => Ok(Acknowledged::NotFound),
        Some(row) if updated == 1 => Ok(Acknowledged::Done(Box::new(row))),
        Some(row) => Ok(Acknowledged::Stale {
            current: row.version,
        }),
    }
}

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub kinds: Option<Vec<String>>,
    pub severities: Option<Vec<String>>,
    /// The region codes of a subtree.
    pub regions: Option<Vec<String>>,
    pub plan_id: Option<String>,
    pub indicator_key: Option<String>,
    /// Open (true) or resolved (false) only.
    pub open: Option<bool>,
    pub acknowledged: Option<bool>,
}

/// Alerts newest first (by first_seen, then id), after the cursor; at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AlertFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<AlertRow>> {
    let mut query = alerts::table
        .order((alerts::first_seen.desc(), alerts::id.desc()))
        .limit(limit)
        .select(AlertRow::as_select())
        .into_boxed();
    if let Some(kinds) = &filter.kinds {
        query = query.filter(alerts::kind.eq_any(kinds.clone()));
    }
    if let Some(severities) = &filter.severities {
        query = query.filter(alerts::severity.eq_any(severities.clone()));
    }
    if let Some(regions) = &filter.regions {
        query = query.filter(alerts::region_code.eq_any(regions.clone()));
    }
    if let Some(plan_id) = &filter.plan_id {
        query = query.filter(alerts::plan_id.eq(plan_id.clone()));
    }
    if let Some(key) = &filter.indicator_key {
        query = query.filter(alerts::indicator_key.eq(key.clone()));
    }
    match filter.open {
        Some(true) => query = query.filter(alerts::resolved_at.is_null()),
        Some(false) => query = query.filter(alerts::resolved_at.is_not_null()),
        None => {}
    }
    match filter.acknowledged {
        Some(true) => query = query.filter(alerts::acknowledged_at.is_not_null()),
        Some(false) => query = query.filter(alerts::acknowledged_at.is_null()),
        None => {}
    }
    if let Some((at, id)) = after {
        query = query.filter(
            alerts::first_seen
                .lt(at)
                .or(alerts::first_seen.eq(at).and(alerts::id.lt(id))),
        );
    }
    query.load(conn)
}
