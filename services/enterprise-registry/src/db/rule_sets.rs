use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::rule_sets;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rule_sets)]
pub struct RuleSetRow {
    pub version: String,
    pub rules_json: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub activated_at: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConnection, version: &str) -> QueryResult<Option<RuleSetRow>> {
    rule_sets::table
        .find(version)
        .select(RuleSetRow::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` stored rule sets, oldest first (by creation, then version), after `after`.
pub fn list(
    conn: &mut DbConnection,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<RuleSetRow>> {
    let mut query = rule_sets::table.into_boxed();
    if let Some((created_at, version)) = after {
        query = query.filter(
            rule_sets::created_at
                .gt(*created_at)
                .or(rule_sets::created_at
                    .eq(*created_at)
                    .and(rule_sets::version.gt(version.clone()))),
        );
    }
    query
        .order((rule_sets::created_at.asc(), rule_sets::version.asc()))
        .limit(limit)
        .select(RuleSetRow::as_select())
        .load(conn)
}

/// The most recently activated rule set, if any was.
pub fn active(conn: &mut DbConnection) -> QueryResult<Option<RuleSetRow>> {
    rule_sets::table
        .filter(rule_sets::activated_at.is_not_null())
        .order(rule_sets::activated_at.desc())
        .select(RuleSetRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &RuleSetRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, rule_sets::table, row)
}

pub fn activate(conn: &mut DbConnection, version: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(rule_sets::table.find(version))
        .set(rule_sets::activated_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// No stored rule set is active any more: the built-in one applies again.
pub fn deactivate_all(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::update(rule_sets::table.filter(rule_sets::activated_at.is_not_null()))
        .set(rule_sets::activated_at.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// Removes a version; returns how many rows went (0 or 1).
pub fn delete(conn: &mut DbConnection, version: &str) -> QueryResult<usize> {
    diesel::delete(rule_sets::table.find(version)).execute(conn)
}
