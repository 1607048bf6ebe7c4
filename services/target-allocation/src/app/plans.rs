//! Plans (规划/工作方案) and their indicators (指标): the views, the checks of a new or
//! changed plan, and the operations (create, list, read, update while draft, publish, close).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::targets::{tree_values, violation_errors};
use super::{Audited, record_change, validated};
use crate::db::plans::{self as queries, IndicatorRow, PlanRow};
use crate::db::targets;
use crate::domain::plan::{
    Aggregation, Comparator, DataSource, Formula, InputPeriod, Measure, PlanStatus,
    check_indicator_key, check_period, check_plan_id, check_text, formula_violations,
    indicator_violations, parse_target_period,
};
use crate::domain::tree::violations;
use crate::error::AllocationError;

// ---- shapes -------------------------------------------------------------------------------

/// An indicator (指标) of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable key (指标代码), snake_case, 2–64 characters.
    #[schema(example = "hte_count", pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub key: String,
    /// Name in Chinese (指标名称), 1–200 characters.
    #[schema(
        example = "高新技术企业总数",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub name_zh: String,
    /// Name in English, 1–200 characters.
    #[schema(
        example = "Valid HTEs in the province",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub name_en: String,
    /// Unit (单位): `enterprises`, `patents`, `ratio` (a decimal 0–1), …; 1–32 characters.
    #[schema(
        example = "enterprises",
        min_length = 1,
        max_length = 32,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub unit: String,
    /// How the actual value is compared with the target (比较方式).
    pub comparator: Comparator,
    /// Target value (目标值) for the whole plan: a count 0–10^12, a ratio 0–1. Null when
    /// the plan text sets no number.
    #[schema(example = 30000, minimum = 0, maximum = 1000000000000_f64)]
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
    /// How monitoring computes the value (计算公式). When left out, an indicator with a
    /// registry `measure` gets the one-term quantity `{"quantity": [{"registry": measure}]}`;
    /// without either it is not monitored (null).
    #[serde(default)]
    pub formula: Option<Formula>,
    /// Which period of statistics inputs the formula reads (统计输入期别); default `latest`.
    #[serde(default = "default_input_period")]
    pub input_period: InputPeriod,
    /// Whether pool firms the registry finds ready for recognition add to the forecast
    /// (计入培育库储备), for counts of HTEs; default false.
    #[serde(default)]
    pub pipeline: bool,
}

fn default_aggregation() -> Aggregation {
    Aggregation::Stock
}

fn default_input_period() -> InputPeriod {
    InputPeriod::Latest
}

/// A plan (规划/工作方案).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
    /// Indicators (指标), in order; stored from a plan body, whose arrays hold at most
    /// `hte_shared::bounds::MAX_ITEMS`.
    #[schema(max_items = 1000)]
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
    /// When it was archived (归档时间): archived plans are left out of lists unless
    /// `include_archived=true`.
    #[serde(with = "hte_shared::time::utc::option")]
    pub archived_at: Option<NaiveDateTime>,
}

/// Body of `POST /plans`. The plan starts as a draft with an empty target tree.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// Readable stable id: 3–64 lowercase letters, digits and hyphens, not starting or
    /// ending with a hyphen.
    #[schema(
        example = "jiangsu-2021-2025",
        pattern = "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
    )]
    pub id: String,
    /// Name (名称), 2–200 characters (leading and trailing spaces not counted).
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub name: String,
    /// Name in English, up to 200 characters; blank is none.
    #[schema(max_length = 200)]
    pub name_en: Option<String>,
    /// Document number (文号), up to 100 characters; blank is none.
    #[schema(max_length = 100)]
    pub document_no: Option<String>,
    /// First day (起始日期); the period lies within 2000–2100 and spans at most 10 years.
    pub starts_on: NaiveDate,
    /// Last day (截止日期), not before `starts_on`.
    pub ends_on: NaiveDate,
    /// At least one indicator; keys unique.
    #[schema(min_items = 1)]
    pub indicators: Vec<Indicator>,
}

/// Body of `PATCH /plans/{id}` (draft plans only). Absent fields are unchanged;
/// `indicators`, when given, replaces the whole list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    /// Name (名称), 2–200 characters (leading and trailing spaces not counted).
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(
        nullable = false,
        min_length = 2,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub name: Option<String>,
    /// Up to 200 characters; `null` or blank clears it.
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub name_en: Option<Option<String>>,
    /// Up to 100 characters; `null` or blank clears it.
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub document_no: Option<Option<String>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub starts_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub ends_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false, min_items = 1)]
    pub indicators: Option<Vec<Indicator>>,
}

