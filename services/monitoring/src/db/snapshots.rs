//! Snapshots, their indicators and values. Written once, in one transaction; never updated.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use hte_shared::db::DbConnection;
use serde_json::json;

use super::events;
use super::leases::{self, Fence};
use super::schema::{snapshot_indicators, snapshot_values, snapshots};
use crate::domain::event::EventKind;
use crate::domain::period::Period;
use crate::domain::snapshot::{SnapshotStatus, Trigger};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = snapshots)]
pub struct SnapshotRow {
    pub id: String,
    pub plan_id: String,
    pub period: String,
    pub revision: i32,
    pub as_of: NaiveDate,
    /// The year of the annual reports the registry figures sum.
    pub report_year: i32,
    /// `scheduled` or `on_demand`.
    pub triggered_by: String,
    /// `complete` or `partial`.
    pub status: String,
    pub partial_reason: Option<String>,
    /// Version of the plan's target tree the targets come from.
    pub plan_tree_version: Option<i32>,
    pub taken_by: String,
    pub taken_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = snapshot_indicators)]
pub struct SnapshotIndicatorRow {
    pub snapshot_id: String,
    pub indicator_key: String,
    pub position: i32,
    /// The indicator's definition as it was (JSON).
    pub definition_json: String,
    pub window_starts_on: NaiveDate,
    pub window_ends_on: NaiveDate,
    /// 时序进度 on the as-of date, 0–1.
    pub expected_completion: f64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = snapshot_values)]
pub struct SnapshotValueRow {
    pub snapshot_id: String,
    pub indicator_key: String,
    pub region_code: String,
    /// The quantity or the share's numerator; absent when missing.
    pub numerator: Option<i64>,
    /// The share's denominator (positive).
    pub denominator: Option<i64>,
    /// numerator ÷ denominator, for sorting and charts; the exact figures are the two above.
    pub value: Option<f64>,
    pub missing_reason: Option<String>,
    /// The target in force, an exact decimal.
    pub target: Option<String>,
    /// Sources as a JSON array.
    pub sources_json: String,
}

/// A snapshot to record: its row (the revision is assigned here), indicators and values.
#[derive(Debug, Clone)]
pub struct NewSnapshot {
    pub snapshot: SnapshotRow,
    pub indicators: Vec<SnapshotIndicatorRow>,
    pub values: Vec<SnapshotValueRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Inserted(SnapshotRow),
    /// The lease that guarded the job expired and was taken over: nothing recorded.
    LeaseLost,
    /// A complete scheduled snapshot of the period exists already.
    ScheduledExists,
}

fn next_revision(conn: &mut DbConnection, plan_id: &str, period: &str) -> QueryResult<i32> {
    let max: Option<i32> = snapshots::table
        .filter(snapshots::plan_id.eq(plan_id))
        .filter(snapshots::period.eq(period))
        .select(diesel::dsl::max(snapshots::revision))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Records a snapshot with all its values and a `snapshot.taken` event, as the next revision
/// of its period. With a fence, only while that lease term holds. Run it in a transaction
/// (`Db::write`): it all lands or none of it does.
pub fn record(
    conn: &mut DbConnection,
    new: NewSnapshot,
    fence: Option<&Fence>,
    now: NaiveDateTime,
) -> QueryResult<Recorded> {
    if let Some(fence) = fence
        && !leases::is_held(conn, fence, now)?
    {
        return Ok(Recorded::LeaseLost);
    }
    let NewSnapshot {
        mut snapshot,
        mut indicators,
        mut values,
    } = new;
    let scheduled = snapshot.triggered_by == Trigger::Scheduled.key()
        && snapshot.status == SnapshotStatus::Complete.key();
    // Concurrent on-demand snapshots may claim the same revision; the loser takes the next.
    let mut attempts = 0;
    loop {
        if scheduled && has_complete_scheduled(conn, &snapshot.plan_id, &snapshot.period)? {
            return Ok(Recorded::ScheduledExists);
        }
        snapshot.revision = next_revision(conn, &snapshot.plan_id, &snapshot.period)?;
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(snapshots::table)
                .values(&snapshot)
                .execute(conn)
        });
        match inserted {
            Ok(_) => break,
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) if attempts < 3 => {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
    for row in &mut indicators {
        row.snapshot_id.clone_from(&snapshot.id);
    }
    for row in &mut values {
        row.snapshot_id.clone_from(&snapshot.id);
    }
    insert_many!(conn, snapshot_indicators::table, indicators);
    insert_many!(conn, snapshot_values::table, values);
    events::append(
        conn,
        EventKind::SnapshotTaken,
        hte_shared::regions::PROVINCE_CODE.to_string().as_str(),
        &snapshot.id,
        &json!({
            "snapshot_id": snapshot.id,
            "plan_id": snapshot.plan_id,
            "period": snapshot.period,
            "revision": snapshot.revision,
            "as_of": snapshot.as_of,
            "status": snapshot.status,
        }),
        now,
    )?;
    Ok(Recorded::Inserted(snapshot))
}

pub fn has_complete_scheduled(
    conn: &mut DbConnection,
    plan_id: &str,
    period: &str,
) -> QueryResult<bool> {
    diesel::select(exists(
        snapshots::table
            .filter(snapshots::plan_id.eq(plan_id))
            .filter(snapshots::period.eq(period))
            .filter(snapshots::triggered_by.eq(Trigger::Scheduled.key()))
            .filter(snapshots::status.eq(SnapshotStatus::Complete.key())),
    ))
    .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<SnapshotRow>> {
    snapshots::table
        .find(id)
        .select(SnapshotRow::as_select())
        .first(conn)
        .optional()
}

/// The latest revision of a plan's period.
pub fn latest(
    conn: &mut DbConnection,
    plan_id: &str,
    period: &str,
) -> QueryResult<Option<SnapshotRow>> {
    snapshots::table
        .filter(snapshots::plan_id.eq(plan_id))
        .filter(snapshots::period.eq(period))
        .order(snapshots::revision.desc())
        .select(SnapshotRow::as_select())
        .first(conn)
        .optional()
}

/// One revision of a plan's period.
pub fn revision_of(
    conn: &mut DbConnection,
    plan_id: &str,
    period: &str,
    revision: i32,
) -> QueryResult<Option<SnapshotRow>> {
    snapshots::table
        .filter(snapshots::plan_id.eq(plan_id))
        .filter(snapshots::period.eq(period))
        .filter(snapshots::revision.eq(revision))
        .select(SnapshotRow::as_select())
        .first(conn)
        .optional()
}

/// Which snapshots to list.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFilter {
    pub plan_id: Option<String>,
    pub period: Option<String>,
}

/// Snapshots newest first (by taken_at, then id), after the cursor; at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &SnapshotFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<SnapshotRow>> {
    let mut query = snapshots::table
        .order((snapshots::taken_at.desc(), snapshots::id.desc()))
        .limit(limit)
        .select(SnapshotRow::as_select())
        .into_boxed();
    if let Some(plan_id) = &filter.plan_id {
        query = query.filter(snapshots::plan_id.eq(plan_id.clone()));
    }
    if let Some(period) = &filter.period {
        query = query.filter(snapshots::period.eq(period.clone()));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            snapshots::taken_at
                .lt(at)
                .or(snapshots::taken_at.eq(at).and(snapshots::id.lt(id))),
        );
    }
    query.load(conn)
}

