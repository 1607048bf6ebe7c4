//! Compliance alerts (合规提醒): certificates about to expire, certified firms that missed
//! annual reports, pool entries older than the plan allows. Read in bounded batches in
//! credit-code order, never the whole province at once.

use chrono::{Duration, NaiveDate};
use hte_shared::db::DbConnection;
use hte_shared::pagination::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::compliance::{self as queries, CertificateFact, FirmIdentity, OpenPoolEntry};
use crate::domain::compliance::{
    AlertKind, Severity, expiry_severity, missing_report_severity, missing_report_years,
};
use crate::domain::listing::ListFilter;
use crate::error::RegistryError;

/// One compliance finding about one enterprise.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComplianceAlert {
    pub kind: AlertKind,
    pub severity: Severity,
    /// Unified social credit code (统一社会信用代码).
    pub credit_code: String,
    /// Name (企业名称).
    pub name: String,
    /// County-level division (所在县区).
    pub region_code: String,
    /// City (设区市).
    pub city_code: String,
    /// The certificate concerned (证书编号), for certificate alerts.
    pub certificate_no: Option<String>,
    /// Last day of the certificate's validity (有效期至).
    pub expires_on: Option<NaiveDate>,
    /// Report years that are due and missing (缺报年度), within the certificate's three years
    /// of validity (at most four calendar years).
    #[schema(max_items = 4)]
    pub missing_years: Vec<i32>,
    /// Pool year and entry date (入库年度/入库日期), for pool alerts.
    pub pool_year: Option<i32>,
    pub entered_on: Option<NaiveDate>,
    /// What to do, in English.
    pub message_en: String,
    /// What to do, in Chinese.
    pub message_zh: String,
}

/// Which alerts to find: of one kind, on a date, within the caller's subtree.
pub struct AlertRequest {
    pub kind: AlertKind,
    pub as_of: NaiveDate,
    /// certificate_expiring: the window, in days.
    pub within_days: i64,
    /// pool_overstay: years a firm may stay in the pool.
    pub max_pool_years: i64,
    pub scope: ListFilter,
}

/// An alert and the position after it (credit code and the certificate or pool year).
pub type Positioned = (ComplianceAlert, (String, String));

/// Where a page of alerts starts (after a position) and how many it shows.
pub type AlertPage = PageRequest<(String, String)>;

/// Alerts found for a page, or why not.
type Found = Result<Vec<Positioned>, RegistryError>;

/// Up to `limit + 1` alerts after the page's position, in credit-code order (one more than a
/// page shows, so the caller knows whether another page follows).
pub fn alerts(conn: &mut DbConnection, query: &AlertRequest, page: AlertPage) -> Found {
    match query.kind {
        AlertKind::CertificateExpiring => expiring_certificates(conn, query, page),
        AlertKind::MissingAnnualReport => missing_reports(conn, query, page),
        AlertKind::PoolOverstay => pool_overstays(conn, query, page),
    }
}

/// An alert of `kind` about a firm, with what to do in both languages; the details of its
/// kind are left empty.
fn alert_about(
    (kind, severity): (AlertKind, Severity),
    (message_en, message_zh): (String, String),
    firm: FirmIdentity,
) -> ComplianceAlert {
    ComplianceAlert {
        kind,
        severity,
        credit_code: firm.credit_code,
        name: firm.name,
        region_code: firm.region_code,
        city_code: firm.city_code,
        certificate_no: None,
        expires_on: None,
        missing_years: Vec::new(),
        pool_year: None,
        entered_on: None,
        message_en,
        message_zh,
    }
}

/// A certificate alert about `fact`.
fn certificate_alert(
    fact: CertificateFact,
    kind: AlertKind,
    severity: Severity,
    messages: (String, String),
    missing_years: Vec<i32>,
) -> Positioned {
    let position = (fact.firm.credit_code.clone(), fact.certificate_no.clone());
    let alert = ComplianceAlert {
        certificate_no: Some(fact.certificate_no),
        expires_on: Some(fact.expires_on),
        missing_years,
        ..alert_about((kind, severity), messages, fact.firm)
    };
    (alert, position)
}