impl Audited for PlanView {
    const ENTITY_TYPE: &'static str = "plan";

    fn plan_id(&self) -> &str {
        &self.id
    }
}

// ---- views ----------------------------------------------------------------------------------

pub fn indicator_view(row: &IndicatorRow) -> QueryResult<Indicator> {
    Ok(Indicator {
        key: row.indicator_key.clone(),
        name_zh: row.name_zh.clone(),
        name_en: row.name_en.clone(),
        unit: row.unit.clone(),
        comparator: row.comparator()?,
        target_value: row.target_value()?,
        source: row.source()?,
        splittable: row.splittable,
        measure: row.measure()?,
        aggregation: row.aggregation()?,
        formula: row.formula()?,
        input_period: row.input_period()?,
        pipeline: row.pipeline,
    })
}

pub fn plan_view(row: &PlanRow, indicators: &[IndicatorRow]) -> QueryResult<PlanView> {
    Ok(PlanView {
        id: row.id.clone(),
        name: row.name.clone(),
        name_en: row.name_en.clone(),
        document_no: row.document_no.clone(),
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        status: row.status()?,
        indicators: indicators
            .iter()
            .map(indicator_view)
            .collect::<QueryResult<_>>()?,
        version: row.version,
        tree_version: row.tree_version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        published_at: row.published_at,
        closed_at: row.closed_at,
        archived_at: row.archived_at,
    })
}

/// The plan, or 404.
pub fn load(conn: &mut DbConnection, id: &str) -> Result<PlanRow, AllocationError> {
    queries::find(conn, id)?.ok_or_else(|| {
        Problem::not_found(hte_shared::text!(
            "no plan with id {id:?}",
            "未找到编号为 {id:?} 的规划"
        ))
        .into()
    })
}

/// 409 unless the plan is a draft; `only` ends the sentence "only a draft plan can …" in
/// English and Chinese (仅草案可以…): what a draft alone allows, and what to do instead.
pub fn require_draft(plan: &PlanRow, only: (&str, &str)) -> Result<(), AllocationError> {
    let status = plan.status()?;
    if status == PlanStatus::Draft {
        return Ok(());
    }
    let (id, key, label) = (&plan.id, status.key(), status.label_zh());
    let (en, zh) = only;
    Err(Problem::conflict(hte_shared::text!(
        "plan {id} is {key}; only a draft plan can {en}",
        "规划 {id} 的状态为{label}；仅草案可以{zh}"
    ))
    .into())
}

/// 409 when the plan is closed (read-only); `consequence` says what that means here, in
/// English and Chinese.
pub fn refuse_closed(
    plan: &PlanRow,
    (consequence, consequence_zh): (&str, &str),
) -> Result<(), AllocationError> {
    if plan.status()? == PlanStatus::Closed {
        Err(Problem::conflict(hte_shared::text!(
            "plan {} is closed{consequence}",
            "规划 {} 已结束{consequence_zh}",
            plan.id
        ))
        .into())
    } else {
        Ok(())
    }
}

// ---- checks of what a client sends ------------------------------------------------------------

/// Trimmed text of `min..=max` characters; else an error naming `field` (the message names
/// `label`).
fn required_text(
    (field, label): (&str, &str),
    value: &str,
    (min, max): (usize, usize),
    errors: &mut Vec<FieldError>,
) -> String {
    check_text(value, min, max).unwrap_or_else(|e| {
        errors.push(FieldError::new(field, "length", labelled(label, &e)));
        String::new()
    })
}

/// `reason` led by the name of what it is about, in both languages.
fn labelled(label: &str, reason: &hte_shared::i18n::Text) -> hte_shared::i18n::Text {
    hte_shared::i18n::Text::new(
        format!("{label} {reason}"),
        format!("{label}{}", reason.zh()),
    )
}

fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    check_text(value, 1, max)
        .map_err(|e| errors.push(FieldError::new(field, "length", labelled(field, &e))))
        .ok()
}

