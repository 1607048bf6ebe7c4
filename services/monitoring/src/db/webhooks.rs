//! Webhook subscriptions and the delivery queue.
//!
//! - [`enqueue_for_event`] runs inside the transaction that records an event
//!   (`events::append`), queuing one delivery per matching active subscription, so an event
//!   and its deliveries land together or not at all.
//! - [`claim_due`] hands due deliveries to one worker for a while. On PostgreSQL the
//!   candidates are selected `FOR UPDATE SKIP LOCKED`, so replicas claiming at once take
//!   different rows without waiting on each other; on SQLite writers take turns (one writer
//!   per database, and in one process `Db::write` serialises them), so a plain select is
//!   enough. On both the claim is a conditional `UPDATE` (only rows still unclaimed or whose
//!   claim ran out) marked with a fresh token, and the rows returned are those carrying the
//!   token: two claimers never both get a row. A claim that runs out — a worker that died
//!   between sending and recording — makes the row due again: delivery is at least once.
//! - [`record_attempt`] writes the attempt, moves the delivery on (delivered, retry at,
//!   given up) if the claim still holds, updates the subscription's failure record and
//!   pauses it when the pause rule says so.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::result::Error;
use hte_shared::db::DbConnection;
use hte_shared::regions::RegionCode;

use super::events::EventRow;
use super::schema::{deliveries, delivery_attempts, events, subscriptions};
use crate::domain::event::EventKind;
use crate::domain::webhook::retry::{Health, Outcome, PauseRule};
use crate::domain::webhook::{DeliveryStatus, EventKinds, SubscriptionStatus, concerns};

/// A subscription as stored. `secret` signs deliveries; no view may show it after the
/// creating response.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = subscriptions)]
pub struct SubscriptionRow {
    pub id: String,
    /// Events in this region's subtree (and snapshots) are delivered.
    pub region_code: String,
    /// Event kind keys joined by commas ([`EventKinds::to_stored`]).
    pub event_kinds: String,
    pub target_url: String,
    pub secret: String,
    pub description: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    /// `active`, `paused` or `deleted`.
    pub status: String,
    /// Why it was paused (or deleted).
    pub status_reason: Option<String>,
    pub status_changed_at: NaiveDateTime,
    pub consecutive_failures: i32,
    pub failing_since: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    /// Grows with every change; the ETag.
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub subscription_id: String,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i32,
    /// When it is due; set exactly while pending.
    pub next_attempt_at: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = delivery_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub delivery_id: String,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub started_at: NaiveDateTime,
    /// The answer's status; none when no answer came.
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub succeeded: bool,
    /// The claim the attempt was made under.
    pub claimed_by: String,
}

fn corrupt(what: String) -> Error {
    Error::DeserializationError(what.into())
}

pub fn create(conn: &mut DbConnection, row: &SubscriptionRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, subscriptions::table, row)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<SubscriptionRow>> {
    subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()
}

/// Which subscriptions to list.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// The region codes of the caller's subtree.
    pub regions: Option<Vec<String>>,
    pub include_deleted: bool,
}

/// Subscriptions newest first (by created_at, then id), after the cursor; at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &SubscriptionFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<SubscriptionRow>> {
    let mut query = subscriptions::table
        .order((subscriptions::created_at.desc(), subscriptions::id.desc()))
        .limit(limit)
        .select(SubscriptionRow::as_select())
        .into_boxed();
    if let Some(regions) = &filter.regions {
        query = query.filter(subscriptions::region_code.eq_any(regions.clone()));
    }
    if !filter.include_deleted {
        query = query.filter(subscriptions::status.ne(SubscriptionStatus::Deleted.key()));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            subscriptions::created_at
                .lt(at)
                .or(subscriptions::created_at
                    .eq(at)
                    .and(subscriptions::id.lt(id))),
        );
    }
    query.load(conn)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    Done(Box<SubscriptionRow>),
    NotFound,
    /// Not at the version the caller saw (or already in the state asked for).
    Stale {
        current: i32,
    },
}

