//! Plans (规划/工作方案) and their indicators (指标): create, list, read, update while draft,
//! publish, close.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{
    BadRequest, Conflict, NotFound, PreconditionFailed, PreconditionRequired, UnprocessableEntity,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, etag_header};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::plans::{self as queries, IndicatorRow, PlanRow};
use crate::db::targets;
use crate::domain::plan::{
    Aggregation, Comparator, DataSource, Measure, PlanStatus, check_indicator_key, check_period,
    check_plan_id, check_text, parse_target_period,
};
use crate::domain::tree::{TargetValue, violations};
use crate::error::AllocationError;

// ---- shapes -------------------------------------------------------------------------------

/// An indicator (指标) of a plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable key (指标代码), snake_case.
    #[schema(example = "hte_count")]
    pub key: String,
    /// Name in Chinese (指标名称).
    #[schema(example = "高新技术企业总数")]
    pub name_zh: String,
    /// Name in English.
    #[schema(example = "Valid HTEs in the province")]
    pub name_en: String,
    /// Unit (单位): `enterprises`, `patents`, `ratio` (a decimal 0–1), …
    #[schema(example = "enterprises")]
    pub unit: String,
    /// How the actual value is compared with the target (比较方式).
    pub comparator: Comparator,
    /// Target value (目标值) for the whole plan; ratios as decimals 0–1. Null when the plan
    /// text sets no number.
    #[schema(example = 30000)]
    pub target_value: Option<f64>,
    /// Where the actual value comes from (数据来源).
    pub source: DataSource,
    /// Whether targets are split by region (可分解到地区): province → city → county.
    pub splittable: bool,
    /// The registry statistic giving the actual value per region (for progress); only for
    /// registry indicators.
    #[serde(default)]
    pub measure: Option<Measure>,
    /// How per-period targets accumulate (累计方式); default `stock`.
    #[serde(default = "default_aggregation")]
    pub aggregation: Aggregation,
}

fn default_aggregation() -> Aggregation {
    Aggregation::Stock
}

/// A plan (规划/工作方案).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    /// Readable stable id (规划代码), e.g. `jiangsu-2019-57`.
    #[schema(example = "jiangsu-2019-57")]
    pub id: String,
    /// Name (名称).
    #[schema(example = "江苏省高新技术企业培育“小升高”行动工作方案(2019-2020年)")]
    pub name: String,
    /// Name in English.
    pub name_en: Option<String>,
    /// Document number (文号).
    #[schema(example = "苏政办发〔2019〕57号")]
    pub document_no: Option<String>,
    /// First day of the plan period (起始日期).
    pub starts_on: NaiveDate,
    /// Last day of the plan period (截止日期).
    pub ends_on: NaiveDate,
    /// Status (状态).
    pub status: PlanStatus,
    /// Indicators (指标), in order.
    pub indicators: Vec<Indicator>,
    /// Version of the plan record; the ETag is `"v<version>"`.
    pub version: i32,
    /// Current version of the target tree (目标树版本).
    pub tree_version: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub updated_at: NaiveDateTime,
    /// When it was published (发布时间).
    #[serde(with = "hte_shared::time::utc::option")]
    pub published_at: Option<NaiveDateTime>,
    /// When it was closed (结束时间).
    #[serde(with = "hte_shared::time::utc::option")]
    pub closed_at: Option<NaiveDateTime>,
}

/// Body of `POST /plans`. The plan starts as a draft with an empty target tree.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// Readable stable id: 3–64 lowercase letters, digits and hyphens.
    #[schema(example = "jiangsu-2021-2025")]
    pub id: String,
    /// Name (名称), 2–200 characters.
    pub name: String,
    pub name_en: Option<String>,
    /// Document number (文号).
    pub document_no: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// At least one indicator; keys unique.
    pub indicators: Vec<Indicator>,
}

/// Body of `PATCH /plans/{id}` (draft plans only). Absent fields are unchanged;
/// `indicators`, when given, replaces the whole list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>)]
    pub name_en: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>)]
    pub document_no: Option<Option<String>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub starts_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub ends_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub indicators: Option<Vec<Indicator>>,
}

// ---- helpers shared by the plan routes ----------------------------------------------------

pub(crate) fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// 409 when the plan is closed (read-only); `consequence` says what that means here.
pub(crate) fn refuse_closed(plan: &PlanRow, consequence: &str) -> Result<(), Problem> {
    if status_of(plan) == PlanStatus::Closed {
        Err(Problem::conflict(format!(
            "plan {} is closed{consequence}",
            plan.id
        )))
    } else {
        Ok(())
    }
}

