use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::exists;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::{certificates, enterprises, labels, pool_entries, zones};
use crate::domain::enterprise::EarliestFacts;
use crate::domain::listing::{CURSOR_TIME_FORMAT, ListCursor, ListFilter, ListPage, SortKey};
use crate::domain::status::{CertificateSpan, EnterpriseStatus, PoolSpan};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = enterprises)]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct EnterpriseRow {
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub city_code: String,
    pub registered_on: NaiveDate,
    pub industry_code: String,
    pub tech_domain: Option<String>,
    pub zone_level: String,
    pub zone_id: Option<String>,
    pub above_scale: bool,
    pub carrier_id: Option<String>,
    pub listing_status: String,
    pub deregistered_on: Option<NaiveDate>,
    pub deregistration_reason: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn earliest_facts(conn: &mut DbConnection, credit_code: &str) -> QueryResult<EarliestFacts> {
    use super::schema::annual_reports;
    use diesel::dsl::min;
    Ok(EarliestFacts {
        report_year: annual_reports::table
            .filter(annual_reports::credit_code.eq(credit_code))
            .select(min(annual_reports::year))
            .first(conn)?,
        pool_entered_on: pool_entries::table
            .filter(pool_entries::credit_code.eq(credit_code))
            .select(min(pool_entries::entered_on))
            .first(conn)?,
        certificate_issued_on: certificates::table
            .filter(certificates::credit_code.eq(credit_code))
            .select(min(certificates::issued_on))
            .first(conn)?,
    })
}

pub fn find(conn: &mut DbConnection, credit_code: &str) -> QueryResult<Option<EnterpriseRow>> {
    enterprises::table
        .find(credit_code)
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()
}

/// Whether any enterprise is stored.
pub fn any(conn: &mut DbConnection) -> QueryResult<bool> {
    diesel::select(exists(enterprises::table.select(enterprises::credit_code))).get_result(conn)
}

/// How many enterprises are stored.
pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    enterprises::table.count().get_result(conn)
}

/// The credit code `offset` places into the credit-code order, if there are that many firms.
pub fn code_at(conn: &mut DbConnection, offset: i64) -> QueryResult<Option<String>> {
    enterprises::table
        .select(enterprises::credit_code)
        .order(enterprises::credit_code.asc())
        .offset(offset)
        .first(conn)
        .optional()
}

