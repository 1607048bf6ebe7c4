//! Scoring schemes (考核办法) of a plan: versions made by the province, read by everyone;
//! the rules themselves are in [`crate::domain::scoring`].

use chrono::NaiveDateTime;
use diesel::QueryResult;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::stored::{self, corrupt};
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::plans::{load, refuse_closed};
use super::{Audited, record_change, validated};
use crate::db::plans::{self as plan_queries, IndicatorRow};
use crate::db::scoring::{self as queries, SchemeRow};
use crate::domain::exact::Dec4;
use crate::domain::plan::check_reason;
use crate::domain::scoring::{Band, Item, Rule, Scheme, Step, bounds, weights_total};
use crate::error::AllocationError;

// ---- shapes ---------------------------------------------------------------------------------

/// How an indicator's completion rate becomes points (计分规则).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleSpec {
    /// 线性计分: `weight × min(completion_rate, cap)`.
    // `kind` and `cap`, nothing else (the enum denies unknown fields).
    #[schema(max_properties = 2)]
    Linear {
        /// Highest completion rate that still earns points (封顶完成率), 0.01–10, at most 4
        /// decimals.
        #[schema(minimum = 0.01, maximum = 10, example = 1.2)]
        cap: f64,
    },
    /// 分档计分: `weight × share` of the highest band reached; 0 below every band.
    #[schema(max_properties = 2)]
    Bands {
        /// 1–20 bands with distinct `at_least`.
        #[schema(min_items = 1, max_items = 20)]
        bands: Vec<BandSpec>,
    },
}

/// One band (档次): from this completion rate on, this share of the weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BandSpec {
    /// Lowest completion rate of the band (档次下限), 0–10, at most 4 decimals.
    #[schema(minimum = 0, maximum = 10, example = 0.8)]
    pub at_least: f64,
    /// Share of the weight earned (得分比例), 0–2, at most 4 decimals.
    #[schema(minimum = 0, maximum = 2, example = 0.6)]
    pub share: f64,
}

/// Points per percentage point, up to a limit: a bonus above 100 % (超额加分) or a
/// deduction below 时序进度 (低于时序进度扣分).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Points per percentage point (每个百分点分值), 0.0001–100, at most 4 decimals.
    #[schema(minimum = 0.0001, maximum = 100, example = 0.5)]
    pub points_per_percent: f64,
    /// The most it gives or takes (上限), 0.01–100 points, at most 4 decimals.
    #[schema(minimum = 0.01, maximum = 100, example = 5)]
    pub max_points: f64,
}

/// One assessed indicator (考核指标) of a scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemeItemSpec {
    /// A splittable indicator of the plan with a registry measure.
    #[schema(example = "new_hte", pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub indicator: String,
    /// Points (分值), 0.01–100, at most 4 decimals; a scheme's weights add up to 100.
    #[schema(minimum = 0.01, maximum = 100, example = 60)]
    pub weight: f64,
    pub rule: RuleSpec,
    /// Bonus for completion above 100 % (超额加分).
    #[serde(default)]
    pub bonus: Option<StepSpec>,
    /// Deduction for completion below 时序进度 (低于时序进度扣分).
    #[serde(default)]
    pub deduction: Option<StepSpec>,
}

/// Body of `POST /plans/{id}/scoring-schemes`: the plan's next scheme version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScheme {
    /// Why (理由), 2–500 characters.
    #[schema(
        example = "2020年度考核办法",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
    /// 1–20 indicators, each once; weights add up to 100.
    #[schema(min_items = 1, max_items = 20)]
    pub items: Vec<SchemeItemSpec>,
    /// Most points the province's bonus items (加分项) may add to one region, 0–100
    /// (default 0: none).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub max_bonus_points: f64,
    /// Most points its penalty items (扣分项) may take from one region, 0–100 (default 0).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub max_penalty_points: f64,
}

/// The rules of a scheme as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemeRules {
    /// Stored from a scheme body, which holds 1–20 items.
    #[schema(max_items = 20)]
    pub items: Vec<SchemeItemSpec>,
    #[serde(default)]
    pub max_bonus_points: f64,
    #[serde(default)]
    pub max_penalty_points: f64,
}

/// A version of a plan's scoring scheme (考核办法版本).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SchemeView {
    pub plan_id: String,
    /// 1, 2, …; the ETag of the plan's schemes is `"v<newest version>"`.
    pub version: i32,
    pub reason: String,
    #[serde(flatten)]
    pub rules: SchemeRules,
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

impl Audited for SchemeView {
    const ENTITY_TYPE: &'static str = "scoring_scheme";

    fn plan_id(&self) -> &str {
        &self.plan_id
    }
}

// ---- checks ---------------------------------------------------------------------------------

/// A number of a scheme as a four-place decimal within `bounds`, or an error naming `field`.
fn decimal(
    field: &str,
    value: f64,
    (min, max): (Dec4, Dec4),
    errors: &mut Vec<FieldError>,
) -> Dec4 {
    Dec4::parse(value, min, max).unwrap_or_else(|(rule, e)| {
        errors.push(FieldError::new(
            field,
            rule,
            hte_shared::i18n::Text::new(format!("{field} {e}"), format!("{field} {}", e.zh())),
        ));
        min
    })
}

