use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::scoring_schemes;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = scoring_schemes)]
pub struct SchemeRow {
    pub plan_id: String,
    pub version: i32,
    pub scheme_json: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &SchemeRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, scoring_schemes::table, row)
}

pub fn find(
    conn: &mut DbConnection,
    plan_id: &str,
    version: i32,
) -> QueryResult<Option<SchemeRow>> {
    scoring_schemes::table
        .find((plan_id, version))
        .select(SchemeRow::as_select())
        .first(conn)
        .optional()
}

/// The plan's newest scheme.
pub fn latest(conn: &mut DbConnection, plan_id: &str) -> QueryResult<Option<SchemeRow>> {
    scoring_schemes::table
        .filter(scoring_schemes::plan_id.eq(plan_id))
        .order(scoring_schemes::version.desc())
        .select(SchemeRow::as_select())
        .first(conn)
        .optional()
}

/// Every version of the plan's scheme, newest first.
/// At most `limit`, below version `before` when given (the cursor of the previous page).
pub fn list(
    conn: &mut DbConnection,
    plan_id: &str,
    before: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<SchemeRow>> {
    let mut query = scoring_schemes::table
        .filter(scoring_schemes::plan_id.eq(plan_id))
        .order(scoring_schemes::version.desc())
        .limit(limit)
        .select(SchemeRow::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(scoring_schemes::version.lt(before));
    }
    query.load(conn)
}
