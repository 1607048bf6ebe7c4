//! Year-end assessments (考核) of the cities, computed from the registry's figures and frozen
//! when published.

use actix_web::{HttpResponse, get, post, web};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{
    BadRequest, Conflict, NotFound, ServiceUnavailable, UnprocessableEntity,
};
use hte_shared::stored;
use hte_shared::telemetry::RequestId;

use super::created;
use crate::app::assessments::{self, AssessmentList, AssessmentView, NewAssessment};
use crate::clients::registry::RegistryClient;
use crate::error::AllocationError;

/// Compute a draft assessment of the 13 cities from the current targets and live registry
/// figures (no stale fallback: an assessment is never made from cached figures), as of a
/// date within the assessed year. On a draft plan it is a preview (published once the plan
/// is); a closed plan takes none (409). Province only.
#[utoipa::path(
    tag = "assessments",
    request_body = NewAssessment,
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer"),
    ),
    responses(
        (status = 201, description = "Computed (draft)", body = AssessmentView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
        (status = 503, response = ServiceUnavailable),
    )
)]
#[post("/plans/{id}/assessments")]
pub async fn create_assessment(
    db: web::Data<Db>,
    registry: web::Data<RegistryClient>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<String>,
    body: Json<NewAssessment>,
) -> Result<HttpResponse, AllocationError> {
    let (plan_id, input) = (path.into_inner(), body.into_inner());
    let route = format!("POST /api/v1/plans/{plan_id}/assessments");
    let computed =
        assessments::compute(&db, &registry, &caller, &request_id, plan_id, &input).await?;
    let request = stored::to_value(&input)?;
    let actor = Actor::new(&caller, &request_id);
    create_once(&db, actor, key.0, route, request, move |conn, actor| {
        let view = assessments::create(conn, actor, &computed)?;
        let location = format!("/api/v1/plans/{}/assessments/{}", view.plan_id, view.id);
        created(&view, location)
    })
    .await
}

/// The plan's assessments, newest first.
#[utoipa::path(
    tag = "assessments",
    params(("id" = String, Path, description = "Plan id (规划代码)")),
    responses(
        (status = 200, description = "Assessments", body = AssessmentList),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/{id}/assessments")]
pub async fn list_assessments(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AllocationError> {
    let items = assessments::list(&db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(AssessmentList { items }))
}

/// One assessment.
#[utoipa::path(
    tag = "assessments",
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("assessment_id" = String, Path, description = "Assessment id"),
    ),
    responses(
        (status = 200, description = "The assessment", body = AssessmentView),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/{id}/assessments/{assessment_id}")]
pub async fn get_assessment(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AllocationError> {
    let view: AssessmentView = assessments::get(&db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Publish (发布) a draft assessment exactly as computed: it is frozen from then on. Only one
/// assessment per indicator and year may be published, and only on a published plan (409
/// on a draft or closed one). Province only.
#[utoipa::path(
    tag = "assessments",
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("assessment_id" = String, Path, description = "Assessment id"),
    ),
    responses(
        (status = 200, description = "Published", body = AssessmentView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/plans/{id}/assessments/{assessment_id}/publish")]
pub async fn publish_assessment(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AllocationError> {
    let view = assessments::publish(&db, &caller, &request_id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}
