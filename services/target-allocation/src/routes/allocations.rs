//! Allocations (任务分解): a proposed split of one region's target among its children, made
//! by a method (manual, proportional to a baseline, proportional with minimums), and accepted
//! into the tree by a second call so a person approves it.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::export::{self, BinaryFile, Format};
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{ChangeRefusals, DecisionRefusals, RecordInputRefusals};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::json_with_etag;
use hte_shared::stored;
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::created;
use super::params::{
    AllocationPath, Change, FormatParams, IdempotencyKeyHeader, PlanPath, ProposalIfMatch,
    format_of,
};
use crate::app::allocations::{self, AllocationView, Decision, NewAllocation};
use crate::app::decisions::{self, Ending};
use crate::app::exports;
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
    params(PlanPath, IdempotencyKeyHeader),
    responses(
        (status = 201, description = "Proposed", body = AllocationView, headers(("Location" = String))),
        ChangeRefusals,
    )
)]
#[post("/plans/{id}/allocations")]
pub async fn propose_allocation(
    db: web::Data<Db>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<PlanPath>,
    body: Json<NewAllocation>,
) -> Result<HttpResponse, AllocationError> {
    let (plan_id, input) = (path.into_inner().id, body.into_inner());
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

/// `?limit=&cursor=` of the proposal list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AllocationListParams {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page; omit for the first page.
    cursor: Option<String>,
}

/// The plan's proposals, newest first; city and county officials see the splits of regions
/// in their own subtree.
#[utoipa::path(
    tag = "allocations",
    params(PlanPath, AllocationListParams),
    responses(
        (status = 200, description = "A page of proposals", body = Page<AllocationView>),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/allocations")]
pub async fn list_allocations(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<PlanPath>,
    params: web::Query<AllocationListParams>,
) -> Result<HttpResponse, AllocationError> {
    let AllocationListParams { limit, cursor } = params.into_inner();
    let page = PageParams { limit, cursor }.parse::<(String, NaiveDateTime, String)>()?;
    let page = allocations::list(&db, &caller, path.into_inner().id, page).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One proposal (分解方案), as JSON or as a file with one line per child region (`format=`
/// `csv` or `xlsx`, or by `Accept`).
#[utoipa::path(
    tag = "allocations",
    params(AllocationPath, FormatParams),
    responses(
        (status = 200, description = "The proposal, or its lines as a file", content(
            (AllocationView = "application/json"),
            (BinaryFile = "text/csv"),
            (BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(
            ("ETag" = String, description = "Send back in If-Match to decide it"),
            ("Content-Disposition" = String, description = "For a file: attachment; filename=…; filename*=UTF-8''…"),
        )),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/allocations/{allocation_id}")]
pub async fn get_allocation(
    db: web::Data<Db>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<AllocationPath>,
    params: web::Query<FormatParams>,
) -> Result<HttpResponse, AllocationError> {
    let format = format_of(&request, params.format.as_deref())?;
    let view: AllocationView = decisions::get(&db, caller, path.into_inner().into_ids()).await?;
    if format == Format::Json {
        return Ok(json_with_etag(view.version, &view));
    }
    let (name, table) = exports::allocation(&view);
    Ok(export::download(format, &name, &table)?)
}

/// Accept a proposal (批准): its shares become the children's targets in a new tree
/// version, with the caller and reason; other open proposals for the same split become
/// `superseded`. Refused (409) when the parent's target changed since the proposal, when the
/// proposal is no longer open, or — on a published plan — when the new shares would
/// unbalance a child that is itself split. Same rights as proposing: the province, or the
/// city whose target is split.
#[utoipa::path(
    tag = "allocations",
    request_body = Decision,
    params(AllocationPath, ProposalIfMatch),
    responses(
        (status = 200, description = "Accepted", body = AllocationView, headers(("ETag" = String, description = "The new tree version"))),
        DecisionRefusals,
    )
)]
#[post("/plans/{id}/allocations/{allocation_id}/accept")]
pub async fn accept_allocation(
    change: Change<AllocationPath>,
    body: Json<Decision>,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let decision = (if_match, body.into_inner());
    let (view, version) =
        decisions::accept(&db, caller, &request_id, path.into_ids(), decision).await?;
    Ok(json_with_etag(version, &view))
}

/// Withdraw an open proposal (撤回), with a reason. Only its proposer.
#[utoipa::path(
    tag = "allocations",
    request_body = Decision,
    params(AllocationPath, ProposalIfMatch),
    responses(
        (status = 200, description = "Withdrawn", body = AllocationView, headers(("ETag" = String))),
        DecisionRefusals,
    )
)]
#[post("/plans/{id}/allocations/{allocation_id}/withdraw")]
pub async fn withdraw_allocation(
    change: Change<AllocationPath>,
    body: Json<Decision>,
) -> Result<HttpResponse, AllocationError> {
    end(change, Ending::Withdraw, body).await
}

/// Reject an open proposal (驳回), with a reason. The province only (the level above the
/// cities that propose their own splits).
#[utoipa::path(
    tag = "allocations",
    request_body = Decision,
    params(AllocationPath, ProposalIfMatch),
    responses(
        (status = 200, description = "Rejected", body = AllocationView, headers(("ETag" = String))),
        DecisionRefusals,
    )
)]
#[post("/plans/{id}/allocations/{allocation_id}/reject")]
pub async fn reject_allocation(
    change: Change<AllocationPath>,
    body: Json<Decision>,
) -> Result<HttpResponse, AllocationError> {
    end(change, Ending::Reject, body).await
}

/// Withdraw or reject: the two routes differ only in how the proposal ends.
async fn end(
    change: Change<AllocationPath>,
    how: Ending,
    body: Json<Decision>,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let ending = (if_match, how, body.into_inner());
    let view = decisions::end(&db, caller, &request_id, path.into_ids(), ending).await?;
    Ok(json_with_etag(view.version, &view))
}
