//! HTE certificates (高新技术企业证书).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::certificates;

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

super::page_of_enterprise!(
    /// Up to `limit` certificates of one enterprise, by issue date and number, after `after`.
    certificates(issued_on: NaiveDate, certificate_no: String) as CertificateRow
);

pub fn find(conn: &mut DbConnection, certificate_no: &str) -> QueryResult<Option<CertificateRow>> {
    certificates::table
        .find(certificate_no)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, row: &CertificateRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, certificates::table, row)
}

/// Records a revocation, unless one was recorded meanwhile; false then.
pub fn record_revocation(conn: &mut DbConnection, row: &CertificateRow) -> QueryResult<bool> {
    let updated = diesel::update(
        certificates::table
            .find(&row.certificate_no)
            .filter(certificates::revoked_on.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

/// The stored certificates among `numbers`.
pub fn find_many(conn: &mut DbConnection, numbers: &[String]) -> QueryResult<Vec<CertificateRow>> {
    certificates::table
        .filter(certificates::certificate_no.eq_any(numbers))
        .select(CertificateRow::as_select())
        .load(conn)
}

super::insert_all!(
    /// Inserts a batch of new certificates in one go.
    certificates as CertificateRow
);

/// Replaces a stored certificate (an import restating it).
pub fn update(conn: &mut DbConnection, row: &CertificateRow) -> QueryResult<()> {
    diesel::update(certificates::table.find(&row.certificate_no))
        .set(row)
        .execute(conn)?;
    Ok(())
}

super::of_enterprises!(
    /// Every certificate of the given enterprises.
    certificates as CertificateRow
);
