//! Declared facts of a firm (申报与评审事实).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::declarations;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = declarations)]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct DeclarationRow {
    pub id: String,
    pub credit_code: String,
    pub kind: String,
    pub dated_on: NaiveDate,
    pub holds: bool,
    pub title: Option<String>,
    pub standard_level: Option<String>,
    pub completer_rank: Option<i32>,
    pub score_item: Option<String>,
    pub score_centipoints: Option<i32>,
    pub source: String,
    pub entered_by: String,
    pub created_at: NaiveDateTime,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdraw_reason: Option<String>,
}

super::page_of_enterprise!(
    /// Up to `limit` declarations of one enterprise, by date and id, after `after`.
    declarations(dated_on: NaiveDate, id: String) as DeclarationRow
);

/// The declarations of the given enterprises not withdrawn by `as_of`.
pub fn in_force(
    conn: &mut DbConnection,
    codes: &[String],
    as_of: NaiveDate,
) -> QueryResult<Vec<DeclarationRow>> {
    declarations::table
        .filter(declarations::credit_code.eq_any(codes))
        .filter(
            declarations::withdrawn_on
                .is_null()
                .or(declarations::withdrawn_on.gt(as_of)),
        )
        .select(DeclarationRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DeclarationRow>> {
    declarations::table
        .find(id)
        .select(DeclarationRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &DeclarationRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, declarations::table, row)
}

super::insert_all!(
    /// Inserts a batch of new declarations in one go.
    declarations as DeclarationRow
);

/// Records a withdrawal, unless one was recorded meanwhile; false then.
pub fn record_withdrawal(conn: &mut DbConnection, row: &DeclarationRow) -> QueryResult<bool> {
    let updated = diesel::update(
        declarations::table
            .find(&row.id)
            .filter(declarations::withdrawn_on.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

/// Replaces a stored declaration.
pub fn update(conn: &mut DbConnection, row: &DeclarationRow) -> QueryResult<()> {
    diesel::update(declarations::table.find(&row.id))
        .set(row)
        .execute(conn)?;
    Ok(())
}
