//! Year-end assessments (考核) of the cities: target, achieved, completion rate, score by a
//! formula whose parameters are stored with each assessment, and rank. A draft holds the
//! figures as computed when it was created; publishing freezes it: later registry changes
//! never rewrite a published assessment.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{
    BadRequest, Conflict, NotFound, ServiceUnavailable, UnprocessableEntity,
};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{PROVINCE_CODE, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::plans::{json, load_plan, require_province};
use super::progress::{check_figures_date, fetch_figures, measure_and_window};
use super::targets::splittable_indicator;
use crate::clients::registry::{RegistryClient, StatisticsQuery};
use crate::db::assessments::{self as queries, AssessmentRow};
use crate::db::plans as plan_queries;
use crate::db::targets;
use crate::domain::assessment::{DEFAULT_CAP, DEFAULT_WEIGHT, Formula, score_and_rank};
use crate::domain::plan::{PlanStatus, parse_target_period};
use crate::domain::progress::completion_rate;
use crate::error::AllocationError;

pub const FORMULA_TEXT: &str = "score = min(completion_rate, cap) × weight";

/// Body of `POST /plans/{id}/assessments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssessment {
    /// A splittable indicator with a registry measure (default `new_hte`, the new HTEs the
    /// cities are assessed on).
    #[schema(example = "new_hte")]
    pub indicator: Option<String>,
    /// The year assessed (考核年度), within the plan.
    #[schema(example = "2020")]
    pub period: String,
    /// Date of the figures (default 31 December of the period).
    pub as_of: Option<NaiveDate>,
    /// Highest completion rate that earns points (封顶完成率), default 1.2.
    #[schema(example = 1.2)]
    pub cap: Option<f64>,
    /// Points for full completion (分值), default 100.
    #[schema(example = 100)]
    pub weight: Option<f64>,
}

/// The scoring formula (计分公式) of an assessment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FormulaView {
    /// `score = min(completion_rate, cap) × weight`.
    pub expression: String,
    pub cap: f64,
    pub weight: f64,
}

/// One city's line (考核结果).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentLine {
    #[schema(example = "320500")]
    pub region_code: String,
    /// City name (设区市).
    pub name: String,
    /// Target (目标任务); absent when none was set.
    pub target: Option<i64>,
    /// Achieved (完成数), from the registry.
    pub achieved: i64,
    /// Completion rate (完成率), a decimal.
    pub completion_rate: Option<f64>,
    /// Score (得分).
    pub score: Option<f64>,
    /// Rank by score (排名), 1 = best; equal scores share a rank.
    pub rank: Option<u32>,
}

/// A year-end assessment (年度考核).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentView {
    pub id: String,
    pub plan_id: String,
    pub indicator: String,
    pub period: String,
    /// Date of the registry figures.
    pub as_of: NaiveDate,
    pub formula: FormulaView,
    /// `draft` or `published` (已发布, frozen).
    pub status: String,
    /// Tree version the targets were read from.
    pub tree_version: i32,
    /// When the figures were computed (UTC).
    #[serde(with = "hte_shared::time::utc")]
    pub computed_at: NaiveDateTime,
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    pub published_by: Option<String>,
    #[serde(with = "hte_shared::time::utc::option")]
    pub published_at: Option<NaiveDateTime>,
    /// One line per city, ordered by code.
    pub rows: Vec<AssessmentLine>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentList {
    /// Newest first.
    pub items: Vec<AssessmentView>,
}

