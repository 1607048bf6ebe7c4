//! The target tree (目标树) of a plan: province → city → county, per indicator and period.
//! Every change makes a new tree version with its actor and reason; older versions stay
//! readable with `?version=`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDateTime;
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::json::Json;
use hte_shared::openapi::{
    BadRequest, Conflict, NotFound, PreconditionFailed, PreconditionRequired,
};
use hte_shared::preconditions::{IfMatch, etag_header};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::plans::{load_plan, refuse_closed, status_of, tree_values};
use crate::db::plans::{self as plan_queries, IndicatorRow, PlanRow};
use crate::db::targets::{self as queries, TargetChange, TargetRow, TreeVersionRow};
use crate::domain::plan::{PlanStatus, check_reason, parse_target_period};
use crate::domain::tree::{children_sums, violations};
use crate::error::AllocationError;

// ---- shapes -------------------------------------------------------------------------------

/// One target (目标) in the tree.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetView {
    #[schema(example = "jiangsu-2019-57")]
    pub plan_id: String,
    /// Indicator key (指标).
    #[schema(example = "hte_count")]
    pub indicator: String,
    /// Region (地区) code, GB/T 2260.
    #[schema(example = "320500")]
    pub region_code: String,
    /// Region name (地区名称).
    #[schema(example = "苏州市")]
    pub region_name: String,
    /// Level (层级).
    pub level: RegionLevel,
    /// Parent region (上级地区); absent for the province.
    pub parent_code: Option<String>,
    /// Period (考核期): a year.
    #[schema(example = "2020")]
    pub period: String,
    /// Target value (目标值).
    #[schema(example = 30000)]
    pub value: i64,
    /// Sum of the children's targets (下级合计) when the region is split, else absent.
    pub children_sum: Option<i64>,
    /// Whether the children add up exactly (平衡); absent when not split.
    pub balanced: Option<bool>,
    /// Tree version this value was set in.
    pub set_in_version: i32,
}

/// A version of the tree (目标树版本): who changed it, how and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TreeVersionView {
    pub version: i32,
    /// `seed`, `set` (draft edit), `allocation` (accepted proposal on a draft) or
    /// `adjustment` (any change to a published plan, 调整).
    pub kind: String,
    /// Why (理由).
    pub reason: String,
    /// Who (token subject).
    pub actor: String,
    pub actor_role: String,
    pub actor_region: String,
    /// The accepted proposal, for allocations.
    pub allocation_id: Option<String>,
    /// How many values changed.
    pub changes: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A plan's target tree at one version, as a flat list ordered by indicator, period and
/// region code (each entry names its parent, so the tree is easy to rebuild).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetTree {
    pub plan_id: String,
    /// The version shown.
    pub version: i32,
    /// The plan's current version (the ETag is `"v<current_version>"`).
    pub current_version: i32,
    /// The change that made this version (absent for version 0, the empty tree).
    pub change: Option<TreeVersionView>,
    /// Whether every split region's children add up to it (the publication rule).
    pub balanced: bool,
    /// Where they do not, by field `targets.<indicator>.<period>.<region>`.
    pub violations: Vec<FieldError>,
    pub targets: Vec<TargetView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TreeVersionList {
    /// Newest first.
    pub items: Vec<TreeVersionView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TreeParams {
    /// Tree version to show (default: current).
    version: Option<i32>,
    /// Only this indicator.
    indicator: Option<String>,
    /// Only this period.
    period: Option<String>,
    /// Only this region and the regions below it.
    region: Option<String>,
}

/// Body of `PUT /plans/{id}/targets/{region}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// A splittable indicator of the plan.
    #[schema(example = "hte_count")]
    pub indicator: String,
    /// A year within the plan period.
    #[schema(example = "2020")]
    pub period: String,
    /// Target value (目标值), 0 or more.
    #[schema(example = 30000, minimum = 0)]
    pub value: i64,
    /// Why (理由), 2–500 characters; kept with the new tree version.
    #[schema(example = "省政府确定2020年目标")]
    pub reason: String,
}

/// One value of an adjustment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentItem {
    #[schema(example = "hte_count")]
    pub indicator: String,
    #[schema(example = "320500")]
    pub region_code: String,
    #[schema(example = "2020")]
    pub period: String,
    #[schema(example = 6000, minimum = 0)]
    pub value: i64,
}

/// Body of `POST /plans/{id}/adjustments` (调整): several values changed together, so a
/// published tree can move from one balanced state to another.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Why (理由), 2–500 characters.
    pub reason: String,
    /// 1–500 changes.
    pub changes: Vec<AdjustmentItem>,
}