fn step(field: &str, spec: &StepSpec, errors: &mut Vec<FieldError>) -> Step {
    Step {
        points_per_percent: decimal(
            &format!("{field}.points_per_percent"),
            spec.points_per_percent,
            bounds::PER_PERCENT,
            errors,
        ),
        max_points: decimal(
            &format!("{field}.max_points"),
            spec.max_points,
            bounds::MAX_POINTS,
            errors,
        ),
    }
}

fn rule(field: &str, spec: &RuleSpec, errors: &mut Vec<FieldError>) -> Rule {
    match spec {
        RuleSpec::Linear { cap } => Rule::Linear {
            cap: decimal(&format!("{field}.cap"), *cap, bounds::CAP, errors),
        },
        RuleSpec::Bands { bands } => {
            if !(1..=bounds::MAX_BANDS).contains(&bands.len()) {
                errors.push(FieldError::new(
                    format!("{field}.bands"),
                    "length",
                    hte_shared::i18n::Text::fixed(
                        "a rule has 1–20 bands",
                        "每条规则须设 1 至 20 档",
                    ),
                ));
            }
            let mut checked: Vec<Band> = Vec::new();
            for (i, band) in bands.iter().enumerate().take(bounds::MAX_BANDS) {
                let at = format!("{field}.bands[{i}]");
                let band = Band {
                    at_least: decimal(
                        &format!("{at}.at_least"),
                        band.at_least,
                        bounds::AT_LEAST,
                        errors,
                    ),
                    share: decimal(&format!("{at}.share"), band.share, bounds::SHARE, errors),
                };
                if checked.iter().any(|b| b.at_least == band.at_least) {
                    errors.push(FieldError::new(
                        format!("{at}.at_least"),
                        "unique",
                        hte_shared::i18n::Text::fixed(
                            "two bands start at the same completion rate",
                            "两档的完成率下限相同",
                        ),
                    ));
                }
                checked.push(band);
            }
            checked.sort_by_key(|b| std::cmp::Reverse(b.at_least));
            Rule::Bands(checked)
        }
    }
}

/// The plan's indicator `key`, if it can be assessed: splittable (targets per region) and
/// measured by the registry (actual values).
fn check_indicator(field: &str, key: &str, plan: &[IndicatorRow], errors: &mut Vec<FieldError>) {
    let found = plan.iter().find(|i| i.indicator_key == key);
    let ok = found.is_some_and(|i| i.splittable && i.measure.is_some());
    if !ok {
        let shown: String = key.chars().take(64).collect();
        errors.push(FieldError::new(
            field,
            "assessable",
            hte_shared::text!(
                "{shown:?} is not an indicator of the plan that is split by region and measured \
                 by the registry",
                "{shown:?} 不是规划中可按地区分解且由企业库计量的指标"
            ),
        ));
    }
}

fn item(
    i: usize,
    spec: &SchemeItemSpec,
    plan: Option<&[IndicatorRow]>,
    errors: &mut Vec<FieldError>,
) -> Item {
    let at = format!("items[{i}]");
    if let Some(plan) = plan {
        check_indicator(&format!("{at}.indicator"), &spec.indicator, plan, errors);
    }
    Item {
        indicator: spec.indicator.clone(),
        weight: decimal(&format!("{at}.weight"), spec.weight, bounds::WEIGHT, errors),
        rule: rule(&format!("{at}.rule"), &spec.rule, errors),
        bonus: spec
            .bonus
            .as_ref()
            .map(|s| step(&format!("{at}.bonus"), s, errors)),
        deduction: spec
            .deduction
            .as_ref()
            .map(|s| step(&format!("{at}.deduction"), s, errors)),
    }
}

/// The rules checked against their bounds and, when given, the plan's indicators: the
/// scheme scoring uses, or a 400 naming every refused field.
pub fn checked_scheme(
    rules: &SchemeRules,
    plan: Option<&[IndicatorRow]>,
) -> Result<Scheme, Problem> {
    let mut errors = Vec::new();
    if !(1..=bounds::MAX_ITEMS).contains(&rules.items.len()) {
        errors.push(FieldError::new(
            "items",
            "length",
            hte_shared::i18n::Text::fixed(
                "a scheme assesses 1–20 indicators",
                "考核办法须考核 1 至 20 项指标",
            ),
        ));
    }
    let mut items: Vec<Item> = Vec::new();
    for (i, spec) in rules.items.iter().enumerate().take(bounds::MAX_ITEMS) {
        if items.iter().any(|other| other.indicator == spec.indicator) {
            errors.push(FieldError::new(
                format!("items[{i}].indicator"),
                "unique",
                hte_shared::i18n::Text::fixed(
                    "each indicator appears once",
                    "每项指标只能出现一次",
                ),
            ));
        }
        items.push(item(i, spec, plan, &mut errors));
    }
    if errors.is_empty() && weights_total(&items) != Some(bounds::WEIGHT_TOTAL) {
        let (total, total_zh) = weights_total(&items)
            .map_or(("too much".to_owned(), "过大".to_owned()), |t| {
                (t.to_string(), t.to_string())
            });
        errors.push(FieldError::new(
            "items",
            "weights_total",
            hte_shared::text!(
                "the weights add up to {total}, not 100",
                "各指标分值合计为 {total_zh}，而不是 100"
            ),
        ));
    }
    let scheme = Scheme {
        items,
        max_bonus: decimal(
            "max_bonus_points",
            rules.max_bonus_points,
            bounds::ADJUSTMENT_LIMIT,
            &mut errors,
        ),
        max_penalty: decimal(
            "max_penalty_points",
            rules.max_penalty_points,
            bounds::ADJUSTMENT_LIMIT,
            &mut errors,
        ),
    };
    validated(errors, scheme)
}

