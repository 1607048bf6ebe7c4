//! Year-end assessments (考核) of the cities, or of one city's counties: per indicator of a
//! scoring scheme the target, the achieved figure, the completion rate, 时序进度 and the
//! points, then the province's bonus/penalty items, the total and the rank. A draft is the
//! province's alone and holds the figures as computed when it was made; publishing freezes
//! it, with the scheme version it was scored by, and shows each region its own lines.

mod compute;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use hte_shared::audit::Actor;
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::RegionCode;
use hte_shared::stored::{self, corrupt};
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use self::compute::{Computed, compute};
use super::plans::load;
use super::scoring::SchemeRules;
use super::{Audited, record_change};
use crate::db::assessments::{self as queries, AssessmentRow};
use crate::db::plans::PlanRow;
use crate::domain::lifecycle::{AssessedLevel, AssessmentStatus};
use crate::domain::plan::PlanStatus;
use crate::error::AllocationError;

// ---- shapes ---------------------------------------------------------------------------------

/// Body of `POST /plans/{id}/assessments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssessment {
    /// The year assessed (考核年度), within the plan.
    #[schema(example = "2020", pattern = "^[0-9]{4}$")]
    pub period: String,
    /// `city` (default: the 13 cities) or `county` (the counties of `parent`).
    #[serde(default)]
    pub level: Option<AssessedLevel>,
    /// The city whose counties are assessed (level `county` only).
    #[schema(example = "320500", pattern = "^32[0-9]{4}$")]
    pub parent: Option<String>,
    /// Date of the figures (统计截止日期): default the period's last day (today while it
    /// runs); within the assessed year, not after the plan's end.
    pub as_of: Option<NaiveDate>,
    /// The plan's scoring scheme version (考核办法版本); default the newest.
    #[schema(minimum = 1, example = 1)]
    pub scheme_version: Option<i32>,
    /// Bonus and penalty items (加减分项) entered by the province, at most 100; within the
    /// scheme's `max_bonus_points` and `max_penalty_points` per region.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub adjustments: Vec<AdjustmentInput>,
}

/// A bonus or penalty item (加分项/扣分项) for one assessed region.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// An assessed region.
    #[schema(example = "320500", pattern = "^32[0-9]{4}$")]
    pub region_code: String,
    /// Points (分值): above 0 adds (加分), below 0 takes (扣分); −100 to 100, not 0, at most
    /// 4 decimals.
    #[schema(minimum = -100, maximum = 100, example = -2)]
    pub points: f64,
    /// Why (理由), 2–500 characters, e.g. a major incident (重大安全事故).
    #[schema(
        example = "发生较大生产安全事故",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

/// The scheme an assessment was scored by, frozen with it (考核办法).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessedScheme {
    /// The plan's scheme version.
    pub version: i32,
    #[serde(flatten)]
    pub rules: SchemeRules,
}

/// One indicator's inputs and points for one region.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IndicatorScore {
    #[schema(example = "new_hte")]
    pub indicator: String,
    /// Target (目标任务).
    pub target: i64,
    /// Achieved (完成数), from the registry.
    pub achieved: i64,
    /// Completion rate (完成率), achieved ÷ target; 1 for a target of 0; 6 decimals.
    pub completion_rate: f64,
    /// Share of the indicator's window elapsed on `as_of` (时序进度), 0–1, 6 decimals.
    pub expected_completion: f64,
    /// Points by the rule (基础得分).
    pub base_points: f64,
    /// Bonus for completion above 100 % (超额加分).
    pub bonus_points: f64,
    /// Deduction for completion below 时序进度 (扣分).
    pub deduction_points: f64,
    /// `max(0, base + bonus − deduction)` (指标得分), to a millionth of a point.
    pub score: f64,
}

/// A bonus or penalty item as applied.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentLine {
    pub points: f64,
    pub reason: String,
}

/// One region's line (考核结果).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentLine {
    #[schema(example = "320500")]
    pub region_code: String,
    /// Region name (地区名称).
    #[schema(example = "苏州市")]
    pub name: String,
    /// One entry per indicator of the scheme, in its order (a scheme has at most 20).
    #[schema(max_items = 20)]
    pub items: Vec<IndicatorScore>,
    /// The province's bonus and penalty items (加减分项); an assessment body holds at most 100.
    #[schema(max_items = 100)]
    pub adjustments: Vec<AdjustmentLine>,
    /// Their sum (加减分合计).
    pub adjustment_points: f64,
    /// Indicator scores plus adjustments (总分).
    pub total: f64,
    /// Rank by exact total among all regions assessed (排名), 1 = best; equal totals share a
    /// rank.
    pub rank: u32,
}

