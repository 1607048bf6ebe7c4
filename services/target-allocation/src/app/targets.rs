//! The target tree (目标树) of a plan: province → city → county, per indicator and period.
//! Every change makes a new tree version with its actor and reason; older versions stay
//! readable.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::QueryResult;
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::plans::{load, refuse_closed};
use super::rights::require_set_right;
use super::validated;
use crate::db::plans::{self as plan_queries, IndicatorRow, PlanRow};
use crate::db::targets::{self as queries, TargetChange, TargetRow, TreeVersionRow};
use crate::domain::plan::{PlanStatus, check_reason, parse_target_period};
use crate::domain::tree::{TargetValue, Violation, children_sums, violations};
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
    /// Where they do not, by field `targets.<indicator>.<period>.<region>`: at most one per
    /// region, indicator and year (`domain::tree::MAX_TREE_VIOLATIONS`).
    #[schema(max_items = 2200000)]
    pub violations: Vec<FieldError>,
    /// At most one per region of the province for each indicator and year of the plan
    /// (`domain::tree::MAX_TREE_TARGETS`).
    #[schema(max_items = 2200000)]
    pub targets: Vec<TargetView>,
}

/// Body of `PUT /plans/{id}/targets/{region}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// A splittable indicator of the plan.
    #[schema(example = "hte_count", pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub indicator: String,
    /// A year within the plan period.
    #[schema(example = "2020", pattern = "^[0-9]{4}$")]
    pub period: String,
    /// Target value (目标值), 0–10^12.
    #[schema(example = 30000, minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub value: i64,
    /// Why (理由), 2–500 characters (leading and trailing spaces not counted); kept with the
    /// new tree version.
    #[schema(
        example = "省政府确定2020年目标",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

/// One value of an adjustment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentItem {
    #[schema(example = "hte_count", pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub indicator: String,
    #[schema(schema_with = hte_shared::openapi::jiangsu_region_code)]
    pub region_code: String,
    #[schema(example = "2020", pattern = "^[0-9]{4}$")]
    pub period: String,
    #[schema(example = 6000, minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub value: i64,
}

/// Body of `POST /plans/{id}/adjustments` (调整): several values changed together, so a
/// published tree can move from one balanced state to another.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Why (理由), 2–500 characters (leading and trailing spaces not counted).
    #[schema(
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
    /// 1–500 changes.
    #[schema(min_items = 1, max_items = 500)]
    pub changes: Vec<AdjustmentItem>,
}

/// What to show of a tree (all optional).
#[derive(Debug, Clone, Default)]
pub struct TreeQuery {
    /// Tree version (default: current).
    pub version: Option<i32>,
    pub indicator: Option<String>,
    pub period: Option<String>,
    /// This region and the regions below it (a raw code, checked here).
    pub region: Option<String>,
}

// ---- rules shared with allocations ---------------------------------------------------------

/// A Jiangsu region code from a path or body, or a 400 naming `field`.
pub fn parse_region(field: &str, raw: &str) -> Result<RegionCode, Problem> {
    RegionCode::parse(raw)
        .ok()
        .filter(|c| regions::find(c).is_some())
        .ok_or_else(|| {
            Problem::invalid_field(field, "region_code", {
                let shown = hte_shared::i18n::quote(raw);
                hte_shared::text!(
                    "{field} must be a Jiangsu region code (GB/T 2260); got {shown}",
                    "{field} 须为江苏省行政区划代码（GB/T 2260），收到的是 {shown}"
                )
            })
        })
}

