//! Allocations (任务分解): a proposed split of one region's target among its children, made
//! by a method (manual, proportional to a baseline, proportional with minimums), and accepted
//! into the tree by a second call so a person approves it.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::i18n::Text;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode};
use hte_shared::stored::{self, corrupt};
use hte_shared::telemetry::RequestId;
use hte_shared::text;
use hte_shared::time::{now, today};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::figures::check_figures_date;
use super::plans::{load, refuse_closed};
use super::rights::require_split_right;
use super::targets::{current_value, parse_region, splittable_indicator};
use super::{Audited, record_change, validated};
use crate::clients::registry::{RegistryClient, StatisticsQuery};
use crate::db::allocations::{self as queries, AllocationRow};
use crate::db::plans as plan_queries;
use crate::db::targets as target_queries;
use crate::domain::apportionment::{Allocation, ApportionError, Method, apportion_detailed};
use crate::domain::lifecycle::ProposalStatus;
use crate::domain::plan::{Measure, parse_target_period};
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

impl MethodKind {
    /// The stored key, as in the API.
    pub fn key(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Proportional => "proportional",
            Self::ProportionalWithMinimums => "proportional_with_minimums",
        }
    }
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
    #[schema(example = "hte_count", pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub indicator: String,
    /// A year within the plan period.
    #[schema(example = "2020", pattern = "^[0-9]{4}$")]
    pub period: String,
    /// The region whose target is split among its children (the province or a city).
    #[schema(schema_with = hte_shared::openapi::jiangsu_region_code)]
    pub region_code: String,
    pub method: MethodKind,
    /// Required for the proportional methods.
    pub baseline: Option<Baseline>,
    /// Date of the registry baseline (default today).
    pub baseline_as_of: Option<NaiveDate>,
    /// Weight per child (baseline `weights`): every child, each 0 or more.
    #[schema(example = json!({"320100": 5, "320200": 3}))]
    pub weights: Option<BTreeMap<String, u64>>,
    /// Share per child (method `manual`): every child, adding up to the parent's target.
    #[schema(example = json!({"320100": 60, "320200": 40}))]
    pub shares: Option<BTreeMap<String, i64>>,
    /// Minimum per child (method `proportional_with_minimums`); children left out have 0.
    #[schema(example = json!({"320100": 10}))]
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
    /// One share per child region.
    #[schema(max_items = 200)] // hte_shared::regions::MAX_REGIONS
    pub children: Vec<AllocationChild>,
    pub status: ProposalStatus,
    /// Why it was accepted, withdrawn or rejected (决定理由).
    pub decision_reason: Option<String>,
    /// Version of the proposal; the ETag is `"v<version>"`.
    pub version: i32,
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

/// Body of `POST …/allocations/{allocation_id}/accept`, `…/withdraw` and `…/reject`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why (理由), 2–500 characters; an acceptance's reason is kept with the new tree
    /// version.
    #[schema(
        example = "经省厅党组会研究同意",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

impl Audited for AllocationView {
    const ENTITY_TYPE: &'static str = "allocation";

    fn plan_id(&self) -> &str {
        &self.plan_id
    }
}

/// What a proposal stores besides its rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredRequest {
    method: MethodKind,
    baseline: Option<Baseline>,
    baseline_as_of: Option<NaiveDate>,
}

pub fn view(row: &AllocationRow) -> QueryResult<AllocationView> {
    let stored: StoredRequest = stored::parse("allocation request", &row.request_json)?;
    Ok(AllocationView {
        id: row.id.clone(),
        plan_id: row.plan_id.clone(),
        indicator: row.indicator.clone(),
        period: row.period.clone(),
        region_code: row.parent_code.clone(),
        parent_value: row.parent_value,
        method: stored.method,
        baseline: stored.baseline,
        baseline_as_of: stored.baseline_as_of,
        children: stored::parse("allocation children", &row.children_json)?,
        status: status_of(row)?,
        decision_reason: row.decision_reason.clone(),
        version: row.version,
        base_tree_version: row.base_tree_version,
        accepted_tree_version: row.accepted_tree_version,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        decided_by: row.decided_by.clone(),
        decided_at: row.decided_at,
    })
}

fn status_of(row: &AllocationRow) -> QueryResult<ProposalStatus> {
    ProposalStatus::from_key(&row.status).ok_or_else(|| corrupt("proposal status", &row.status))
}

