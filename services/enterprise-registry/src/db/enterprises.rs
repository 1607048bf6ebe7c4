use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::exists;
use diesel::prelude::*;
use hte_shared::db::DbConnection;
use hte_shared::regions::RegionCode;

use super::schema::{certificates, enterprises, labels, pool_entries};
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

impl EnterpriseRow {
    /// Whether two versions record the same facts (server-owned fields aside).
    pub fn same_facts(&self, other: &Self) -> bool {
        (
            &self.name,
            &self.region_code,
            self.registered_on,
            &self.industry_code,
            &self.tech_domain,
            &self.zone_level,
            &self.zone_id,
            self.above_scale,
            &self.carrier_id,
            &self.listing_status,
        ) == (
            &other.name,
            &other.region_code,
            other.registered_on,
            &other.industry_code,
            &other.tech_domain,
            &other.zone_level,
            &other.zone_id,
            other.above_scale,
            &other.carrier_id,
            &other.listing_status,
        )
    }
}

/// The earliest facts recorded for an enterprise, which its registration may not follow.
#[derive(Debug, Default)]
pub struct EarliestFacts {
    pub report_year: Option<i32>,
    pub pool_entered_on: Option<NaiveDate>,
    pub certificate_issued_on: Option<NaiveDate>,
}

impl EarliestFacts {
    /// Why `registered_on` would contradict them, if it would (the rules the creating
    /// routes apply: reports from the registration year on, entries and certificates from
    /// the registration date on).
    pub fn contradiction(&self, registered_on: NaiveDate) -> Option<String> {
        use chrono::Datelike;
        if let Some(year) = self.report_year.filter(|y| *y < registered_on.year()) {
            return Some(format!("an annual report for {year} is recorded"));
        }
        if let Some(date) = self.pool_entered_on.filter(|d| *d < registered_on) {
            return Some(format!("a pool entry from {date} is recorded"));
        }
        if let Some(date) = self.certificate_issued_on.filter(|d| *d < registered_on) {
            return Some(format!("a certificate issued on {date} is recorded"));
        }
        None
    }
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

pub fn insert(conn: &mut DbConnection, row: &EnterpriseRow) -> QueryResult<()> {
    diesel::insert_into(enterprises::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    CreditCode,
    Name,
    UpdatedAt,
}

/// Position after which the next page starts: the last row's sort value and credit code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListCursor {
    pub sort: String,
    pub value: String,
    pub credit_code: String,
}

/// Filters of the enterprise list, already validated.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this subtree (province: no constraint).
    pub city: Option<RegionCode>,
    pub county: Option<RegionCode>,
    pub status: Option<(EnterpriseStatus, NaiveDate)>,
    pub tech_domain: Option<String>,
    /// Holds an unrevoked label of this kind on the date (tech-SME: of that year).
    pub label: Option<(String, NaiveDate)>,
    pub zone_level: Option<String>,
    pub above_scale: Option<bool>,
    pub name_contains: Option<String>,
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

pub fn list(
    conn: &mut DbConnection,
    filter: &ListFilter,
    sort: SortKey,
    after: Option<&ListCursor>,
    limit: i64,
) -> QueryResult<Vec<EnterpriseRow>> {
    let mut query: Boxed<'_> = enterprises::table.into_boxed();
    if let Some(city) = filter.city {
        query = query.filter(enterprises::city_code.eq(city.to_string()));
    }
    if let Some(county) = filter.county {
        query = query.filter(enterprises::region_code.eq(county.to_string()));
    }
    if let Some(domain) = &filter.tech_domain {
        query = query.filter(enterprises::tech_domain.eq(domain.clone()));
    }
    if let Some(zone) = &filter.zone_level {
        query = query.filter(enterprises::zone_level.eq(zone.clone()));
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
    if let Some((kind, date)) = &filter.label {
        use chrono::Datelike;
        // The statistics' rule: from the label's year on (a tech-SME registration only in its
        // own year), until revoked.
        let year = date.year();
        let (from_year, to_year) = if kind == "tech_sme" {
            (year, year)
        } else {
            (i32::MIN, year)
        };
        query = query.filter(exists(
            labels::table
                .filter(labels::credit_code.eq(enterprises::credit_code))
                .filter(labels::kind.eq(kind.clone()))
                .filter(labels::year.between(from_year, to_year))
                .filter(
                    labels::revoked_on
                        .is_null()
                        .or(labels::revoked_on.gt(*date)),
                ),
        ));
    }
    if let Some((status, date)) = filter.status {
        let registered = enterprises::registered_on.le(date);
        let active = enterprises::deregistered_on
            .is_null()
            .or(enterprises::deregistered_on.gt(date));
        query = match status {
            EnterpriseStatus::NotYetRegistered => query.filter(enterprises::registered_on.gt(date)),
            EnterpriseStatus::Deregistered => query
                .filter(registered)
                .filter(enterprises::deregistered_on.le(date)),
            EnterpriseStatus::Hte => {
                certificate_valid_on(date)(query.filter(registered).filter(active), true)
            }
            EnterpriseStatus::Pool => {
                let query =
                    certificate_valid_on(date)(query.filter(registered).filter(active), false);
                pool_member_on(date)(query, true)
            }
            EnterpriseStatus::Registered => {
                let query =
                    certificate_valid_on(date)(query.filter(registered).filter(active), false);
                pool_member_on(date)(query, false)
            }
        };
    }
    if let Some(cursor) = after {
        let code = cursor.credit_code.clone();
        query = match sort {
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
                let value = NaiveDateTime::parse_from_str(&cursor.value, CURSOR_TIME_FORMAT)
                    .unwrap_or_default();
                query.filter(
                    enterprises::updated_at.gt(value).or(enterprises::updated_at
                        .eq(value)
                        .and(enterprises::credit_code.gt(code))),
                )
            }
        };
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

pub const CURSOR_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";
