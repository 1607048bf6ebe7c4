use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::allocations;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = allocations)]
#[diesel(treat_none_as_null = true)]
pub struct AllocationRow {
    pub id: String,
    pub plan_id: String,
    pub indicator: String,
    pub period: String,
    pub parent_code: String,
    pub parent_value: i64,
    pub method: String,
    pub request_json: String,
    pub children_json: String,
    pub status: String,
    pub base_tree_version: i32,
    pub accepted_tree_version: Option<i32>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
    pub version: i32,
}

pub fn insert(conn: &mut DbConnection, row: &AllocationRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, allocations::table, row)
}

pub fn find(
    conn: &mut DbConnection,
    plan_id: &str,
    id: &str,
) -> QueryResult<Option<AllocationRow>> {
    allocations::table
        .filter(allocations::plan_id.eq(plan_id))
        .filter(allocations::id.eq(id))
        .select(AllocationRow::as_select())
        .first(conn)
        .optional()
}

/// A page of the plan's proposals, newest first; with `parents`, only proposals splitting
/// one of those regions.
pub fn list(
    conn: &mut DbConnection,
    plan_id: &str,
    parents: Option<&[String]>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<AllocationRow>> {
    let mut query = allocations::table
        .filter(allocations::plan_id.eq(plan_id))
        .order((allocations::created_at.desc(), allocations::id.desc()))
        .limit(limit)
        .select(AllocationRow::as_select())
        .into_boxed();
    if let Some(parents) = parents {
        query = query.filter(allocations::parent_code.eq_any(parents));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            allocations::created_at
                .lt(at)
                .or(allocations::created_at.eq(at).and(allocations::id.lt(id))),
        );
    }
    query.load(conn)
}

/// Saves a proposal if it is still at `expected` version; false when it changed meanwhile.
pub fn save_if_version(
    conn: &mut DbConnection,
    row: &AllocationRow,
    expected: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        allocations::table
            .filter(allocations::id.eq(&row.id))
            .filter(allocations::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// Other open proposals for the same split: accepting one supersedes them.
pub fn open_rivals(
    conn: &mut DbConnection,
    row: &AllocationRow,
) -> QueryResult<Vec<AllocationRow>> {
    allocations::table
        .filter(allocations::plan_id.eq(&row.plan_id))
        .filter(allocations::indicator.eq(&row.indicator))
        .filter(allocations::period.eq(&row.period))
        .filter(allocations::parent_code.eq(&row.parent_code))
        .filter(allocations::status.eq("proposed"))
        .filter(allocations::id.ne(&row.id))
        .order(allocations::id.asc())
        .select(AllocationRow::as_select())
        .load(conn)
}

/// The newest proposal splitting `parent`'s target for the indicator and period.
pub fn latest_for(
    conn: &mut DbConnection,
    plan_id: &str,
    (indicator, period, parent): (&str, &str, &str),
) -> QueryResult<Option<AllocationRow>> {
    allocations::table
        .filter(allocations::plan_id.eq(plan_id))
        .filter(allocations::indicator.eq(indicator))
        .filter(allocations::period.eq(period))
        .filter(allocations::parent_code.eq(parent))
        .order((allocations::created_at.desc(), allocations::id.desc()))
        .select(AllocationRow::as_select())
        .first(conn)
        .optional()
}
