//! Snapshots across periods: the plan's latest snapshot, the latest revision of each period,
//! and their values, for the KPI board, its series and the forecasts made when a snapshot
//! is taken.

use diesel::dsl::{exists, not};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::{snapshot_values, snapshots};
use super::snapshots::{SnapshotRow, SnapshotValueRow};

diesel::alias!(snapshots as newer_revision: NewerRevision);

/// The latest revision of each of the plan's periods, by as-of date, then time taken.
pub fn latest_revisions(conn: &mut DbConnection, plan_id: &str) -> QueryResult<Vec<SnapshotRow>> {
    let superseded = newer_revision
        .filter(
            newer_revision
                .field(snapshots::plan_id)
                .eq(snapshots::plan_id),
        )
        .filter(
            newer_revision
                .field(snapshots::period)
                .eq(snapshots::period),
        )
        .filter(
            newer_revision
                .field(snapshots::revision)
                .gt(snapshots::revision),
        );
    snapshots::table
        .filter(snapshots::plan_id.eq(plan_id))
        .filter(not(exists(superseded)))
        .order((snapshots::as_of.asc(), snapshots::taken_at.asc()))
        .select(SnapshotRow::as_select())
        .load(conn)
}

/// The plan's snapshot with the latest as-of date (the latest taken among equals).
pub fn latest_of_plan(conn: &mut DbConnection, plan_id: &str) -> QueryResult<Option<SnapshotRow>> {
    snapshots::table
        .filter(snapshots::plan_id.eq(plan_id))
        .order((
            snapshots::as_of.desc(),
            snapshots::taken_at.desc(),
            snapshots::id.desc(),
        ))
        .select(SnapshotRow::as_select())
        .first(conn)
        .optional()
}

/// Values of several snapshots, optionally of one indicator and some regions.
pub fn values_of_many(
    conn: &mut DbConnection,
    snapshot_ids: &[String],
    indicator_key: Option<&str>,
    regions: Option<&[String]>,
) -> QueryResult<Vec<SnapshotValueRow>> {
    let mut out = Vec::new();
    // Bounded lists keep the statement within SQLite's parameter limit.
    for ids in snapshot_ids.chunks(500) {
        let mut query = snapshot_values::table
            .filter(snapshot_values::snapshot_id.eq_any(ids))
            .order((
                snapshot_values::snapshot_id.asc(),
                snapshot_values::indicator_key.asc(),
                snapshot_values::region_code.asc(),
            ))
            .select(SnapshotValueRow::as_select())
            .into_boxed();
        if let Some(key) = indicator_key {
            query = query.filter(snapshot_values::indicator_key.eq(key));
        }
        if let Some(regions) = regions {
            query = query.filter(snapshot_values::region_code.eq_any(regions));
        }
        out.extend(query.load(conn)?);
    }
    Ok(out)
}
