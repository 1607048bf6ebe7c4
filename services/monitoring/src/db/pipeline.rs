//! Ready pool firms per region, recorded with a snapshot in its transaction.

use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::snapshot_pipeline;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = snapshot_pipeline)]
pub struct PipelineRow {
    pub snapshot_id: String,
    pub region_code: String,
    /// Pool firms the registry's assessment found ready for recognition (可认定的入库企业).
    pub ready_firms: i64,
}

pub fn insert(conn: &mut DbConnection, rows: &[PipelineRow]) -> QueryResult<()> {
    insert_many!(conn, snapshot_pipeline::table, rows);
    Ok(())
}

/// A snapshot's ready firms, optionally for some regions only.
pub fn of_snapshot(
    conn: &mut DbConnection,
    snapshot_id: &str,
    regions: Option<&[String]>,
) -> QueryResult<Vec<PipelineRow>> {
    let mut query = snapshot_pipeline::table
        .filter(snapshot_pipeline::snapshot_id.eq(snapshot_id))
        .order(snapshot_pipeline::region_code.asc())
        .select(PipelineRow::as_select())
        .into_boxed();
    if let Some(regions) = regions {
        query = query.filter(snapshot_pipeline::region_code.eq_any(regions));
    }
    query.load(conn)
}
