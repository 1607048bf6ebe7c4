//! HTE certificates (高新技术企业认定): recording one, and its revocation (撤销) with a
//! reason. Renewal is a new certificate; nothing is deleted.

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
use crate::db::certificates::{self as queries, CertificateRow};
use crate::domain::certificates::{Certificate, certificate_expiry};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::Ending;
use crate::error::RegistryError;

/// An HTE certificate (高新技术企业证书).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateView {
    /// Certificate number (证书编号).
    #[schema(example = "GR202332001234")]
    pub certificate_no: String,
    pub credit_code: String,
    /// Issue date (发证日期).
    pub issued_on: NaiveDate,
    /// Last day of validity (有效期至): three years from issue; read-only.
    pub expires_on: NaiveDate,
    /// Revocation date (撤销日期): first day it no longer counts.
    pub revoked_on: Option<NaiveDate>,
    /// Why it was revoked (撤销原因).
    pub revoke_reason: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

pub fn view_of(row: &CertificateRow) -> CertificateView {
    CertificateView {
        certificate_no: row.certificate_no.clone(),
        credit_code: row.credit_code.clone(),
        issued_on: row.issued_on,
        expires_on: row.expires_on,
        revoked_on: row.revoked_on,
        revoke_reason: row.revoke_reason.clone(),
        created_at: row.created_at,
    }
}

/// The row of `certificate` held by the enterprise `credit_code`; it expires three years on.
pub fn row_of(
    credit_code: &str,
    certificate: &Certificate,
    created_at: NaiveDateTime,
) -> CertificateRow {
    CertificateRow {
        certificate_no: certificate.number.as_str().to_owned(),
        credit_code: credit_code.to_owned(),
        issued_on: certificate.issued_on,
        expires_on: certificate_expiry(certificate.issued_on),
        revoked_on: certificate.revocation.as_ref().map(|r| r.on),
        revoke_reason: certificate.revocation.as_ref().map(|r| r.reason.clone()),
        created_at,
    }
}

facts::impl_fact!(
    CertificateRow,
    CertificateView,
    "certificate",
    queries::record_revocation(revoked_on, revoke_reason),
    |row| Ok(view_of(row))
);

/// Records a certificate issued to an enterprise the caller may write.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    certificate: &Certificate,
) -> Result<CertificateView, RegistryError> {
    let enterprise = load_writable(conn, caller, code)?;
    check_within_existence("issued_on", certificate.issued_on, &enterprise)?;
    let number = certificate.number.as_str();
    if let Some(existing) = queries::find(conn, number)? {
        let (whose_en, whose_zh) = if existing.credit_code == code.as_str() {
            ("this enterprise", "本企业")
        } else {
            ("another enterprise", "其他企业")
        };
        return Err(Problem::conflict(hte_shared::text!(
            "certificate {number} is already recorded (for {whose_en})",
            "高新技术企业证书 {number} 已存在（登记于{whose_zh}）"
        ))
        .into());
    }
    facts::create(conn, actor, &row_of(code.as_str(), certificate, now()))
}

/// A page of a visible enterprise's certificates, by issue date and number (the cursor's
/// key).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    page: &PageRequest<(NaiveDate, String)>,
) -> Result<Page<CertificateView>, RegistryError> {
    let key = |r: &CertificateRow| (r.issued_on, r.certificate_no.clone());
    let rows = queries::page_of_enterprise;
    pages::of_enterprise(conn, (caller, code), page, rows, (key, |r| Ok(view_of(r))))
}

/// Revokes a certificate of an enterprise the caller may write (撤销高企资格).
pub fn revoke(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    (code, number): (&CreditCode, String),
    ending: &Ending,
) -> Result<CertificateView, RegistryError> {
    load_writable(conn, caller, code)?;
    let before = queries::find(conn, &number)?
        .filter(|c| c.credit_code == code.as_str())
        .ok_or_else(|| {
            Problem::not_found(hte_shared::text!(
                "{code} has no certificate {number}",
                "未找到企业 {code} 的高新技术企业证书 {number}"
            ))
        })?;
    if let Some(date) = before.revoked_on {
        return Err(Problem::conflict(hte_shared::text!(
            "certificate {number} was already revoked on {date}",
            "高新技术企业证书 {number} 已于 {date} 撤销"
        ))
        .into());
    }
    if ending.on < before.issued_on {
        return Err(Problem::invalid_field(
            "revoked_on",
            "not_before_issue",
            hte_shared::text!(
                "revoked_on is before the issue date {}",
                "撤销日期早于发证日期 {}",
                before.issued_on
            ),
        )
        .into());
    }
    let concurrently = hte_shared::i18n::Text::fixed(
        "the certificate was revoked concurrently",
        "该证书已被他人同时撤销",
    );
    facts::end(conn, actor, &before, ("revoke", ending), concurrently)
}
