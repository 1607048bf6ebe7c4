//! External statistics inputs (统计部门数据): entered and corrected by the province, read by
//! each region's officials within their subtree. Every version stays readable with who
//! entered it and why it was corrected.

use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::i18n::Text;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::RegionCode;
use hte_shared::telemetry::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_region, record_change, region_name, require_read};
use crate::db::statistics_inputs::{self as queries, InputFilter, InputKey, InputRow, Written};
use crate::domain::inputs::{
    AmountUnit, InputMeasure, StatisticsInput, Submission, WriteRefusal, check_submission,
    plan_write, reason as domain_reason,
};
use crate::domain::period::Period;
use crate::error::MonitoringError;

/// Reporting periods: a month `2020-09`, a quarter `2020-Q3` or a year `2020`.
pub const PERIOD_PATTERN: &str = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$";
/// A plain decimal, as figures are copied from statistical bulletins.
pub const DECIMAL_PATTERN: &str = r"^[+]?[0-9]+(\.[0-9]+)?$";

/// A figure as written: a JSON number or a decimal string (`"2779.5"`), kept as text so that
/// it converts to yuan exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            // serde_json writes 1e-7 and 5e307 with an exponent, which no bulletin does;
            // Rust's float Display writes every digit, so the amount converts exactly.
            serde_json::Value::Number(n) => Ok(Self(match n.as_f64().filter(|_| n.is_f64()) {
                Some(float) => float.to_string(),
                None => n.to_string(),
            })),
            serde_json::Value::String(s) => Ok(Self(s)),
            other => Err(serde::de::Error::invalid_type(
                unexpected(&other),
                &"a decimal number or a decimal string",
            )),
        }
    }
}

/// What serde calls a JSON value that is neither a number nor a string, so the shared
/// rejection wording ("expected …, got a boolean") applies.
fn unexpected(value: &serde_json::Value) -> serde::de::Unexpected<'_> {
    use serde::de::Unexpected;
    match value {
        serde_json::Value::Bool(b) => Unexpected::Bool(*b),
        serde_json::Value::Array(_) => Unexpected::Seq,
        serde_json::Value::Object(_) => Unexpected::Map,
        _ => Unexpected::Unit,
    }
}

impl utoipa::PartialSchema for DecimalText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(DECIMAL_PATTERN)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(0)),
            )
            .description(Some(
                "The figure as written in `unit` (数值), a decimal number or string, e.g. \
                 \"2779.5\"; in yuan it must be a whole number of at most 10^15",
            ))
            .into()
    }
}

impl ToSchema for DecimalText {}

/// Body of `PUT /statistics-inputs/{measure}/{period}/{region}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InputWrite {
    pub value: DecimalText,
    /// The unit the value is written in (录入单位): `yuan` (default), `wan_yuan` (万元) or
    /// `yi_yuan` (亿元).
    #[serde(default)]
    pub unit: Option<AmountUnit>,
    /// The document the figure comes from (来源文件), 2–200 characters (leading and trailing
    /// spaces not counted: the pattern asks for two characters other than spaces).
    #[schema(
        example = "2019年江苏省科技经费投入统计公报",
        min_length = 2,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub source_document: String,
    /// A note (备注), up to 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    /// Why a figure is corrected (更正理由), 2–500 characters (leading and trailing spaces not
    /// counted): required for a correction.
    #[serde(default)]
    #[schema(
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: Option<String>,
}

/// One version of a statistics input (统计输入).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InputView {
    /// Measure (统计指标).
    pub measure: InputMeasure,
    /// Its Chinese name (指标名称).
    pub measure_name_zh: String,
    /// Period (统计期): `2020-09`, `2020-Q3` or `2020`.
    #[schema(
        example = "2019",
        pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$"
    )]
    pub period: String,
    /// Region (地区), GB/T 2260.
    #[schema(example = "320000")]
    pub region_code: String,
    pub region_name: String,
    /// Version (版本), from 1; the ETag is `"v<version>"`.
    pub version: i32,
    /// The figure in yuan (元).
    pub value_yuan: i64,
    /// The figure as entered, and its unit.
    pub entered_value: String,
    pub entered_unit: AmountUnit,
    /// 来源文件
    pub source_document: String,
    /// 备注
    pub note: Option<String>,
    /// Why this version corrects the one before (更正理由); absent on version 1.
    pub reason: Option<String>,
    /// Who entered this version (录入人).
    pub entered_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub entered_at: NaiveDateTime,
}

