//! Annual reports (年报): one per enterprise and year; filing a year again replaces it.

use chrono::Datelike;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::time::{now, today};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::enterprises::{load_visible, load_writable};
use super::{AuditTrail, pages};
use crate::db::annual_reports::{self as queries, AnnualReportRow};
use crate::domain::annual_report::{ReportFigures, check_year};
use crate::domain::credit_code::CreditCode;
use crate::domain::rd_institution::RdInstitution;
use crate::error::{RegistryError, to_json};

/// An annual report (年报) as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnnualReportView {
    /// Unified social credit code (统一社会信用代码).
    pub credit_code: String,
    /// Report year (年度).
    #[schema(example = 2025)]
    pub year: i32,
    #[serde(flatten)]
    pub figures: ReportFigures,
    /// Version; the ETag is `"v<version>"`.
    pub version: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub updated_at: chrono::NaiveDateTime,
}

/// The figures of a stored report.
pub fn figures_of(row: &AnnualReportRow) -> Result<ReportFigures, RegistryError> {
    let rd_institution = row
        .rd_institution
        .as_deref()
        .map(RdInstitution::parse)
        .transpose()
        .map_err(|e| {
            RegistryError::internal(
                "stored rd_institution does not parse",
                format!("{}/{}: {e}", row.credit_code, row.year),
            )
        })?;
    Ok(ReportFigures {
        employees: row.employees,
        st_staff: row.st_staff,
        total_income_yuan: row.total_income_yuan,
        sales_revenue_yuan: row.sales_revenue_yuan,
        hightech_income_yuan: row.hightech_income_yuan,
        rd_expense_yuan: row.rd_expense_yuan,
        rd_expense_domestic_yuan: row.rd_expense_domestic_yuan,
        total_costs_yuan: row.total_costs_yuan,
        net_assets_yuan: row.net_assets_yuan,
        total_assets_yuan: row.total_assets_yuan,
        industrial_output_yuan: row.industrial_output_yuan,
        tax_paid_yuan: row.tax_paid_yuan,
        invention_patents: row.invention_patents,
        class1_ip: row.class1_ip,
        class2_ip: row.class2_ip,
        new_ip: row.new_ip,
        conversions: row.conversions,
        rd_institution,
    })
}

pub fn view_of(row: &AnnualReportRow) -> Result<AnnualReportView, RegistryError> {
    Ok(AnnualReportView {
        credit_code: row.credit_code.clone(),
        year: row.year,
        figures: figures_of(row)?,
        version: row.version,
        updated_at: row.updated_at,
    })
}

/// The row of a report: the first version of a year, or the next one.
pub fn row_of(
    credit_code: &str,
    year: i32,
    figures: &ReportFigures,
    version: i32,
) -> AnnualReportRow {
    AnnualReportRow {
        credit_code: credit_code.to_owned(),
        year,
        employees: figures.employees,
        st_staff: figures.st_staff,
        total_income_yuan: figures.total_income_yuan,
        sales_revenue_yuan: figures.sales_revenue_yuan,
        hightech_income_yuan: figures.hightech_income_yuan,
        rd_expense_yuan: figures.rd_expense_yuan,
        rd_expense_domestic_yuan: figures.rd_expense_domestic_yuan,
        total_costs_yuan: figures.total_costs_yuan,
        net_assets_yuan: figures.net_assets_yuan,
        total_assets_yuan: figures.total_assets_yuan,
        industrial_output_yuan: figures.industrial_output_yuan,
        tax_paid_yuan: figures.tax_paid_yuan,
        invention_patents: figures.invention_patents,
        class1_ip: figures.class1_ip,
        class2_ip: figures.class2_ip,
        new_ip: figures.new_ip,
        conversions: figures.conversions,
        rd_institution: figures.rd_institution.map(|r| r.key().to_owned()),
        version,
        updated_at: now(),
    }
}

/// Audits a newly filed report (its row is inserted by the caller, alone or in a batch).
pub fn record_filed(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    row: &AnnualReportRow,
    reason: Option<&str>,
) -> Result<(), RegistryError> {
    let key = ("annual_report", row.credit_code.as_str());
    trail.changed(
        conn,
        key,
        ("create", reason),
        None,
        to_json(&view_of(row)?)?,
    )?;
    Ok(())
}

/// The one way a stored report changes: only over the version read, and audited with
/// which report and which version. False when another write got there first.
pub fn replace(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    before: &AnnualReportRow,
    after: &AnnualReportRow,
    reason: Option<&str>,
) -> Result<bool, RegistryError> {
    if !queries::update_if_version(conn, after, before.version)? {
        return Ok(false);
    }
    let key = ("annual_report", after.credit_code.as_str());
    let before = Some(to_json(&view_of(before)?)?);
    trail.changed(
        conn,
        key,
        ("replace", reason),
        before,
        to_json(&view_of(after)?)?,
    )?;
    Ok(true)
}

/// What filing a report did.
pub struct Filed {
    /// True when the year had no report before.
    pub created: bool,
    pub view: AnnualReportView,
}

/// Files the report of a year for an enterprise the caller may write, or replaces it over
/// the version `check_version` accepts. The figures are already validated.
pub fn file(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    (year, figures): (i32, &ReportFigures),
    check_version: impl FnOnce(i32) -> Result<(), Problem>,
) -> Result<Filed, RegistryError> {
    let enterprise = load_writable(conn, caller, code)?;
    check_year(year, enterprise.registered_on.year(), today().year())
        .map_err(|e: FieldError| Problem::validation(vec![e]))?;
    let mut trail = AuditTrail::Append(actor);
    let (row, created) = match queries::find(conn, code.as_str(), year)? {
        None => {
            let row = row_of(code.as_str(), year, figures, 1);
            queries::insert(conn, &row)?;
            record_filed(conn, &mut trail, &row, None)?;
            (row, true)
        }
        Some(before) => {
            check_version(before.version)?;
            let row = row_of(code.as_str(), year, figures, before.version + 1);
            if !replace(conn, &mut trail, &before, &row, None)? {
                return Err(Problem::precondition_failed(hte_shared::i18n::Text::fixed(
                    "the report changed while this update was applied; read it again",
                    "年报在本次修改期间已被他人修改，请重新读取后再试",
                ))
                .into());
            }
            (row, false)
        }
    };
    Ok(Filed {
        created,
        view: view_of(&row)?,
    })
}

/// The report of one year of a visible enterprise.
pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    year: i32,
) -> Result<AnnualReportView, RegistryError> {
    load_visible(conn, caller, code)?;
    let row = queries::find(conn, code.as_str(), year)?.ok_or_else(|| {
        Problem::not_found(hte_shared::text!(
            "{code} has no annual report for {year}",
            "未找到企业 {code} 的 {year} 年度年报"
        ))
    })?;
    view_of(&row)
}

/// A page of a visible enterprise's reports, by year (the cursor's key).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    page: &PageRequest<i32>,
) -> Result<Page<AnnualReportView>, RegistryError> {
    let rows = queries::page_of_enterprise;
    pages::of_enterprise(conn, (caller, code), page, rows, (|r| r.year, view_of))
}