/// A year-end assessment (年度考核).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: String,
    pub plan_id: String,
    /// The year assessed.
    pub period: String,
    pub level: AssessedLevel,
    /// The province (level city) or the city whose counties are assessed.
    pub parent_code: String,
    /// Date of the registry figures.
    pub as_of: NaiveDate,
    pub scheme: AssessedScheme,
    pub status: AssessmentStatus,
    /// Version of the record; the ETag is `"v<version>"`.
    pub version: i32,
    /// Tree version the targets were read from.
    pub tree_version: i32,
    /// When the figures were fetched (UTC).
    #[serde(with = "hte_shared::time::utc")]
    pub computed_at: NaiveDateTime,
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    pub published_by: Option<String>,
    #[serde(with = "hte_shared::time::utc::option")]
    pub published_at: Option<NaiveDateTime>,
    /// One line per region, ordered by code (city and county officials: their own).
    #[schema(max_items = 200)] // hte_shared::regions::MAX_REGIONS
    pub rows: Vec<AssessmentLine>,
}

impl Audited for AssessmentView {
    const ENTITY_TYPE: &'static str = "assessment";

    fn plan_id(&self) -> &str {
        &self.plan_id
    }
}

pub fn view(row: &AssessmentRow) -> QueryResult<AssessmentView> {
    Ok(AssessmentView {
        id: row.id.clone(),
        plan_id: row.plan_id.clone(),
        period: row.period.clone(),
        level: AssessedLevel::from_key(&row.level)
            .ok_or_else(|| corrupt("assessment level", &row.level))?,
        parent_code: row.parent_code.clone(),
        as_of: row.as_of,
        scheme: AssessedScheme {
            version: row.scheme_version,
            rules: stored::parse("assessment scheme", &row.scheme_json)?,
        },
        status: status_of(row)?,
        version: row.version,
        tree_version: row.tree_version,
        computed_at: row.computed_at,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        published_by: row.published_by.clone(),
        published_at: row.published_at,
        rows: stored::parse("assessment rows", &row.rows_json)?,
    })
}

fn status_of(row: &AssessmentRow) -> QueryResult<AssessmentStatus> {
    AssessmentStatus::from_key(&row.status).ok_or_else(|| corrupt("assessment status", &row.status))
}

// ---- who sees what --------------------------------------------------------------------------

/// What `caller` may see of an assessment: drafts are the province's alone; city and county
/// officials see the lines of their own region (ranked among all); auditors and services see
/// every line. `None` when nothing is theirs to see.
fn shown_to(caller: &Caller, mut view: AssessmentView) -> Option<AssessmentView> {
    if view.status == AssessmentStatus::Draft && caller.role != Role::Province {
        return None;
    }
    if let Some(scope) = caller.read_scope() {
        view.rows.retain(|line| {
            RegionCode::parse(&line.region_code).is_ok_and(|code| code.is_within(scope))
        });
        if view.rows.is_empty() {
            return None;
        }
    }
    Some(view)
}

fn not_found(plan_id: &str, id: &str) -> Problem {
    Problem::not_found(hte_shared::text!(
        "plan {plan_id} has no assessment {id}",
        "规划 {plan_id} 中未找到考核 {id}"
    ))
}

// ---- operations -----------------------------------------------------------------------------

/// Stores a computed assessment as a draft and records it.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    computed: &Computed,
) -> Result<AssessmentView, AllocationError> {
    let row = computed.row();
    queries::insert(conn, row)?;
    let view = view(row)?;
    record_change(conn, actor, ("create", None), None, &view)?;
    Ok(view)
}

