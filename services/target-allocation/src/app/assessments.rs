//! Year-end assessments (考核) of the cities: target, achieved, completion rate, score by a
//! formula whose parameters are stored with each assessment, and rank. A draft holds the
//! figures as computed when it was created; publishing freezes it: later registry changes
//! never rewrite a published assessment.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode, RegionLevel};
use hte_shared::stored;
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::figures::{self, Figures, check_figures_date, measure_and_window};
use super::plans::{load, refuse_closed};
use super::rights::require_province;
use super::targets::splittable_indicator;
use super::{Audited, record_change};
use crate::clients::registry::{RegistryClient, StatisticsQuery};
use crate::db::assessments::{self as queries, AssessmentRow};
use crate::db::plans::{self as plan_queries, IndicatorRow, PlanRow};
use crate::db::targets::{self as target_queries, TargetRow};
use crate::domain::assessment::{DEFAULT_CAP, DEFAULT_WEIGHT, Formula, score_and_rank};
use crate::domain::plan::{Measure, PlanStatus, parse_target_period};
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

impl Audited for AssessmentView {
    const ENTITY_TYPE: &'static str = "assessment";

    fn plan_id(&self) -> &str {
        &self.plan_id
    }
}

pub fn view(row: &AssessmentRow) -> QueryResult<AssessmentView> {
    let (cap, weight) = row.cap_and_weight()?;
    Ok(AssessmentView {
        id: row.id.clone(),
        plan_id: row.plan_id.clone(),
        indicator: row.indicator.clone(),
        period: row.period.clone(),
        as_of: row.as_of,
        formula: FormulaView {
            expression: FORMULA_TEXT.to_owned(),
            cap,
            weight,
        },
        status: row.status.clone(),
        tree_version: row.tree_version,
        computed_at: row.computed_at,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        published_by: row.published_by.clone(),
        published_at: row.published_at,
        rows: stored::parse("assessment rows", &row.rows_json)?,
    })
}

/// A computed assessment, ready to be stored as a draft.
pub struct Computed(AssessmentRow);

/// What an assessment is computed from: the plan, the indicator and the current targets.
struct Basis {
    plan: PlanRow,
    indicator: IndicatorRow,
    targets: Vec<TargetRow>,
}

/// Computes a draft assessment of the 13 cities from the current targets and live registry
/// figures (never cached ones), as of a date within the assessed year. A closed plan takes
/// none (409). Province only. Nothing is stored yet.
pub async fn compute(
    db: &Db,
    registry: &RegistryClient,
    caller: &Caller,
    request_id: &RequestId,
    plan_id: String,
    input: &NewAssessment,
) -> Result<Computed, AllocationError> {
    require_province(caller, "run assessments")?;
    let formula = Formula::new(
        input.cap.unwrap_or(DEFAULT_CAP),
        input.weight.unwrap_or(DEFAULT_WEIGHT),
    )
    .map_err(|(field, message)| Problem::invalid_field(field, "range", message))?;
    let indicator_key = input
        .indicator
        .clone()
        .unwrap_or_else(|| "new_hte".to_owned());
    let basis = basis(db, &plan_id, &indicator_key).await?;
    refuse_closed(
        &basis.plan,
        "; it is read-only and takes no new assessments",
    )?;
    let year = parse_target_period(&input.period, basis.plan.starts_on, basis.plan.ends_on)
        .map_err(|e| Problem::invalid_field("period", "period", e))?;
    let as_of = as_of_within(input.as_of, year, &basis.plan)?;
    let (measure, new_from, new_to) = measure_and_window(&basis.indicator, year, as_of)?;
    let query = StatisticsQuery {
        level: RegionLevel::City,
        parent: None,
        as_of,
        new_from,
        new_to,
    };
    let figures = figures::fetch(db, registry, &plan_id, &query, request_id, false).await?;
    let period = year.to_string();
    let lines = city_lines(
        &figures,
        &basis.targets,
        (&indicator_key, &period),
        measure,
        &formula,
    );
    Ok(Computed(AssessmentRow {
        id: uuid::Uuid::new_v4().to_string(),
        plan_id,
        indicator: indicator_key,
        period,
        as_of,
        cap: formula.cap.to_string(),
        weight: formula.weight.to_string(),
        status: "draft".to_owned(),
        tree_version: basis.plan.tree_version,
        rows_json: stored::to_text(&lines)?,
        computed_at: figures.fetched_at,
        created_by: caller.subject.clone(),
        created_at: now(),
        published_by: None,
        published_at: None,
    }))
}

