//! Benchmarking against the HTE criteria (对标找差) and the rule sets behind it.

use actix_web::{HttpResponse, delete, get, post, put, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{CreateRefusals, InputRefusals, RecordInputRefusals};
use hte_shared::openapi::{Conflict, NotFound};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_credit_code;
use crate::app::assessment::assess_enterprise;
use crate::app::rule_sets::{self, RuleSetDocument, RuleSetSummary};
use crate::domain::assessment::{Assessment, RuleSet};
use crate::error::RegistryError;

/// Body of `PUT /rule-sets/{version}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRuleSet {
    /// What changed and why (说明), at most 2000 characters.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// The rules; `rules.version` must equal the path's version.
    pub rules: RuleSet,
}

/// Rule set versions: the built-in one first, then those the province added, oldest first.
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "assessment",
    params(PageParams),
    responses(
        (status = 200, description = "A page of versions", body = Page<RuleSetSummary>),
        InputRefusals,
    )
)]
#[get("/rule-sets")]
pub async fn list_rule_sets(
    db: web::Data<Db>,
    _caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    let page = page.parse::<rule_sets::VersionKey>()?;
    let versions = db.read(move |conn| rule_sets::list(conn, &page)).await?;
    Ok(HttpResponse::Ok().json(versions))
}

/// One rule set with its thresholds and bands.
#[utoipa::path(
    tag = "assessment",
    params(("version" = String, Path, description = "Rule set version (规则版本)")),
    responses((status = 200, description = "The rule set", body = RuleSetDocument), (status = 404, response = NotFound))
)]
#[get("/rule-sets/{version}")]
pub async fn get_rule_set(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let version = path.into_inner();
    let document = db.read(move |conn| rule_sets::get(conn, &version)).await?;
    Ok(HttpResponse::Ok().json(document))
}

/// Add a rule set version (province only). Versions are immutable: the same body again is
/// accepted, a different body under an existing version is a 409.
#[utoipa::path(
    tag = "assessment",
    request_body = NewRuleSet,
    params(("version" = String, Path, description = "Rule set version (规则版本): 1–64 letters, digits, '.', '_' or '-'", pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", max_length = 64)),
    responses(
        (status = 201, description = "Stored", body = RuleSetDocument),
        (status = 200, description = "Already stored with this body", body = RuleSetDocument),
        CreateRefusals,
    )
)]
#[put("/rule-sets/{version}")]
pub async fn put_rule_set(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    body: Json<NewRuleSet>,
) -> Result<HttpResponse, RegistryError> {
    let actor = rule_sets::province_actor(&caller, &request_id)?;
    let version = path.into_inner();
    let NewRuleSet { description, rules } = body.into_inner();
    rule_sets::check_new(&version, description.as_deref(), &rules)?;
    let stored = db
        .write(move |conn| rule_sets::store(conn, &actor, description, rules))
        .await?;
    Ok(if stored.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(stored.document))
}

/// Delete a never-activated rule set version (province only).
///
/// Versions are immutable, so a mistaken upload is removed and stored again. A version that
/// was ever active stays: assessments may cite it (409).
#[utoipa::path(
    tag = "assessment",
    params(("version" = String, Path, description = "Rule set version (规则版本)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[delete("/rule-sets/{version}")]
pub async fn delete_rule_set(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let actor = rule_sets::province_actor(&caller, &request_id)?;
    let version = path.into_inner();
    db.write(move |conn| rule_sets::delete(conn, &actor, &version))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Make a rule set the one assessments use (province only): a stored one, or the built-in
/// national rules again. Starts building the screening readiness under it in the background
/// (see `GET /candidates/readiness`).
#[utoipa::path(
    tag = "assessment",
    params(("version" = String, Path, description = "Rule set version (规则版本)")),
    responses((status = 200, description = "Active", body = RuleSetSummary), (status = 404, response = NotFound))
)]
#[post("/rule-sets/{version}/activate")]
pub async fn activate_rule_set(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let actor = rule_sets::province_actor(&caller, &request_id)?;
    let version = path.into_inner();
    let activated = version.clone();
    let summary = db
        .write(move |conn| rule_sets::activate(conn, &actor, &version, today()))
        .await?;
    // Screening readiness under the new rules fills in the background.
    super::readiness::spawn_build(db, activated, today());
    Ok(HttpResponse::Ok().json(summary))
}

// ---- assessment -----------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentParams {
    /// Assessment date, taken as the application date (default today).
    as_of: Option<String>,
    /// Rule set version (default: the active one).
    rule_set: Option<String>,
}

/// Benchmark an enterprise against the HTE conditions (对标找差): each condition's value,
/// threshold, pass/fail/unknown and the gap in units a manager acts on; plus the tech-SME
/// evaluation and the gazelle test. Names the rule set version used.
#[utoipa::path(
    tag = "assessment",
    operation_id = "get_enterprise_assessment",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"), AssessmentParams),
    responses(
        (status = 200, description = "The assessment", body = Assessment),
        RecordInputRefusals,
    )
)]
#[get("/enterprises/{credit_code}/assessment")]
pub async fn get_assessment(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<AssessmentParams>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let as_of = parse_date_param("as_of", params.as_of.as_deref())?.unwrap_or_else(today);
    let requested = params.rule_set.clone();
    let assessment: Assessment = db
        .read(move |conn| assess_enterprise(conn, &caller, &code, as_of, requested.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(assessment))
}