fn set_status(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    from: &[SubscriptionStatus],
    to: SubscriptionStatus,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Changed> {
    let from: Vec<&str> = from.iter().map(|s| s.key()).collect();
    let updated = diesel::update(
        subscriptions::table
            .filter(subscriptions::id.eq(id))
            .filter(subscriptions::version.eq(version))
            .filter(subscriptions::status.eq_any(from)),
    )
    .set((
        subscriptions::status.eq(to.key()),
        subscriptions::status_reason.eq(reason),
        subscriptions::status_changed_at.eq(now),
        subscriptions::consecutive_failures.eq(0),
        subscriptions::failing_since.eq(None::<NaiveDateTime>),
        subscriptions::version.eq(version + 1),
    ))
    .execute(conn)?;
    match find(conn, id)? {
        None => Ok(Changed::NotFound),
        Some(row) if updated == 1 => Ok(Changed::Done(Box::new(row))),
        Some(row) => Ok(Changed::Stale {
            current: row.version,
        }),
    }
}

/// Deletes a subscription (kept, marked `deleted`) and cancels its pending deliveries, if
/// it is still at `version`. Run it in a transaction.
pub fn delete(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<Changed> {
    let changed = set_status(
        conn,
        id,
        version,
        &[SubscriptionStatus::Active, SubscriptionStatus::Paused],
        SubscriptionStatus::Deleted,
        Some(reason),
        now,
    )?;
    if matches!(changed, Changed::Done(_)) {
        diesel::update(
            deliveries::table
                .filter(deliveries::subscription_id.eq(id))
                .filter(deliveries::status.eq(DeliveryStatus::Pending.key())),
        )
        .set((
            deliveries::status.eq(DeliveryStatus::Cancelled.key()),
            deliveries::next_attempt_at.eq(None::<NaiveDateTime>),
            deliveries::finished_at.eq(now),
            deliveries::claimed_by.eq(None::<String>),
            deliveries::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    }
    Ok(changed)
}

/// Resumes a paused subscription at `version`, with a clean failure record. Its pending
/// deliveries become due again on the same schedule.
pub fn resume(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    now: NaiveDateTime,
) -> QueryResult<Changed> {
    set_status(
        conn,
        id,
        version,
        &[SubscriptionStatus::Paused],
        SubscriptionStatus::Active,
        None,
        now,
    )
}

/// Queues a delivery of `event` to every active subscription it concerns; returns how many.
/// Call it in the transaction that records the event.
pub fn enqueue_for_event(
    conn: &mut DbConnection,
    event_id: &str,
    kind: EventKind,
    region_code: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let region =
        RegionCode::parse(region_code).map_err(|e| corrupt(format!("event {event_id}: {e}")))?;
    let active: Vec<(String, String, String)> = subscriptions::table
        .filter(subscriptions::status.eq(SubscriptionStatus::Active.key()))
        .select((
            subscriptions::id,
            subscriptions::region_code,
            subscriptions::event_kinds,
        ))
        .load(conn)?;
    let mut queued = 0;
    for (subscription_id, scope, kinds) in active {
        let scope = RegionCode::parse(&scope)
            .map_err(|e| corrupt(format!("subscription {subscription_id}: {e}")))?;
        let kinds = EventKinds::parse_stored(&kinds)
            .map_err(|e| corrupt(format!("subscription {subscription_id}: {e}")))?;
        if !concerns(&scope, &kinds, kind, &region) {
            continue;
        }
        diesel::insert_into(deliveries::table)
            .values(DeliveryRow {
                id: uuid::Uuid::new_v4().to_string(),
                event_id: event_id.to_owned(),
                subscription_id,
                status: DeliveryStatus::Pending.key().to_owned(),
                attempts: 0,
                next_attempt_at: Some(now),
                claimed_by: None,
                claimed_until: None,
                created_at: now,
                finished_at: None,
                last_status_code: None,
                last_latency_ms: None,
                last_error: None,
            })
            .execute(conn)?;
        queued += 1;
    }
    Ok(queued)
}

/// A delivery handed to a worker, with what it needs to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub delivery: DeliveryRow,
    pub event: EventRow,
    pub subscription: SubscriptionRow,
    /// Proof of the claim, for [`record_attempt`].
    pub token: String,
}

/// Ids of due deliveries of active subscriptions, earliest first; on PostgreSQL locked,
/// skipping rows another claimer holds.
fn due_ids(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    let active = subscriptions::table
        .filter(subscriptions::status.eq(SubscriptionStatus::Active.key()))
        .select(subscriptions::id);
    let due = deliveries::table
        .filter(deliveries::status.eq(DeliveryStatus::Pending.key()))
        .filter(deliveries::next_attempt_at.le(now))
        .filter(
            deliveries::claimed_until
                .is_null()
                .or(deliveries::claimed_until.le(now)),
        )
        .filter(deliveries::subscription_id.eq_any(active))
        .order((deliveries::next_attempt_at.asc(), deliveries::id.asc()))
        .limit(limit)
        .select(deliveries::id);
    match conn {
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg),
        DbConnection::Sqlite(sqlite) => due.load(sqlite),
    }
}

/// Claims up to `limit` due deliveries for `worker` until `now + lease`. Run it in a
/// transaction (`Db::write`) and commit before sending.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease: TimeDelta,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    let ids = due_ids(conn, now, limit)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let token = format!("{worker}/{}", uuid::Uuid::new_v4());
    diesel::update(
        deliveries::table
            .filter(deliveries::id.eq_any(&ids))
            .filter(deliveries::status.eq(DeliveryStatus::Pending.key()))
            .filter(
                deliveries::claimed_until
                    .is_null()
                    .or(deliveries::claimed_until.le(now)),
            ),
    )
    .set((
        deliveries::claimed_by.eq(&token),
        deliveries::claimed_until.eq(now + lease),
    ))
    .execute(conn)?;
    let rows: Vec<(DeliveryRow, EventRow, SubscriptionRow)> = deliveries::table
        .inner_join(events::table.on(events::id.eq(deliveries::event_id)))
        .inner_join(subscriptions::table)
        .filter(deliveries::id.eq_any(&ids))
        .filter(deliveries::claimed_by.eq(&token))
        .order((deliveries::next_attempt_at.asc(), deliveries::id.asc()))
        .select((
            DeliveryRow::as_select(),
            EventRow::as_select(),
            SubscriptionRow::as_select(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(delivery, event, subscription)| Claimed {
            delivery,
            event,
            subscription,
            token: token.clone(),
        })
        .collect())
}

/// One attempt as the worker saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub started_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    /// What went wrong, e.g. `HTTP 502` or `timed out after 10 s`.
    pub error: Option<String>,
}

/// What recording an attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The claim still held and the delivery moved on; when false another worker had
    /// taken the delivery over and it was left to that worker.
    pub held: bool,
    /// The subscription was paused now, for this reason.
    pub paused: Option<String>,
}