// ---- rules shared with allocations ---------------------------------------------------------

/// 403 unless the caller may split `parent`'s target among its children: the province
/// splits anything; a city splits only its own share among its counties; counties,
/// auditors and services never write targets.
pub(crate) fn require_split_right(caller: &Caller, parent: &RegionCode) -> Result<(), Problem> {
    caller.require_writer()?;
    match caller.role {
        Role::Province => Ok(()),
        Role::City if *parent == caller.region => Ok(()),
        Role::City => Err(Problem::forbidden(format!(
            "a city token for {} may split only its own share (region {}) among its counties, \
             not the target of region {parent}",
            caller.region, caller.region
        ))),
        _ => Err(Problem::forbidden(
            "county officials read targets; the province and the cities set and split them",
        )),
    }
}

/// 403 unless the caller may set `region`'s own target: that is splitting its parent.
pub(crate) fn require_set_right(caller: &Caller, region: &RegionCode) -> Result<(), Problem> {
    match regions::find(region).and_then(|r| r.parent) {
        Some(parent) => require_split_right(caller, &parent),
        None => {
            caller.require_writer()?;
            if caller.role == Role::Province {
                Ok(())
            } else {
                Err(Problem::forbidden(
                    "only the province sets the provincial target",
                ))
            }
        }
    }
}

/// A Jiangsu region code from a path or body, or a 400 naming `field`.
pub(crate) fn parse_region(field: &str, raw: &str) -> Result<RegionCode, Problem> {
    RegionCode::parse(raw)
        .ok()
        .filter(|c| regions::find(c).is_some())
        .ok_or_else(|| {
            Problem::invalid_field(
                field,
                "region_code",
                format!("{field} must be a Jiangsu region code (GB/T 2260); got {raw:?}"),
            )
        })
}

