//! Declared facts of a firm (申报与评审事实): recording one with its source and who entered it,
//! the list, and the withdrawal with a reason. The assessment reads those in force.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::Problem;
use hte_shared::text;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::assessment::resolve_rule_set;
use super::enterprises::{check_within_existence, load_writable};
use super::{facts, pages};
use crate::db::declarations::{self as queries, DeclarationRow};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::Ending;
use crate::domain::declarations::{Claim, Declaration, DeclarationKind, StandardLevel};
use crate::error::{RegistryError, stored};

/// A declared fact of the enterprise (申报与评审事实).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeclarationView {
    /// Identifier (编号).
    pub id: String,
    pub credit_code: String,
    pub kind: DeclarationKind,
    /// The date the fact speaks of (日期).
    pub dated_on: NaiveDate,
    /// Affirms (won, led, clean, scored) or denies (none, incident) (是否成立).
    pub holds: bool,
    /// Award or standard title (名称).
    pub title: Option<String>,
    pub standard_level: Option<StandardLevel>,
    /// The firm's rank among the award's completing organisations (完成单位排名).
    pub completer_rank: Option<u32>,
    /// Expert-scored item key (评分项).
    pub score_item: Option<String>,
    /// Points the review gave the item (专家评分).
    pub points: Option<f64>,
    /// Where it comes from (来源).
    pub source: String,
    /// Who entered it (录入人).
    pub entered_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    /// First day it no longer counts (撤回日期).
    pub withdrawn_on: Option<NaiveDate>,
    /// Why it was withdrawn (撤回原因).
    pub withdraw_reason: Option<String>,
}

fn stored_u32(column: &str, value: Option<i32>) -> Result<Option<u32>, RegistryError> {
    value
        .map(|v| {
            u32::try_from(v).map_err(|e| {
                RegistryError::internal("stored value does not parse", format!("{column}: {e}"))
            })
        })
        .transpose()
}

pub fn view_of(row: &DeclarationRow) -> Result<DeclarationView, RegistryError> {
    Ok(DeclarationView {
        id: row.id.clone(),
        credit_code: row.credit_code.clone(),
        kind: stored("kind", &row.kind, DeclarationKind::from_key)?,
        dated_on: row.dated_on,
        holds: row.holds,
        title: row.title.clone(),
        standard_level: row
            .standard_level
            .as_deref()
            .map(|l| stored("standard_level", l, StandardLevel::from_key))
            .transpose()?,
        completer_rank: stored_u32("completer_rank", row.completer_rank)?,
        score_item: row.score_item.clone(),
        points: stored_u32("score_centipoints", row.score_centipoints)?
            .map(|c| f64::from(c) / 100.0),
        source: row.source.clone(),
        entered_by: row.entered_by.clone(),
        created_at: row.created_at,
        withdrawn_on: row.withdrawn_on,
        withdraw_reason: row.withdraw_reason.clone(),
    })
}

/// The stored declaration as the engine reads it; a row that does not make a claim is an
/// error, never skipped.
pub fn declaration_of(row: &DeclarationRow) -> Result<Declaration, RegistryError> {
    let view = view_of(row)?;
    let broken = || RegistryError::internal("stored declaration is incomplete", &row.id);
    let claim = match (view.kind, view.holds) {
        (DeclarationKind::NationalAward, true) => Claim::NationalAward {
            completer_rank: view.completer_rank.ok_or_else(broken)?,
            title: view.title.ok_or_else(broken)?,
        },
        (DeclarationKind::NationalAward, false) => Claim::NoNationalAward,
        (DeclarationKind::LedStandard, true) => Claim::LedStandard {
            level: view.standard_level.ok_or_else(broken)?,
            title: view.title.ok_or_else(broken)?,
        },
        (DeclarationKind::LedStandard, false) => Claim::NoLedStandard,
        (DeclarationKind::CleanRecord, true) => Claim::CleanRecord,
        (DeclarationKind::CleanRecord, false) => Claim::Incident,
        (DeclarationKind::ExpertScore, _) => Claim::ExpertScore {
            item: view.score_item.ok_or_else(broken)?,
            centipoints: stored_u32("score_centipoints", row.score_centipoints)?
                .ok_or_else(broken)?,
        },
    };
    Ok(Declaration {
        dated_on: row.dated_on,
        claim,
        source: row.source.clone(),
    })
}