pub fn view(row: &InputRow) -> Result<InputView, MonitoringError> {
    let corrupt = |what: &str, value: &str| hte_shared::stored::corrupt(what, value);
    let measure = InputMeasure::from_key(&row.measure)
        .ok_or_else(|| corrupt("statistics input measure", &row.measure))?;
    Ok(InputView {
        measure,
        measure_name_zh: measure.name_zh().to_owned(),
        period: row.period.clone(),
        region_name: region_name(&row.region_code),
        region_code: row.region_code.clone(),
        version: row.version,
        value_yuan: row.value,
        entered_value: row.entered_value.clone(),
        entered_unit: AmountUnit::from_key(&row.entered_unit)
            .ok_or_else(|| corrupt("statistics input unit", &row.entered_unit))?,
        source_document: row.source_document.clone(),
        note: row.note.clone(),
        reason: row.reason.clone(),
        entered_by: row.actor.clone(),
        entered_at: row.created_at,
    })
}

/// Which figure a path names: measure, period and region, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPath {
    pub measure: InputMeasure,
    pub period: Period,
    pub region: RegionCode,
}

impl InputPath {
    pub fn parse(measure: &str, period: &str, region: &str) -> Result<Self, Problem> {
        let mut errors = Vec::new();
        let m = InputMeasure::from_key(measure.trim());
        if m.is_none() {
            errors.push(FieldError::new(
                "measure",
                "enum",
                hte_shared::text!(
                    "measure must be one of {}",
                    "统计指标不在目录中，须为以下之一：{}",
                    InputMeasure::keys()
                ),
            ));
        }
        let p = Period::parse(period)
            .map_err(|e| errors.push(FieldError::new("period", "format", e.text())))
            .ok();
        let r = parse_region("region", region)
            .map_err(|p| errors.extend(p.errors))
            .ok();
        match (m, p, r) {
            (Some(measure), Some(period), Some(region)) => Ok(Self {
                measure,
                period,
                region,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }

    pub fn key(&self) -> InputKey {
        InputKey {
            measure: self.measure.key().to_owned(),
            period: self.period.to_string(),
            region_code: self.region.to_string(),
        }
    }

    fn audit_key(&self) -> String {
        format!("{}/{}/{}", self.measure.key(), self.period, self.region)
    }
}

/// A checked input as the row of `version`.
pub fn row_of(
    input: &StatisticsInput,
    version: i32,
    reason: Option<String>,
    actor: &Actor,
) -> InputRow {
    InputRow {
        measure: input.measure.key().to_owned(),
        period: input.period.to_string(),
        region_code: input.region.to_string(),
        version,
        period_starts_on: input.period.starts_on(),
        period_ends_on: input.period.ends_on(),
        value: input.value_yuan,
        unit: input.measure.unit().key().to_owned(),
        entered_value: input.entered_value.clone(),
        entered_unit: input.entered_unit.key().to_owned(),
        source_document: input.source_document.clone(),
        note: input.note.clone(),
        reason,
        actor: actor.subject.clone(),
        created_at: hte_shared::time::now(),
    }
}

/// The problem for a refused write.
pub fn refusal_problem(refusal: WriteRefusal) -> Problem {
    match refusal {
        WriteRefusal::VersionRequired { .. } => Problem::precondition_required(refusal.text()),
        WriteRefusal::Stale { .. } => Problem::precondition_failed(refusal.text()),
        WriteRefusal::ReasonRequired => {
            Problem::invalid_field("reason", "required_for_correction", refusal.text())
        }
        WriteRefusal::Invalid(e) => Problem::invalid_field("reason", e.rule(), e.text()),
    }
}

/// Writes `input` as the next version of its figure and audits it; `expected` is the
/// version the writer saw (None for a new figure). Returns the previous and the new view.
pub fn write_version(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &StatisticsInput,
    expected: Option<i32>,
    reason: Option<&str>,
) -> Result<(Option<InputView>, InputView), MonitoringError> {
    let path = InputPath {
        measure: input.measure,
        period: input.period,
        region: input.region,
    };
    let key = path.key();
    let before = queries::find_current(conn, &key)?;
    let plan = plan_write(before.as_ref().map(|r| r.version), expected, reason)
        .map_err(refusal_problem)?;
    let row = row_of(input, plan.version, plan.reason.clone(), actor);
    if let Written::Stale { current } = queries::insert_version(conn, &row)? {
        return Err(refusal_problem(WriteRefusal::Stale {
            current,
            expected: plan.version - 1,
        })
        .into());
    }
    let before = before.as_ref().map(view).transpose()?;
    let after = view(&row)?;
    let action = if before.is_some() {
        "correct"
    } else {
        "create"
    };
    record_change(
        conn,
        actor,
        ("statistics_input", &path.audit_key()),
        (action, plan.reason.as_deref()),
        before.as_ref(),
        &after,
    )?;
    Ok((before, after))
}

/// Enters a figure (version 1) or corrects it (If-Match with its ETag, and a reason). The
/// province only. Returns the new version and whether it is the first.
pub async fn put(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    (measure, period, region): (String, String, String),
    if_match: IfMatch,
    body: InputWrite,
) -> Result<(InputView, bool), MonitoringError> {
    caller.require_province(("enter statistics inputs", "录入统计数据"))?;
    let submission = Submission {
        measure: &measure,
        period: &period,
        region: &region,
        value: &body.value.0,
        unit: body.unit.map(AmountUnit::key),
        source_document: &body.source_document,
        note: body.note.as_deref(),
    };
    let input = check_submission(&submission).map_err(|issues| {
        Problem::validation(
            issues
                .into_iter()
                .map(|i| FieldError::new(i.field, i.rule, i.message))
                .collect(),
        )
    })?;
    // A reason that breaks the document is a 400 before If-Match is weighed (RFC 9110
    // §13.2.1: preconditions are evaluated for a request that is otherwise acceptable).
    if let Some(raw) = body.reason.as_deref() {
        domain_reason(raw).map_err(|e| Problem::invalid_field("reason", e.rule(), e.text()))?;
    }
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        let key = InputPath {
            measure: input.measure,
            period: input.period,
            region: input.region,
        }
        .key();
        let current = queries::current_version(conn, &key)?;
        let expected = match current {
            Some(version) => {
                if_match.check(version)?;
                Some(version)
            }
            None => {
                if_match.check_if_sent(0)?;
                None
            }
        };
        let (before, after) =
            write_version(conn, &actor, &input, expected, body.reason.as_deref())?;
        Ok((after, before.is_none()))
    })
    .await
}

/// The current version of a figure (or `version`), for a reader of its region.
pub async fn get(
    db: &Db,
    caller: &Caller,
    path: InputPath,
    version: Option<i32>,
) -> Result<InputView, MonitoringError> {
    require_read(caller, &path.region)?;
    db.read(move |conn| {
        let key = path.key();
        let row = match version {
            Some(v) => queries::find_version(conn, &key, v)?,
            None => queries::find_current(conn, &key)?,
        };
        let row = row.ok_or_else(|| {
            let input = path.audit_key();
            Problem::not_found(match version {
                Some(v) => hte_shared::text!(
                    "no statistics input {input} version {v}",
                    "未找到统计输入 {input} 的第 {v} 版"
                ),
                None => hte_shared::text!("no statistics input {input}", "未找到统计输入 {input}"),
            })
        })?;
        view(&row)
    })
    .await
}

/// A page of the versions of a figure, oldest first. The cursor names its figure: one from
/// another figure's history is refused, never read as a position in this one.
pub async fn history(
    db: &Db,
    caller: &Caller,
    path: InputPath,
    page: PageRequest<(String, i32)>,
) -> Result<Page<InputView>, MonitoringError> {
    require_read(caller, &path.region)?;
    let figure = path.audit_key();
    let after = match page.after {
        Some((cursor_figure, version)) if cursor_figure == figure => Some(version),
        Some(_) => {
            return Err(Problem::invalid_field(
                "cursor",
                "not_issued",
                Text::fixed(
                    "the cursor belongs to another figure's history; start again without it",
                    "该游标属于另一统计数的修订记录，请去掉游标从头查询",
                ),
            )
            .into());
        }
        None => None,
    };
    db.read(move |conn| {
        let key = path.key();
        if queries::find_current(conn, &key)?.is_none() {
            return Err(Problem::not_found(hte_shared::text!(
                "no statistics input {figure}",
                "未找到统计输入 {figure}"
            ))
            .into());
        }
        let rows = queries::history(conn, &key, after, i64::from(page.limit) + 1)?;
        let views = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(views, page.limit, |v| {
            (figure.clone(), v.version)
        }))
    })
    .await
}

