//! Scoring schemes (考核办法) of a plan: versioned, made by the province, read by everyone.

use actix_web::{HttpResponse, get, post, web};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{DecisionRefusals, ReadRefusals, RecordInputRefusals};
use hte_shared::pagination::Page;
use hte_shared::preconditions::{IfMatch, json_with_etag};
use hte_shared::stored;
use hte_shared::telemetry::RequestId;

use super::created;
use super::params::{IdempotencyKeyHeader, ListParams, NoParams, PlanPath};
use crate::app::scoring::{self, NewScheme, SchemeView};
use crate::error::AllocationError;

/// Every version of the plan's scoring scheme (考核办法), newest first, a page at a time
/// (`limit` 1–500, default 50; follow `next_cursor`). Anyone who reads the plan reads them:
/// regions know how they will be assessed.
#[utoipa::path(
    tag = "assessments",
    params(PlanPath, ListParams),
    responses(
        (status = 200, description = "A page of scheme versions", body = Page<SchemeView>, headers(("ETag" = String, description = "\"v<newest version>\" (\"v0\" when none), on every page; send in If-Match when setting the next"))),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/scoring-schemes")]
pub async fn list_scoring_schemes(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<PlanPath>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AllocationError> {
    let page = params.into_inner().page().parse::<(String, i32)>()?;
    let (page, newest) = scoring::list(&db, path.into_inner().id, page).await?;
    Ok(json_with_etag(newest, &page))
}

/// One version of the plan's scoring scheme.
#[utoipa::path(
    tag = "assessments",
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("version" = i32, Path, description = "Scheme version, 1 or more", minimum = 1),
        NoParams,
    ),
    responses(
        (status = 200, description = "The scheme version", body = SchemeView),
        ReadRefusals,
    )
)]
#[get("/plans/{id}/scoring-schemes/{version}")]
pub async fn get_scoring_scheme(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<(String, i32)>,
    _params: web::Query<NoParams>,
) -> Result<HttpResponse, AllocationError> {
    let view: SchemeView = scoring::get(&db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Set the plan's next scoring scheme version (制定考核办法): 1–20 indicators of the plan
/// (split by region, measured by the registry) with weights adding up to 100, each scored
/// linearly to a cap or by bands, optionally with a bonus above 100 % and a deduction below
/// 时序进度, and limits on the province's bonus/penalty items. Earlier versions and the
/// assessments scored by them stay as they are. 409 on a closed plan. Province only.
#[utoipa::path(
    tag = "assessments",
    request_body = NewScheme,
    params(
        PlanPath,
        ("If-Match" = Option<String>, Header, description = "Optional: the ETag of the scheme list; when sent, a stale one (another version was set meanwhile) is a 412"),
        IdempotencyKeyHeader,
    ),
    responses(
        (status = 201, description = "Set", body = SchemeView, headers(("Location" = String), ("ETag" = String))),
        DecisionRefusals,
    )
)]
#[post("/plans/{id}/scoring-schemes")]
pub async fn create_scoring_scheme(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<PlanPath>,
    if_match: IfMatch,
    body: Json<NewScheme>,
) -> Result<HttpResponse, AllocationError> {
    let (plan_id, new) = (path.into_inner().id, body.into_inner());
    let route = format!("POST /api/v1/plans/{plan_id}/scoring-schemes");
    let record = scoring::prepare(&caller, plan_id, &new, if_match)?;
    let request = stored::to_value(&new)?;
    let actor = Actor::new(&caller, &request_id);
    create_once(&db, actor, key.0, route, request, move |conn, actor| {
        let view = scoring::create(conn, actor, &record)?;
        let location = format!(
            "/api/v1/plans/{}/scoring-schemes/{}",
            view.plan_id, view.version
        );
        created(&view, location)
    })
    .await
}