fn expiring_certificates(conn: &mut DbConnection, query: &AlertRequest, page: AlertPage) -> Found {
    let as_of = query.as_of;
    let facts = queries::certificates_ending_between(
        conn,
        &query.scope,
        as_of,
        as_of + Duration::days(query.within_days),
        page.after.as_ref(),
        i64::from(page.limit) + 1,
    )?;
    Ok(facts
        .into_iter()
        .map(|fact| {
            let days = (fact.expires_on - as_of).num_days();
            let messages = (
                format!(
                    "HTE certificate {} expires on {} ({days} days): prepare the new recognition application",
                    fact.certificate_no, fact.expires_on
                ),
                format!(
                    "高新技术企业证书{}将于{}到期（剩余{days}天），请及早准备重新认定申报",
                    fact.certificate_no, fact.expires_on
                ),
            );
            certificate_alert(fact, query.kind, expiry_severity(days), messages, Vec::new())
        })
        .collect())
}

/// The alert for a certificate's missing reports, if any are missing.
fn missing_report_alert(
    fact: CertificateFact,
    filed: &[(String, i32)],
    as_of: NaiveDate,
) -> Option<Positioned> {
    if fact.issued_on > as_of {
        return None;
    }
    let years: Vec<i32> = filed
        .iter()
        .filter(|(code, _)| *code == fact.firm.credit_code)
        .map(|(_, year)| *year)
        .collect();
    let last_day = fact.expires_on.min(as_of);
    let missing = missing_report_years(fact.issued_on, last_day, &years, as_of);
    if missing.is_empty() {
        return None;
    }
    let listed = missing
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let severity = missing_report_severity(missing.len());
    let critical = severity == Severity::Critical;
    let messages = (
        format!(
            "annual report missing for {listed} (due by 31 May of the following year){}",
            if critical {
                "; two missed years cancel the HTE qualification"
            } else {
                ""
            }
        ),
        format!(
            "{listed}年度发展情况报表未报送（应于次年5月31日前报送）{}",
            if critical {
                "；累计两年未报将被取消高新技术企业资格"
            } else {
                ""
            }
        ),
    );
    Some(certificate_alert(
        fact,
        AlertKind::MissingAnnualReport,
        severity,
        messages,
        missing,
    ))
}

/// Certificates valid within the last year, checked in batches until a page of alerts is
/// full.
fn missing_reports(conn: &mut DbConnection, query: &AlertRequest, page: AlertPage) -> Found {
    let as_of = query.as_of;
    let limit = page.limit as usize;
    let mut alerts = Vec::new();
    let mut position = page.after;
    while alerts.len() <= limit {
        let batch = queries::certificates_ending_between(
            conn,
            &query.scope,
            as_of - Duration::days(366),
            // Certificates run three years; anything later is not yet issued.
            as_of + Duration::days(4 * 366),
            position.as_ref(),
            500,
        )?;
        let Some(last) = batch.last() else { break };
        position = Some((last.firm.credit_code.clone(), last.certificate_no.clone()));
        let codes: Vec<String> = batch.iter().map(|f| f.firm.credit_code.clone()).collect();
        let filed = queries::filed_years(conn, &codes)?;
        for fact in batch {
            alerts.extend(missing_report_alert(fact, &filed, as_of));
            if alerts.len() > limit {
                break;
            }
        }
    }
    Ok(alerts)
}

fn pool_overstay_alert(entry: OpenPoolEntry, max_pool_years: i64) -> Positioned {
    let position = (entry.firm.credit_code.clone(), entry.year.to_string());
    let messages = (
        format!(
            "in the cultivation pool since {} (more than {max_pool_years} years): assess it for recognition or record its exit",
            entry.entered_on
        ),
        format!(
            "自{}入库培育已超过{max_pool_years}年，请评估认定条件或办理出库",
            entry.entered_on
        ),
    );
    let alert = ComplianceAlert {
        pool_year: Some(entry.year),
        entered_on: Some(entry.entered_on),
        ..alert_about(
            (AlertKind::PoolOverstay, Severity::Warning),
            messages,
            entry.firm,
        )
    };
    (alert, position)
}

fn pool_overstays(conn: &mut DbConnection, query: &AlertRequest, page: AlertPage) -> Found {
    let months = u32::try_from(12 * query.max_pool_years).unwrap_or(u32::MAX);
    let entered_by = query
        .as_of
        .checked_sub_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MIN);
    // A pool alert's position holds the pool year; one that is no number starts after every
    // year of its firm.
    let after = page
        .after
        .map(|(code, year)| (code, year.parse::<i32>().unwrap_or(i32::MAX)));
    let entries = queries::open_pool_entries_before(
        conn,
        &query.scope,
        entered_by,
        after.as_ref(),
        i64::from(page.limit) + 1,
    )?;
    Ok(entries
        .into_iter()
        .map(|entry| pool_overstay_alert(entry, query.max_pool_years))
        .collect())
}