/// The indicator's formula (a registry measure's one-term quantity when none is given),
/// checked, as the JSON to store.
fn checked_formula(
    ind: &Indicator,
    unit: &str,
    field: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let formula = ind.formula.clone().or(ind.measure.map(Formula::of_measure));
    let broken = formula_violations(
        formula.as_ref(),
        unit,
        ind.source,
        ind.input_period,
        ind.pipeline,
    );
    for (name, rule, message) in broken {
        errors.push(FieldError::new(field(&name), rule, message));
    }
    let formula = formula?;
    serde_json::to_string(&formula)
        .map_err(|e| {
            // Our own formula failing to serialise is a fault here, not in the request.
            tracing::error!(error = %e, "cannot serialise a checked formula");
            errors.push(FieldError::new(
                field("formula"),
                "schema",
                hte_shared::i18n::Text::fixed("the formula cannot be stored", "该公式无法保存"),
            ))
        })
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
            hte_shared::i18n::Text::fixed(
                "a plan needs at least one indicator",
                "规划至少须包含一项指标",
            ),
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
                hte_shared::text!(
                    "indicator key {:?} appears twice",
                    "指标键名 {:?} 重复出现",
                    ind.key
                ),
            ));
        }
        let name_zh = required_text(
            (&field("name_zh"), "name_zh"),
            &ind.name_zh,
            (1, 200),
            errors,
        );
        let name_en = required_text(
            (&field("name_en"), "name_en"),
            &ind.name_en,
            (1, 200),
            errors,
        );
        let unit = required_text((&field("unit"), "unit"), &ind.unit, (1, 32), errors);
        let broken = indicator_violations(
            &unit,
            ind.target_value,
            ind.splittable,
            ind.source,
            ind.measure,
        );
        for (name, rule, message) in broken {
            errors.push(FieldError::new(field(name), rule, message));
        }
        let formula_json = checked_formula(ind, &unit, &field, errors);
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
            formula_json,
            input_period: ind.input_period.key().to_owned(),
            pipeline: ind.pipeline,
        });
    }
    rows
}

/// A new plan, checked: the rows to store.
pub struct PlanRecord {
    plan: PlanRow,
    indicators: Vec<IndicatorRow>,
}

/// Checks a new plan (403 unless the province; 400 naming every refused field) and makes
/// its rows: a draft with an empty tree. Nothing is stored yet.
pub fn prepare(caller: &Caller, new: &NewPlan) -> Result<PlanRecord, Problem> {
    caller.require_province(("create plans", "创建规划"))?;
    let mut errors = Vec::new();
    if let Err(e) = check_plan_id(&new.id) {
        errors.push(FieldError::new("id", "format", e));
    }
    let name = required_text(("name", "name"), &new.name, (2, 200), &mut errors);
    let name_en = optional_text("name_en", new.name_en.as_deref(), 200, &mut errors);
    let document_no = optional_text("document_no", new.document_no.as_deref(), 100, &mut errors);
    if let Err(e) = check_period(new.starts_on, new.ends_on) {
        errors.push(FieldError::new("ends_on", "period", e));
    }
    let indicators = indicator_rows(&new.id, &new.indicators, &mut errors);
    let at = now();
    let plan = PlanRow {
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
        archived_at: None,
    };
    validated(errors, PlanRecord { plan, indicators })
}

/// The plan with `patch` applied (not yet saved), or a 400 naming every refused field.
fn patched(
    before: &PlanRow,
    before_indicators: &[IndicatorRow],
    patch: &PlanPatch,
) -> Result<(PlanRow, Vec<IndicatorRow>), Problem> {
    let mut errors = Vec::new();
    let mut after = before.clone();
    if let Some(name) = &patch.name {
        after.name = required_text(("name", "name"), name, (2, 200), &mut errors);
    }
    if let Some(name_en) = &patch.name_en {
        after.name_en = optional_text("name_en", name_en.as_deref(), 200, &mut errors);
    }
    if let Some(document_no) = &patch.document_no {
        after.document_no = optional_text("document_no", document_no.as_deref(), 100, &mut errors);
    }
    after.starts_on = patch.starts_on.unwrap_or(before.starts_on);
    after.ends_on = patch.ends_on.unwrap_or(before.ends_on);
    if let Err(e) = check_period(after.starts_on, after.ends_on) {
        errors.push(FieldError::new("ends_on", "period", e));
    }
    let indicators = match &patch.indicators {
        Some(list) => indicator_rows(&before.id, list, &mut errors),
        None => before_indicators.to_vec(),
    };
    validated(errors, (after, indicators))
}

// ---- operations -------------------------------------------------------------------------------

