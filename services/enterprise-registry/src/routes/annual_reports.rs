//! Annual reports (年报): one per enterprise and year; `PUT` replaces that year.

use actix_web::{HttpResponse, get, put, web};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::json::Json;
use hte_shared::openapi::refusals::RecordInputRefusals;
use hte_shared::openapi::{
    BadRequest, NotFound, PreconditionFailed, PreconditionRequired, UnprocessableEntity,
};
use hte_shared::preconditions::{IfMatch, etag_header, json_with_etag};
use hte_shared::problem::Problem;
use hte_shared::telemetry::RequestId;

use super::{path_credit_code, validated};
use crate::app::annual_reports::{self as operations, AnnualReportView};
use crate::domain::annual_report::ReportFigures;
use crate::error::RegistryError;

fn path_year(raw: &str) -> Result<i32, Problem> {
    raw.parse::<i32>().map_err(|_| {
        Problem::invalid_field(
            "year",
            "format",
            hte_shared::text!(
                "year must be a number like 2025; got {raw:?}",
                "年度须为数字，如 2025，收到的是 {raw:?}"
            ),
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
        ("If-Match" = Option<String>, Header, description = "Required when the year already has a report: its ETag", pattern = "^[!-~]([ -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "Replaced", body = AnnualReportView, headers(("ETag" = String))),
        (status = 201, description = "Filed", body = AnnualReportView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
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
    validated(figures.validate())?;
    let actor = Actor::new(&caller, &request_id);
    let filed = db
        .write(move |conn| {
            let check = |version| if_match.check(version);
            operations::file(conn, &caller, &actor, &code, (year, &figures), check)
        })
        .await?;
    let view = filed.view;
    let mut response = if filed.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    if filed.created {
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
        RecordInputRefusals,
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
        .read(move |conn| operations::get(conn, &caller, &code, year))
        .await?;
    Ok(json_with_etag(view.version, &view))
}

fact_list_route! {
    /// The annual reports of an enterprise, by year.
    list_annual_reports: GET "/enterprises/{credit_code}/annual-reports",
    tag = "annual reports", Page<AnnualReportView>, operations::list,
}