fn move_on(
    conn: &mut DbConnection,
    delivery: &DeliveryRow,
    token: &str,
    attempt: &Attempt,
    outcome: Outcome,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let (status, next, finished) = match outcome {
        Outcome::Delivered => (DeliveryStatus::Delivered, None, Some(now)),
        Outcome::RetryAt(at) => (DeliveryStatus::Pending, Some(at), None),
        Outcome::GaveUp => (DeliveryStatus::Failed, None, Some(now)),
    };
    diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(&delivery.id))
            .filter(deliveries::claimed_by.eq(token))
            .filter(deliveries::status.eq(DeliveryStatus::Pending.key())),
    )
    .set((
        deliveries::status.eq(status.key()),
        deliveries::attempts.eq(delivery.attempts + 1),
        deliveries::next_attempt_at.eq(next),
        deliveries::finished_at.eq(finished),
        deliveries::claimed_by.eq(None::<String>),
        deliveries::claimed_until.eq(None::<NaiveDateTime>),
        deliveries::last_status_code.eq(attempt.status_code),
        deliveries::last_latency_ms.eq(attempt.latency_ms),
        deliveries::last_error.eq(&attempt.error),
    ))
    .execute(conn)
}

/// Updates the subscription's failure record after an attempt, and pauses it when `rule`
/// says so; returns the reason it was paused.
fn update_health(
    conn: &mut DbConnection,
    subscription_id: &str,
    attempt: &Attempt,
    delivered: bool,
    rule: &PauseRule,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let row = find(conn, subscription_id)?.ok_or(Error::NotFound)?;
    let health = if delivered {
        Health {
            consecutive_failures: 0,
            failing_since: None,
        }
    } else {
        Health {
            consecutive_failures: u32::try_from(row.consecutive_failures).unwrap_or(0) + 1,
            failing_since: Some(row.failing_since.unwrap_or(attempt.started_at)),
        }
    };
    let last_error = attempt
        .error
        .clone()
        .unwrap_or_else(|| match attempt.status_code {
            Some(code) => format!("HTTP {code}"),
            None => "no answer".to_owned(),
        });
    let pause = (row.status == SubscriptionStatus::Active.key())
        .then(|| rule.reason(&health, now, &last_error))
        .flatten();
    let failures = i32::try_from(health.consecutive_failures).unwrap_or(i32::MAX);
    let target = subscriptions::table.filter(subscriptions::id.eq(subscription_id));
    diesel::update(target)
        .set((
            subscriptions::consecutive_failures.eq(failures),
            subscriptions::failing_since.eq(health.failing_since),
            subscriptions::last_success_at.eq(if delivered {
                Some(now)
            } else {
                row.last_success_at
            }),
        ))
        .execute(conn)?;
    if let Some(reason) = &pause {
        diesel::update(target)
            .set((
                subscriptions::status.eq(SubscriptionStatus::Paused.key()),
                subscriptions::status_reason.eq(reason),
                subscriptions::status_changed_at.eq(now),
                subscriptions::version.eq(row.version + 1),
            ))
            .execute(conn)?;
    }
    Ok(pause)
}