pub(crate) fn status_of(row: &PlanRow) -> PlanStatus {
    PlanStatus::from_key(&row.status).unwrap_or(PlanStatus::Draft)
}

pub(crate) fn indicator_view(row: &IndicatorRow) -> Indicator {
    Indicator {
        key: row.indicator_key.clone(),
        name_zh: row.name_zh.clone(),
        name_en: row.name_en.clone(),
        unit: row.unit.clone(),
        comparator: Comparator::from_key(&row.comparator).unwrap_or(Comparator::AtLeast),
        target_value: row.target_value.as_deref().and_then(|v| v.parse().ok()),
        source: DataSource::from_key(&row.source).unwrap_or(DataSource::Registry),
        splittable: row.splittable,
        measure: row.measure.as_deref().and_then(Measure::from_key),
        aggregation: Aggregation::from_key(&row.aggregation).unwrap_or(Aggregation::Stock),
    }
}

pub(crate) fn plan_view(row: &PlanRow, indicators: &[IndicatorRow]) -> PlanView {
    PlanView {
        id: row.id.clone(),
        name: row.name.clone(),
        name_en: row.name_en.clone(),
        document_no: row.document_no.clone(),
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        status: status_of(row),
        indicators: indicators.iter().map(indicator_view).collect(),
        version: row.version,
        tree_version: row.tree_version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        published_at: row.published_at,
        closed_at: row.closed_at,
    }
}

/// The plan, or 404.
pub(crate) fn load_plan(conn: &mut DbConnection, id: &str) -> Result<PlanRow, AllocationError> {
    queries::find(conn, id)?
        .ok_or_else(|| Problem::not_found(format!("no plan with id {id:?}")).into())
}

/// 403 unless the caller is the province: plans, publication and assessments are the
/// province's (省科技厅).
pub(crate) fn require_province(caller: &Caller, what: &str) -> Result<(), Problem> {
    caller.require_writer()?;
    if caller.role == Role::Province {
        Ok(())
    } else {
        Err(Problem::forbidden(format!(
            "only the province (省科技厅) may {what}"
        )))
    }
}

fn validated<T>(errors: Vec<FieldError>, value: T) -> Result<T, Problem> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Problem::validation(errors))
    }
}

fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    check_text(value, 1, max)
        .map_err(|e| errors.push(FieldError::new(field, "length", format!("{field} {e}"))))
        .ok()
}

/// Checks an indicator list and turns it into rows.
fn indicator_rows(
    plan_id: &str,
    list: &[Indicator],
    errors: &mut Vec<FieldError>,
) -> Vec<IndicatorRow> {
    if list.is_empty() {
        errors.push(FieldError::new(
            "indicators",
            "required",
            "a plan needs at least one indicator",
        ));
    }
    let mut rows = Vec::new();
    for (i, ind) in list.iter().enumerate() {
        let field = |name: &str| format!("indicators[{i}].{name}");
        if let Err(e) = check_indicator_key(&ind.key) {
            errors.push(FieldError::new(field("key"), "format", e));
        }
        if list[..i].iter().any(|other| other.key == ind.key) {
            errors.push(FieldError::new(
                field("key"),
                "unique",
                format!("indicator key {:?} appears twice", ind.key),
            ));
        }
        let mut text = |name: &str, value: &str, max: usize| {
            check_text(value, 1, max)
                .map_err(|e| {
                    errors.push(FieldError::new(
                        field(name),
                        "length",
                        format!("{name} {e}"),
                    ))
                })
                .unwrap_or_default()
        };
        let name_zh = text("name_zh", &ind.name_zh, 200);
        let name_en = text("name_en", &ind.name_en, 200);
        let unit = text("unit", &ind.unit, 32);
        if let Some(v) = ind.target_value {
            let ok = v.is_finite() && v >= 0.0 && (unit != "ratio" || v <= 1.0);
            if !ok {
                errors.push(FieldError::new(
                    field("target_value"),
                    "range",
                    "target_value must be a non-negative number (a ratio between 0 and 1)",
                ));
            }
        }
        if ind.splittable && unit == "ratio" {
            errors.push(FieldError::new(
                field("splittable"),
                "splittable_counts_only",
                "only counts can be split by region; a ratio cannot be added up",
            ));
        }
        if ind.measure.is_some() && ind.source != DataSource::Registry {
            errors.push(FieldError::new(
                field("measure"),
                "registry_only",
                "measure names a registry statistic; it needs source = registry",
            ));
        }
        rows.push(IndicatorRow {
            plan_id: plan_id.to_owned(),
            indicator_key: ind.key.clone(),
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            name_zh,
            name_en,
            unit,
            comparator: ind.comparator.key().to_owned(),
            target_value: ind.target_value.map(|v| v.to_string()),
            source: ind.source.key().to_owned(),
            splittable: ind.splittable,
            measure: ind.measure.map(|m| m.key().to_owned()),
            aggregation: ind.aggregation.key().to_owned(),
        });
    }
    rows
}