async fn basis(db: &Db, plan_id: &str, indicator: &str) -> Result<Basis, AllocationError> {
    let (plan_id, key) = (plan_id.to_owned(), indicator.to_owned());
    db.read(move |conn| {
        let plan = load(conn, &plan_id)?;
        let indicators = plan_queries::indicators_of(conn, &plan_id)?;
        let indicator = splittable_indicator(&indicators, "indicator", &key)?;
        let targets = target_queries::targets_at(conn, &plan_id, plan.tree_version)?;
        Ok(Basis {
            plan,
            indicator,
            targets,
        })
    })
    .await
}

/// The date of the figures: as sent, or the year's end (today while the year runs); always
/// inside the assessed year and a date the registry has figures for.
fn as_of_within(
    sent: Option<NaiveDate>,
    year: i32,
    plan: &PlanRow,
) -> Result<NaiveDate, AllocationError> {
    let as_of = sent.unwrap_or_else(|| {
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
    Ok(as_of)
}

/// One scored and ranked line per city of the province.
fn city_lines(
    figures: &Figures,
    targets: &[TargetRow],
    (indicator, period): (&str, &str),
    measure: Measure,
    formula: &Formula,
) -> Vec<AssessmentLine> {
    let is_city = |code: &str| {
        RegionCode::parse(code)
            .ok()
            .and_then(|c| regions::find(&c))
            .is_some_and(|r| r.parent == Some(PROVINCE_CODE))
    };
    let mut lines: Vec<AssessmentLine> = figures
        .stats
        .items
        .iter()
        .filter(|i| is_city(&i.region_code))
        .map(|i| {
            let target = targets
                .iter()
                .find(|t| {
                    t.indicator == indicator && t.period == period && t.region_code == i.region_code
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
    let pairs: Vec<_> = lines.iter().map(|l| (l.achieved, l.target)).collect();
    for (line, (score, rank)) in lines.iter_mut().zip(score_and_rank(formula, &pairs)) {
        line.score = score;
        line.rank = rank;
    }
    lines
}

/// Stores a computed assessment as a draft and records it.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    computed: &Computed,
) -> Result<AssessmentView, AllocationError> {
    let row = &computed.0;
    queries::insert(conn, row)?;
    let view = view(row)?;
    record_change(conn, actor, ("create", None), None, &view)?;
    Ok(view)
}

/// The plan's assessments, newest first.
pub async fn list(db: &Db, plan_id: String) -> Result<Vec<AssessmentView>, AllocationError> {
    db.read(move |conn| {
        load(conn, &plan_id)?;
        Ok(queries::list(conn, &plan_id)?
            .iter()
            .map(view)
            .collect::<QueryResult<_>>()?)
    })
    .await
}

/// One assessment, or 404.
pub async fn get(
    db: &Db,
    (plan_id, id): (String, String),
) -> Result<AssessmentView, AllocationError> {
    db.read(move |conn| {
        let row = queries::find(conn, &plan_id, &id)?
            .ok_or_else(|| Problem::not_found(format!("plan {plan_id} has no assessment {id}")))?;
        Ok(view(&row)?)
    })
    .await
}

/// Publishes a draft assessment exactly as computed: frozen from then on. Only one
/// assessment per indicator and year may be published, and only on a published plan (409
/// on a draft or closed one). Province only.
pub async fn publish(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    (plan_id, id): (String, String),
) -> Result<AssessmentView, AllocationError> {
    require_province(caller, "publish assessments")?;
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        require_published(&load(conn, &plan_id)?)?;
        let mut row = queries::find(conn, &plan_id, &id)?
            .ok_or_else(|| Problem::not_found(format!("plan {plan_id} has no assessment {id}")))?;
        if row.status != "draft" {
            return Err(Problem::conflict(format!("assessment {id} is already published")).into());
        }
        require_first_published(conn, &row)?;
        let before = view(&row)?;
        row.status = "published".to_owned();
        row.published_by = Some(actor.subject.clone());
        row.published_at = Some(now());
        if !queries::save_draft(conn, &row)? {
            return Err(Problem::conflict("the assessment changed meanwhile; retry").into());
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
        other => Err(Problem::conflict(format!(
            "plan {} is {}; assessments are published on a published plan",
            plan.id,
            other.key()
        ))
        .into()),
    }
}

/// 409 when another assessment of the same indicator and year is already published.
fn require_first_published(
    conn: &mut DbConnection,
    row: &AssessmentRow,
) -> Result<(), AllocationError> {
    let other = queries::list(conn, &row.plan_id)?.into_iter().find(|a| {
        a.status == "published" && a.indicator == row.indicator && a.period == row.period
    });
    match other {
        None => Ok(()),
        Some(other) => Err(Problem::conflict(format!(
            "assessment {} already stands as the published {} assessment for {}",
            other.id, other.indicator, other.period
        ))
        .with_errors(vec![FieldError::new(
            "assessment_id",
            "unique_published",
            "one published assessment per indicator and year",
        )])
        .into()),
    }
}