/// The region a proposal splits, as stored.
pub(super) fn parent_of(row: &AllocationRow) -> QueryResult<RegionCode> {
    RegionCode::parse(&row.parent_code)
        .map_err(|_| corrupt("allocation parent region", &row.parent_code))
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
                text!(
                    "{key} is not a child region of the region being split",
                    "{key} 不是被分解地区的下级地区"
                ),
            ));
        }
    }
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        match map.get(&child.to_string()).copied().or(default) {
            Some(v) => out.push(v),
            None => errors.push(FieldError::new(
                format!("{field}.{child}"),
                "required_by_method",
                text!(
                    "{field} needs an entry for every child; {child} is missing",
                    "{field} 须为每个下级地区各设一项；缺少 {child}"
                ),
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
    let (mut en, mut zh) = (error.to_string(), error.zh());
    if let Some(child) = error.child()
        && let Some(code) = children.get(child)
    {
        en = en.replace(&format!("child {child}"), &format!("region {code}"));
        zh = zh.replace(&ApportionError::zh_child(child), &format!("地区 {code}"));
    }
    Problem::invalid_field(&field, rule, Text::new(en, zh))
}

// ---- proposing ---------------------------------------------------------------------------------

/// A split computed and checked, ready to be stored as a proposal.
pub struct Proposal {
    plan_id: String,
    input: NewAllocation,
    parent: RegionCode,
    children: Vec<RegionCode>,
    parent_value: i64,
    weights: Option<Vec<u64>>,
    minimums: Option<Vec<i64>>,
    allocation: Allocation,
    stored: StoredRequest,
    created_by: String,
}

/// Computes a proposed split of one region's target among its children, checking the
/// caller's right, the plan and the method's inputs (400 naming each refused field); the
/// proportional methods read their baseline from the registry. Nothing is stored yet.
pub async fn prepare(
    db: &Db,
    registry: &RegistryClient,
    caller: &Caller,
    request_id: &RequestId,
    plan_id: String,
    input: NewAllocation,
) -> Result<Proposal, AllocationError> {
    caller.require_writer()?;
    let parent = parse_region("region_code", &input.region_code)?;
    require_split_right(caller, &parent)?;
    let children: Vec<RegionCode> = regions::children(&parent).map(|r| r.code).collect();
    if children.is_empty() {
        return Err(Problem::invalid_field(
            "region_code",
            "has_children",
            text!(
                "region {parent} has no child regions to split among",
                "地区 {parent} 没有可分解到的下级地区"
            ),
        )
        .into());
    }
    let parent_value = parent_target(db, &plan_id, &input, parent).await?;
    let mut errors = unused_inputs(&input);
    let baseline_as_of = input.baseline_as_of.unwrap_or_else(today);
    check_figures_date("baseline_as_of", baseline_as_of)?;
    let baseline = BaselineSource {
        registry,
        request_id,
        parent,
        children: &children,
        as_of: baseline_as_of,
    };
    let weights = baseline.weights(&input, &mut errors).await?;
    let method = method_of(&input, weights.clone(), &children, &mut errors);
    validated(errors, ())?;
    let allocation = apportion_detailed(parent_value, children.len(), &method)
        .map_err(|e| apportion_problem(&e, input.method, &children))?;
    let minimums = match &method {
        Method::ProportionalWithMinimums { minimums, .. } => Some(minimums.clone()),
        _ => None,
    };
    let stored = stored_request(&input, baseline_as_of);
    Ok(Proposal {
        plan_id,
        input,
        parent,
        children,
        parent_value,
        weights,
        minimums,
        allocation,
        stored,
        created_by: caller.subject.clone(),
    })
}

/// The parent's current target for the indicator and period: 404 without the plan, 400 for
/// an indicator or period the plan lacks, 409 when the plan is closed or the target unset.
async fn parent_target(
    db: &Db,
    plan_id: &str,
    input: &NewAllocation,
    parent: RegionCode,
) -> Result<i64, AllocationError> {
    let (plan, value) = {
        let plan_id = plan_id.to_owned();
        let (indicator, period) = (input.indicator.clone(), input.period.clone());
        db.read(move |conn| {
            let plan = load(conn, &plan_id)?;
            let indicators = plan_queries::indicators_of(conn, &plan_id)?;
            splittable_indicator(&indicators, "indicator", &indicator)?;
            parse_target_period(&period, plan.starts_on, plan.ends_on)
                .map_err(|(rule, e)| Problem::invalid_field("period", rule, e))?;
            let value = current_value(conn, &plan, &indicator, &parent.to_string(), &period)?;
            Ok::<_, AllocationError>((plan, value))
        })
        .await?
    };
    refuse_closed(&plan, ("", ""))?;
    value.ok_or_else(|| {
        Problem::conflict(text!(
            "region {parent} has no {} target for {} yet; set it before splitting it",
            "地区 {parent} 尚未设定 {} 指标 {} 年的目标；请先设定再分解",
            input.indicator,
            input.period
        ))
        .into()
    })
}

/// An input the method does not use is refused rather than silently ignored (a minimum sent
/// with `proportional` would otherwise look honoured).
fn unused_inputs(input: &NewAllocation) -> Vec<FieldError> {
    let manual = input.method == MethodKind::Manual;
    let weighted = input.baseline == Some(Baseline::Weights);
    [
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
    ]
    .into_iter()
    .filter(|(_, sent, used)| *sent && !*used)
    .map(|(field, _, _)| {
        FieldError::new(
            field,
            "not_used",
            text!(
                "{field} does not apply to this method and baseline; leave it out",
                "{field} 不适用于所选的分解方法和基数，请勿填写"
            ),
        )
    })
    .collect()
}

/// Where the proportional methods' weights come from.
struct BaselineSource<'a> {
    registry: &'a RegistryClient,
    request_id: &'a RequestId,
    parent: RegionCode,
    children: &'a [RegionCode],
    as_of: NaiveDate,
}

impl BaselineSource<'_> {
    /// One weight per child (none for `manual`): the `weights` sent, or the registry's
    /// figures; a missing or out-of-range input is added to `errors`.
    async fn weights(
        &self,
        input: &NewAllocation,
        errors: &mut Vec<FieldError>,
    ) -> Result<Option<Vec<u64>>, AllocationError> {
        match (input.method, input.baseline) {
            (MethodKind::Manual, _) => Ok(None),
            (_, None) => {
                errors.push(FieldError::new(
                    "baseline",
                    "required_by_method",
                    Text::fixed(
                        "the proportional methods need a baseline: hte, pool, tech_sme or weights",
                        "按比例分解须指定基数：hte（高新技术企业数）、pool（培育库企业数）、tech_sme（科技型中小企业数）或 weights（自定权重）",
                    ),
                ));
                Ok(None)
            }
            (_, Some(Baseline::Weights)) => Ok(self.sent_weights(input.weights.as_ref(), errors)),
            (_, Some(baseline)) => self.registry_weights(baseline).await.map(Some),
        }
    }

    fn sent_weights(
        &self,
        weights: Option<&BTreeMap<String, u64>>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Vec<u64>> {
        let Some(map) = weights else {
            errors.push(FieldError::new(
                "weights",
                "required_by_method",
                Text::fixed(
                    "baseline weights needs a weight per child in weights",
                    "基数为 weights 时，须在 weights 中为每个下级地区设定权重",
                ),
            ));
            return None;
        };
        // Weights are documented as int64 and enter exact products: keep them sane.
        for (key, weight) in map {
            if *weight > MAX_WEIGHT {
                errors.push(FieldError::new(
                    format!("weights.{key}"),
                    "range",
                    text!(
                        "a weight is at most {MAX_WEIGHT}; got {weight}",
                        "权重不得大于 {MAX_WEIGHT}，现为 {weight}"
                    ),
                ));
            }
        }
        Some(per_child("weights", map, self.children, None, errors))
    }

    /// Registry figures; no stale fallback: a proposal must rest on real figures.
    async fn registry_weights(&self, baseline: Baseline) -> Result<Vec<u64>, AllocationError> {
        let measure = baseline.measure().unwrap_or(Measure::Hte);
        let from = NaiveDate::from_ymd_opt(self.as_of.year(), 1, 1).unwrap_or(self.as_of);
        let query = StatisticsQuery::children_of(self.parent, self.as_of, from, self.as_of);
        let stats = self.registry.statistics(&query, self.request_id).await?;
        Ok(self
            .children
            .iter()
            .map(|c| {
                stats
                    .items
                    .iter()
                    .find(|i| i.region_code == c.to_string())
                    .map_or(0, |i| u64::try_from(i.get(measure)).unwrap_or(0))
            })
            .collect())
    }
}

/// The method with its inputs per child in code order; a missing input is added to `errors`.
fn method_of(
    input: &NewAllocation,
    weights: Option<Vec<u64>>,
    children: &[RegionCode],
    errors: &mut Vec<FieldError>,
) -> Method {
    match input.method {
        MethodKind::Manual => match &input.shares {
            Some(map) => Method::Manual {
                shares: per_child("shares", map, children, None, errors),
            },
            None => {
                errors.push(FieldError::new(
                    "shares",
                    "required_by_method",
                    Text::fixed(
                        "method manual needs a share per child in shares",
                        "手工分解须在 shares 中为每个下级地区设定份额",
                    ),
                ));
                Method::Manual { shares: vec![] }
            }
        },
        MethodKind::Proportional => Method::Proportional {
            weights: weights.unwrap_or_default(),
        },
        MethodKind::ProportionalWithMinimums => Method::ProportionalWithMinimums {
            weights: weights.unwrap_or_default(),
            minimums: match &input.minimums {
                Some(map) => per_child("minimums", map, children, Some(0), errors),
                None => {
                    errors.push(FieldError::new(
                        "minimums",
                        "required_by_method",
                        Text::fixed(
                            "method proportional_with_minimums needs minimums",
                            "按比例并设最低值的分解方法须填写 minimums",
                        ),
                    ));
                    vec![]
                }
            },
        },
    }
}

/// What the proposal keeps of the request: the method, and the baseline where one applies.
fn stored_request(input: &NewAllocation, baseline_as_of: NaiveDate) -> StoredRequest {
    let proportional = input.method != MethodKind::Manual;
    StoredRequest {
        method: input.method,
        baseline: input.baseline.filter(|_| proportional),
        baseline_as_of: match input.baseline {
            Some(b) if b.measure().is_some() && proportional => Some(baseline_as_of),
            _ => None,
        },
    }
}

/// Stores a prepared proposal and records it: 409 when the parent's target moved since it
/// was computed. Changes no target.
pub fn propose(
    conn: &mut DbConnection,
    actor: &Actor,
    proposal: &Proposal,
) -> Result<AllocationView, AllocationError> {
    let Proposal { plan_id, input, .. } = proposal;
    // Re-read inside the transaction: the parent must not have moved meanwhile.
    let plan = load(conn, plan_id)?;
    let parent = proposal.parent.to_string();
    let now_value = current_value(conn, &plan, &input.indicator, &parent, &input.period)?;
    if now_value != Some(proposal.parent_value) {
        return Err(Problem::conflict(Text::fixed(
            "the parent's target changed meanwhile; retry",
            "上级目标已被他人修改，请重新读取后再试",
        ))
        .into());
    }
    let current = target_queries::targets_at(conn, plan_id, plan.tree_version)?;
    let row = AllocationRow {
        id: uuid::Uuid::new_v4().to_string(),
        plan_id: plan_id.clone(),
        indicator: input.indicator.clone(),
        period: input.period.clone(),
        parent_code: parent,
        parent_value: proposal.parent_value,
        method: proposal.stored.method.key().to_owned(),
        request_json: stored::to_text(&proposal.stored)?,
        children_json: stored::to_text(&lines(proposal, &current))?,
        status: ProposalStatus::Proposed.key().to_owned(),
        base_tree_version: plan.tree_version,
        accepted_tree_version: None,
        created_by: proposal.created_by.clone(),
        created_at: now(),
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        version: 1,
    };
    queries::insert(conn, &row)?;
    let view = view(&row)?;
    record_change(conn, actor, ("propose", None), None, &view)?;
    Ok(view)
}

/// One line per child: its inputs, quota and share, and its current target.
fn lines(proposal: &Proposal, current: &[target_queries::TargetRow]) -> Vec<AllocationChild> {
    let Proposal {
        input, allocation, ..
    } = proposal;
    proposal
        .children
        .iter()
        .enumerate()
        .map(|(i, code)| AllocationChild {
            region_code: code.to_string(),
            name: regions::find(code)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            weight: proposal.weights.as_ref().and_then(|w| w.get(i).copied()),
            minimum: proposal.minimums.as_ref().and_then(|m| m.get(i).copied()),
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
        .collect()
}

// ---- reading and accepting ----------------------------------------------------------------------

/// A page of the plan's proposals, newest first; city and county officials see the splits
/// of regions in their own subtree. The cursor names its plan: one from another plan's list
/// is refused, not an empty page.
pub async fn list(
    db: &Db,
    caller: &Caller,
    plan_id: String,
    page: PageRequest<(String, NaiveDateTime, String)>,
) -> Result<Page<AllocationView>, AllocationError> {
    let after = match page.after {
        Some((cursor_plan, at, id)) if cursor_plan == plan_id => Some((at, id)),
        Some(_) => {
            return Err(Problem::invalid_field(
                "cursor",
                "not_issued",
                Text::fixed(
                    "the cursor belongs to another plan's list; start again without it",
                    "该游标属于另一规划的列表，请去掉游标从头查询",
                ),
            )
            .into());
        }
        None => None,
    };
    let parents: Option<Vec<String>> = caller.read_scope().map(|scope| {
        regions::subtree(scope)
            .map(|r| r.code.to_string())
            .collect()
    });
    db.read(move |conn| {
        load(conn, &plan_id)?;
        let rows = queries::list(
            conn,
            &plan_id,
            parents.as_deref(),
            after,
            i64::from(page.limit) + 1,
        )?;
        let views = rows.iter().map(view).collect::<QueryResult<Vec<_>>>()?;
        Ok(Page::from_rows(views, page.limit, |v| {
            (v.plan_id.clone(), v.created_at, v.id.clone())
        }))
    })
    .await
}
