//! Labels (称号).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::labels;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = labels)]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct LabelRow {
    pub credit_code: String,
    pub kind: String,
    pub year: i32,
    pub level: String,
    pub issuer: Option<String>,
    pub revoked_on: Option<NaiveDate>,
    pub revoke_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Up to `limit` labels of one enterprise, by year and kind (its key), after `after`.
pub fn page_of_enterprise(
    conn: &mut DbConnection,
    credit_code: &str,
    after: Option<&(i32, String)>,
    limit: i64,
) -> QueryResult<Vec<LabelRow>> {
    super::page_of_enterprise!(
        conn,
        labels(year, kind) as LabelRow,
        credit_code,
        after,
        limit
    )
}

pub fn find(
    conn: &mut DbConnection,
    credit_code: &str,
    kind: &str,
    year: i32,
) -> QueryResult<Option<LabelRow>> {
    labels::table
        .find((credit_code, kind, year))
        .select(LabelRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &LabelRow) -> QueryResult<()> {
    diesel::insert_into(labels::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Records a revocation, unless one was recorded meanwhile; false then.
pub fn record_revocation(conn: &mut DbConnection, row: &LabelRow) -> QueryResult<bool> {
    let updated = diesel::update(
        labels::table
            .find((&row.credit_code, &row.kind, row.year))
            .filter(labels::revoked_on.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

/// Every label of the given enterprises.
pub fn of_enterprises(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<LabelRow>> {
    labels::table
        .filter(labels::credit_code.eq_any(codes))
        .select(LabelRow::as_select())
        .load(conn)
}

/// Inserts a batch of new labels in one go.
pub fn insert_all(conn: &mut DbConnection, rows: &[LabelRow]) -> QueryResult<()> {
    super::insert_all!(conn, labels::table, rows);
    Ok(())
}

/// Replaces a stored label (an import restating it).
pub fn update(conn: &mut DbConnection, row: &LabelRow) -> QueryResult<()> {
    diesel::update(labels::table.find((&row.credit_code, &row.kind, row.year)))
        .set(row)
        .execute(conn)?;
    Ok(())
}