/// A page of the plan's assessments the caller may see, newest first. City and county
/// officials see published ones holding a line of their own, so their pages are read past
/// the rest; for everyone else the database stops at the page.
pub async fn list(
    db: &Db,
    caller: Caller,
    plan_id: String,
    page: PageRequest<(String, (NaiveDateTime, String))>,
) -> Result<Page<AssessmentView>, AllocationError> {
    let after = super::position_in_plan(&plan_id, page.after)?;
    let wanted = page.limit as usize + 1;
    let limit = caller.read_scope().is_none().then_some(wanted as i64);
    db.read(move |conn| {
        load(conn, &plan_id)?;
        let drafts = caller.role == Role::Province;
        let mut shown = Vec::new();
        for row in queries::list(conn, &plan_id, drafts, after, limit)? {
            shown.extend(shown_to(&caller, view(&row)?));
            if shown.len() == wanted {
                break;
            }
        }
        Ok(Page::from_rows(shown, page.limit, |a| {
            (a.plan_id.clone(), (a.created_at, a.id.clone()))
        }))
    })
    .await
}

/// One assessment, as far as the caller may see it; else 404.
pub async fn get(
    db: &Db,
    caller: Caller,
    (plan_id, id): (String, String),
) -> Result<AssessmentView, AllocationError> {
    db.read(move |conn| {
        load(conn, &plan_id)?;
        let row = queries::find(conn, &plan_id, &id)?.ok_or_else(|| not_found(&plan_id, &id))?;
        shown_to(&caller, view(&row)?).ok_or_else(|| not_found(&plan_id, &id).into())
    })
    .await
}

/// Publishes a draft exactly as computed: frozen from then on. One published assessment
/// per year and set of regions, and only on a published plan (409). Province only.
pub async fn publish(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    (plan_id, id): (String, String),
    if_match: IfMatch,
) -> Result<AssessmentView, AllocationError> {
    caller.require_province(("publish assessments", "发布考核结果"))?;
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        require_published(&load(conn, &plan_id)?)?;
        let mut row =
            queries::find(conn, &plan_id, &id)?.ok_or_else(|| not_found(&plan_id, &id))?;
        if_match.check_if_sent(row.version)?;
        if status_of(&row)? != AssessmentStatus::Draft {
            return Err(Problem::conflict(hte_shared::text!(
                "assessment {id} is already published",
                "考核 {id} 已发布"
            ))
            .into());
        }
        require_first_published(conn, &row)?;
        let before = view(&row)?;
        row.status = AssessmentStatus::Published.key().to_owned();
        row.version = before.version + 1;
        row.published_by = Some(actor.subject.clone());
        row.published_at = Some(now());
        if !queries::save_draft(conn, &row, before.version)? {
            return Err(Problem::conflict(hte_shared::i18n::Text::fixed(
                "the assessment changed meanwhile; retry",
                "考核记录已被他人修改，请重新读取后再试",
            ))
            .into());
        }
        let after = view(&row)?;
        record_change(conn, &actor, ("publish", None), Some(&before), &after)?;
        Ok(after)
    })
    .await
}

/// 409 unless the plan is published: an assessment of a draft (whose targets may still
/// change) is a preview, and a closed plan is read-only, so neither publishes one.
fn require_published(plan: &PlanRow) -> Result<(), AllocationError> {
    match plan.status()? {
        PlanStatus::Published => Ok(()),
        other => Err(Problem::conflict({
            let (id, key, label) = (&plan.id, other.key(), other.label_zh());
            hte_shared::text!(
                "plan {id} is {key}; assessments are published on a published plan",
                "规划 {id} 的状态为{label}；规划发布后方可发布考核结果"
            )
        })
        .into()),
    }
}

/// 409 when the same year and regions already have a published assessment.
fn require_first_published(
    conn: &mut DbConnection,
    row: &AssessmentRow,
) -> Result<(), AllocationError> {
    match queries::published_like(conn, row)? {
        None => Ok(()),
        Some(other) => Err(Problem::conflict(hte_shared::text!(
            "assessment {} already stands as the published {} assessment of {} for {}",
            "考核 {0} 已作为 {2} 的 {3} 年度 {1} 级考核结果发布",
            other.id,
            other.level,
            other.parent_code,
            other.period
        ))
        .with_errors(vec![FieldError::new(
            "assessment_id",
            "unique_published",
            hte_shared::i18n::Text::fixed(
                "one published assessment per year and set of regions",
                "同一年度、同一组地区只能发布一次考核结果",
            ),
        )])
        .into()),
    }
}