// ---- handlers -----------------------------------------------------------------------------

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
    require_province(&caller, "create plans")?;
    let new = body.into_inner();
    let mut errors = Vec::new();
    if let Err(e) = check_plan_id(&new.id) {
        errors.push(FieldError::new("id", "format", e));
    }
    let name = check_text(&new.name, 2, 200)
        .map_err(|e| errors.push(FieldError::new("name", "length", format!("name {e}"))))
        .unwrap_or_default();
    let name_en = optional_text("name_en", new.name_en.as_deref(), 200, &mut errors);
    let document_no = optional_text("document_no", new.document_no.as_deref(), 100, &mut errors);
    if let Err(e) = check_period(new.starts_on, new.ends_on) {
        errors.push(FieldError::new("ends_on", "period", e));
    }
    let indicators = indicator_rows(&new.id, &new.indicators, &mut errors);
    validated(errors, ())?;
    let request = json(&new);
    let at = now();
    let row = PlanRow {
        id: new.id.clone(),
        name,
        name_en,
        document_no,
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        status: PlanStatus::Draft.key().to_owned(),
        version: 1,
        tree_version: 0,
        created_at: at,
        updated_at: at,
        published_at: None,
        closed_at: None,
    };
    create_once(
        &db,
        Actor::new(&caller, &request_id),
        key.0,
        "POST /api/v1/plans".to_owned(),
        request,
        move |conn, actor| {
            if queries::find(conn, &row.id)?.is_some() {
                return Err(Problem::conflict(format!(
                    "a plan with id {:?} already exists",
                    row.id
                ))
                .into());
            }
            queries::insert(conn, &row)?;
            queries::replace_indicators(conn, &row.id, &indicators)?;
            let view = plan_view(&row, &indicators);
            audit::append(
                conn,
                actor,
                Change {
                    entity_type: "plan",
                    entity_key: &row.id,
                    action: "create",
                    reason: None,
                    before: None,
                    after: Some(json(&view)),
                },
            )?;
            Ok(Created {
                status: StatusCode::CREATED,
                body: json(&view),
                location: Some(format!("/api/v1/plans/{}", row.id)),
            })
        },
    )
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
    let page = page.parse::<String>()?;
    let result = db
        .read(move |conn| {
            let rows = queries::list(conn, page.after.as_deref(), i64::from(page.limit) + 1)?;
            let mut views = Vec::with_capacity(rows.len());
            for row in &rows {
                let indicators = queries::indicators_of(conn, &row.id)?;
                views.push(plan_view(row, &indicators));
            }
            Ok::<_, AllocationError>(Page::from_rows(views, page.limit, |v| v.id.clone()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
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
    let id = path.into_inner();
    let view = db
        .read(move |conn| {
            let row = load_plan(conn, &id)?;
            let indicators = queries::indicators_of(conn, &id)?;
            Ok::<_, AllocationError>(plan_view(&row, &indicators))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view))
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
    require_province(&caller, "change plans")?;
    let id = path.into_inner();
    let patch = body.into_inner();
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| {
            let before = load_plan(conn, &id)?;
            if_match.check(before.version)?;
            if status_of(&before) != PlanStatus::Draft {
                return Err(Problem::conflict(format!(
                    "plan {id} is {}; only a draft plan can be edited (targets of a published \
                     plan change through adjustments)",
                    before.status
                ))
                .into());
            }
            let before_indicators = queries::indicators_of(conn, &id)?;
            let before_view = plan_view(&before, &before_indicators);
            let mut errors = Vec::new();
            let mut after = before.clone();
            if let Some(name) = &patch.name {
                after.name = check_text(name, 2, 200)
                    .map_err(|e| {
                        errors.push(FieldError::new("name", "length", format!("name {e}")))
                    })
                    .unwrap_or_default();
            }
            if let Some(name_en) = &patch.name_en {
                after.name_en = optional_text("name_en", name_en.as_deref(), 200, &mut errors);
            }
            if let Some(document_no) = &patch.document_no {
                after.document_no =
                    optional_text("document_no", document_no.as_deref(), 100, &mut errors);
            }
            after.starts_on = patch.starts_on.unwrap_or(before.starts_on);
            after.ends_on = patch.ends_on.unwrap_or(before.ends_on);
            if let Err(e) = check_period(after.starts_on, after.ends_on) {
                errors.push(FieldError::new("ends_on", "period", e));
            }
            let indicators = match &patch.indicators {
                Some(list) => indicator_rows(&id, list, &mut errors),
                None => before_indicators.clone(),
            };
            validated(errors, ())?;
            // Targets already set must stay valid: their indicator splittable, their period
            // inside the plan.
            let current = targets::targets_at(conn, &id, before.tree_version)?;
            for t in &current {
                let still = indicators
                    .iter()
                    .any(|i| i.indicator_key == t.indicator && i.splittable);
                if !still {
                    return Err(Problem::conflict(format!(
                        "targets exist for indicator {}; it must stay in the plan and splittable",
                        t.indicator
                    ))
                    .into());
                }
                if parse_target_period(&t.period, after.starts_on, after.ends_on).is_err() {
                    return Err(Problem::conflict(format!(
                        "targets exist for period {}, which the new plan period would leave out",
                        t.period
                    ))
                    .into());
                }
            }
            if json(&plan_view(&after, &indicators)) == json(&before_view) {
                // Nothing to change: no new version, so other clients' ETags stay good.
                return Ok(before_view);
            }
            after.version = before.version + 1;
            after.updated_at = now();
            if !queries::update_if_version(conn, &after, before.version)? {
                return Err(Problem::precondition_failed(
                    "the plan changed while this update was being applied; read it again",
                )
                .into());
            }
            if patch.indicators.is_some() {
                queries::replace_indicators(conn, &id, &indicators)?;
            }
            let view = plan_view(&after, &indicators);
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "plan",
                    entity_key: &id,
                    action: "update",
                    reason: None,
                    before: Some(json(&before_view)),
                    after: Some(json(&view)),
                },
            )?;
            Ok::<_, AllocationError>(view)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view))
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
    require_province(&caller, "publish plans")?;
    transition(
        db,
        caller,
        request_id,
        path.into_inner(),
        if_match,
        PlanStatus::Published,
    )
    .await
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
    require_province(&caller, "close plans")?;
    transition(
        db,
        caller,
        request_id,
        path.into_inner(),
        if_match,
        PlanStatus::Closed,
    )
    .await
}