fn view(row: &AssessmentRow) -> AssessmentView {
    AssessmentView {
        id: row.id.clone(),
        plan_id: row.plan_id.clone(),
        indicator: row.indicator.clone(),
        period: row.period.clone(),
        as_of: row.as_of,
        formula: FormulaView {
            expression: FORMULA_TEXT.to_owned(),
            cap: row.cap.parse().unwrap_or(DEFAULT_CAP),
            weight: row.weight.parse().unwrap_or(DEFAULT_WEIGHT),
        },
        status: row.status.clone(),
        tree_version: row.tree_version,
        computed_at: row.computed_at,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        published_by: row.published_by.clone(),
        published_at: row.published_at,
        rows: serde_json::from_str(&row.rows_json).unwrap_or_default(),
    }
}

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
    require_province(&caller, "run assessments")?;
    let plan_id = path.into_inner();
    let input = body.into_inner();
    let formula = Formula::new(
        input.cap.unwrap_or(DEFAULT_CAP),
        input.weight.unwrap_or(DEFAULT_WEIGHT),
    )
    .map_err(|(field, message)| Problem::invalid_field(field, "range", message))?;
    let indicator_key = input
        .indicator
        .clone()
        .unwrap_or_else(|| "new_hte".to_owned());
    let (plan, indicator, rows) = {
        let (plan_id, key) = (plan_id.clone(), indicator_key.clone());
        db.read(move |conn| {
            let plan = load_plan(conn, &plan_id)?;
            let indicators = plan_queries::indicators_of(conn, &plan_id)?;
            let indicator = splittable_indicator(&indicators, "indicator", &key)?;
            let rows = targets::targets_at(conn, &plan_id, plan.tree_version)?;
            Ok::<_, AllocationError>((plan, indicator, rows))
        })
        .await?
    };
    super::plans::refuse_closed(&plan, "; it is read-only and takes no new assessments")?;
    let year = parse_target_period(&input.period, plan.starts_on, plan.ends_on)
        .map_err(|e| Problem::invalid_field("period", "period", e))?;
    // By default the year's end, or today while the year runs; always inside the year.
    let as_of = input.as_of.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(year, 12, 31)
            .unwrap_or(plan.ends_on)
            .min(hte_shared::time::today())
    });
    if as_of.year() != year {
        return Err(Problem::invalid_field(
            "as_of",
            "period",
            format!("as_of {as_of} must fall within the assessed year {year}"),
        )
        .into());
    }
    check_figures_date("as_of", as_of)?;
    let (measure, new_from, new_to) = measure_and_window(&indicator, year, as_of)?;
    let query = StatisticsQuery {
        level: RegionLevel::City,
        parent: None,
        as_of,
        new_from,
        new_to,
    };
    let figures = fetch_figures(&db, &registry, &plan_id, &query, &request_id, false).await?;
    let period = year.to_string();
    let mut lines: Vec<AssessmentLine> = figures
        .stats
        .items
        .iter()
        .filter(|i| {
            hte_shared::regions::RegionCode::parse(&i.region_code)
                .ok()
                .and_then(|c| hte_shared::regions::find(&c))
                .is_some_and(|r| r.parent == Some(PROVINCE_CODE))
        })
        .map(|i| {
            let target = rows
                .iter()
                .find(|t| {
                    t.indicator == indicator_key
                        && t.period == period
                        && t.region_code == i.region_code
                })
                .map(|t| t.value);
            let achieved = i.get(measure);
            AssessmentLine {
                region_code: i.region_code.clone(),
                name: i.name.clone(),
                target,
                achieved,
                completion_rate: completion_rate(achieved, target),
                score: None,
                rank: None,
            }
        })
        .collect();
    let scored = score_and_rank(
        &formula,
        &lines
            .iter()
            .map(|l| (l.achieved, l.target))
            .collect::<Vec<_>>(),
    );
    for (line, (score, rank)) in lines.iter_mut().zip(scored) {
        line.score = score;
        line.rank = rank;
    }
    let at = now();
    let row = AssessmentRow {
        id: uuid::Uuid::new_v4().to_string(),
        plan_id: plan_id.clone(),
        indicator: indicator_key,
        period,
        as_of,
        cap: formula.cap.to_string(),
        weight: formula.weight.to_string(),
        status: "draft".to_owned(),
        tree_version: plan.tree_version,
        rows_json: json(&lines).to_string(),
        computed_at: figures.fetched_at,
        created_by: caller.subject.clone(),
        created_at: at,
        published_by: None,
        published_at: None,
    };
    let request = json(&input);
    let route = format!("POST /api/v1/plans/{plan_id}/assessments");
    create_once(
        &db,
        Actor::new(&caller, &request_id),
        key.0,
        route,
        request,
        move |conn, actor| {
            queries::insert(conn, &row)?;
            let view = view(&row);
            audit::append(
                conn,
                actor,
                Change {
                    entity_type: "assessment",
                    entity_key: &row.plan_id,
                    action: "create",
                    reason: None,
                    before: None,
                    after: Some(json(&view)),
                },
            )?;
            Ok(Created {
                status: StatusCode::CREATED,
                body: json(&view),
                location: Some(format!(
                    "/api/v1/plans/{}/assessments/{}",
                    row.plan_id, row.id
                )),
            })
        },
    )
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
    let plan_id = path.into_inner();
    let items = db
        .read(move |conn| {
            load_plan(conn, &plan_id)?;
            Ok::<_, AllocationError>(queries::list(conn, &plan_id)?.iter().map(view).collect())
        })
        .await?;
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
    let (plan_id, id) = path.into_inner();
    let row = db
        .read(move |conn| {
            queries::find(conn, &plan_id, &id)?.ok_or_else(|| {
                AllocationError::from(Problem::not_found(format!(
                    "plan {plan_id} has no assessment {id}"
                )))
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&row)))
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
    require_province(&caller, "publish assessments")?;
    let (plan_id, id) = path.into_inner();
    let actor = Actor::new(&caller, &request_id);
    let row = db
        .write(move |conn| {
            require_published(&load_plan(conn, &plan_id)?)?;
            let mut row = queries::find(conn, &plan_id, &id)?.ok_or_else(|| {
                Problem::not_found(format!("plan {plan_id} has no assessment {id}"))
            })?;
            if row.status != "draft" {
                return Err(
                    Problem::conflict(format!("assessment {id} is already published")).into(),
                );
            }
            let other = queries::list(conn, &plan_id)?.into_iter().find(|a| {
                a.status == "published" && a.indicator == row.indicator && a.period == row.period
            });
            if let Some(other) = other {
                return Err(Problem::conflict(format!(
                    "assessment {} already stands as the published {} assessment for {}",
                    other.id, other.indicator, other.period
                ))
                .with_errors(vec![FieldError::new(
                    "assessment_id",
                    "unique_published",
                    "one published assessment per indicator and year",
                )])
                .into());
            }
            let before = view(&row);
            row.status = "published".to_owned();
            row.published_by = Some(actor.subject.clone());
            row.published_at = Some(now());
            if !queries::save_draft(conn, &row)? {
                return Err(Problem::conflict("the assessment changed meanwhile; retry").into());
            }
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "assessment",
                    entity_key: &row.plan_id,
                    action: "publish",
                    reason: None,
                    before: Some(json(&before)),
                    after: Some(json(&view(&row))),
                },
            )?;
            Ok::<_, AllocationError>(row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&row)))
}

/// 409 unless the plan is published: an assessment of a draft (whose targets may still
/// change) is a preview, and a closed plan is read-only, so neither publishes one.
fn require_published(plan: &crate::db::plans::PlanRow) -> Result<(), Problem> {
    match super::plans::status_of(plan) {
        PlanStatus::Published => Ok(()),
        other => Err(Problem::conflict(format!(
            "plan {} is {}; assessments are published on a published plan",
            plan.id,
            other.key()
        ))),
    }
}
