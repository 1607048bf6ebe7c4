//! Allocations (任务分解): a proposed split of one region's target among its children, made
//! by a method (manual, proportional to a baseline, proportional with minimums), and accepted
//! into the tree by a second call so a person approves it.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{BadRequest, Conflict, NotFound, UnprocessableEntity};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::etag_header;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{now, today};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::plans::{json, load_plan, refuse_closed};
use super::progress::check_figures_date;
use super::targets::{
    TreeEdit, commit_tree_edit, current_value, parse_region, require_split_right,
    splittable_indicator,
};
use crate::clients::registry::{RegistryClient, StatisticsQuery};
use crate::db::allocations::{self as queries, AllocationRow};
use crate::db::plans as plan_queries;
use crate::db::targets::TargetChange;
use crate::domain::apportionment::{ApportionError, Method, apportion_detailed};
use crate::domain::plan::{Measure, check_reason, parse_target_period};
use crate::error::AllocationError;

// ---- shapes -------------------------------------------------------------------------------

/// Splitting method (分解方法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// 手工: one share per child in `shares`, adding up to the parent.
    Manual,
    /// 按基数比例: largest-remainder split in proportion to the baseline.
    Proportional,
    /// 按基数比例并设保底: as proportional, but no child below its entry in `minimums`.
    ProportionalWithMinimums,
}

/// What the proportional methods are proportional to (分解基数).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// Valid HTEs on `baseline_as_of`, from the registry (现有高企数).
    Hte,
    /// Firms in the cultivation pool on `baseline_as_of`, from the registry (入库企业数).
    Pool,
    /// Tech-SME registrations in `baseline_as_of`'s year, from the registry (科技型中小企业数).
    TechSme,
    /// The weights given in `weights` (自定权重).
    Weights,
}

impl Baseline {
    fn measure(self) -> Option<Measure> {
        match self {
            Self::Hte => Some(Measure::Hte),
            Self::Pool => Some(Measure::Pool),
            Self::TechSme => Some(Measure::TechSme),
            Self::Weights => None,
        }
    }
}

/// Body of `POST /plans/{id}/allocations`. Maps are keyed by child region code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAllocation {
    /// A splittable indicator of the plan.
    #[schema(example = "hte_count")]
    pub indicator: String,
    /// A year within the plan period.
    #[schema(example = "2020")]
    pub period: String,
    /// The region whose target is split among its children (the province or a city).
    #[schema(example = "320000")]
    pub region_code: String,
    pub method: MethodKind,
    /// Required for the proportional methods.
    pub baseline: Option<Baseline>,
    /// Date of the registry baseline (default today).
    pub baseline_as_of: Option<NaiveDate>,
    /// Weight per child (baseline `weights`): every child, each 0 or more.
    #[schema(value_type = Option<Object>, example = json!({"320100": 5, "320200": 3}))]
    pub weights: Option<BTreeMap<String, u64>>,
    /// Share per child (method `manual`): every child, adding up to the parent's target.
    #[schema(value_type = Option<Object>)]
    pub shares: Option<BTreeMap<String, i64>>,
    /// Minimum per child (method `proportional_with_minimums`); children left out have 0.
    #[schema(value_type = Option<Object>)]
    pub minimums: Option<BTreeMap<String, i64>>,
}

/// One child's line of a proposal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AllocationChild {
    #[schema(example = "320500")]
    pub region_code: String,
    /// Region name (地区名称).
    pub name: String,
    /// Its weight (基数), for proportional methods.
    pub weight: Option<u64>,
    /// Its minimum (保底数), for proportional_with_minimums.
    pub minimum: Option<i64>,
    /// Exact quota before rounding (精确份额), for display.
    pub quota: f64,
    /// The proposed whole share (分解目标).
    pub share: i64,
    /// Held at its minimum because its quota fell below it.
    pub forced_to_minimum: bool,
    /// Its current target in the tree, if any.
    pub current: Option<i64>,
}

