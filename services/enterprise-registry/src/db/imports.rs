use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::imports;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = imports)]
pub struct ImportRow {
    pub id: String,
    pub kind: String,
    pub mode: String,
    pub status: String,
    pub file_format: String,
    pub encoding: String,
    pub rows_total: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub errors_json: String,
    pub errors_truncated: bool,
    pub created_by: String,
    pub created_by_region: String,
    pub created_at: NaiveDateTime,
    pub finished_at: NaiveDateTime,
    pub warnings_json: String,
}

pub fn insert(conn: &mut DbConnection, row: &ImportRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, imports::table, row)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ImportRow>> {
    imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)
        .optional()
}