async fn transition(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    id: String,
    if_match: IfMatch,
    to: PlanStatus,
) -> Result<HttpResponse, AllocationError> {
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| {
            let before = load_plan(conn, &id)?;
            if_match.check_if_sent(before.version)?;
            let from = status_of(&before);
            let allowed = matches!(
                (from, to),
                (PlanStatus::Draft, PlanStatus::Published)
                    | (PlanStatus::Published, PlanStatus::Closed)
            );
            if !allowed {
                return Err(Problem::conflict(format!(
                    "plan {id} is {}; it cannot become {} (draft → published → closed)",
                    from.key(),
                    to.key()
                ))
                .into());
            }
            if to == PlanStatus::Published {
                let values = tree_values(&targets::targets_at(conn, &id, before.tree_version)?);
                let broken = violations(&values);
                if !broken.is_empty() {
                    let errors = broken
                        .iter()
                        .map(|v| FieldError::new(v.field(), "children_sum", v.message()))
                        .collect();
                    return Err(Problem::unprocessable(format!(
                        "plan {id} cannot be published: in {} place(s) the children's targets do \
                         not add up to their region's target; first: {}",
                        broken.len(),
                        broken[0].message()
                    ))
                    .with_errors(errors)
                    .into());
                }
            }
            let indicators = queries::indicators_of(conn, &id)?;
            let mut after = before.clone();
            after.status = to.key().to_owned();
            after.version = before.version + 1;
            after.updated_at = now();
            match to {
                PlanStatus::Published => after.published_at = Some(after.updated_at),
                PlanStatus::Closed => after.closed_at = Some(after.updated_at),
                PlanStatus::Draft => {}
            }
            if !queries::update_if_version(conn, &after, before.version)? {
                return Err(Problem::conflict("the plan changed meanwhile; retry").into());
            }
            let view = plan_view(&after, &indicators);
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "plan",
                    entity_key: &id,
                    action: if to == PlanStatus::Published {
                        "publish"
                    } else {
                        "close"
                    },
                    reason: None,
                    before: Some(json(&plan_view(&before, &indicators))),
                    after: Some(json(&view)),
                },
            )?;
            Ok::<_, AllocationError>(view)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view))
}

/// Target rows as the tree rules see them (rows with unknown region codes are skipped; the
/// API never stores one).
pub(crate) fn tree_values(rows: &[targets::TargetRow]) -> Vec<TargetValue> {
    rows.iter()
        .filter_map(|r| {
            Some(TargetValue {
                indicator: r.indicator.clone(),
                region: hte_shared::regions::RegionCode::parse(&r.region_code).ok()?,
                period: r.period.clone(),
                value: r.value,
            })
        })
        .collect()
}
