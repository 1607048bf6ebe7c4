//! Annual reports (年报): one per enterprise and year; `PUT` replaces that year.

use actix_web::{HttpResponse, get, put, web};
use chrono::Datelike;
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::json::Json;
use hte_shared::openapi::{BadRequest, NotFound, PreconditionFailed, PreconditionRequired};
use hte_shared::preconditions::{IfMatch, etag_header};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{now, today};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::enterprises::{load_visible, load_writable, path_credit_code};
use crate::db::annual_reports::{self as queries, AnnualReportRow};
use crate::domain::annual_report::{ReportFigures, check_year};
use crate::domain::rd_institution::RdInstitution;
use crate::error::RegistryError;

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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnnualReportList {
    /// All reports of the enterprise, by year.
    pub items: Vec<AnnualReportView>,
}

pub(crate) fn figures_of(row: &AnnualReportRow) -> ReportFigures {
    ReportFigures {
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
        rd_institution: row
            .rd_institution
            .as_deref()
            .and_then(|r| RdInstitution::parse(r).ok()),
    }
}

pub(crate) fn view_of(row: &AnnualReportRow) -> AnnualReportView {
    AnnualReportView {
        credit_code: row.credit_code.clone(),
        year: row.year,
        figures: figures_of(row),
        version: row.version,
        updated_at: row.updated_at,
    }
}

pub(crate) fn row_of(
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

fn path_year(raw: &str) -> Result<i32, Problem> {
    raw.parse::<i32>().map_err(|_| {
        Problem::invalid_field(
            "year",
            "format",
            format!("year must be a number like 2025; got {raw:?}"),
        )
    })
}

/// File or replace the annual report of a year. Replacing needs `If-Match`.
#[utoipa::path(
    tag = "annual reports",
    request_body = ReportFigures,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("year" = i32, Path, description = "Report year (年度)"),
        ("If-Match" = Option<String>, Header, description = "Required when the year already has a report: its ETag"),
    ),
    responses(
        (status = 200, description = "Replaced", body = AnnualReportView, headers(("ETag" = String))),
        (status = 201, description = "Filed", body = AnnualReportView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[put("/enterprises/{credit_code}/annual-reports/{year}")]
pub async fn put_annual_report(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: Json<ReportFigures>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let (raw_code, raw_year) = path.into_inner();
    let code = path_credit_code(&raw_code)?;
    let year = path_year(&raw_year)?;
    let figures = body.into_inner();
    let errors = figures.validate();
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let actor = Actor::new(&caller, &request_id);
    let current_year = today().year();
    let (created, view) = db
        .write(move |conn| {
            let enterprise = load_writable(conn, &caller, &code)?;
            check_year(year, enterprise.registered_on.year(), current_year)
                .map_err(|e: FieldError| Problem::validation(vec![e]))?;
            let existing = queries::find(conn, code.as_str(), year)?;
            let (row, created) = match &existing {
                None => {
                    let row = row_of(code.as_str(), year, &figures, 1);
                    queries::insert(conn, &row)?;
                    (row, true)
                }
                Some(before) => {
                    if_match.check(before.version)?;
                    let row = row_of(code.as_str(), year, &figures, before.version + 1);
                    if !queries::update_if_version(conn, &row, before.version)? {
                        return Err(Problem::precondition_failed(
                            "the report changed while this update was applied; read it again",
                        )
                        .into());
                    }
                    (row, false)
                }
            };
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "annual_report",
                    entity_key: code.as_str(),
                    action: if created { "create" } else { "replace" },
                    reason: None,
                    before: existing
                        .as_ref()
                        .map(|r| serde_json::to_value(view_of(r)).unwrap_or_default()),
                    after: Some(serde_json::to_value(view_of(&row)).unwrap_or_default()),
                },
            )?;
            Ok::<_, RegistryError>((created, view_of(&row)))
        })
        .await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    if created {
        response.insert_header((
            actix_web::http::header::LOCATION,
            format!(
                "/api/v1/enterprises/{}/annual-reports/{}",
                view.credit_code, view.year
            ),
        ));
    }
    Ok(response.insert_header(etag_header(view.version)).json(view))
}

/// The annual report of one year.
#[utoipa::path(
    tag = "annual reports",
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("year" = i32, Path, description = "Report year (年度)"),
    ),
    responses(
        (status = 200, description = "The report", body = AnnualReportView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}/annual-reports/{year}")]
pub async fn get_annual_report(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (raw_code, raw_year) = path.into_inner();
    let code = path_credit_code(&raw_code)?;
    let year = path_year(&raw_year)?;
    let view = db
        .read(move |conn| {
            load_visible(conn, &caller, &code)?;
            let row = queries::find(conn, code.as_str(), year)?.ok_or_else(|| {
                Problem::not_found(format!("{code} has no annual report for {year}"))
            })?;
            Ok::<_, RegistryError>(view_of(&row))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view))
}

/// All annual reports of an enterprise, by year.
#[utoipa::path(
    tag = "annual reports",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)")),
    responses(
        (status = 200, description = "The reports", body = AnnualReportList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}/annual-reports")]
pub async fn list_annual_reports(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let items = db
        .read(move |conn| {
            load_visible(conn, &caller, &code)?;
            Ok::<_, RegistryError>(
                queries::list_for(conn, code.as_str())?
                    .iter()
                    .map(view_of)
                    .collect(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(AnnualReportList { items }))
}
