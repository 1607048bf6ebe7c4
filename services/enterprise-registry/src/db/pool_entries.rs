//! Pool entries (入库培育记录).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::pool_entries;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = pool_entries)]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct PoolEntryRow {
    pub credit_code: String,
    pub year: i32,
    pub batch: i32,
    pub source: String,
    pub entered_on: NaiveDate,
    pub exited_on: Option<NaiveDate>,
    pub exit_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Up to `limit` pool entries of one enterprise, by year, after the year `after`.
pub fn page_of_enterprise(
    conn: &mut DbConnection,
    credit_code: &str,
    after: Option<&i32>,
    limit: i64,
) -> QueryResult<Vec<PoolEntryRow>> {
    let mut query = pool_entries::table
        .filter(pool_entries::credit_code.eq(credit_code.to_owned()))
        .into_boxed();
    if let Some(&year) = after {
        query = query.filter(pool_entries::year.gt(year));
    }
    query
        .order(pool_entries::year.asc())
        .limit(limit)
        .select(PoolEntryRow::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut DbConnection,
    credit_code: &str,
    year: i32,
) -> QueryResult<Option<PoolEntryRow>> {
    pool_entries::table
        .find((credit_code, year))
        .select(PoolEntryRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &PoolEntryRow) -> QueryResult<()> {
    diesel::insert_into(pool_entries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Records an exit, unless one was recorded meanwhile; false then.
pub fn record_exit(conn: &mut DbConnection, row: &PoolEntryRow) -> QueryResult<bool> {
    let updated = diesel::update(
        pool_entries::table
            .find((&row.credit_code, row.year))
            .filter(pool_entries::exited_on.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

/// Every pool entry of the given enterprises.
pub fn of_enterprises(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<PoolEntryRow>> {
    pool_entries::table
        .filter(pool_entries::credit_code.eq_any(codes))
        .select(PoolEntryRow::as_select())
        .load(conn)
}

/// Inserts a batch of new entries in one go.
pub fn insert_all(conn: &mut DbConnection, rows: &[PoolEntryRow]) -> QueryResult<()> {
    super::insert_all!(conn, pool_entries::table, rows);
    Ok(())
}

/// Replaces a stored entry (an import restating it).
pub fn update(conn: &mut DbConnection, row: &PoolEntryRow) -> QueryResult<()> {
    diesel::update(pool_entries::table.find((&row.credit_code, row.year)))
        .set(row)
        .execute(conn)?;
    Ok(())
}