/// The plan's splittable indicator `key`, or a 400 naming `field`.
pub fn splittable_indicator(
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
            hte_shared::text!(
                "indicator {key} is not split by region, so it has no target tree",
                "指标 {key} 不按地区分解，因此没有目标树"
            ),
        )),
        None => Err(Problem::invalid_field(
            field,
            "indicator",
            hte_shared::text!(
                "the plan has no indicator {key:?}; it has {}",
                "规划中没有指标 {key:?}；现有指标为 {}",
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
pub fn current_value(
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

/// Target rows as the tree rules see them.
pub fn tree_values(rows: &[TargetRow]) -> QueryResult<Vec<TargetValue>> {
    rows.iter()
        .map(|r| {
            Ok(TargetValue {
                indicator: r.indicator.clone(),
                region: r.region()?,
                period: r.period.clone(),
                value: r.value,
            })
        })
        .collect()
}

/// One field error per broken sum, `targets.<indicator>.<period>.<region>`.
pub fn violation_errors(broken: &[Violation]) -> Vec<FieldError> {
    broken
        .iter()
        .map(|v| FieldError::new(v.field(), "children_sum", v.message()))
        .collect()
}

/// A change to the tree, before it is applied.
pub struct TreeEdit {
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
pub fn commit_tree_edit(
    conn: &mut DbConnection,
    plan: &PlanRow,
    actor: &Actor,
    edit: TreeEdit,
) -> Result<TreeVersionRow, AllocationError> {
    refuse_closed(plan, ("; its targets are final", "，其目标已不可更改"))?;
    let published = plan.status()? == PlanStatus::Published;
    let before = queries::targets_at(conn, &plan.id, plan.tree_version)?;
    let version = plan.tree_version + 1;
    let changed = queries::apply(conn, &plan.id, version, &edit.changes)?;
    if changed == 0
        && let Some(current) = queries::find_version(conn, &plan.id, plan.tree_version)?
    {
        // Every value is already so: the current version stands, no empty version is added.
        return Ok(current);
    }
    if published {
        require_still_balanced(conn, plan, version)?;
    }
    let kind = if published { "adjustment" } else { edit.kind };
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
    record_tree_change(conn, actor, plan, &row, &edit, &before)?;
    Ok(row)
}

/// 409 when tree `version` of a published plan breaks the sum rule.
fn require_still_balanced(
    conn: &mut DbConnection,
    plan: &PlanRow,
    version: i32,
) -> Result<(), AllocationError> {
    let after = queries::targets_at(conn, &plan.id, version)?;
    let broken = violations(&tree_values(&after)?);
    match broken.first() {
        None => Ok(()),
        Some(first) => Err(Problem::conflict({
            let (id, count, first) = (&plan.id, broken.len(), first.message());
            hte_shared::i18n::Text::new(
                format!(
                    "plan {id} is published, so its tree must stay balanced; this change would \
                     break it in {count} place(s), first: {first}. Send all related values \
                     together in one adjustment (POST /api/v1/plans/{id}/adjustments)"
                ),
                format!(
                    "规划 {id} 已发布，其目标树须保持平衡；本次修改会造成 {count} 处不平衡，\
                     第一处：{}。请将相关的值放在一次调整中一并提交\
                     （POST /api/v1/plans/{id}/adjustments）",
                    first.zh()
                ),
            )
        })
        .with_errors(violation_errors(&broken))
        .into()),
    }
}

/// One value of a tree change as the audit log keeps it.
#[derive(Serialize)]
struct AuditedValue<'a> {
    indicator: &'a str,
    region_code: &'a str,
    period: &'a str,
    value: Option<i64>,
}

impl<'a> AuditedValue<'a> {
    fn of(change: &'a TargetChange, value: Option<i64>) -> Self {
        Self {
            indicator: &change.indicator,
            region_code: &change.region_code,
            period: &change.period,
            value,
        }
    }
}

/// A tree version as the audit log keeps it.
#[derive(Serialize)]
struct AuditedTree<'a> {
    version: i32,
    targets: Vec<AuditedValue<'a>>,
}

/// The audit entry of a tree change: each changed value before and after.
fn record_tree_change(
    conn: &mut DbConnection,
    actor: &Actor,
    plan: &PlanRow,
    row: &TreeVersionRow,
    edit: &TreeEdit,
    before: &[TargetRow],
) -> Result<(), AllocationError> {
    let old = edit.changes.iter().map(|c| {
        let value = before
            .iter()
            .find(|t| {
                t.indicator == c.indicator && t.region_code == c.region_code && t.period == c.period
            })
            .map(|t| t.value);
        AuditedValue::of(c, value)
    });
    let new = edit
        .changes
        .iter()
        .map(|c| AuditedValue::of(c, Some(c.value)));
    let (old, new) = (
        AuditedTree {
            version: plan.tree_version,
            targets: old.collect(),
        },
        AuditedTree {
            version: row.version,
            targets: new.collect(),
        },
    );
    audit::append(
        conn,
        actor,
        Change {
            entity_type: "target_tree",
            entity_key: &plan.id,
            action: &row.kind,
            reason: Some(&edit.reason),
            before: Some(hte_shared::stored::to_value(&old)?),
            after: Some(hte_shared::stored::to_value(&new)?),
        },
    )?;
    Ok(())
}

pub fn version_view(row: &TreeVersionRow) -> TreeVersionView {
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

fn target_views(plan_id: &str, rows: &[TargetRow]) -> QueryResult<Vec<TargetView>> {
    let sums = children_sums(&tree_values(rows)?);
    rows.iter()
        .map(|row| {
            let code = row.region()?;
            let region = regions::find(&code).ok_or_else(|| {
                hte_shared::stored::corrupt("target region code", &row.region_code)
            })?;
            let children_sum = sums
                .get(&(row.indicator.clone(), row.period.clone(), code))
                .copied();
            Ok(TargetView {
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
            hte_shared::text!(
                "{field} must be between 0 and 10^12; got {value}",
                "{field} 须在 0 至 10^12 之间，现为 {value}"
            ),
        ));
    }
}

fn check_reason_into(reason: &str, errors: &mut Vec<FieldError>) -> String {
    check_reason(reason).unwrap_or_else(|e| {
        errors.push(FieldError::new("reason", "length", e));
        String::new()
    })
}

// ---- operations -------------------------------------------------------------------------------

/// The region a caller's tree shows: the asked one, within the caller's own subtree (404
/// outside it); city and county officials see their own subtree by default.
fn visible_region(caller: &Caller, asked: Option<&str>) -> Result<Option<RegionCode>, Problem> {
    let asked = asked.map(|raw| parse_region("region", raw)).transpose()?;
    match (asked, caller.read_scope()) {
        (Some(asked), Some(scope)) if !asked.is_within(scope) => {
            Err(Problem::not_found(hte_shared::text!(
                "region {asked} is outside your region {scope}",
                "地区 {asked} 不在您的辖区 {scope} 之内"
            )))
        }
        (None, Some(scope)) => Ok(Some(*scope)),
        (asked, _) => Ok(asked),
    }
}

/// The tree at the current or an older version, with each split region's children sum and
/// whether it balances.
pub async fn tree(
    db: &Db,
    caller: &Caller,
    id: String,
    query: TreeQuery,
) -> Result<TargetTree, AllocationError> {
    let region = visible_region(caller, query.region.as_deref())?;
    let caller_scope = caller.read_scope().copied();
    db.read(move |conn| {
        let plan = load(conn, &id)?;
        let version = query.version.unwrap_or(plan.tree_version);
        if !(0..=plan.tree_version).contains(&version) {
            return Err(Problem::invalid_field(
                "version",
                "current_version",
                hte_shared::text!(
                    "version must be between 0 and the current version {}",
                    "version 须在 0 至当前版本 {} 之间",
                    plan.tree_version
                ),
            )
            .into());
        }
        let rows = queries::targets_at(conn, &id, version)?;
        let within = |code: &RegionCode| region.is_none_or(|r| code.is_within(&r));
        let broken: Vec<_> = violations(&tree_values(&rows)?)
            .into_iter()
            .filter(|v| within(&v.region))
            .collect();
        let touched = queries::regions_by_version(conn, &id)?;
        let change = queries::find_version(conn, &id, version)?
            .filter(|row| shows_version(caller_scope, &touched, row.version))
            .as_ref()
            .map(version_view);
        let targets = target_views(&id, &rows)?
            .into_iter()
            .filter(|t| query.indicator.as_ref().is_none_or(|i| *i == t.indicator))
            .filter(|t| query.period.as_ref().is_none_or(|p| *p == t.period))
            .filter(|t| RegionCode::parse(&t.region_code).is_ok_and(|c| within(&c)))
            .collect();
        Ok(TargetTree {
            plan_id: id,
            version,
            current_version: plan.tree_version,
            change,
            balanced: broken.is_empty(),
            violations: violation_errors(&broken),
            targets,
        })
    })
    .await
}

/// Whether a caller reading `scope` (none: the whole province) sees tree version
/// `version`: the versions that set a value in their own subtree. A neighbour's changes,
/// with their actor and reason, are not theirs to read.
fn shows_version(scope: Option<RegionCode>, touched: &[(i32, String)], version: i32) -> bool {
    scope.is_none_or(|scope| {
        touched.iter().any(|(v, region)| {
            *v == version && RegionCode::parse(region).is_ok_and(|code| code.is_within(&scope))
        })
    })
}

/// A page of the versions of the tree the caller may see, newest first. City and county
/// officials see only the versions that set a value in their own subtree, so their pages
/// are read past the versions that are not theirs.
pub async fn versions(
    db: &Db,
    caller: &Caller,
    id: String,
    page: PageRequest<(String, i32)>,
) -> Result<Page<TreeVersionView>, AllocationError> {
    let before = super::position_in_plan(&id, page.after)?;
    let scope = caller.read_scope().copied();
    let wanted = page.limit as usize + 1;
    db.read(move |conn| {
        load(conn, &id)?;
        let touched = queries::regions_by_version(conn, &id)?;
        let shown: Vec<TreeVersionView> = queries::versions_of(conn, &id, before)?
            .iter()
            .filter(|row| shows_version(scope, &touched, row.version))
            .take(wanted)
            .map(version_view)
            .collect();
        Ok(Page::from_rows(shown, page.limit, |v| {
            (id.clone(), v.version)
        }))
    })
    .await
}

/// Sets one region's target as a new tree version (on a published plan an adjustment that
/// must keep the tree balanced); returns the target and the tree version.
pub async fn set_target(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    (id, raw_region): (String, String),
    if_match: IfMatch,
    input: TargetInput,
) -> Result<(TargetView, i32), AllocationError> {
    caller.require_writer()?;
    let region = parse_region("region", &raw_region)?;
    require_set_right(caller, &region)?;
    let mut errors = Vec::new();
    check_value("value", input.value, &mut errors);
    let reason = check_reason_into(&input.reason, &mut errors);
    validated(errors, ())?;
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        let plan = load(conn, &id)?;
        let indicators = plan_queries::indicators_of(conn, &id)?;
        splittable_indicator(&indicators, "indicator", &input.indicator)?;
        parse_target_period(&input.period, plan.starts_on, plan.ends_on)
            .map_err(|(rule, e)| Problem::invalid_field("period", rule, e))?;
        if_match.check(plan.tree_version)?;
        let change = TargetChange {
            indicator: input.indicator.clone(),
            region_code: region.to_string(),
            period: input.period.clone(),
            value: input.value,
        };
        let edit = TreeEdit {
            kind: "set",
            reason,
            allocation_id: None,
            changes: vec![change.clone()],
        };
        let row = commit_tree_edit(conn, &plan, &actor, edit)?;
        let rows = queries::targets_at(conn, &id, row.version)?;
        let view = target_views(&id, &rows)?.into_iter().find(|t| {
            t.indicator == change.indicator
                && t.region_code == change.region_code
                && t.period == change.period
        });
        let view = view.ok_or_else(Problem::internal)?;
        Ok((view, row.version))
    })
    .await
}

/// The changes of an adjustment checked one by one (400 naming each refused one), with their
/// regions.
fn check_adjustment(input: &Adjustment) -> Result<(String, Vec<RegionCode>), Problem> {
    let mut errors = Vec::new();
    let reason = check_reason_into(&input.reason, &mut errors);
    if !(1..=500).contains(&input.changes.len()) {
        errors.push(FieldError::new(
            "changes",
            "length",
            hte_shared::i18n::Text::fixed("give 1–500 changes", "须提交 1 至 500 项修改"),
        ));
    }
    let mut regions_of = Vec::new();
    let mut seen = BTreeMap::new();
    for (i, c) in input.changes.iter().enumerate() {
        check_value(&format!("changes[{i}].value"), c.value, &mut errors);
        match parse_region(&format!("changes[{i}].region_code"), &c.region_code) {
            Ok(code) => regions_of.push(code),
            Err(p) => errors.extend(p.errors),
        }
        let key = (c.indicator.clone(), c.region_code.clone(), c.period.clone());
        if seen.insert(key, i).is_some() {
            errors.push(FieldError::new(
                format!("changes[{i}]"),
                "unique",
                hte_shared::i18n::Text::fixed(
                    "the same indicator, region and period appear twice",
                    "同一指标、地区和考核期出现了两次",
                ),
            ));
        }
    }
    validated(errors, (reason, regions_of))
}

/// Changes several targets at once as one new tree version (调整); each value needs the
/// same right as setting it alone.
pub async fn adjust(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    id: String,
    if_match: IfMatch,
    input: Adjustment,
) -> Result<TreeVersionView, AllocationError> {
    caller.require_writer()?;
    let (reason, regions_of) = check_adjustment(&input)?;
    for code in &regions_of {
        require_set_right(caller, code)?;
    }
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        let plan = load(conn, &id)?;
        let indicators = plan_queries::indicators_of(conn, &id)?;
        for (i, c) in input.changes.iter().enumerate() {
            splittable_indicator(
                &indicators,
                &format!("changes[{i}].indicator"),
                &c.indicator,
            )?;
            parse_target_period(&c.period, plan.starts_on, plan.ends_on).map_err(|(rule, e)| {
                Problem::invalid_field(&format!("changes[{i}].period"), rule, e)
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
        let edit = TreeEdit {
            kind: "set",
            reason,
            allocation_id: None,
            changes,
        };
        Ok(version_view(&commit_tree_edit(conn, &plan, &actor, edit)?))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tree::{MAX_TREE_TARGETS, MAX_TREE_VIOLATIONS};

    #[test]
    fn the_document_states_the_tree_bounds_the_domain_keeps() {
        let schema = serde_json::to_value(<TargetTree as utoipa::PartialSchema>::schema()).unwrap();
        let max = |field: &str| schema["properties"][field]["maxItems"].as_u64();
        assert_eq!(max("targets"), Some(MAX_TREE_TARGETS as u64));
        assert_eq!(max("violations"), Some(MAX_TREE_VIOLATIONS as u64));
    }
}