/// A proposed split (分解方案).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AllocationView {
    /// Proposal id.
    pub id: String,
    pub plan_id: String,
    pub indicator: String,
    pub period: String,
    /// The region split (被分解地区).
    pub region_code: String,
    /// Its target when proposed; the shares add up to it exactly.
    pub parent_value: i64,
    pub method: MethodKind,
    pub baseline: Option<Baseline>,
    pub baseline_as_of: Option<NaiveDate>,
    pub children: Vec<AllocationChild>,
    /// `proposed`, `accepted` or `superseded` (another proposal for the same split was
    /// accepted).
    pub status: String,
    /// Tree version when proposed.
    pub base_tree_version: i32,
    /// Tree version it created when accepted.
    pub accepted_tree_version: Option<i32>,
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    pub decided_by: Option<String>,
    #[serde(with = "hte_shared::time::utc::option")]
    pub decided_at: Option<NaiveDateTime>,
}

/// Body of `POST …/allocations/{allocation_id}/accept`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// Why (理由), 2–500 characters; kept with the new tree version.
    #[schema(example = "经省厅党组会研究同意")]
    pub reason: String,
}

/// What a proposal stores besides its rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredRequest {
    method: MethodKind,
    baseline: Option<Baseline>,
    baseline_as_of: Option<NaiveDate>,
}

fn view(row: &AllocationRow) -> AllocationView {
    let stored: Option<StoredRequest> = serde_json::from_str(&row.request_json).ok();
    AllocationView {
        id: row.id.clone(),
        plan_id: row.plan_id.clone(),
        indicator: row.indicator.clone(),
        period: row.period.clone(),
        region_code: row.parent_code.clone(),
        parent_value: row.parent_value,
        method: stored.as_ref().map_or(MethodKind::Manual, |s| s.method),
        baseline: stored.as_ref().and_then(|s| s.baseline),
        baseline_as_of: stored.as_ref().and_then(|s| s.baseline_as_of),
        children: serde_json::from_str(&row.children_json).unwrap_or_default(),
        status: row.status.clone(),
        base_tree_version: row.base_tree_version,
        accepted_tree_version: row.accepted_tree_version,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        decided_by: row.decided_by.clone(),
        decided_at: row.decided_at,
    }
}

/// Turns a per-child map into a vector in child order, naming unknown and missing children.
/// Largest weight accepted (10^12: a region's output in yuan fits; products stay exact).
const MAX_WEIGHT: u64 = 1_000_000_000_000;

fn per_child<T: Copy>(
    field: &str,
    map: &BTreeMap<String, T>,
    children: &[RegionCode],
    default: Option<T>,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    for key in map.keys() {
        if !children.iter().any(|c| c.to_string() == *key) {
            errors.push(FieldError::new(
                format!("{field}.{key}"),
                "child",
                format!("{key} is not a child region of the region being split"),
            ));
        }
    }
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        match map.get(&child.to_string()).copied().or(default) {
            Some(v) => out.push(v),
            None => errors.push(FieldError::new(
                format!("{field}.{child}"),
                "required",
                format!("{field} needs an entry for every child; {child} is missing"),
            )),
        }
    }
    out
}

fn apportion_problem(
    error: &ApportionError,
    method: MethodKind,
    children: &[RegionCode],
) -> Problem {
    let list_field = match method {
        MethodKind::Manual => "shares",
        _ => "minimums",
    };
    let field = match error {
        ApportionError::NegativeValue { .. } => error
            .child()
            .and_then(|i| children.get(i))
            .map_or(list_field.to_owned(), |c| format!("{list_field}.{c}")),
        ApportionError::ManualSumMismatch { .. } => "shares".to_owned(),
        ApportionError::MinimumsExceedParent { .. } => "minimums".to_owned(),
        ApportionError::ZeroWeights { .. } => "baseline".to_owned(),
        ApportionError::NoChildren { .. } => "region_code".to_owned(),
        _ => "method".to_owned(),
    };
    let rule = match error {
        ApportionError::NegativeValue { .. } => "non_negative",
        ApportionError::ManualSumMismatch { .. } => "sum",
        ApportionError::MinimumsExceedParent { .. } => "sum",
        ApportionError::ZeroWeights { .. } => "positive_weight",
        ApportionError::NoChildren { .. } => "has_children",
        _ => "apportionment",
    };
    // Messages speak of "child i"; name the region instead.
    let mut message = error.to_string();
    if let Some(code) = error.child().and_then(|i| children.get(i)) {
        message = message.replace(
            &format!("child {}", error.child().unwrap_or_default()),
            &format!("region {code}"),
        );
    }
    Problem::invalid_field(&field, rule, message)
}