/// Stores a checked new plan (409 when the id is taken) and records it.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    record: &PlanRecord,
) -> Result<PlanView, AllocationError> {
    let PlanRecord { plan, indicators } = record;
    if queries::find(conn, &plan.id)?.is_some() {
        return Err(Problem::conflict(hte_shared::text!(
            "a plan with id {:?} already exists",
            "编号为 {:?} 的规划已存在",
            plan.id
        ))
        .into());
    }
    queries::insert(conn, plan)?;
    queries::replace_indicators(conn, &plan.id, indicators)?;
    let view = plan_view(plan, indicators)?;
    record_change(conn, actor, ("create", None), None, &view)?;
    Ok(view)
}

/// A page of plans, ordered by id; archived plans only when asked for.
pub async fn list(
    db: &Db,
    page: PageRequest<String>,
    include_archived: bool,
) -> Result<Page<PlanView>, AllocationError> {
    db.read(move |conn| {
        let limit = i64::from(page.limit) + 1;
        let rows = queries::list(conn, page.after.as_deref(), limit, include_archived)?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            let indicators = queries::indicators_of(conn, &row.id)?;
            views.push(plan_view(row, &indicators)?);
        }
        Ok(Page::from_rows(views, page.limit, |v| v.id.clone()))
    })
    .await
}

/// One plan with its indicators, or 404.
pub async fn get(db: &Db, id: String) -> Result<PlanView, AllocationError> {
    db.read(move |conn| {
        let row = load(conn, &id)?;
        let indicators = queries::indicators_of(conn, &id)?;
        Ok(plan_view(&row, &indicators)?)
    })
    .await
}

/// Applies `patch` to a draft plan (409 once published: its targets then change through
/// adjustments). Targets already set must stay valid. A patch that changes nothing makes no
/// new version, so other clients' ETags stay good.
pub async fn update(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    id: String,
    if_match: IfMatch,
    patch: PlanPatch,
) -> Result<PlanView, AllocationError> {
    caller.require_province(("change plans", "修改规划"))?;
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        let before = load(conn, &id)?;
        if_match.require_sent(before.version)?;
        require_draft(
            &before,
            (
                "be edited (targets of a published plan change through adjustments)",
                "修改（已发布规划的目标通过调整来变更）",
            ),
        )?;
        let before_indicators = queries::indicators_of(conn, &id)?;
        let before_view = plan_view(&before, &before_indicators)?;
        // A body the document refuses is a 400 whatever the ETag: the client must fix it
        // before a fresh read could help.
        let (mut after, indicators) = patched(&before, &before_indicators, &patch)?;
        if_match.check(before.version)?;
        check_targets_still_fit(conn, &before, &after, &indicators)?;
        if plan_view(&after, &indicators)? == before_view {
            return Ok(before_view);
        }
        after.version = before.version + 1;
        after.updated_at = now();
        if !queries::update_if_version(conn, &after, before.version)? {
            return Err(Problem::precondition_failed(hte_shared::i18n::Text::fixed(
                "the plan changed while this update was being applied; read it again",
                "规划在本次修改期间已被他人修改，请重新读取后再试",
            ))
            .into());
        }
        if patch.indicators.is_some() {
            queries::replace_indicators(conn, &id, &indicators)?;
        }
        let view = plan_view(&after, &indicators)?;
        record_change(conn, &actor, ("update", None), Some(&before_view), &view)?;
        Ok(view)
    })
    .await
}

/// 409 unless every target already set keeps a splittable indicator and a period inside the
/// plan's new period.
fn check_targets_still_fit(
    conn: &mut DbConnection,
    before: &PlanRow,
    after: &PlanRow,
    indicators: &[IndicatorRow],
) -> Result<(), AllocationError> {
    for t in &targets::targets_at(conn, &before.id, before.tree_version)? {
        let still = indicators
            .iter()
            .any(|i| i.indicator_key == t.indicator && i.splittable);
        if !still {
            return Err(Problem::conflict(hte_shared::text!(
                "targets exist for indicator {}; it must stay in the plan and splittable",
                "指标 {} 已设定目标；该指标须保留在规划中且可分解",
                t.indicator
            ))
            .into());
        }
        if parse_target_period(&t.period, after.starts_on, after.ends_on).is_err() {
            return Err(Problem::conflict(hte_shared::text!(
                "targets exist for period {}, which the new plan period would leave out",
                "考核期 {} 已设定目标，新的规划期不能将其排除在外",
                t.period
            ))
            .into());
        }
    }
    Ok(())
}

