//! Plans (规划/工作方案) and their indicators (指标): create, list, read, update while draft,
//! publish, close.

use actix_web::{HttpResponse, get, patch, post, web};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{
    BadRequest, Conflict, NotFound, PreconditionFailed, PreconditionRequired, UnprocessableEntity,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, etag_header};
use hte_shared::stored;
use hte_shared::telemetry::RequestId;

use super::created;
use crate::app::plans::{self, NewPlan, PlanPatch, PlanView};
use crate::domain::plan::PlanStatus;
use crate::error::AllocationError;

/// A plan with its ETag.
fn with_etag(view: PlanView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view)
}

/// Create a plan (draft) with its indicators. Province only.
#[utoipa::path(
    tag = "plans",
    request_body = NewPlan,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer")),
    responses(
        (status = 201, description = "Created", body = PlanView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
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

/// Plans, ordered by id.
#[utoipa::path(
    tag = "plans",
    params(PageParams),
    responses(
        (status = 200, description = "A page of plans", body = Page<PlanView>),
        (status = 400, response = BadRequest),
    )
)]
#[get("/plans")]
pub async fn list_plans(
    db: web::Data<Db>,
    _caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, AllocationError> {
    let page = plans::list(&db, page.parse::<String>()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One plan with its indicators.
#[utoipa::path(
    tag = "plans",
    params(("id" = String, Path, description = "Plan id (规划代码), e.g. jiangsu-2019-57")),
    responses(
        (status = 200, description = "The plan", body = PlanView, headers(("ETag" = String, description = "Send back in If-Match to update"))),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/{id}")]
pub async fn get_plan(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AllocationError> {
    Ok(with_etag(plans::get(&db, path.into_inner()).await?))
}

/// Update a draft plan (name, period, indicators). Published and closed plans are frozen:
/// their targets change only by recorded adjustments. Province only.
#[utoipa::path(
    tag = "plans",
    request_body = PlanPatch,
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("If-Match" = String, Header, description = "ETag from the last read, e.g. \"v3\""),
    ),
    responses(
        (status = 200, description = "Updated", body = PlanView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[patch("/plans/{id}")]
pub async fn update_plan(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<PlanPatch>,
) -> Result<HttpResponse, AllocationError> {
    let (id, patch) = (path.into_inner(), body.into_inner());
    let view = plans::update(&db, &caller, &request_id, id, if_match, patch).await?;
    Ok(with_etag(view))
}

/// Publish a draft plan (发布). Refused (422) while any split region's children do not add
/// up to it; each such region is named in `errors` (`targets.<indicator>.<period>.<region>`).
/// Province only.
#[utoipa::path(
    tag = "plans",
    params(("id" = String, Path, description = "Plan id (规划代码)"),
        ("If-Match" = Option<String>, Header, description = "Optional: the plan's ETag; when sent, a stale one is a 412")),
    responses(
        (status = 200, description = "Published", body = PlanView, headers(("ETag" = String))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/plans/{id}/publish")]
pub async fn publish_plan(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, AllocationError> {
    let id = path.into_inner();
    let to = PlanStatus::Published;
    Ok(with_etag(
        plans::transition(&db, &caller, &request_id, id, if_match, to).await?,
    ))
}

/// Close a published plan (结束): it becomes read-only. Province only.
#[utoipa::path(
    tag = "plans",
    params(("id" = String, Path, description = "Plan id (规划代码)"),
        ("If-Match" = Option<String>, Header, description = "Optional: the plan's ETag; when sent, a stale one is a 412")),
    responses(
        (status = 200, description = "Closed", body = PlanView, headers(("ETag" = String))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[post("/plans/{id}/close")]
pub async fn close_plan(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, AllocationError> {
    let id = path.into_inner();
    let to = PlanStatus::Closed;
    Ok(with_etag(
        plans::transition(&db, &caller, &request_id, id, if_match, to).await?,
    ))
}