/// The plan's splittable indicator `key`, or a 400 naming `field`.
pub(crate) fn splittable_indicator(
    indicators: &[IndicatorRow],
    field: &str,
    key: &str,
) -> Result<IndicatorRow, Problem> {
    let found = indicators.iter().find(|i| i.indicator_key == key);
    match found {
        Some(i) if i.splittable => Ok(i.clone()),
        Some(_) => Err(Problem::invalid_field(
            field,
            "splittable",
            format!("indicator {key} is not split by region, so it has no target tree"),
        )),
        None => Err(Problem::invalid_field(
            field,
            "indicator",
            format!(
                "the plan has no indicator {key:?}; it has {}",
                indicators
                    .iter()
                    .map(|i| i.indicator_key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The current value of one target.
pub(crate) fn current_value(
    conn: &mut DbConnection,
    plan: &PlanRow,
    indicator: &str,
    region: &str,
    period: &str,
) -> Result<Option<i64>, AllocationError> {
    Ok(queries::targets_at(conn, &plan.id, plan.tree_version)?
        .into_iter()
        .find(|t| t.indicator == indicator && t.region_code == region && t.period == period)
        .map(|t| t.value))
}

/// A change to the tree, before it is applied.
pub(crate) struct TreeEdit {
    /// `set` or `allocation`; on a published plan every change is recorded as `adjustment`.
    pub kind: &'static str,
    pub reason: String,
    pub allocation_id: Option<String>,
    pub changes: Vec<TargetChange>,
}

/// Applies an edit as a new tree version inside the caller's transaction: refused on a
/// closed plan, and on a published plan when the result would break the sum rule (409
/// naming each region). Records the version and an audit entry. Returns the new version, or
/// the current one when the edit changes no value.
pub(crate) fn commit_tree_edit(
    conn: &mut DbConnection,
    plan: &PlanRow,
    actor: &Actor,
    edit: TreeEdit,
) -> Result<TreeVersionRow, AllocationError> {
    refuse_closed(plan, "; its targets are final")?;
    let status = status_of(plan);
    let before = queries::targets_at(conn, &plan.id, plan.tree_version)?;
    let version = plan.tree_version + 1;
    let changed = queries::apply(conn, &plan.id, version, &edit.changes)?;
    if changed == 0
        && let Some(current) = queries::find_version(conn, &plan.id, plan.tree_version)?
    {
        // Every value is already so: the current version stands, no empty version is added.
        return Ok(current);
    }
    if status == PlanStatus::Published {
        let after = queries::targets_at(conn, &plan.id, version)?;
        let broken = violations(&tree_values(&after));
        if !broken.is_empty() {
            let errors = broken
                .iter()
                .map(|v| FieldError::new(v.field(), "children_sum", v.message()))
                .collect();
            return Err(Problem::conflict(format!(
                "plan {} is published, so its tree must stay balanced; this change would break \
                 it in {} place(s), first: {}. Send all related values together in one \
                 adjustment (POST /api/v1/plans/{}/adjustments)",
                plan.id,
                broken.len(),
                broken[0].message(),
                plan.id
            ))
            .with_errors(errors)
            .into());
        }
    }
    let kind = if status == PlanStatus::Published {
        "adjustment"
    } else {
        edit.kind
    };
    let row = TreeVersionRow {
        plan_id: plan.id.clone(),
        version,
        kind: kind.to_owned(),
        reason: edit.reason.clone(),
        actor: actor.subject.clone(),
        actor_role: actor.role.clone(),
        actor_region: actor.region.clone(),
        allocation_id: edit.allocation_id.clone(),
        changes: changed,
        created_at: now(),
    };
    queries::insert_version(conn, &row)?;
    let old: Vec<serde_json::Value> = edit
        .changes
        .iter()
        .map(|c| {
            let value = before
                .iter()
                .find(|t| {
                    t.indicator == c.indicator && t.region_code == c.region_code && t.period == c.period
                })
                .map(|t| t.value);
            serde_json::json!({"indicator": c.indicator, "region_code": c.region_code, "period": c.period, "value": value})
        })
        .collect();
    let new: Vec<serde_json::Value> = edit
        .changes
        .iter()
        .map(|c| serde_json::json!({"indicator": c.indicator, "region_code": c.region_code, "period": c.period, "value": c.value}))
        .collect();
    audit::append(
        conn,
        actor,
        Change {
            entity_type: "target_tree",
            entity_key: &plan.id,
            action: kind,
            reason: Some(&edit.reason),
            before: Some(serde_json::json!({"version": plan.tree_version, "targets": old})),
            after: Some(serde_json::json!({"version": version, "targets": new})),
        },
    )?;
    Ok(row)
}

pub(crate) fn version_view(row: &TreeVersionRow) -> TreeVersionView {
    TreeVersionView {
        version: row.version,
        kind: row.kind.clone(),
        reason: row.reason.clone(),
        actor: row.actor.clone(),
        actor_role: row.actor_role.clone(),
        actor_region: row.actor_region.clone(),
        allocation_id: row.allocation_id.clone(),
        changes: row.changes,
        created_at: row.created_at,
    }
}

fn target_views(plan_id: &str, rows: &[TargetRow]) -> Vec<TargetView> {
    let values = tree_values(rows);
    let sums = children_sums(&values);
    rows.iter()
        .filter_map(|row| {
            let code = RegionCode::parse(&row.region_code).ok()?;
            let region = regions::find(&code)?;
            let children_sum = sums
                .get(&(row.indicator.clone(), row.period.clone(), code))
                .copied();
            Some(TargetView {
                plan_id: plan_id.to_owned(),
                indicator: row.indicator.clone(),
                region_code: row.region_code.clone(),
                region_name: region.name.clone(),
                level: region.level,
                parent_code: region.parent.map(|p| p.to_string()),
                period: row.period.clone(),
                value: row.value,
                children_sum,
                balanced: children_sum.map(|s| s == row.value),
                set_in_version: row.from_version,
            })
        })
        .collect()
}

fn check_value(field: &str, value: i64, errors: &mut Vec<FieldError>) {
    if !(0..=1_000_000_000_000).contains(&value) {
        errors.push(FieldError::new(
            field,
            "range",
            format!("{field} must be between 0 and 10^12; got {value}"),
        ));
    }
}

// ---- handlers -----------------------------------------------------------------------------

/// The target tree (目标树) at the current or an older version, with each split region's
/// children sum and whether it balances.
#[utoipa::path(
    tag = "targets",
    params(("id" = String, Path, description = "Plan id (规划代码)"), TreeParams),
    responses(
        (status = 200, description = "The tree", body = TargetTree, headers(("ETag" = String, description = "Current tree version; send in If-Match to change targets"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/{id}/targets")]
pub async fn get_targets(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<TreeParams>,
) -> Result<HttpResponse, AllocationError> {
    let id = path.into_inner();
    let params = params.into_inner();
    let region = match params.region.as_deref() {
        Some(raw) => Some(parse_region("region", raw)?),
        None => None,
    };
    // City and county officials see their own subtree (by default, and at most).
    let region = match (region, caller.read_scope()) {
        (Some(asked), Some(scope)) if !asked.is_within(scope) => {
            return Err(Problem::not_found(format!(
                "region {asked} is outside your region {scope}"
            ))
            .into());
        }
        (None, Some(scope)) => Some(*scope),
        (asked, _) => asked,
    };
    let tree = db
        .read(move |conn| {
            let plan = load_plan(conn, &id)?;
            let version = params.version.unwrap_or(plan.tree_version);
            if !(0..=plan.tree_version).contains(&version) {
                return Err(Problem::invalid_field(
                    "version",
                    "range",
                    format!(
                        "version must be between 0 and the current version {}",
                        plan.tree_version
                    ),
                )
                .into());
            }
            let rows = queries::targets_at(conn, &id, version)?;
            let broken: Vec<_> = violations(&tree_values(&rows))
                .into_iter()
                .filter(|v| region.is_none_or(|r| v.region.is_within(&r)))
                .collect();
            let change = queries::find_version(conn, &id, version)?
                .as_ref()
                .map(version_view);
            let targets = target_views(&id, &rows)
                .into_iter()
                .filter(|t| params.indicator.as_ref().is_none_or(|i| *i == t.indicator))
                .filter(|t| params.period.as_ref().is_none_or(|p| *p == t.period))
                .filter(|t| {
                    region.is_none_or(|r| {
                        RegionCode::parse(&t.region_code).is_ok_and(|c| c.is_within(&r))
                    })
                })
                .collect();
            Ok::<_, AllocationError>(TargetTree {
                plan_id: id,
                version,
                current_version: plan.tree_version,
                change,
                balanced: broken.is_empty(),
                violations: broken
                    .iter()
                    .map(|v| FieldError::new(v.field(), "children_sum", v.message()))
                    .collect(),
                targets,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(tree.current_version))
        .json(tree))
}

/// Every version of the tree, newest first: who changed it, how and why (目标调整记录).
#[utoipa::path(
    tag = "targets",
    params(("id" = String, Path, description = "Plan id (规划代码)")),
    responses(
        (status = 200, description = "Versions", body = TreeVersionList),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/{id}/targets/versions")]
pub async fn list_tree_versions(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AllocationError> {
    let id = path.into_inner();
    let items = db
        .read(move |conn| {
            load_plan(conn, &id)?;
            Ok::<_, AllocationError>(
                queries::versions_of(conn, &id)?
                    .iter()
                    .map(version_view)
                    .collect(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(TreeVersionList { items }))
}

/// Set one region's target for an indicator and period, as a new tree version. The province
/// sets the provincial and city targets; a city sets its counties' targets. On a published
/// plan this is an adjustment (调整) and must keep the tree balanced.
#[utoipa::path(
    tag = "targets",
    request_body = TargetInput,
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("region" = String, Path, description = "Region code (地区代码), GB/T 2260"),
        ("If-Match" = String, Header, description = "ETag of the tree from GET …/targets, e.g. \"v3\""),
    ),
    responses(
        (status = 200, description = "Set", body = TargetView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[put("/plans/{id}/targets/{region}")]
pub async fn put_target(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: Json<TargetInput>,
) -> Result<HttpResponse, AllocationError> {
    caller.require_writer()?;
    let (id, raw_region) = path.into_inner();
    let region = parse_region("region", &raw_region)?;
    require_set_right(&caller, &region)?;
    let input = body.into_inner();
    let mut errors = Vec::new();
    check_value("value", input.value, &mut errors);
    let reason = check_reason(&input.reason)
        .map_err(|e| errors.push(FieldError::new("reason", "length", e)))
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let actor = Actor::new(&caller, &request_id);
    let (view, version) = db
        .write(move |conn| {
            let plan = load_plan(conn, &id)?;
            let indicators = plan_queries::indicators_of(conn, &id)?;
            splittable_indicator(&indicators, "indicator", &input.indicator)?;
            parse_target_period(&input.period, plan.starts_on, plan.ends_on)
                .map_err(|e| Problem::invalid_field("period", "period", e))?;
            if_match.check(plan.tree_version)?;
            let row = commit_tree_edit(
                conn,
                &plan,
                &actor,
                TreeEdit {
                    kind: "set",
                    reason,
                    allocation_id: None,
                    changes: vec![TargetChange {
                        indicator: input.indicator.clone(),
                        region_code: region.to_string(),
                        period: input.period.clone(),
                        value: input.value,
                    }],
                },
            )?;
            let rows = queries::targets_at(conn, &id, row.version)?;
            let view = target_views(&id, &rows).into_iter().find(|t| {
                t.indicator == input.indicator
                    && t.region_code == region.to_string()
                    && t.period == input.period
            });
            let view = view.ok_or_else(Problem::internal)?;
            Ok::<_, AllocationError>((view, row.version))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(version))
        .json(view))
}

/// Change several targets at once as one new tree version (调整), e.g. raise the provincial
/// target and the cities' shares together so a published tree stays balanced. Each value
/// needs the same right as setting it alone.
#[utoipa::path(
    tag = "targets",
    request_body = Adjustment,
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("If-Match" = String, Header, description = "ETag of the tree from GET …/targets"),
    ),
    responses(
        (status = 200, description = "Applied", body = TreeVersionView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[post("/plans/{id}/adjustments")]
pub async fn post_adjustment(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<Adjustment>,
) -> Result<HttpResponse, AllocationError> {
    caller.require_writer()?;
    let id = path.into_inner();
    let input = body.into_inner();
    let mut errors = Vec::new();
    let reason = check_reason(&input.reason)
        .map_err(|e| errors.push(FieldError::new("reason", "length", e)))
        .unwrap_or_default();
    if !(1..=500).contains(&input.changes.len()) {
        errors.push(FieldError::new("changes", "length", "give 1–500 changes"));
    }
    let mut regions_of = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, c) in input.changes.iter().enumerate() {
        check_value(&format!("changes[{i}].value"), c.value, &mut errors);
        match parse_region(&format!("changes[{i}].region_code"), &c.region_code) {
            Ok(code) => regions_of.push(code),
            Err(p) => errors.extend(p.errors),
        }
        if seen
            .insert(
                (c.indicator.clone(), c.region_code.clone(), c.period.clone()),
                i,
            )
            .is_some()
        {
            errors.push(FieldError::new(
                format!("changes[{i}]"),
                "unique",
                "the same indicator, region and period appear twice",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    for code in &regions_of {
        require_set_right(&caller, code)?;
    }
    let actor = Actor::new(&caller, &request_id);
    let row = db
        .write(move |conn| {
            let plan = load_plan(conn, &id)?;
            let indicators = plan_queries::indicators_of(conn, &id)?;
            for (i, c) in input.changes.iter().enumerate() {
                splittable_indicator(
                    &indicators,
                    &format!("changes[{i}].indicator"),
                    &c.indicator,
                )?;
                parse_target_period(&c.period, plan.starts_on, plan.ends_on).map_err(|e| {
                    Problem::invalid_field(&format!("changes[{i}].period"), "period", e)
                })?;
            }
            if_match.check(plan.tree_version)?;
            let changes = input
                .changes
                .iter()
                .zip(&regions_of)
                .map(|(c, code)| TargetChange {
                    indicator: c.indicator.clone(),
                    region_code: code.to_string(),
                    period: c.period.clone(),
                    value: c.value,
                })
                .collect();
            commit_tree_edit(
                conn,
                &plan,
                &actor,
                TreeEdit {
                    kind: "set",
                    reason,
                    allocation_id: None,
                    changes,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(row.version))
        .json(version_view(&row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, region: &str) -> Caller {
        Caller {
            subject: "t".into(),
            role,
            region: RegionCode::parse(region).unwrap(),
        }
    }

    #[test]
    fn split_rights_follow_the_hierarchy() {
        let suzhou = RegionCode::parse("320500").unwrap();
        let kunshan = RegionCode::parse("320583").unwrap();
        let nanjing = RegionCode::parse("320100").unwrap();
        assert!(require_set_right(&caller(Role::Province, "320000"), &suzhou).is_ok());
        assert!(require_set_right(&caller(Role::City, "320500"), &kunshan).is_ok());
        assert!(require_set_right(&caller(Role::City, "320500"), &suzhou).is_err());
        assert!(require_split_right(&caller(Role::City, "320500"), &nanjing).is_err());
        assert!(require_set_right(&caller(Role::County, "320583"), &kunshan).is_err());
        assert!(require_set_right(&caller(Role::Auditor, "320000"), &kunshan).is_err());
        assert!(
            require_set_right(
                &caller(Role::City, "320500"),
                &hte_shared::regions::PROVINCE_CODE
            )
            .is_err()
        );
    }
}