/// Moves a plan to `to`: draft → published (refused, 422, while any split region's children
/// do not add up to it) → closed (read-only).
pub async fn transition(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    id: String,
    if_match: IfMatch,
    to: PlanStatus,
) -> Result<PlanView, AllocationError> {
    let (permission, action) = if to == PlanStatus::Published {
        (("publish plans", "发布规划"), "publish")
    } else {
        (("close plans", "关闭规划"), "close")
    };
    let change = StateChange {
        permission,
        action,
        refuse: move |conn: &mut DbConnection, before: &PlanRow| {
            let (id, from) = (&before.id, before.status()?);
            if !from.can_become(to) {
                return Err(Problem::conflict(hte_shared::i18n::Text::new(
                    format!(
                        "plan {id} is {}; it cannot become {} (draft → published → closed)",
                        from.key(),
                        to.key()
                    ),
                    format!(
                        "规划 {id} 的状态为{}，不能变为{}（草案 → 已发布 → 已结束）",
                        from.label_zh(),
                        to.label_zh()
                    ),
                ))
                .into());
            }
            if to == PlanStatus::Published {
                require_balanced(conn, before)?;
            }
            Ok(())
        },
        apply: move |after: &mut PlanRow| {
            after.status = to.key().to_owned();
            match to {
                PlanStatus::Published => after.published_at = Some(after.updated_at),
                PlanStatus::Closed => after.closed_at = Some(after.updated_at),
                PlanStatus::Draft => {}
            }
        },
    };
    change_state(db, caller, request_id, (id, if_match), change).await
}

/// A province-only change of a plan's state (publish, close, archive, restore), checked
/// against `If-Match` when one is sent.
pub(super) struct StateChange<R, A> {
    /// What the caller must be allowed to do, in English and Chinese.
    pub permission: (&'static str, &'static str),
    /// The audit entry's action.
    pub action: &'static str,
    /// Why the plan as it is cannot make the change (409, 422), if it cannot.
    pub refuse: R,
    /// Sets the new state on the plan, whose version and `updated_at` have already moved on.
    pub apply: A,
}

/// Makes `change` to plan `id` in one transaction and records it in the audit chain.
pub(super) async fn change_state<R, A>(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    (id, if_match): (String, IfMatch),
    change: StateChange<R, A>,
) -> Result<PlanView, AllocationError>
where
    R: FnOnce(&mut DbConnection, &PlanRow) -> Result<(), AllocationError> + Send + 'static,
    A: FnOnce(&mut PlanRow) + Send + 'static,
{
    caller.require_province(change.permission)?;
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        let before = load(conn, &id)?;
        if_match.check_if_sent(before.version)?;
        (change.refuse)(conn, &before)?;
        let indicators = queries::indicators_of(conn, &id)?;
        let mut after = before.clone();
        after.version = before.version + 1;
        after.updated_at = now();
        (change.apply)(&mut after);
        if !queries::update_if_version(conn, &after, before.version)? {
            return Err(Problem::conflict(hte_shared::i18n::Text::fixed(
                "the plan changed meanwhile; retry",
                "规划已被他人修改，请重新读取后再试",
            ))
            .into());
        }
        let view = plan_view(&after, &indicators)?;
        let before_view = plan_view(&before, &indicators)?;
        record_change(
            conn,
            &actor,
            (change.action, None),
            Some(&before_view),
            &view,
        )?;
        Ok(view)
    })
    .await
}

/// 422 naming each region whose children's targets do not add up to its own.
fn require_balanced(conn: &mut DbConnection, plan: &PlanRow) -> Result<(), AllocationError> {
    let values = tree_values(&targets::targets_at(conn, &plan.id, plan.tree_version)?)?;
    let broken = violations(&values);
    match broken.first() {
        None => Ok(()),
        Some(first) => Err(Problem::unprocessable({
            let (id, count, first) = (&plan.id, broken.len(), first.message());
            hte_shared::i18n::Text::new(
                format!(
                    "plan {id} cannot be published: in {count} place(s) the children's targets \
                     do not add up to their region's target; first: {first}"
                ),
                format!(
                    "规划 {id} 不能发布：有 {count} 处下级地区目标之和与上级目标不一致；第一处：{}",
                    first.zh()
                ),
            )
        })
        .with_errors(violation_errors(&broken))
        .into()),
    }
}
