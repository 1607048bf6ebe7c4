use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::{certificates, labels, pool_entries};

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

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = certificates)]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CertificateRow {
    pub certificate_no: String,
    pub credit_code: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
    pub revoke_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

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

pub fn pool_entries_of(
    conn: &mut DbConnection,
    credit_code: &str,
) -> QueryResult<Vec<PoolEntryRow>> {
    pool_entries::table
        .filter(pool_entries::credit_code.eq(credit_code))
        .order(pool_entries::year.asc())
        .select(PoolEntryRow::as_select())
        .load(conn)
}

pub fn find_pool_entry(
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

pub fn insert_pool_entry(conn: &mut DbConnection, row: &PoolEntryRow) -> QueryResult<()> {
    diesel::insert_into(pool_entries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Records an exit, unless one was recorded meanwhile; false then.
pub fn exit_pool_entry(conn: &mut DbConnection, row: &PoolEntryRow) -> QueryResult<bool> {
    let updated = diesel::update(
        pool_entries::table
            .find((&row.credit_code, row.year))
            .filter(pool_entries::exited_on.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn certificates_of(
    conn: &mut DbConnection,
    credit_code: &str,
) -> QueryResult<Vec<CertificateRow>> {
    certificates::table
        .filter(certificates::credit_code.eq(credit_code))
        .order(certificates::issued_on.asc())
        .select(CertificateRow::as_select())
        .load(conn)
}

pub fn find_certificate(
    conn: &mut DbConnection,
    certificate_no: &str,
) -> QueryResult<Option<CertificateRow>> {
    certificates::table
        .find(certificate_no)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_certificate(conn: &mut DbConnection, row: &CertificateRow) -> QueryResult<()> {
    diesel::insert_into(certificates::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Records a revocation, unless one was recorded meanwhile; false then.
pub fn revoke_certificate(conn: &mut DbConnection, row: &CertificateRow) -> QueryResult<bool> {
    let updated = diesel::update(
        certificates::table
            .find(&row.certificate_no)
            .filter(certificates::revoked_on.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn labels_of(conn: &mut DbConnection, credit_code: &str) -> QueryResult<Vec<LabelRow>> {
    labels::table
        .filter(labels::credit_code.eq(credit_code))
        .order((labels::year.asc(), labels::kind.asc()))
        .select(LabelRow::as_select())
        .load(conn)
}

pub fn find_label(
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

pub fn insert_label(conn: &mut DbConnection, row: &LabelRow) -> QueryResult<()> {
    diesel::insert_into(labels::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Records a revocation, unless one was recorded meanwhile; false then.
pub fn revoke_label(conn: &mut DbConnection, row: &LabelRow) -> QueryResult<bool> {
    let updated = diesel::update(
        labels::table
            .find((&row.credit_code, &row.kind, row.year))
            .filter(labels::revoked_on.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}
