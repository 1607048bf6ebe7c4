//! Plans (规划/工作方案) and their indicators (指标): create, list, read, update while draft,
//! publish, close.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{
    CreateRefusals, InputRefusals, ReadRefusals, TransitionRefusals, VersionedUpdateRefusals,
};
use hte_shared::openapi::{
    Conflict, NotFound, PreconditionFailed, PreconditionRequired, UnprocessableEntity,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::json_with_etag;
use hte_shared::stored;
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::created;
use super::params::{Change, IdempotencyKeyHeader, NoParams, PlanIfMatch, PlanPath};
use crate::app::plan_lifecycle;
use crate::app::plans::{self, NewPlan, PlanPatch, PlanView};
use crate::domain::plan::PlanStatus;
use crate::error::AllocationError;

/// A plan with its ETag.
fn with_etag(view: PlanView) -> HttpResponse {
    json_with_etag(view.version, &view)
}

/// Create a plan (draft) with its indicators. Province only.
#[utoipa::path(
    tag = "plans",
    request_body = NewPlan,
    params(IdempotencyKeyHeader),
    responses(
        (status = 201, description = "Created", body = PlanView, headers(("Location" = String))),
        CreateRefusals,
    )
)]
#[post("/plans")]
pub async fn create_plan(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    body: Json<NewPlan>,
) -> Result<HttpResponse, AllocationError> {
    let new = body.into_inner();
    let record = plans::prepare(&caller, &new)?;
    let request = stored::to_value(&new)?;
    let actor = Actor::new(&caller, &request_id);
    let route = "POST /api/v1/plans".to_owned();
    create_once(&db, actor, key.0, route, request, move |conn, actor| {
        let view = plans::create(conn, actor, &record)?;
        created(&view, format!("/api/v1/plans/{}", view.id))
    })
    .await
}

/// `?limit=&cursor=&include_archived=` of the plan list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlanListParams {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; omit for the first page.
    cursor: Option<String>,
    /// Also list archived plans (含已归档), default false.
    include_archived: Option<bool>,
}

/// Plans, ordered by id; archived plans (已归档) only with `include_archived=true`.
#[utoipa::path(
    tag = "plans",
    params(PlanListParams),
    responses(
        (status = 200, description = "A page of plans", body = Page<PlanView>),
        InputRefusals,
    )
)]
#[get("/plans")]
pub async fn list_plans(
    db: web::Data<Db>,
    _caller: Caller,
    params: web::Query<PlanListParams>,
) -> Result<HttpResponse, AllocationError> {
    let PlanListParams {
        limit,
        cursor,
        include_archived,
    } = params.into_inner();
    let page = PageParams { limit, cursor }.parse::<String>()?;
    let page = plans::list(&db, page, include_archived.unwrap_or(false)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One plan with its indicators (archived or not).
#[utoipa::path(
    tag = "plans",
    params(("id" = String, Path, description = "Plan id (规划代码), e.g. jiangsu-2019-57"), NoParams),
    responses(
        (status = 200, description = "The plan", body = PlanView, headers(("ETag" = String, description = "Send back in If-Match to update"))),
        ReadRefusals,
    )
)]
#[get("/plans/{id}")]
pub async fn get_plan(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<String>,
    _params: web::Query<NoParams>,
) -> Result<HttpResponse, AllocationError> {
    Ok(with_etag(plans::get(&db, path.into_inner()).await?))
}

/// Delete a draft plan (删除草案) with its indicators, targets, proposals, scoring schemes
/// and assessments; the audit log keeps the plan as it was. A published or closed plan is
/// archived instead (409). Province only.
#[utoipa::path(
    tag = "plans",
    params(
        PlanPath,
        ("If-Match" = String, Header, description = "The plan's ETag from the last read, e.g. \"v3\""),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[delete("/plans/{id}")]
pub async fn delete_plan(change: Change<PlanPath>) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    plan_lifecycle::delete(&db, &caller, &request_id, path.id, if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Archive a published or closed plan (归档): lists leave it out unless
/// `include_archived=true`; it stays readable by id. A draft is deleted instead (409).
/// Province only.
#[utoipa::path(
    tag = "plans",
    params(PlanPath, PlanIfMatch),
    responses(
        (status = 200, description = "Archived", body = PlanView, headers(("ETag" = String))),
        TransitionRefusals,
    )
)]
#[post("/plans/{id}/archive")]
pub async fn archive_plan(change: Change<PlanPath>) -> Result<HttpResponse, AllocationError> {
    set_archived(change, true).await
}

/// Bring an archived plan back into the lists (恢复). Province only.
#[utoipa::path(
    tag = "plans",
    params(PlanPath, PlanIfMatch),
    responses(
        (status = 200, description = "No longer archived", body = PlanView, headers(("ETag" = String))),
        TransitionRefusals,
    )
)]
#[post("/plans/{id}/unarchive")]
pub async fn unarchive_plan(change: Change<PlanPath>) -> Result<HttpResponse, AllocationError> {
    set_archived(change, false).await
}

/// Archive or bring back: the two routes differ only in the flag.
async fn set_archived(
    change: Change<PlanPath>,
    archived: bool,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let target = (path.id, if_match);
    let view = plan_lifecycle::set_archived(&db, &caller, &request_id, target, archived).await?;
    Ok(with_etag(view))
}

/// Update a draft plan (name, period, indicators). Published and closed plans are frozen:
/// their targets change only by recorded adjustments. Province only.
#[utoipa::path(
    tag = "plans",
    request_body = PlanPatch,
    params(
        PlanPath,
        ("If-Match" = String, Header, description = "ETag from the last read, e.g. \"v3\""),
    ),
    responses(
        (status = 200, description = "Updated", body = PlanView, headers(("ETag" = String))),
        VersionedUpdateRefusals,
    )
)]
#[patch("/plans/{id}")]
pub async fn update_plan(
    change: Change<PlanPath>,
    body: Json<PlanPatch>,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let patch = body.into_inner();
    let view = plans::update(&db, &caller, &request_id, path.id, if_match, patch).await?;
    Ok(with_etag(view))
}

/// Publish a draft plan (发布). Refused (422) while any split region's children do not add
/// up to it; each such region is named in `errors` (`targets.<indicator>.<period>.<region>`).
/// Province only.
#[utoipa::path(
    tag = "plans",
    params(PlanPath, PlanIfMatch),
    responses(
        (status = 200, description = "Published", body = PlanView, headers(("ETag" = String))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/plans/{id}/publish")]
pub async fn publish_plan(change: Change<PlanPath>) -> Result<HttpResponse, AllocationError> {
    transition(change, PlanStatus::Published).await
}

/// Close a published plan (结束): it becomes read-only. Province only.
#[utoipa::path(
    tag = "plans",
    params(PlanPath, PlanIfMatch),
    responses(
        (status = 200, description = "Closed", body = PlanView, headers(("ETag" = String))),
        TransitionRefusals,
    )
)]
#[post("/plans/{id}/close")]
pub async fn close_plan(change: Change<PlanPath>) -> Result<HttpResponse, AllocationError> {
    transition(change, PlanStatus::Closed).await
}

/// Publish or close: the two routes differ only in the status they move the plan to.
async fn transition(
    change: Change<PlanPath>,
    to: PlanStatus,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let view = plans::transition(&db, &caller, &request_id, path.id, if_match, to).await?;
    Ok(with_etag(view))
}
