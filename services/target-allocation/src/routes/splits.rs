//! How far each city has split its targets among its counties (市级任务分解进度).

use actix_web::{HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::refusals::RecordInputRefusals;
use hte_shared::pagination::{Page, PageParams};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::PlanPath;
use crate::app::splits::{self, CitySplit, SplitKey, SplitQuery};
use crate::error::AllocationError;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SplitParams {
    /// Only this indicator.
    #[param(pattern = "^[a-z][a-z0-9_]{1,63}$")]
    indicator: Option<String>,
    /// Only this period (a year).
    #[param(pattern = "^[0-9]{4}$")]
    period: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; omit for the first page.
    cursor: Option<String>,
}

/// Each city's target in the current tree and how far the city has split it among its
/// counties: the counties with targets, their sum, `split` / `unbalanced` / `not_split`, and
/// the newest proposal with its status. A city splits its own target (it proposes and
/// accepts); the province sees every city, a city its own, a county none. Ordered by
/// indicator, period and city code, a page at a time (`limit` 1–500, default 50; follow
/// `next_cursor`).
#[utoipa::path(
    tag = "allocations",
    params(PlanPath, SplitParams),
    responses(
        (status = 200, description = "A page of the cities' splits", body = Page<CitySplit>),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/splits")]
pub async fn list_splits(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<PlanPath>,
    params: web::Query<SplitParams>,
) -> Result<HttpResponse, AllocationError> {
    let SplitParams {
        indicator,
        period,
        limit,
        cursor,
    } = params.into_inner();
    super::params::filter_rules(indicator.as_deref(), period.as_deref())?;
    let page = PageParams { limit, cursor }.parse::<(String, SplitKey)>()?;
    let query = SplitQuery { indicator, period };
    let page = splits::overview(&db, &caller, path.into_inner().id, query, page).await?;
    Ok(HttpResponse::Ok().json(page))
}