/// Filters of the list, as sent.
#[derive(Debug, Clone, Default)]
pub struct InputQuery {
    pub measure: Option<String>,
    pub period: Option<String>,
    pub region: Option<String>,
}

/// Current figures in the caller's reach, by measure, period and region code.
pub async fn list(
    db: &Db,
    caller: &Caller,
    query: InputQuery,
    page: PageRequest<InputKey>,
) -> Result<Page<InputView>, MonitoringError> {
    let mut errors = Vec::new();
    let measure = query.measure.as_deref().map(str::trim).and_then(|m| {
        InputMeasure::from_key(m).or_else(|| {
            errors.push(FieldError::new(
                "measure",
                "enum",
                hte_shared::text!(
                    "measure must be one of {}",
                    "统计指标须为以下之一：{}",
                    InputMeasure::keys()
                ),
            ));
            None
        })
    });
    let period = query.period.as_deref().and_then(|p| {
        Period::parse(p)
            .map_err(|e| errors.push(FieldError::new("period", "format", e.text())))
            .ok()
    });
    let scope = super::scope_or_errors(caller, query.region.as_deref(), &mut errors)?;
    super::validated(errors, ())?;
    let filter = InputFilter {
        measure: measure.map(|m| m.key().to_owned()),
        period: period.map(|p| p.to_string()),
        regions: scope.as_ref().map(super::subtree_codes),
    };
    db.read(move |conn| {
        let rows = queries::list_current(
            conn,
            &filter,
            page.after.as_ref(),
            i64::from(page.limit) + 1,
        )?;
        let views = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(views, page.limit, |v| InputKey {
            measure: v.measure.key().to_owned(),
            period: v.period.clone(),
            region_code: v.region_code.clone(),
        }))
    })
    .await
}

#[cfg(test)]
mod cursor_tests {
    use chrono::NaiveDateTime;
    use hte_shared::pagination::cursor_fits;

    use crate::db::statistics_inputs::InputKey;

    /// The worst key of each of the service's lists stays within the documented cursor
    /// bound. Measures, periods, region codes and ids are ASCII of at most 64 bytes.
    #[test]
    fn the_worst_key_of_every_list_fits_the_cursor_bound() {
        let text = || "z".repeat(64);
        // Statistics inputs, and one figure's history (measure/period/region, version).
        let input = InputKey {
            measure: text(),
            period: text(),
            region_code: text(),
        };
        assert!(cursor_fits(&input));
        assert!(cursor_fits(&(format!("{0}/{0}/{0}", text()), i32::MIN)));
        // Snapshots and alerts.
        assert!(cursor_fits(&(NaiveDateTime::MAX, text())));
    }
}
