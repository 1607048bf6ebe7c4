//! Rule set versions (规则版本) behind assessments: the built-in national rules and those the
//! province adds. Stored versions are immutable; one may be active.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::text;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::assessment::stored_rules;
use super::{pages, readiness};
use crate::db::rule_sets::{self as queries, RuleSetRow};
use crate::domain::assessment::RuleSet;
use crate::error::{RegistryError, to_json};

/// A stored rule set version (规则版本).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSetSummary {
    pub version: String,
    pub description: Option<String>,
    #[serde(with = "hte_shared::time::utc::option")]
    pub created_at: Option<chrono::NaiveDateTime>,
    pub created_by: Option<String>,
    /// When it became the active rule set, if it did.
    #[serde(with = "hte_shared::time::utc::option")]
    pub activated_at: Option<chrono::NaiveDateTime>,
    /// Whether assessments use it now.
    pub active: bool,
    /// True for the rules built into the service.
    pub builtin: bool,
}

/// A rule set with its full rules.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSetDocument {
    #[serde(flatten)]
    pub summary: RuleSetSummary,
    pub rules: RuleSet,
}

pub fn summary(row: &RuleSetRow, active: Option<&str>) -> RuleSetSummary {
    RuleSetSummary {
        version: row.version.clone(),
        description: row.description.clone(),
        created_at: Some(row.created_at),
        created_by: Some(row.created_by.clone()),
        activated_at: row.activated_at,
        active: active == Some(row.version.as_str()),
        builtin: false,
    }
}

pub fn builtin_summary(active: Option<&str>) -> RuleSetSummary {
    RuleSetSummary {
        version: RuleSet::national_2016().version,
        description: Some("National HTE criteria (国科发火〔2016〕32号/195号), tech-SME evaluation (国科发政〔2017〕115号); gazelle thresholds unconfirmed".to_owned()),
        created_at: None,
        created_by: None,
        activated_at: None,
        active: active.is_none(),
        builtin: true,
    }
}

fn active_version(conn: &mut DbConnection) -> Result<Option<String>, RegistryError> {
    Ok(queries::active(conn)?.map(|r| r.version))
}

/// A cursor's place among the versions: `None` is the built-in version, which comes first;
/// a stored one is known by its creation time and version.
pub type VersionKey = Option<(NaiveDateTime, String)>;

/// A page of the versions: the built-in one first, then the stored ones oldest first.
pub fn list(
    conn: &mut DbConnection,
    page: &PageRequest<VersionKey>,
) -> Result<Page<RuleSetSummary>, RegistryError> {
    let active = active_version(conn)?;
    let mut items = Vec::new();
    let after = match &page.after {
        None => {
            items.push(builtin_summary(active.as_deref()));
            None
        }
        Some(after) => after.as_ref(),
    };
    for row in queries::list(conn, after, pages::fetched(page))? {
        items.push(summary(&row, active.as_deref()));
    }
    let key = |s: &RuleSetSummary| s.created_at.map(|at| (at, s.version.clone()));
    Ok(Page::from_rows(items, page.limit, key))
}

/// One version with its rules.
pub fn get(conn: &mut DbConnection, version: &str) -> Result<RuleSetDocument, RegistryError> {
    let active = active_version(conn)?;
    let builtin = RuleSet::national_2016();
    if version == builtin.version {
        return Ok(RuleSetDocument {
            summary: builtin_summary(active.as_deref()),
            rules: builtin,
        });
    }
    let row = queries::find(conn, version)?.ok_or_else(|| {
        Problem::not_found(text!("no rule set {version:?}", "未找到规则集 {version:?}"))
    })?;
    Ok(RuleSetDocument {
        summary: summary(&row, active.as_deref()),
        rules: stored_rules(&row)?,
    })
}