/// Records an attempt made under the claim `token`, and its outcome. Run it in a
/// transaction.
pub fn record_attempt(
    conn: &mut DbConnection,
    delivery_id: &str,
    token: &str,
    attempt: &Attempt,
    outcome: Outcome,
    rule: &PauseRule,
    now: NaiveDateTime,
) -> QueryResult<Recorded> {
    let delivery: DeliveryRow = deliveries::table
        .find(delivery_id)
        .select(DeliveryRow::as_select())
        .first(conn)?;
    diesel::insert_into(delivery_attempts::table)
        .values(AttemptRow {
            id: uuid::Uuid::new_v4().to_string(),
            delivery_id: delivery.id.clone(),
            attempt: delivery.attempts + 1,
            started_at: attempt.started_at,
            status_code: attempt.status_code,
            latency_ms: attempt.latency_ms,
            error: attempt.error.clone(),
            succeeded: outcome == Outcome::Delivered,
            claimed_by: token.to_owned(),
        })
        .execute(conn)?;
    let held = move_on(conn, &delivery, token, attempt, outcome, now)? == 1;
    let delivered = outcome == Outcome::Delivered;
    let paused = update_health(
        conn,
        &delivery.subscription_id,
        attempt,
        delivered,
        rule,
        now,
    )?;
    Ok(Recorded { held, paused })
}

pub fn find_delivery(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .find(id)
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// A subscription's deliveries, newest first.
pub fn deliveries_of(
    conn: &mut DbConnection,
    subscription_id: &str,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    deliveries::table
        .filter(deliveries::subscription_id.eq(subscription_id))
        .order((deliveries::created_at.desc(), deliveries::id.desc()))
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)
}

/// A delivery's attempts, in order.
pub fn attempts_of(conn: &mut DbConnection, delivery_id: &str) -> QueryResult<Vec<AttemptRow>> {
    delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(delivery_id))
        .order((
            delivery_attempts::started_at.asc(),
            delivery_attempts::attempt.asc(),
        ))
        .select(AttemptRow::as_select())
        .load(conn)
}
