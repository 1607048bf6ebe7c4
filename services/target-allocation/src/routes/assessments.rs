//! Year-end assessments (考核) of the cities or of one city's counties, scored by the plan's
//! scoring scheme from the registry's figures, and frozen when published.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::export::{self, BinaryFile, Format};
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{RecordInputRefusals, TransitionRefusals};
use hte_shared::openapi::{
    BadRequest, Conflict, NotFound, ServiceUnavailable, UnprocessableEntity,
};
use hte_shared::pagination::Page;
use hte_shared::preconditions::json_with_etag;
use hte_shared::stored;
use hte_shared::telemetry::RequestId;

use super::created;
use super::params::{Change, FormatParams, IdempotencyKeyHeader, ListParams, PlanPath, format_of};
use crate::app::assessments::{self, AssessmentView, NewAssessment};
use crate::app::{exports, plans};
use crate::clients::registry::RegistryClient;
use crate::error::AllocationError;

/// Compute a draft assessment (考核) of the 13 cities, or of one city's counties
/// (`level: county`, `parent`), by a version of the plan's scoring scheme (default the
/// newest), from the current targets and live registry figures (never cached ones), as of a
/// date within the assessed year and the plan. Refused before the registry is asked: 409 on
/// a closed plan or one without a scheme; 422 when an indicator has no target for a region
/// assessed (each named in `errors`) or the bonus/penalty items exceed the scheme's limits.
/// On a draft plan it is a preview. Province only.
#[utoipa::path(
    tag = "assessments",
    request_body = NewAssessment,
    params(PlanPath, IdempotencyKeyHeader),
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
    path: web::Path<PlanPath>,
    body: Json<NewAssessment>,
) -> Result<HttpResponse, AllocationError> {
    let (plan_id, input) = (path.into_inner().id, body.into_inner());
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

/// The plan's assessments, newest first, a page at a time (`limit` 1–500, default 50; follow
/// `next_cursor`). Drafts are the province's alone; city and county officials see published
/// assessments with their own lines only (ranked among all).
#[utoipa::path(
    tag = "assessments",
    params(PlanPath, ListParams),
    responses(
        (status = 200, description = "A page of assessments", body = Page<AssessmentView>),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/assessments")]
pub async fn list_assessments(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<PlanPath>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AllocationError> {
    let page = params
        .into_inner()
        .page()
        .parse::<(String, (NaiveDateTime, String))>()?;
    let page = assessments::list(&db, caller, path.into_inner().id, page).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One assessment, as JSON or as a CSV/XLSX file with one line per region (`format=` or
/// `Accept`); a draft is the province's alone (404 to others), and city and county
/// officials get their own lines.
#[utoipa::path(
    tag = "assessments",
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("assessment_id" = String, Path, description = "Assessment id"),
        FormatParams,
    ),
    responses(
        (status = 200, description = "The assessment, or its table as a file", content(
            (AssessmentView = "application/json"),
            (BinaryFile = "text/csv"),
            (BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(
            ("ETag" = String, description = "Send back in If-Match to publish it"),
            ("Content-Disposition" = String, description = "For a file: attachment; filename=…; filename*=UTF-8''…"),
        )),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/assessments/{assessment_id}")]
pub async fn get_assessment(
    db: web::Data<Db>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    params: web::Query<FormatParams>,
) -> Result<HttpResponse, AllocationError> {
    let format = format_of(&request, params.format.as_deref())?;
    let view: AssessmentView = assessments::get(&db, caller, path.into_inner()).await?;
    if format == Format::Json {
        return Ok(json_with_etag(view.version, &view));
    }
    let plan = plans::get(&db, view.plan_id.clone()).await?;
    let (name, table) = exports::assessment(&view, &plan.indicators);
    Ok(export::download(format, &name, &table)?)
}

/// Publish (发布) a draft assessment exactly as computed: it is frozen from then on, with
/// the scheme version it was scored by, and each region assessed sees its own lines. One
/// published assessment per year and set of regions, and only on a published plan (409).
/// Province only.
#[utoipa::path(
    tag = "assessments",
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("assessment_id" = String, Path, description = "Assessment id"),
        ("If-Match" = Option<String>, Header, description = "Optional: the assessment's ETag; when sent, a stale one is a 412"),
    ),
    responses(
        (status = 200, description = "Published", body = AssessmentView, headers(("ETag" = String))),
        TransitionRefusals,
    )
)]
#[post("/plans/{id}/assessments/{assessment_id}/publish")]
pub async fn publish_assessment(
    change: Change<(String, String)>,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let view = assessments::publish(&db, &caller, &request_id, path, if_match).await?;
    Ok(json_with_etag(view.version, &view))
}
