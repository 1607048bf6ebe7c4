//! The outbox of events, written in the transaction of the change they report, read by the
//! webhook dispatcher (issue #15).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::events;
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
}

/// Records an event; call it inside the transaction of the change.
pub fn append(
    conn: &mut DbConnection,
    kind: EventKind,
    region_code: &str,
    subject_id: &str,
    payload: &serde_json::Value,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(events::table)
        .values(NewEvent {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.key(),
            region_code,
            subject_id,
            payload_json: payload.to_string(),
            created_at: at,
        })
        .execute(conn)?;
    Ok(())
}

/// Events not yet fanned out to subscriptions, oldest first.
pub fn undispatched(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::dispatched_at.is_null())
        .order(events::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}

pub fn mark_dispatched(
    conn: &mut DbConnection,
    seqs: &[i64],
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        events::table
            .filter(events::seq.eq_any(seqs))
            .filter(events::dispatched_at.is_null()),
    )
    .set(events::dispatched_at.eq(at))
    .execute(conn)
}
