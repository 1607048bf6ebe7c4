//! The events other systems subscribe to, written in the transaction of the change they
//! report, together with their webhook deliveries (`webhooks::enqueue_for_event`): an event
//! and its deliveries land together, and the queue survives a restart.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::events;
use super::webhooks;
use crate::domain::event::EventKind;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    /// Order of recording.
    pub seq: i64,
    /// Stable id receivers de-duplicate by.
    pub id: String,
    pub kind: String,
    pub region_code: String,
    /// The snapshot or alert concerned.
    pub subject_id: String,
    pub payload_json: String,
    pub created_at: NaiveDateTime,
    /// When its deliveries were queued: in the same transaction, so equal to `created_at`.
    pub dispatched_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
struct NewEvent<'a> {
    id: String,
    kind: &'a str,
    region_code: &'a str,
    subject_id: &'a str,
    payload_json: String,
    created_at: NaiveDateTime,
    dispatched_at: NaiveDateTime,
}

/// Records an event and queues its deliveries to the subscriptions it concerns; call it
/// inside the transaction of the change.
pub fn append(
    conn: &mut DbConnection,
    kind: EventKind,
    region_code: &str,
    subject_id: &str,
    payload: &serde_json::Value,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(events::table)
        .values(NewEvent {
            id: id.clone(),
            kind: kind.key(),
            region_code,
            subject_id,
            payload_json: payload.to_string(),
            created_at: at,
            dispatched_at: at,
        })
        .execute(conn)?;
    webhooks::enqueue_for_event(conn, &id, kind, region_code, at)?;
    Ok(())
}

/// Events recorded after `after_seq` (0 for all), in order; at most `limit`.
pub fn after(conn: &mut DbConnection, after_seq: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::seq.gt(after_seq))
        .order(events::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<EventRow>> {
    events::table
        .filter(events::id.eq(id))
        .select(EventRow::as_select())
        .first(conn)
        .optional()
}