/// Longest description of a rule set version (it is also the audit entry's reason).
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// A version names files and URLs (`candidates-2026-01-01-jiangsu-2026-1.csv`), so it is a
/// plain identifier: `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`.
pub fn is_version_id(version: &str) -> bool {
    version.len() <= 64
        && version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Why `rules` cannot be stored as `version`, every reason at once.
pub fn check_new(version: &str, description: Option<&str>, rules: &RuleSet) -> Result<(), Problem> {
    let mut errors: Vec<FieldError> = Vec::new();
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
        errors.push(FieldError::new(
            "description",
            "max_length",
            text!(
                "a description has at most {MAX_DESCRIPTION_CHARS} characters",
                "说明最多 {MAX_DESCRIPTION_CHARS} 个字符"
            ),
        ));
    }
    if !is_version_id(version) {
        errors.push(FieldError::new(
            "version",
            "format",
            text!(
                "a version has 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                "版本号为 1 至 64 个字母、数字、“.”、“_”或“-”，以字母或数字开头"
            ),
        ));
    }
    if rules.version != version {
        errors.push(FieldError::new(
            "rules.version",
            "matches_path",
            text!(
                "rules.version must be {version:?}",
                "rules.version 须为 {version:?}"
            ),
        ));
    }
    if let Err(rule_errors) = rules.validate() {
        errors.extend(rule_errors.into_iter().map(|(field, rule, message)| {
            FieldError::new(format!("rules.{field}"), rule, message)
        }));
    }
    if version == RuleSet::national_2016().version {
        errors.push(FieldError::new(
            "version",
            "builtin",
            hte_shared::i18n::Text::fixed(
                "this version is built in and cannot be replaced",
                "该版本为内置规则集，不能替换",
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

/// What storing a version did: created it, or found it stored with the same rules.
pub struct Stored {
    pub created: bool,
    pub document: RuleSetDocument,
}

/// Stores checked rules as a new version; the same rules again are accepted, other rules
/// under a stored version are a conflict.
pub fn store(
    conn: &mut DbConnection,
    actor: &Actor,
    description: Option<String>,
    rules: RuleSet,
) -> Result<Stored, RegistryError> {
    let version = rules.version.clone();
    if let Some(existing) = queries::find(conn, &version)? {
        if stored_rules(&existing)? != rules {
            return Err(Problem::conflict(text!(
                "rule set {version:?} exists with other rules; versions are immutable, use a new version",
                "规则集 {version:?} 已存在且规则不同；版本一经保存不可修改，请使用新的版本号"
            ))
            .into());
        }
        let active = active_version(conn)?;
        let summary = summary(&existing, active.as_deref());
        return Ok(Stored {
            created: false,
            document: RuleSetDocument { summary, rules },
        });
    }
    let rules_json = serde_json::to_string(&rules)
        .map_err(|e| RegistryError::internal("cannot serialise a rule set", e))?;
    let row = RuleSetRow {
        version: version.clone(),
        rules_json,
        description,
        created_at: now(),
        created_by: actor.subject.clone(),
        activated_at: None,
    };
    queries::insert(conn, &row)?;
    let reason = row.description.as_deref();
    record_change(
        conn,
        actor,
        (&version, "create"),
        reason,
        (None, Some(to_json(&rules)?)),
    )?;
    let active = active_version(conn)?;
    let summary = summary(&row, active.as_deref());
    Ok(Stored {
        created: true,
        document: RuleSetDocument { summary, rules },
    })
}

/// The actor the audit log records for a change to rule sets (add, delete, activate): only
/// the province sets assessment rules.
pub fn province_actor(caller: &Caller, request_id: &RequestId) -> Result<Actor, Problem> {
    caller.require_province(("set assessment rules", "设置评价规则"))?;
    Ok(Actor::new(caller, request_id))
}

/// Makes a version the one assessments use: a stored one, or the built-in rules again; registers
/// the readiness build under it for `today`, to be filled by [`readiness::build_batch`] (reads
/// keep the previous build until it is done). The route checks the province first, before it
/// waits for a write.
pub fn activate(
    conn: &mut DbConnection,
    actor: &Actor,
    version: &str,
    today: NaiveDate,
) -> Result<RuleSetSummary, RegistryError> {
    let previous = active_version(conn)?;
    let activated = if version == RuleSet::national_2016().version {
        queries::deactivate_all(conn)?;
        builtin_summary(None)
    } else {
        let row = queries::find(conn, version)?.ok_or_else(|| {
            Problem::not_found(text!(
                "no stored rule set {version:?} (the built-in one is active when no other is)",
                "未找到已保存的规则集 {version:?}（未启用其他规则集时，使用内置规则集）"
            ))
        })?;
        let at = now();
        queries::activate(conn, version, at)?;
        RuleSetSummary {
            activated_at: Some(at),
            active: true,
            ..summary(&row, None)
        }
    };
    let active = |version: Option<&str>| Some(serde_json::json!({ "active": version }));
    let change = (active(previous.as_deref()), active(Some(version)));
    record_change(conn, actor, (version, "activate"), None, change)?;
    readiness::start_build(conn, version, today)?;
    Ok(activated)
}

/// Deletes a version that was never activated: no assessment can cite it, so a mistaken upload
/// (versions are immutable) does not stay for ever. Activated versions are history. The route
/// checks the province first.
pub fn delete(conn: &mut DbConnection, actor: &Actor, version: &str) -> Result<(), RegistryError> {
    if version == RuleSet::national_2016().version {
        return Err(Problem::conflict(hte_shared::text!(
            "the built-in rule set cannot be deleted",
            "内置规则集不能删除"
        ))
        .into());
    }
    let row = queries::find(conn, version)?.ok_or_else(|| {
        Problem::not_found(hte_shared::text!(
            "no stored rule set {version:?}",
            "没有已存储的规则集 {version:?}"
        ))
    })?;
    if row.activated_at.is_some() {
        return Err(Problem::conflict(hte_shared::text!(
            "rule set {version:?} was active once; assessments may cite it, so it stays",
            "规则集 {version:?} 曾被启用，评估结果可能引用它，不能删除"
        ))
        .into());
    }
    queries::delete(conn, version)?;
    let deleted = (Some(to_json(&stored_rules(&row)?)?), None);
    record_change(conn, actor, (version, "delete"), None, deleted)
}

/// Audits what `action` did to the rule set `version`, for a reason when it has one, with its
/// rules (or the active version) before and after.
fn record_change(
    conn: &mut DbConnection,
    actor: &Actor,
    (version, action): (&str, &str),
    reason: Option<&str>,
    (before, after): (Option<serde_json::Value>, Option<serde_json::Value>),
) -> Result<(), RegistryError> {
    let change = Change {
        entity_type: "rule_set",
        entity_key: version,
        action,
        reason,
        before,
        after,
    };
    Ok(audit::append(conn, actor, change)?)
}
