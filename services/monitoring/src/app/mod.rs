//! The operations and views of monitoring: what `routes`, the scheduler and the benchmark
//! call. Nothing here knows HTTP: routes parse requests into these calls and turn their
//! results into answers.
//!
//! - [`inputs`], [`imports`]: external statistics inputs (统计部门数据), one by one or from a
//!   spreadsheet;
//! - [`snapshots`]: taking (from [`gather`]ed upstream figures, [`compose`]d into rows, with
//!   alerts [`evaluate`]d) and reading snapshots; [`scheduler`] takes due ones;
//! - [`board`]: the KPI board and series, from stored snapshots only;
//! - [`alerts`]: listing and acknowledging alerts;
//! - [`bulletins`]: the periodic bulletin (定期通报) of a stored snapshot;
//! - [`subscriptions`]: webhook subscriptions; [`webhooks`]: the delivery worker;
//! - [`dashboard`]: what the officials' dashboard page shows.

pub mod alerts;
pub mod board;
pub mod bulletins;
pub mod compose;
pub mod dashboard;
pub mod evaluate;
pub mod gather;
pub mod imports;
pub mod inputs;
pub mod scheduler;
pub mod snapshots;
pub mod subscriptions;
pub mod webhooks;

use std::sync::Arc;

use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode};
use serde::Serialize;

use crate::clients::Upstreams;
use crate::config::MonitoringSettings;
use crate::error::MonitoringError;

/// What operations need besides the database: the other services and the settings. One per
/// process, shared by requests and the scheduler (so they share circuit breakers).
#[derive(Debug, Clone)]
pub struct Monitor {
    pub upstreams: Upstreams,
    pub settings: Arc<MonitoringSettings>,
    /// Names this process as a lease holder.
    pub instance: String,
}

/// `Ok(value)` when no field was refused, else a 400 naming each.
fn validated<T>(errors: Vec<FieldError>, value: T) -> Result<T, Problem> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Problem::validation(errors))
    }
}

/// A Jiangsu region code, or a 400 naming `field`.
fn parse_region(field: &str, raw: &str) -> Result<RegionCode, Problem> {
    RegionCode::parse(raw)
        .ok()
        .filter(|code| regions::find(code).is_some())
        .ok_or_else(|| {
            Problem::invalid_field(field, "jiangsu_region", {
                let shown = hte_shared::i18n::quote(raw);
                hte_shared::text!(
                    "{field} must be a Jiangsu region code; got {shown}",
                    "{field} 须为江苏省行政区划代码，收到的是 {shown}"
                )
            })
        })
}

/// 403 unless the caller may read `region` (cities and counties read their own subtree).
fn require_read(caller: &Caller, region: &RegionCode) -> Result<(), Problem> {
    if caller.may_read(region) {
        Ok(())
    } else {
        Err(Problem::forbidden(hte_shared::text!(
            "region {region} is outside your region {}",
            "地区 {region} 超出您的辖区 {}",
            caller.region
        )))
    }
}

/// The region a list is limited to: the one asked for (within the caller's), or the
/// caller's own for cities and counties; `None` for the whole province.
fn list_scope(caller: &Caller, raw: Option<&str>) -> Result<Option<RegionCode>, Problem> {
    // `?region=` is not "no region": the document's code list refuses it, and so do we.
    match raw.map(str::trim) {
        Some(raw) => {
            let code = parse_region("region", raw)?;
            require_read(caller, &code)?;
            Ok(Some(code))
        }
        None => Ok(caller.read_scope().copied()),
    }
}

/// As [`list_scope`], collecting a malformed region among the other field errors; a region
/// outside the caller's is a 403 at once.
fn scope_or_errors(
    caller: &Caller,
    raw: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<RegionCode>, Problem> {
    match list_scope(caller, raw) {
        Ok(scope) => Ok(scope),
        Err(problem) if problem.status == 400 => {
            errors.extend(problem.errors);
            Ok(None)
        }
        Err(problem) => Err(problem),
    }
}

/// The codes of a region and every region below it.
fn subtree_codes(region: &RegionCode) -> Vec<String> {
    regions::subtree(region)
        .map(|r| r.code.to_string())
        .collect()
}

fn region_name(code: &str) -> String {
    RegionCode::parse(code)
        .ok()
        .and_then(|c| regions::find(&c))
        .map_or_else(|| code.to_owned(), |r| r.name.clone())
}

/// A plan id from a caller, trimmed and checked by the rule the allocation service makes
/// plan ids by.
fn check_plan_id(field: &str, raw: &str) -> Result<String, Problem> {
    let id = raw.trim();
    if hte_shared::plan_id::is_valid(id) {
        return Ok(id.to_owned());
    }
    let shown = hte_shared::i18n::quote(raw);
    Err(Problem::invalid_field(
        field,
        "format",
        hte_shared::text!(
            "a plan id is 3–64 lowercase letters, digits and hyphens, e.g. jiangsu-2019-57; \
             got {shown}",
            "规划编号格式错误：须为 3 至 64 个小写字母、数字或连字符，如 jiangsu-2019-57，\
             收到的是 {shown}"
        ),
    ))
}

/// Appends the audit entry of a change: the record before (absent on creation) and after.
fn record_change<T: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    (entity_type, entity_key): (&str, &str),
    (action, reason): (&str, Option<&str>),
    before: Option<&T>,
    after: &T,
) -> Result<(), MonitoringError> {
    audit::append(
        conn,
        actor,
        Change {
            entity_type,
            entity_key,
            action,
            reason,
            before: before.map(hte_shared::stored::to_value).transpose()?,
            after: Some(hte_shared::stored::to_value(after)?),
        },
    )?;
    Ok(())
}
