//! Allocations (任务分解): a proposed split of one region's target among its children, made
//! by a method (manual, proportional to a baseline, proportional with minimums), and accepted
//! into the tree by a second call so a person approves it.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{BadRequest, Conflict, NotFound, UnprocessableEntity};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::etag_header;
use hte_shared::stored;
use hte_shared::telemetry::RequestId;

use super::created;
use crate::app::allocations::{self, Acceptance, AllocationView, NewAllocation};
use crate::clients::registry::RegistryClient;
use crate::error::AllocationError;

/// Propose a split of one region's target among its children. Integer shares add up to the
/// parent's target exactly (largest-remainder method): each child first gets the whole part
/// of its exact quota `parent × weight ÷ Σweights`; the units left go one each to the largest
/// fractional parts; equal remainders go first to the larger weight, then to the lower
/// region code. No share differs from its exact quota by 1 or more unless a minimum forces
/// it. The proposal changes nothing until accepted. The province splits any region; a city
/// splits only its own target among its counties.
#[utoipa::path(
    tag = "allocations",
    request_body = NewAllocation,
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer"),
    ),
    responses(
        (status = 201, description = "Proposed", body = AllocationView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/plans/{id}/allocations")]
pub async fn propose_allocation(
    db: web::Data<Db>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<String>,
    body: Json<NewAllocation>,
) -> Result<HttpResponse, AllocationError> {
    let (plan_id, input) = (path.into_inner(), body.into_inner());
    let request = stored::to_value(&input)?;
    let route = format!("POST /api/v1/plans/{plan_id}/allocations");
    let proposal =
        allocations::prepare(&db, &registry, &caller, &request_id, plan_id, input).await?;
    let actor = Actor::new(&caller, &request_id);
    create_once(&db, actor, key.0, route, request, move |conn, actor| {
        let view = allocations::propose(conn, actor, &proposal)?;
        let location = format!("/api/v1/plans/{}/allocations/{}", view.plan_id, view.id);
        created(&view, location)
    })
    .await
}

/// The plan's proposals, newest first.
#[utoipa::path(
    tag = "allocations",
    params(("id" = String, Path, description = "Plan id (规划代码)"), PageParams),
    responses(
        (status = 200, description = "A page of proposals", body = Page<AllocationView>),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/{id}/allocations")]
pub async fn list_allocations(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, AllocationError> {
    let page = page.parse::<(String, NaiveDateTime, String)>()?;
    let page = allocations::list(&db, &caller, path.into_inner(), page).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One proposal.
#[utoipa::path(
    tag = "allocations",
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("allocation_id" = String, Path, description = "Proposal id"),
    ),
    responses(
        (status = 200, description = "The proposal", body = AllocationView),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/{id}/allocations/{allocation_id}")]
pub async fn get_allocation(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AllocationError> {
    let view: AllocationView = allocations::get(&db, caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Accept a proposal (批准): its shares become the children's targets in a new tree
/// version, with the caller and reason. Refused (409) when the parent's target changed since
/// the proposal, when the proposal is no longer open, or — on a published plan — when the
/// new shares would unbalance a child that is itself split. Same rights as proposing.
#[utoipa::path(
    tag = "allocations",
    request_body = Acceptance,
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("allocation_id" = String, Path, description = "Proposal id"),
    ),
    responses(
        (status = 200, description = "Accepted", body = AllocationView, headers(("ETag" = String, description = "The new tree version"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/plans/{id}/allocations/{allocation_id}/accept")]
pub async fn accept_allocation(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, String)>,
    body: Json<Acceptance>,
) -> Result<HttpResponse, AllocationError> {
    let (view, version) = allocations::accept(
        &db,
        caller,
        &request_id,
        path.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(version))
        .json(view))
}