pub fn indicators_of(
    conn: &mut DbConnection,
    snapshot_id: &str,
) -> QueryResult<Vec<SnapshotIndicatorRow>> {
    snapshot_indicators::table
        .filter(snapshot_indicators::snapshot_id.eq(snapshot_id))
        .order(snapshot_indicators::position.asc())
        .select(SnapshotIndicatorRow::as_select())
        .load(conn)
}

/// A snapshot's values, by indicator then region; optionally one indicator, some regions.
pub fn values_of(
    conn: &mut DbConnection,
    snapshot_id: &str,
    indicator_key: Option<&str>,
    regions: Option<&[String]>,
) -> QueryResult<Vec<SnapshotValueRow>> {
    let id = [snapshot_id.to_owned()];
    super::series::values_of_many(conn, &id, indicator_key, regions)
}

/// What a snapshot of a period is compared with: the latest snapshot of the period before
/// (环比) and of the same period a year earlier (同比), each with its values of the regions
/// asked; `None` where none was taken.
#[derive(Debug, Clone)]
pub struct Comparisons {
    pub previous: Option<(SnapshotRow, Vec<SnapshotValueRow>)>,
    pub year_earlier: Option<(SnapshotRow, Vec<SnapshotValueRow>)>,
}

pub fn comparisons(
    conn: &mut DbConnection,
    plan_id: &str,
    period: Period,
    regions: &[String],
) -> QueryResult<Comparisons> {
    Ok(Comparisons {
        previous: latest_with_values(conn, plan_id, period.previous(), regions)?,
        year_earlier: latest_with_values(conn, plan_id, period.year_earlier(), regions)?,
    })
}

fn latest_with_values(
    conn: &mut DbConnection,
    plan_id: &str,
    period: Option<Period>,
    regions: &[String],
) -> QueryResult<Option<(SnapshotRow, Vec<SnapshotValueRow>)>> {
    let Some(period) = period else {
        return Ok(None);
    };
    let Some(row) = latest(conn, plan_id, &period.to_string())? else {
        return Ok(None);
    };
    let values = values_of(conn, &row.id, None, Some(regions))?;
    Ok(Some((row, values)))
}

diesel::alias!(snapshots as later: LaterSnapshots);

/// An indicator's values for a region over a plan's snapshots, for charts and the trend: the
/// latest revision of each period, by as-of date (then period).
pub fn series(
    conn: &mut DbConnection,
    plan_id: &str,
    indicator_key: &str,
    region_code: &str,
) -> QueryResult<Vec<(SnapshotRow, SnapshotValueRow)>> {
    let superseded = later
        .filter(later.field(snapshots::plan_id).eq(snapshots::plan_id))
        .filter(later.field(snapshots::period).eq(snapshots::period))
        .filter(later.field(snapshots::revision).gt(snapshots::revision));
    snapshots::table
        .inner_join(snapshot_values::table)
        .filter(snapshots::plan_id.eq(plan_id))
        .filter(not(exists(superseded)))
        .filter(snapshot_values::indicator_key.eq(indicator_key))
        .filter(snapshot_values::region_code.eq(region_code))
        .order((snapshots::as_of.asc(), snapshots::period.asc()))
        .select((SnapshotRow::as_select(), SnapshotValueRow::as_select()))
        .load(conn)
}