/// The row of `declaration` about the enterprise `credit_code`, entered by `entered_by`.
pub fn row_of(
    credit_code: &str,
    declaration: &Declaration,
    entered_by: &str,
    created_at: NaiveDateTime,
) -> Result<DeclarationRow, RegistryError> {
    let mut row = DeclarationRow {
        id: uuid::Uuid::new_v4().to_string(),
        credit_code: credit_code.to_owned(),
        kind: declaration.claim.kind().key().to_owned(),
        dated_on: declaration.dated_on,
        holds: declaration.claim.holds(),
        title: None,
        standard_level: None,
        completer_rank: None,
        score_item: None,
        score_centipoints: None,
        source: declaration.source.clone(),
        entered_by: entered_by.to_owned(),
        created_at,
        withdrawn_on: None,
        withdraw_reason: None,
    };
    match &declaration.claim {
        Claim::NationalAward {
            completer_rank,
            title,
        } => {
            // Ranks are bounded at the edge (1–99).
            row.completer_rank = Some(column_i32("completer_rank", *completer_rank)?);
            row.title = Some(title.clone());
        }
        Claim::LedStandard { level, title } => {
            row.standard_level = Some(level.key().to_owned());
            row.title = Some(title.clone());
        }
        Claim::ExpertScore { item, centipoints } => {
            row.score_item = Some(item.clone());
            row.score_centipoints = Some(column_i32("score_centipoints", *centipoints)?);
        }
        Claim::NoNationalAward | Claim::NoLedStandard | Claim::CleanRecord | Claim::Incident => {}
    }
    Ok(row)
}

/// A bounded number as its INTEGER column takes it; one past i32 is a defect, not a NULL.
fn column_i32(column: &str, value: u32) -> Result<i32, RegistryError> {
    i32::try_from(value).map_err(|e| {
        RegistryError::internal("value does not fit its column", format!("{column}: {e}"))
    })
}

facts::impl_fact!(
    DeclarationRow,
    DeclarationView,
    "declaration",
    queries::record_withdrawal(withdrawn_on, withdraw_reason),
    view_of
);

/// An expert score must name an expert-scored item of the rule set in force and stay within
/// its maximum.
fn check_expert_score(
    conn: &mut DbConnection,
    item: &str,
    centipoints: u32,
) -> Result<(), RegistryError> {
    let rules = resolve_rule_set(conn, None)?;
    let Some(expert) = rules
        .hte
        .innovation
        .expert_items
        .iter()
        .find(|e| e.key == item)
    else {
        return Err(Problem::invalid_field(
            "score_item",
            "expert_item",
            text!(
                "{item:?} is not an expert-scored item of rule set {}",
                "{item:?} 不是规则集 {} 的专家评分项",
                rules.version
            ),
        )
        .into());
    };
    if centipoints > expert.max_points * 100 {
        return Err(Problem::invalid_field(
            "points",
            "maximum",
            text!(
                "{item} scores at most {} points",
                "{item} 最高 {} 分",
                expert.max_points
            ),
        )
        .into());
    }
    Ok(())
}

/// Records a declaration about an enterprise the caller may write.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    declaration: &Declaration,
) -> Result<DeclarationView, RegistryError> {
    let enterprise = load_writable(conn, caller, code)?;
    // Awards and standards may predate registration under a predecessor; the firm's own
    // declarations and reviews cannot.
    if !matches!(
        declaration.claim,
        Claim::NationalAward { .. } | Claim::LedStandard { .. }
    ) {
        check_within_existence("dated_on", declaration.dated_on, &enterprise)?;
    }
    if let Claim::ExpertScore { item, centipoints } = &declaration.claim {
        check_expert_score(conn, item, *centipoints)?;
    }
    let row = row_of(code.as_str(), declaration, &caller.subject, now())?;
    facts::create(conn, actor, &row)
}

/// A page of a visible enterprise's declarations, by date and id (the cursor's key).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    page: &PageRequest<(NaiveDate, String)>,
) -> Result<Page<DeclarationView>, RegistryError> {
    let key = |r: &DeclarationRow| (r.dated_on, r.id.clone());
    let rows = queries::page_of_enterprise;
    pages::of_enterprise(conn, (caller, code), page, rows, (key, view_of))
}

/// Withdraws a declaration of an enterprise the caller may write (撤回).
pub fn withdraw(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    (code, id): (&CreditCode, String),
    ending: &Ending,
) -> Result<DeclarationView, RegistryError> {
    load_writable(conn, caller, code)?;
    let before = queries::find(conn, &id)?
        .filter(|d| d.credit_code == code.as_str())
        .ok_or_else(|| {
            Problem::not_found(text!(
                "{code} has no declaration {id}",
                "{code} 没有编号为 {id} 的申报事实"
            ))
        })?;
    if let Some(date) = before.withdrawn_on {
        return Err(Problem::conflict(text!(
            "declaration {id} was already withdrawn on {date}",
            "申报事实 {id} 已于 {date} 撤回"
        ))
        .into());
    }
    let concurrently = hte_shared::i18n::Text::fixed(
        "the declaration was withdrawn concurrently",
        "该申报已被他人同时撤回",
    );
    facts::end(conn, actor, &before, ("withdraw", ending), concurrently)
}
