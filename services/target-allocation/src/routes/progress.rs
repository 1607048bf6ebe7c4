//! Progress (进度): target against actual per region, from the registry's statistics.

use actix_web::{HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::{BadRequest, NotFound, ServiceUnavailable};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::progress::{self, ProgressQuery, ProgressReport};
use crate::clients::registry::RegistryClient;
use crate::error::AllocationError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressParams {
    /// A splittable indicator with a registry measure (default `hte_count`).
    indicator: Option<String>,
    /// `city` (default: the 13 cities) or `county` (the counties of `parent`).
    level: Option<String>,
    /// The city whose counties are shown (level county; default the caller's city).
    parent: Option<String>,
    /// Date of the actual figures (default today, China time).
    as_of: Option<String>,
    /// Target period, a year of the plan (default as_of's year, kept within the plan).
    period: Option<String>,
}

/// Target against actual per region, completion rate, expected completion by elapsed time
/// and rank among siblings. City and county officials get the rows of their own subtree
/// (ranked among all siblings) and may not ask about a neighbour's region (404). If the
/// registry is unreachable, the last good figures for the
/// same question are returned with `stale: true` and `fetched_at`; if there are none, a
/// 503 problem of type `urn:jiangsu-hte:problem:upstream-unavailable`.
#[utoipa::path(
    tag = "progress",
    params(("id" = String, Path, description = "Plan id (规划代码)"), ProgressParams),
    responses(
        (status = 200, description = "Progress by region (possibly stale, see `stale`)", body = ProgressReport),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[get("/plans/{id}/progress")]
pub async fn get_progress(
    db: web::Data<Db>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    params: web::Query<ProgressParams>,
) -> Result<HttpResponse, AllocationError> {
    let ProgressParams {
        indicator,
        level,
        parent,
        as_of,
        period,
    } = params.into_inner();
    let query = ProgressQuery {
        indicator,
        level,
        parent,
        as_of,
        period,
    };
    let report: ProgressReport = progress::report(
        &db,
        &registry,
        &caller,
        &request_id,
        path.into_inner(),
        query,
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
