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

super::page_of_enterprise!(
    /// Up to `limit` pool entries of one enterprise, by year, after the year `after`.
    pool_entries(year: i32) as PoolEntryRow
);

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
    hte_shared::db::insert_row(conn, pool_entries::table, row)
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

super::of_enterprises!(
    /// Every pool entry of the given enterprises.
    pool_entries as PoolEntryRow
);

super::insert_all!(
    /// Inserts a batch of new entries in one go.
    pool_entries as PoolEntryRow
);

/// Replaces a stored entry (an import restating it).
pub fn update(conn: &mut DbConnection, row: &PoolEntryRow) -> QueryResult<()> {
    diesel::update(pool_entries::table.find((&row.credit_code, row.year)))
        .set(row)
        .execute(conn)?;
    Ok(())
}