// ---- views ----------------------------------------------------------------------------------

pub fn view(row: &SchemeRow) -> QueryResult<SchemeView> {
    Ok(SchemeView {
        plan_id: row.plan_id.clone(),
        version: row.version,
        reason: row.reason.clone(),
        rules: stored::parse("scoring scheme", &row.scheme_json)?,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
    })
}

/// A stored scheme, as scoring uses it; one that no longer keeps its bounds is damaged.
/// (Its indicators are checked when it is used: a draft plan's indicators may change.)
pub fn stored_scheme(rules: &SchemeRules) -> QueryResult<Scheme> {
    checked_scheme(rules, None).map_err(|p| {
        corrupt(
            "scoring scheme",
            p.detail.as_deref().unwrap_or("fails its checks"),
        )
    })
}

// ---- operations -----------------------------------------------------------------------------

/// A checked new version, ready to store.
pub struct SchemeRecord {
    plan_id: String,
    reason: String,
    rules: SchemeRules,
    if_match: IfMatch,
}

/// Checks a new scheme's shape (403 unless the province; 400 naming each refused field)
/// before anything is stored; its indicators are checked against the plan when stored.
pub fn prepare(
    caller: &Caller,
    plan_id: String,
    new: &NewScheme,
    if_match: IfMatch,
) -> Result<SchemeRecord, Problem> {
    caller.require_province(("set scoring schemes", "制定考核办法"))?;
    let reason =
        check_reason(&new.reason).map_err(|e| Problem::invalid_field("reason", "length", e))?;
    Ok(SchemeRecord {
        plan_id,
        reason,
        rules: SchemeRules {
            items: new.items.clone(),
            max_bonus_points: new.max_bonus_points,
            max_penalty_points: new.max_penalty_points,
        },
        if_match,
    })
}

/// Stores the plan's next scheme version (409 on a closed plan; 412 when `If-Match` names
/// another newest version) and records it.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    record: &SchemeRecord,
) -> Result<SchemeView, AllocationError> {
    let plan = load(conn, &record.plan_id)?;
    refuse_closed(
        &plan,
        ("; its scoring scheme is final", "，其考核办法已不可更改"),
    )?;
    let indicators = plan_queries::indicators_of(conn, &plan.id)?;
    checked_scheme(&record.rules, Some(&indicators))?;
    let newest = queries::latest(conn, &plan.id)?.map_or(0, |row| row.version);
    record.if_match.check_if_sent(newest)?;
    let row = SchemeRow {
        plan_id: plan.id.clone(),
        version: newest + 1,
        scheme_json: stored::to_text(&record.rules)?,
        reason: record.reason.clone(),
        created_by: actor.subject.clone(),
        created_at: now(),
    };
    queries::insert(conn, &row)?;
    let view = view(&row)?;
    record_change(conn, actor, ("create", Some(&record.reason)), None, &view)?;
    Ok(view)
}

/// Every version of the plan's scheme, newest first; anyone who reads the plan reads them.
pub async fn list(
    db: &Db,
    plan_id: String,
    page: PageRequest<(String, i32)>,
) -> Result<(Page<SchemeView>, i32), AllocationError> {
    let before = super::position_in_plan(&plan_id, page.after)?;
    db.read(move |conn| {
        load(conn, &plan_id)?;
        let newest = queries::latest(conn, &plan_id)?.map_or(0, |s| s.version);
        let rows = queries::list(conn, &plan_id, before, i64::from(page.limit) + 1)?;
        let views = rows.iter().map(view).collect::<QueryResult<Vec<_>>>()?;
        let page = Page::from_rows(views, page.limit, |s| (s.plan_id.clone(), s.version));
        Ok((page, newest))
    })
    .await
}

/// One version, or 404.
pub async fn get(
    db: &Db,
    (plan_id, version): (String, i32),
) -> Result<SchemeView, AllocationError> {
    db.read(move |conn| {
        load(conn, &plan_id)?;
        let row = queries::find(conn, &plan_id, version)?.ok_or_else(|| {
            Problem::not_found(hte_shared::text!(
                "plan {plan_id} has no scoring scheme version {version}",
                "规划 {plan_id} 没有第 {version} 版考核办法"
            ))
        })?;
        Ok(view(&row)?)
    })
    .await
}
