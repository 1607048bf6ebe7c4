use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::annual_reports;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = annual_reports)]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct AnnualReportRow {
    pub credit_code: String,
    pub year: i32,
    pub employees: Option<i64>,
    pub st_staff: Option<i64>,
    pub total_income_yuan: Option<i64>,
    pub sales_revenue_yuan: Option<i64>,
    pub hightech_income_yuan: Option<i64>,
    pub rd_expense_yuan: Option<i64>,
    pub rd_expense_domestic_yuan: Option<i64>,
    pub total_costs_yuan: Option<i64>,
    pub net_assets_yuan: Option<i64>,
    pub total_assets_yuan: Option<i64>,
    pub industrial_output_yuan: Option<i64>,
    pub tax_paid_yuan: Option<i64>,
    pub invention_patents: Option<i64>,
    pub class1_ip: Option<i64>,
    pub class2_ip: Option<i64>,
    pub new_ip: Option<i64>,
    pub conversions: Option<i64>,
    pub rd_institution: Option<String>,
    pub version: i32,
    pub updated_at: NaiveDateTime,
}

pub fn find(
    conn: &mut DbConnection,
    credit_code: &str,
    year: i32,
) -> QueryResult<Option<AnnualReportRow>> {
    annual_reports::table
        .find((credit_code, year))
        .select(AnnualReportRow::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` reports of one enterprise, by year, after the year `after`.
pub fn page_of_enterprise(
    conn: &mut DbConnection,
    credit_code: &str,
    after: Option<&i32>,
    limit: i64,
) -> QueryResult<Vec<AnnualReportRow>> {
    let mut query = annual_reports::table
        .filter(annual_reports::credit_code.eq(credit_code.to_owned()))
        .into_boxed();
    if let Some(&year) = after {
        query = query.filter(annual_reports::year.gt(year));
    }
    query
        .order(annual_reports::year.asc())
        .limit(limit)
        .select(AnnualReportRow::as_select())
        .load(conn)
}

/// Every report of the given enterprises.
pub fn of_enterprises(
    conn: &mut DbConnection,
    codes: &[String],
) -> QueryResult<Vec<AnnualReportRow>> {
    annual_reports::table
        .filter(annual_reports::credit_code.eq_any(codes))
        .select(AnnualReportRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, row: &AnnualReportRow) -> QueryResult<()> {
    diesel::insert_into(annual_reports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Inserts a batch of new reports in one go.
pub fn insert_all(conn: &mut DbConnection, rows: &[AnnualReportRow]) -> QueryResult<()> {
    super::insert_all!(conn, annual_reports::table, rows);
    Ok(())
}

/// Writes `row` if the stored version is still `expected_version`; false when another write
/// got there first.
pub fn update_if_version(
    conn: &mut DbConnection,
    row: &AnnualReportRow,
    expected_version: i32,
) -> QueryResult<bool> {
    let updated = diesel::update(
        annual_reports::table
            .filter(annual_reports::credit_code.eq(&row.credit_code))
            .filter(annual_reports::year.eq(row.year))
            .filter(annual_reports::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}
