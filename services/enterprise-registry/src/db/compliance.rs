//! Queries behind the compliance checks: bounded batches in credit-code order, never the
//! whole province at once.

use chrono::NaiveDate;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::{annual_reports, certificates, enterprises, pool_entries};
use crate::domain::listing::ListFilter;

/// Who an alert is about: the enterprise's code, name, county and city.
pub struct FirmIdentity {
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub city_code: String,
}

/// A certificate with its enterprise's identity.
pub struct CertificateFact {
    pub firm: FirmIdentity,
    pub certificate_no: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

type CertificateTuple = (String, String, String, String, String, NaiveDate, NaiveDate);

/// Applies the caller's subtree and skips deregistered firms, on any query joined with
/// `enterprises`.
macro_rules! in_scope {
    ($query:expr, $scope:expr) => {{
        let mut query = $query.filter(enterprises::deregistered_on.is_null());
        if let Some(city) = $scope.city {
            query = query.filter(enterprises::city_code.eq(city.to_string()));
        }
        if let Some(county) = $scope.county {
            query = query.filter(enterprises::region_code.eq(county.to_string()));
        }
        query
    }};
}

/// Unrevoked certificates whose last valid day falls in `[from, to]`, after `after`
/// (credit code, certificate no), in that order.
pub fn certificates_ending_between(
    conn: &mut DbConnection,
    scope: &ListFilter,
    from: NaiveDate,
    to: NaiveDate,
    after: Option<&(String, String)>,
    limit: i64,
) -> QueryResult<Vec<CertificateFact>> {
    let query = certificates::table
        .inner_join(enterprises::table)
        .filter(certificates::revoked_on.is_null())
        .filter(certificates::expires_on.ge(from))
        .filter(certificates::expires_on.le(to))
        .into_boxed();
    let mut query = in_scope!(query, scope);
    if let Some((code, number)) = after {
        query = query.filter(
            certificates::credit_code
                .gt(code.clone())
                .or(certificates::credit_code
                    .eq(code.clone())
                    .and(certificates::certificate_no.gt(number.clone()))),
        );
    }
    let rows: Vec<CertificateTuple> = query
        .order((
            certificates::credit_code.asc(),
            certificates::certificate_no.asc(),
        ))
        .limit(limit)
        .select((
            enterprises::credit_code,
            enterprises::name,
            enterprises::region_code,
            enterprises::city_code,
            certificates::certificate_no,
            certificates::issued_on,
            certificates::expires_on,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(fact).collect())
}

fn fact(
    (credit_code, name, region_code, city_code, certificate_no, issued_on, expires_on): CertificateTuple,
) -> CertificateFact {
    CertificateFact {
        firm: FirmIdentity {
            credit_code,
            name,
            region_code,
            city_code,
        },
        certificate_no,
        issued_on,
        expires_on,
    }
}

/// Years with a filed report, for a batch of enterprises.
pub fn filed_years(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<(String, i32)>> {
    annual_reports::table
        .filter(annual_reports::credit_code.eq_any(codes))
        .select((annual_reports::credit_code, annual_reports::year))
        .load(conn)
}

/// A pool entry still open, with its enterprise's identity.
pub struct OpenPoolEntry {
    pub firm: FirmIdentity,
    pub year: i32,
    pub entered_on: NaiveDate,
}

/// Pool entries not exited and entered on or before `entered_by`, after `after`.
pub fn open_pool_entries_before(
    conn: &mut DbConnection,
    scope: &ListFilter,
    entered_by: NaiveDate,
    after: Option<&(String, i32)>,
    limit: i64,
) -> QueryResult<Vec<OpenPoolEntry>> {
    let query = pool_entries::table
        .inner_join(enterprises::table)
        .filter(pool_entries::exited_on.is_null())
        .filter(pool_entries::entered_on.le(entered_by))
        .into_boxed();
    let mut query = in_scope!(query, scope);
    if let Some((code, year)) = after {
        query = query.filter(
            pool_entries::credit_code
                .gt(code.clone())
                .or(pool_entries::credit_code
                    .eq(code.clone())
                    .and(pool_entries::year.gt(*year))),
        );
    }
    let rows: Vec<(String, String, String, String, i32, NaiveDate)> = query
        .order((pool_entries::credit_code.asc(), pool_entries::year.asc()))
        .limit(limit)
        .select((
            enterprises::credit_code,
            enterprises::name,
            enterprises::region_code,
            enterprises::city_code,
            pool_entries::year,
            pool_entries::entered_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(credit_code, name, region_code, city_code, year, entered_on)| OpenPoolEntry {
                firm: FirmIdentity {
                    credit_code,
                    name,
                    region_code,
                    city_code,
                },
                year,
                entered_on,
            },
        )
        .collect())
}
