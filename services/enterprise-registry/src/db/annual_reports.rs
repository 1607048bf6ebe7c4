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

super::page_of_enterprise!(
    /// Up to `limit` reports of one enterprise, by year, after the year `after`.
    annual_reports(year: i32) as AnnualReportRow
);

super::of_enterprises!(
    /// Every report of the given enterprises.
    annual_reports as AnnualReportRow
);

pub fn insert(conn: &mut DbConnection, row: &AnnualReportRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, annual_reports::table, row)
}

super::insert_all!(
    /// Inserts a batch of new reports in one go.
    annual_reports as AnnualReportRow
);

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
