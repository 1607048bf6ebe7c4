//! Progress (进度): target against actual per region, from the registry's statistics.

use actix_web::{HttpRequest, HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::export::{self, BinaryFile, Format};
use hte_shared::openapi::{BadRequest, NotFound, ServiceUnavailable, UnprocessableEntity};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{FileFormat, PlanPath, format_of};
use crate::app::exports;
use crate::app::progress::{self, ProgressQuery, ProgressReport};
use crate::clients::registry::RegistryClient;
use crate::error::AllocationError;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgressParams {
    /// A splittable indicator with a registry measure (default `hte_count`).
    #[param(pattern = "^[a-z][a-z0-9_]{1,63}$")]
    indicator: Option<String>,
    /// `city` (default: the 13 cities) or `county` (the counties of `parent`).
    #[param(pattern = "^(city|county)$")]
    level: Option<String>,
    /// The city whose counties are shown (level county; default the caller's city).
    parent: Option<String>,
    /// Date of the actual figures, not after the plan's end (default the period's last day,
    /// the plan's last day or today, whichever comes first: a closed plan or a past year is
    /// shown as it ended).
    as_of: Option<String>,
    /// Target period, a year of the plan (default as_of's year, else this year, kept within
    /// the plan).
    #[param(pattern = "^[0-9]{4}$")]
    period: Option<String>,
    /// `json` (default), `csv` or `xlsx`; else the `Accept` header decides.
    #[param(value_type = Option<FileFormat>)]
    format: Option<String>,
}

/// Target against actual per region, completion rate, expected completion by elapsed time
/// and rank among siblings, as JSON or as a CSV/XLSX file (`format=` or `Accept`). City and
/// county officials get the rows of their own subtree (ranked among all siblings) and may
/// not ask about a neighbour's region (404). If the registry is unreachable, the last good
/// figures for the same question are returned with `stale: true` and `fetched_at`; if there
/// are none, a 503 problem of type `urn:jiangsu-hte:problem:upstream-unavailable`.
#[utoipa::path(
    tag = "progress",
    params(PlanPath, ProgressParams),
    responses(
        (status = 200, description = "Progress by region (possibly stale, see `stale`), or its table as a file", content(
            (ProgressReport = "application/json"),
            (BinaryFile = "text/csv"),
            (BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(
            ("Content-Disposition" = String, description = "For a file: attachment; filename=…; filename*=UTF-8''…"),
        )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[get("/plans/{id}/progress")]
pub async fn get_progress(
    db: web::Data<Db>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    request_id: RequestId,
    request: HttpRequest,
    path: web::Path<PlanPath>,
    params: web::Query<ProgressParams>,
) -> Result<HttpResponse, AllocationError> {
    let ProgressParams {
        indicator,
        level,
        parent,
        as_of,
        period,
        format,
    } = params.into_inner();
    let format = format_of(&request, format.as_deref())?;
    let query = ProgressQuery {
        indicator,
        level,
        parent,
        as_of,
        period,
    };
    let plan_id = path.into_inner().id;
    let report: ProgressReport =
        progress::report(&db, &registry, &caller, &request_id, plan_id, query).await?;
    if format == Format::Json {
        return Ok(HttpResponse::Ok().json(report));
    }
    let (name, table) = exports::progress(&report);
    Ok(export::download(format, &name, &table)?)
}
