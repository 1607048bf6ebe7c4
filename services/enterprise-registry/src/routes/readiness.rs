//! Screening readiness (遴选就绪度): building it for a rule set and date in the background,
//! its progress, and the counts by region and verdict for monitoring.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::refusals::{InputRefusals, RecordInputRefusals};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::problem::Problem;
use hte_shared::text;
use hte_shared::time::{parse_date_param, today};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{as_of_or_today, pool_scope, region_filter};
use crate::app::assessment::resolve_rule_set;
use crate::app::candidates::{Screening, readiness_scope};
use crate::app::readiness::{self as operations, BuildView, CandidateSummary};
use crate::error::RegistryError;

/// Fills a build batch by batch, each batch its own short transaction so writes interleave;
/// a failure is logged and leaves the build unfinished (reads keep the previous one).
pub(super) fn spawn_build(db: web::Data<Db>, version: String, screened_on: NaiveDate) {
    actix_web::rt::spawn(async move {
        if let Err(error) = operations::run_build(&db, &version, screened_on).await {
            tracing::error!(%version, %screened_on, ?error, "readiness build failed");
        }
    });
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BuildParams {
    /// Screening date (default today).
    as_of: Option<String>,
    /// Rule set version (default the active one).
    rule_set: Option<String>,
}

/// Start building the screening readiness of every firm for a rule set and date (province
/// only). It runs in the background in batches; `GET` shows its progress, and candidate
/// reads use the previous build until it finishes. Activating a rule set starts one too.
#[utoipa::path(
    tag = "assessment",
    params(BuildParams),
    responses(
        (status = 202, description = "Started", body = BuildView),
        InputRefusals,
    )
)]
#[post("/candidates/readiness")]
pub async fn start_readiness_build(
    db: web::Data<Db>,
    caller: Caller,
    params: web::Query<BuildParams>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_province(("build screening readiness", "计算遴选就绪度"))?;
    let as_of = parse_date_param("as_of", params.as_of.as_deref())?.unwrap_or_else(today);
    let requested = params.rule_set.clone();
    let build = db
        .write(move |conn| {
            let rules = resolve_rule_set(conn, requested.as_deref())?;
            operations::start_build(conn, &rules.version, as_of)
        })
        .await?;
    spawn_build(db, build.rule_set_version.clone(), as_of);
    Ok(HttpResponse::Accepted().json(operations::view_of(&build)))
}

/// Readiness builds with their progress, oldest first.
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "assessment",
    params(PageParams),
    responses(
        (status = 200, description = "A page of builds", body = Page<BuildView>),
        InputRefusals,
    )
)]
#[get("/candidates/readiness")]
pub async fn list_readiness_builds(
    db: web::Data<Db>,
    _caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    let page = page.parse::<operations::BuildKey>()?;
    let builds = db
        .read(move |conn| operations::list_builds(conn, &page))
        .await?;
    Ok(HttpResponse::Ok().json(builds))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// Region subtree (default: yours).
    region: Option<String>,
    /// `all` (default): every firm not holding the HTE status beyond the screening year;
    /// `pool`: firms in the cultivation pool.
    #[param(pattern = "^(pool|all)$")]
    scope: Option<String>,
    /// Screening date of the build to read (default today).
    as_of: Option<String>,
    /// Rule set version (default the active one, or the previous build while it is built).
    rule_set: Option<String>,
}

/// Screening candidates counted by city, county and HTE verdict (遴选概况), read from the
/// readiness build covering the date; for monitoring.
#[utoipa::path(
    tag = "assessment",
    params(SummaryParams),
    responses(
        (status = 200, description = "Counts", body = CandidateSummary),
        RecordInputRefusals,
    )
)]
#[get("/candidates/summary")]
pub async fn candidate_summary(
    db: web::Data<Db>,
    caller: Caller,
    params: web::Query<SummaryParams>,
) -> Result<HttpResponse, RegistryError> {
    let mut errors = Vec::new();
    let filter = region_filter(&caller, params.region.as_deref(), &mut errors)?;
    let pool_only = pool_scope(params.scope.as_deref(), false, &mut errors);
    let as_of = as_of_or_today(params.as_of.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let screening = Screening {
        filter,
        pool_only,
        max_failing: None,
        as_of,
        rule_set: params.rule_set.clone(),
    };
    let summary = db
        .read(move |conn| {
            let scope = readiness_scope(conn, &screening)?.ok_or_else(|| {
                Problem::not_found(text!(
                    "no finished readiness build covers {as_of}; start one with POST /api/v1/candidates/readiness",
                    "没有覆盖 {as_of} 的已完成遴选就绪度计算；请先调用 POST /api/v1/candidates/readiness"
                ))
            })?;
            operations::summary(conn, &scope)
        })
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}