// ---- handlers -----------------------------------------------------------------------------

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
    caller.require_writer()?;
    let plan_id = path.into_inner();
    let input = body.into_inner();
    let parent = parse_region("region_code", &input.region_code)?;
    require_split_right(&caller, &parent)?;
    let children: Vec<RegionCode> = regions::children(&parent).map(|r| r.code).collect();
    if children.is_empty() {
        return Err(Problem::invalid_field(
            "region_code",
            "has_children",
            format!("region {parent} has no child regions to split among"),
        )
        .into());
    }

    // The plan, the indicator and the parent's current target.
    let (plan, parent_value) = {
        let plan_id = plan_id.clone();
        let input = input.clone();
        db.read(move |conn| {
            let plan = load_plan(conn, &plan_id)?;
            let indicators = plan_queries::indicators_of(conn, &plan_id)?;
            splittable_indicator(&indicators, "indicator", &input.indicator)?;
            parse_target_period(&input.period, plan.starts_on, plan.ends_on)
                .map_err(|e| Problem::invalid_field("period", "period", e))?;
            let value = current_value(
                conn,
                &plan,
                &input.indicator,
                &parent.to_string(),
                &input.period,
            )?;
            Ok::<_, AllocationError>((plan, value))
        })
        .await?
    };
    refuse_closed(&plan, "")?;
    let Some(parent_value) = parent_value else {
        return Err(Problem::conflict(format!(
            "region {parent} has no {} target for {} yet; set it before splitting it",
            input.indicator, input.period
        ))
        .into());
    };

    // The method's inputs, per child in code order. An input the method does not use is
    // refused rather than silently ignored (a minimum sent with `proportional` would
    // otherwise look honoured).
    let mut errors = Vec::new();
    let manual = input.method == MethodKind::Manual;
    let weighted = input.baseline == Some(Baseline::Weights);
    for (field, sent, used) in [
        ("shares", input.shares.is_some(), manual),
        ("baseline", input.baseline.is_some(), !manual),
        (
            "baseline_as_of",
            input.baseline_as_of.is_some(),
            !manual && !weighted,
        ),
        ("weights", input.weights.is_some(), !manual && weighted),
        (
            "minimums",
            input.minimums.is_some(),
            input.method == MethodKind::ProportionalWithMinimums,
        ),
    ] {
        if sent && !used {
            errors.push(FieldError::new(
                field,
                "not_used",
                format!("{field} does not apply to this method and baseline; leave it out"),
            ));
        }
    }
    let baseline_as_of = input.baseline_as_of.unwrap_or_else(today);
    check_figures_date("baseline_as_of", baseline_as_of)?;
    let weights: Option<Vec<u64>> = match (input.method, input.baseline) {
        (MethodKind::Manual, _) => None,
        (_, None) => {
            errors.push(FieldError::new(
                "baseline",
                "required",
                "the proportional methods need a baseline: hte, pool, tech_sme or weights",
            ));
            None
        }
        (_, Some(Baseline::Weights)) => match &input.weights {
            Some(map) => {
                // Weights are documented as int64 and enter exact products: keep them sane.
                for (key, weight) in map {
                    if *weight > MAX_WEIGHT {
                        errors.push(FieldError::new(
                            format!("weights.{key}"),
                            "range",
                            format!("a weight is at most {MAX_WEIGHT}; got {weight}"),
                        ));
                    }
                }
                Some(per_child("weights", map, &children, None, &mut errors))
            }
            None => {
                errors.push(FieldError::new(
                    "weights",
                    "required",
                    "baseline weights needs a weight per child in weights",
                ));
                None
            }
        },
        (_, Some(baseline)) => {
            // Registry figures; no stale fallback: a proposal must rest on real figures.
            let measure = baseline.measure().unwrap_or(Measure::Hte);
            let from =
                NaiveDate::from_ymd_opt(baseline_as_of.year(), 1, 1).unwrap_or(baseline_as_of);
            let stats = registry
                .statistics(
                    &StatisticsQuery::children_of(parent, baseline_as_of, from, baseline_as_of),
                    &request_id,
                )
                .await?;
            Some(
                children
                    .iter()
                    .map(|c| {
                        stats
                            .items
                            .iter()
                            .find(|i| i.region_code == c.to_string())
                            .map_or(0, |i| u64::try_from(i.get(measure)).unwrap_or(0))
                    })
                    .collect(),
            )
        }
    };
    let method = match input.method {
        MethodKind::Manual => match &input.shares {
            Some(map) => Method::Manual {
                shares: per_child("shares", map, &children, None, &mut errors),
            },
            None => {
                errors.push(FieldError::new(
                    "shares",
                    "required",
                    "method manual needs a share per child in shares",
                ));
                Method::Manual { shares: vec![] }
            }
        },
        MethodKind::Proportional => Method::Proportional {
            weights: weights.clone().unwrap_or_default(),
        },
        MethodKind::ProportionalWithMinimums => Method::ProportionalWithMinimums {
            weights: weights.clone().unwrap_or_default(),
            minimums: match &input.minimums {
                Some(map) => per_child("minimums", map, &children, Some(0), &mut errors),
                None => {
                    errors.push(FieldError::new(
                        "minimums",
                        "required",
                        "method proportional_with_minimums needs minimums",
                    ));
                    vec![]
                }
            },
        },
    };
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let allocation = apportion_detailed(parent_value, children.len(), &method)
        .map_err(|e| apportion_problem(&e, input.method, &children))?;
    let minimums = match &method {
        Method::ProportionalWithMinimums { minimums, .. } => Some(minimums.clone()),
        _ => None,
    };

    let stored = StoredRequest {
        method: input.method,
        baseline: (input.method != MethodKind::Manual)
            .then_some(input.baseline)
            .flatten(),
        baseline_as_of: match input.baseline {
            Some(b) if b.measure().is_some() && input.method != MethodKind::Manual => {
                Some(baseline_as_of)
            }
            _ => None,
        },
    };
    let request = json(&input);
    let route = format!("POST /api/v1/plans/{plan_id}/allocations");
    let actor = Actor::new(&caller, &request_id);
    let created_by = caller.subject.clone();
    create_once(&db, actor, key.0, route, request, move |conn, actor| {
        // Re-read inside the transaction: the parent must not have moved meanwhile.
        let plan = load_plan(conn, &plan_id)?;
        let now_value = current_value(
            conn,
            &plan,
            &input.indicator,
            &parent.to_string(),
            &input.period,
        )?;
        if now_value != Some(parent_value) {
            return Err(Problem::conflict("the parent's target changed meanwhile; retry").into());
        }
        let current = crate::db::targets::targets_at(conn, &plan_id, plan.tree_version)?;
        let lines: Vec<AllocationChild> = children
            .iter()
            .enumerate()
            .map(|(i, code)| AllocationChild {
                region_code: code.to_string(),
                name: regions::find(code)
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                weight: weights.as_ref().and_then(|w| w.get(i).copied()),
                minimum: minimums.as_ref().and_then(|m| m.get(i).copied()),
                quota: allocation.quotas.get(i).copied().unwrap_or_default(),
                share: allocation.shares.get(i).copied().unwrap_or_default(),
                forced_to_minimum: allocation
                    .forced_to_minimum
                    .get(i)
                    .copied()
                    .unwrap_or(false),
                current: current
                    .iter()
                    .find(|t| {
                        t.indicator == input.indicator
                            && t.period == input.period
                            && t.region_code == code.to_string()
                    })
                    .map(|t| t.value),
            })
            .collect();
        let row = AllocationRow {
            id: uuid::Uuid::new_v4().to_string(),
            plan_id: plan_id.clone(),
            indicator: input.indicator.clone(),
            period: input.period.clone(),
            parent_code: parent.to_string(),
            parent_value,
            method: json(&stored.method).as_str().unwrap_or_default().to_owned(),
            request_json: json(&stored).to_string(),
            children_json: json(&lines).to_string(),
            status: "proposed".to_owned(),
            base_tree_version: plan.tree_version,
            accepted_tree_version: None,
            created_by,
            created_at: now(),
            decided_by: None,
            decided_at: None,
        };
        queries::insert(conn, &row)?;
        let view = view(&row);
        audit::append(
            conn,
            actor,
            Change {
                entity_type: "allocation",
                entity_key: &row.plan_id,
                action: "propose",
                reason: None,
                before: None,
                after: Some(json(&view)),
            },
        )?;
        Ok(Created {
            status: StatusCode::CREATED,
            body: json(&view),
            location: Some(format!(
                "/api/v1/plans/{}/allocations/{}",
                row.plan_id, row.id
            )),
        })
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
    let plan_id = path.into_inner();
    // The cursor names its plan: one from another plan's list is refused, not an empty page.
    let page = page.parse::<(String, NaiveDateTime, String)>()?;
    let after = match page.after {
        Some((cursor_plan, at, id)) if cursor_plan == plan_id => Some((at, id)),
        Some(_) => {
            return Err(Problem::invalid_field(
                "cursor",
                "format",
                "the cursor belongs to another plan's list; start again without it",
            )
            .into());
        }
        None => None,
    };
    // City and county officials see the splits of regions in their own subtree.
    let parents: Option<Vec<String>> = caller.read_scope().map(|scope| {
        hte_shared::regions::subtree(scope)
            .map(|r| r.code.to_string())
            .collect()
    });
    let result = db
        .read(move |conn| {
            load_plan(conn, &plan_id)?;
            let rows = queries::list(
                conn,
                &plan_id,
                parents.as_deref(),
                after,
                i64::from(page.limit) + 1,
            )?;
            let views: Vec<AllocationView> = rows.iter().map(view).collect();
            Ok::<_, AllocationError>(Page::from_rows(views, page.limit, |v| {
                (v.plan_id.clone(), v.created_at, v.id.clone())
            }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
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
    let (plan_id, allocation_id) = path.into_inner();
    let row = db
        .read(move |conn| {
            load_plan(conn, &plan_id)?;
            // Another region's proposal looks absent, as in the registry.
            queries::find(conn, &plan_id, &allocation_id)?
                .filter(|row| {
                    RegionCode::parse(&row.parent_code).is_ok_and(|parent| caller.may_read(&parent))
                })
                .ok_or_else(|| {
                    AllocationError::from(Problem::not_found(format!(
                        "plan {plan_id} has no proposal {allocation_id}"
                    )))
                })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&row)))
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
    caller.require_writer()?;
    let (plan_id, allocation_id) = path.into_inner();
    let reason =
        check_reason(&body.0.reason).map_err(|e| Problem::invalid_field("reason", "length", e))?;
    let actor = Actor::new(&caller, &request_id);
    let (row, version) = db
        .write(move |conn| {
            let plan = load_plan(conn, &plan_id)?;
            let mut row = queries::find(conn, &plan_id, &allocation_id)?.ok_or_else(|| {
                Problem::not_found(format!("plan {plan_id} has no proposal {allocation_id}"))
            })?;
            let parent = parse_region("region_code", &row.parent_code)?;
            require_split_right(&caller, &parent)?;
            if row.status != "proposed" {
                return Err(Problem::conflict(format!(
                    "proposal {allocation_id} is {}; only a proposed split can be accepted",
                    row.status
                ))
                .into());
            }
            let now_value =
                current_value(conn, &plan, &row.indicator, &row.parent_code, &row.period)?;
            if now_value != Some(row.parent_value) {
                return Err(Problem::conflict(format!(
                    "region {}'s target is now {}, not the {} this proposal split; propose again",
                    row.parent_code,
                    now_value.map_or("unset".to_owned(), |v| v.to_string()),
                    row.parent_value
                ))
                .into());
            }
            let before = view(&row);
            let changes = before
                .children
                .iter()
                .map(|c| TargetChange {
                    indicator: row.indicator.clone(),
                    region_code: c.region_code.clone(),
                    period: row.period.clone(),
                    value: c.share,
                })
                .collect();
            let version = commit_tree_edit(
                conn,
                &plan,
                &actor,
                TreeEdit {
                    kind: "allocation",
                    reason: reason.clone(),
                    allocation_id: Some(row.id.clone()),
                    changes,
                },
            )?;
            row.status = "accepted".to_owned();
            row.accepted_tree_version = Some(version.version);
            row.decided_by = Some(actor.subject.clone());
            row.decided_at = Some(now());
            queries::save(conn, &row)?;
            queries::supersede_others(conn, &row)?;
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "allocation",
                    entity_key: &row.plan_id,
                    action: "accept",
                    reason: Some(&reason),
                    before: Some(json(&before)),
                    after: Some(json(&view(&row))),
                },
            )?;
            Ok::<_, AllocationError>((row, version.version))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(version))
        .json(view(&row)))
}
