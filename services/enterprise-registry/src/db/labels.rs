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

super::page_of_enterprise!(
    /// Up to `limit` labels of one enterprise, by year and kind (its key), after `after`.
    labels(year: i32, kind: String) as LabelRow
);

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
    hte_shared::db::insert_row(conn, labels::table, row)
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

super::of_enterprises!(
    /// Every label of the given enterprises.
    labels as LabelRow
);

super::insert_all!(
    /// Inserts a batch of new labels in one go.
    labels as LabelRow
);

/// Replaces a stored label (an import restating it).
pub fn update(conn: &mut DbConnection, row: &LabelRow) -> QueryResult<()> {
    diesel::update(labels::table.find((&row.credit_code, &row.kind, row.year)))
        .set(row)
        .execute(conn)?;
    Ok(())
}