/// The stored enterprises among `codes`.
pub fn find_many(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<EnterpriseRow>> {
    enterprises::table
        .filter(enterprises::credit_code.eq_any(codes))
        .select(EnterpriseRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, row: &EnterpriseRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, enterprises::table, row)
}

super::insert_all!(
    /// Inserts a batch of new enterprises in one go.
    enterprises as EnterpriseRow
);

/// Writes `row` if the stored version is still `expected_version`; false when another write
/// got there first.
pub fn update_if_version(
    conn: &mut DbConnection,
    row: &EnterpriseRow,
    expected_version: i32,
) -> QueryResult<bool> {
    let updated = diesel::update(
        enterprises::table
            .filter(enterprises::credit_code.eq(&row.credit_code))
            .filter(enterprises::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

/// Certificates of the given enterprises, as validity spans.
pub fn certificate_spans(
    conn: &mut DbConnection,
    codes: &[String],
) -> QueryResult<HashMap<String, Vec<CertificateSpan>>> {
    let rows: Vec<(String, NaiveDate, NaiveDate, Option<NaiveDate>)> = certificates::table
        .filter(certificates::credit_code.eq_any(codes))
        .select((
            certificates::credit_code,
            certificates::issued_on,
            certificates::expires_on,
            certificates::revoked_on,
        ))
        .load(conn)?;
    let mut map: HashMap<String, Vec<CertificateSpan>> = HashMap::new();
    for (code, issued_on, expires_on, revoked_on) in rows {
        map.entry(code).or_default().push(CertificateSpan {
            issued_on,
            expires_on,
            revoked_on,
        });
    }
    Ok(map)
}

pub fn pool_spans(
    conn: &mut DbConnection,
    codes: &[String],
) -> QueryResult<HashMap<String, Vec<PoolSpan>>> {
    let rows: Vec<(String, NaiveDate, Option<NaiveDate>)> = pool_entries::table
        .filter(pool_entries::credit_code.eq_any(codes))
        .select((
            pool_entries::credit_code,
            pool_entries::entered_on,
            pool_entries::exited_on,
        ))
        .load(conn)?;
    let mut map: HashMap<String, Vec<PoolSpan>> = HashMap::new();
    for (code, entered_on, exited_on) in rows {
        map.entry(code).or_default().push(PoolSpan {
            entered_on,
            exited_on,
        });
    }
    Ok(map)
}

/// An enterprise with what its status and view need: every certificate and pool span, and
/// its zone's stored level.
pub struct EnterpriseFacts {
    pub row: EnterpriseRow,
    pub certificates: Vec<CertificateSpan>,
    pub pool_entries: Vec<PoolSpan>,
    pub zone_level: Option<String>,
}

type CertificateCells = Option<(String, NaiveDate, NaiveDate, Option<NaiveDate>)>;
type PoolCells = Option<(i32, NaiveDate, Option<NaiveDate>)>;

// Written once, typed twice: `as_select` is bound to the backend it loads on.
macro_rules! facts_query {
    ($credit_code:expr) => {
        enterprises::table
            .filter(enterprises::credit_code.eq($credit_code))
            .left_join(certificates::table)
            .left_join(pool_entries::table)
            .left_join(zones::table.on(enterprises::zone_id.eq(zones::id.nullable())))
            .select((
                EnterpriseRow::as_select(),
                (
                    certificates::certificate_no,
                    certificates::issued_on,
                    certificates::expires_on,
                    certificates::revoked_on,
                )
                    .nullable(),
                (
                    pool_entries::year,
                    pool_entries::entered_on,
                    pool_entries::exited_on,
                )
                    .nullable(),
                zones::level.nullable(),
            ))
    };
}

/// [`find`] with the enterprise's facts, in one round trip: the keyed read is the registry's
/// most frequent request, and three more queries tripled its database time. A firm holds a
/// handful of certificates and pool entries, so their cross product stays small. The query
/// runs on each backend's own connection: through the shared connection type its SQL text
/// was rebuilt on every call (about a tenth of the read's CPU), while PostgreSQL's connection
/// finds the prepared statement by the query's type alone.
pub fn find_with_facts(
    conn: &mut DbConnection,
    credit_code: &str,
) -> QueryResult<Option<EnterpriseFacts>> {
    let rows: Vec<(EnterpriseRow, CertificateCells, PoolCells, Option<String>)> = match conn {
        DbConnection::Postgresql(pg) => facts_query!(credit_code).load(pg)?,
        DbConnection::Sqlite(sqlite) => facts_query!(credit_code).load(sqlite)?,
    };
    Ok(gather_facts(rows))
}

/// The SQL [`find_with_facts`] sends to PostgreSQL, its credit code as `$1`: the load
/// benchmark runs this very statement with pgbench to measure the database's own limit for
/// the keyed read.
pub fn find_with_facts_sql_on_postgres() -> String {
    let sql = diesel::debug_query::<diesel::pg::Pg, _>(&facts_query!("")).to_string();
    match sql.split_once(" -- binds:") {
        Some((statement, _binds)) => statement.to_owned(),
        None => sql,
    }
}

fn gather_facts(
    rows: Vec<(EnterpriseRow, CertificateCells, PoolCells, Option<String>)>,
) -> Option<EnterpriseFacts> {
    let mut certificates = std::collections::BTreeMap::new();
    let mut pool_entries = std::collections::BTreeMap::new();
    let mut first = None;
    for (row, certificate, pool_entry, zone_level) in rows {
        if let Some((number, issued_on, expires_on, revoked_on)) = certificate {
            certificates.insert(
                number,
                CertificateSpan {
                    issued_on,
                    expires_on,
                    revoked_on,
                },
            );
        }
        if let Some((year, entered_on, exited_on)) = pool_entry {
            pool_entries.insert(
                year,
                PoolSpan {
                    entered_on,
                    exited_on,
                },
            );
        }
        first.get_or_insert((row, zone_level));
    }
    first.map(|(row, zone_level)| EnterpriseFacts {
        row,
        certificates: certificates.into_values().collect(),
        pool_entries: pool_entries.into_values().collect(),
        zone_level,
    })
}

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

type Boxed<'a> = enterprises::BoxedQuery<'a, hte_shared::db::MultiBackend>;

fn certificate_valid_on(date: NaiveDate) -> impl Fn(Boxed<'_>, bool) -> Boxed<'_> {
    move |query, wanted| {
        let valid = exists(
            certificates::table
                .filter(certificates::credit_code.eq(enterprises::credit_code))
                .filter(certificates::issued_on.le(date))
                .filter(certificates::expires_on.ge(date))
                .filter(
                    certificates::revoked_on
                        .is_null()
                        .or(certificates::revoked_on.gt(date)),
                ),
        );
        if wanted {
            query.filter(valid)
        } else {
            query.filter(diesel::dsl::not(valid))
        }
    }
}

fn pool_member_on(date: NaiveDate) -> impl Fn(Boxed<'_>, bool) -> Boxed<'_> {
    move |query, wanted| {
        let member = exists(
            pool_entries::table
                .filter(pool_entries::credit_code.eq(enterprises::credit_code))
                .filter(pool_entries::entered_on.le(date))
                .filter(
                    pool_entries::exited_on
                        .is_null()
                        .or(pool_entries::exited_on.gt(date)),
                ),
        );
        if wanted {
            query.filter(member)
        } else {
            query.filter(diesel::dsl::not(member))
        }
    }
}

/// Escapes LIKE wildcards so a name search matches the text literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The filter's conditions on the enterprise's own columns.
fn with_columns<'a>(mut query: Boxed<'a>, filter: &ListFilter) -> Boxed<'a> {
    if let Some(city) = filter.city {
        query = query.filter(enterprises::city_code.eq(city.to_string()));
    }
    if let Some(county) = filter.county {
        query = query.filter(enterprises::region_code.eq(county.to_string()));
    }
    if let Some(domain) = &filter.tech_domain {
        query = query.filter(enterprises::tech_domain.eq(domain.clone()));
    }
    // By the referenced zone's level (the province may re-rank a zone).
    if let Some(level) = &filter.zone_level {
        if level == "none" {
            query = query.filter(enterprises::zone_id.is_null());
        } else {
            let of_level = zones::table
                .filter(zones::level.eq(level.clone()))
                .select(zones::id.nullable());
            query = query.filter(enterprises::zone_id.eq_any(of_level));
        }
    }
    if let Some(above) = filter.above_scale {
        query = query.filter(enterprises::above_scale.eq(above));
    }
    if let Some(text) = &filter.name_contains {
        // lower() on both sides: LIKE ignores ASCII case on SQLite but not on PostgreSQL.
        query = query.filter(
            lower(enterprises::name)
                .like(like_pattern(&text.to_lowercase()))
                .escape('\\'),
        );
    }
    query
}

/// Holds an unrevoked label of `kind` on `date`.
fn with_label<'a>(query: Boxed<'a>, kind: &str, date: NaiveDate) -> Boxed<'a> {
    use chrono::Datelike;
    // The statistics' rule: from the label's year on (a tech-SME registration only in its
    // own year), until revoked.
    let year = date.year();
    let (from_year, to_year) = if kind == "tech_sme" {
        (year, year)
    } else {
        (i32::MIN, year)
    };
    query.filter(exists(
        labels::table
            .filter(labels::credit_code.eq(enterprises::credit_code))
            .filter(labels::kind.eq(kind.to_owned()))
            .filter(labels::year.between(from_year, to_year))
            .filter(labels::revoked_on.is_null().or(labels::revoked_on.gt(date))),
    ))
}

/// Has `status` on `date` (the rules of `domain::status::status_on`, in SQL).
fn with_status(query: Boxed<'_>, status: EnterpriseStatus, date: NaiveDate) -> Boxed<'_> {
    let registered = enterprises::registered_on.le(date);
    let active = enterprises::deregistered_on
        .is_null()
        .or(enterprises::deregistered_on.gt(date));
    match status {
        EnterpriseStatus::NotYetRegistered => query.filter(enterprises::registered_on.gt(date)),
        EnterpriseStatus::Deregistered => query
            .filter(registered)
            .filter(enterprises::deregistered_on.le(date)),
        EnterpriseStatus::Hte => {
            certificate_valid_on(date)(query.filter(registered).filter(active), true)
        }
        EnterpriseStatus::Pool => {
            let query = certificate_valid_on(date)(query.filter(registered).filter(active), false);
            pool_member_on(date)(query, true)
        }
        EnterpriseStatus::Registered => {
            let query = certificate_valid_on(date)(query.filter(registered).filter(active), false);
            pool_member_on(date)(query, false)
        }
    }
}

/// Rows after `cursor` in `sort` order.
fn after_cursor<'a>(
    query: Boxed<'a>,
    sort: SortKey,
    cursor: &ListCursor,
) -> QueryResult<Boxed<'a>> {
    let code = cursor.credit_code.clone();
    Ok(match sort {
        SortKey::CreditCode => query.filter(enterprises::credit_code.gt(code)),
        SortKey::Name => {
            let value = cursor.value.clone();
            query.filter(
                enterprises::name.gt(value.clone()).or(enterprises::name
                    .eq(value)
                    .and(enterprises::credit_code.gt(code))),
            )
        }
        SortKey::UpdatedAt => {
            // Checked when the cursor was parsed; one that slipped through is our bug.
            let value = NaiveDateTime::parse_from_str(&cursor.value, CURSOR_TIME_FORMAT)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
            query.filter(
                enterprises::updated_at.gt(value).or(enterprises::updated_at
                    .eq(value)
                    .and(enterprises::credit_code.gt(code))),
            )
        }
    })
}

/// The rows of one page of the list.
pub fn list(conn: &mut DbConnection, page: ListPage<'_>) -> QueryResult<Vec<EnterpriseRow>> {
    let ListPage {
        filter,
        sort,
        after,
        limit,
    } = page;
    let mut query = with_columns(enterprises::table.into_boxed(), filter);
    if let Some((kind, date)) = &filter.label {
        query = with_label(query, kind, *date);
    }
    if let Some((status, date)) = filter.status {
        query = with_status(query, status, date);
    }
    if let Some(cursor) = after {
        query = after_cursor(query, sort, cursor)?;
    }
    query = match sort {
        SortKey::CreditCode => query.order(enterprises::credit_code.asc()),
        SortKey::Name => query.order((enterprises::name.asc(), enterprises::credit_code.asc())),
        SortKey::UpdatedAt => query.order((
            enterprises::updated_at.asc(),
            enterprises::credit_code.asc(),
        )),
    };
    query
        .select(EnterpriseRow::as_select())
        .limit(limit)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyed_read_sql_takes_its_code_as_the_only_parameter() {
        let sql = find_with_facts_sql_on_postgres();
        assert!(sql.starts_with("SELECT "), "{sql}");
        assert_eq!(sql.matches("$1").count(), 1, "{sql}");
        assert!(!sql.contains("$2") && !sql.contains("binds"), "{sql}");
        for table in ["\"certificates\"", "\"pool_entries\"", "\"zones\""] {
            assert!(sql.contains(table), "{table} missing from {sql}");
        }
    }
}
