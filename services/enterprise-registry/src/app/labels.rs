//! Labels (称号) granted to an enterprise for a year, and their revocation with a reason.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::Problem;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::enterprises::{check_within_existence, load_writable};
use super::{facts, pages};
use crate::db::labels::{self as queries, LabelRow};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::Ending;
use crate::domain::labels::{Label, LabelKind, LabelLevel, holds_from};
use crate::error::{RegistryError, stored};

/// A label (称号) granted to the enterprise.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LabelView {
    pub credit_code: String,
    /// Kind (称号类别).
    pub kind: LabelKind,
    /// Year granted (年度).
    #[schema(example = 2025)]
    pub year: i32,
    /// Level of the granting body (级别).
    pub level: LabelLevel,
    /// Granting body (认定机构).
    pub issuer: Option<String>,
    pub revoked_on: Option<NaiveDate>,
    pub revoke_reason: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

pub fn view_of(row: &LabelRow) -> Result<LabelView, RegistryError> {
    Ok(LabelView {
        credit_code: row.credit_code.clone(),
        kind: stored("kind", &row.kind, LabelKind::from_key)?,
        year: row.year,
        level: stored("level", &row.level, LabelLevel::from_key)?,
        issuer: row.issuer.clone(),
        revoked_on: row.revoked_on,
        revoke_reason: row.revoke_reason.clone(),
        created_at: row.created_at,
    })
}

/// The row of `label` granted to the enterprise `credit_code`.
pub fn row_of(credit_code: &str, label: &Label, created_at: NaiveDateTime) -> LabelRow {
    LabelRow {
        credit_code: credit_code.to_owned(),
        kind: label.kind.key().to_owned(),
        year: label.year,
        level: label.level.key().to_owned(),
        issuer: label.issuer.clone(),
        revoked_on: None,
        revoke_reason: None,
        created_at,
    }
}

facts::impl_fact!(
    LabelRow,
    LabelView,
    "label",
    queries::record_revocation(revoked_on, revoke_reason),
    view_of
);

/// Records a label granted to an enterprise the caller may write.
pub fn grant(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    label: &Label,
) -> Result<LabelView, RegistryError> {
    let enterprise = load_writable(conn, caller, code)?;
    let first_day = holds_from(label.year, enterprise.registered_on);
    check_within_existence("year", first_day, &enterprise)?;
    if queries::find(conn, code.as_str(), label.kind.key(), label.year)?.is_some() {
        return Err(Problem::conflict(hte_shared::text!(
            "{code} already holds {} for {}",
            "企业 {code} 已有 {1} 年度的 {0} 称号",
            label.kind.key(),
            label.year
        ))
        .into());
    }
    facts::create(conn, actor, &row_of(code.as_str(), label, now()))
}

/// A page of a visible enterprise's labels, by year and kind (the cursor's key).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    page: &PageRequest<(i32, String)>,
) -> Result<Page<LabelView>, RegistryError> {
    let key = |r: &LabelRow| (r.year, r.kind.clone());
    let rows = queries::page_of_enterprise;
    pages::of_enterprise(conn, (caller, code), page, rows, (key, view_of))
}

/// Revokes a label of an enterprise the caller may write.
pub fn revoke(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    (code, (kind, year)): (&CreditCode, (LabelKind, i32)),
    ending: &Ending,
) -> Result<LabelView, RegistryError> {
    let enterprise = load_writable(conn, caller, code)?;
    let before = queries::find(conn, code.as_str(), kind.key(), year)?.ok_or_else(|| {
        Problem::not_found(hte_shared::text!(
            "{code} has no {} label for {year}",
            "未找到企业 {code} {year} 年度的 {} 称号",
            kind.key()
        ))
    })?;
    if let Some(date) = before.revoked_on {
        return Err(Problem::conflict(hte_shared::text!(
            "this label was already revoked on {date}",
            "该称号已于 {date} 撤销"
        ))
        .into());
    }
    // A label holds from its year on; it cannot be revoked before it was granted.
    let granted = holds_from(year, enterprise.registered_on);
    if ending.on < granted {
        return Err(Problem::invalid_field(
            "revoked_on",
            "not_before_grant",
            hte_shared::text!(
                "revoked_on {} is before the label held (from {granted})",
                "撤销日期 {} 早于称号生效日期（{granted}）",
                ending.on
            ),
        )
        .into());
    }
    let concurrently = hte_shared::i18n::Text::fixed(
        "the label was revoked concurrently",
        "该称号已被他人同时撤销",
    );
    facts::end(conn, actor, &before, ("revoke", ending), concurrently)
}
