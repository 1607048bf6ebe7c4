//! Compliance alerts (合规提醒), read by the monitoring service and by officials.

use actix_web::{HttpResponse, get, web};
use chrono::{Duration, NaiveDate};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::BadRequest;
use hte_shared::pagination::{Page, PageParams};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::time::{parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::enterprises::region_filter;
use crate::db::compliance as queries;
use crate::domain::compliance::{AlertKind, Severity, expiry_severity, missing_report_years};
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
    /// Report years that are due and missing (缺报年度).
    pub missing_years: Vec<i32>,
    /// Pool year and entry date (入库年度/入库日期), for pool alerts.
    pub pool_year: Option<i32>,
    pub entered_on: Option<NaiveDate>,
    /// What to do, in English.
    pub message_en: String,
    /// What to do, in Chinese.
    pub message_zh: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// certificate_expiring, missing_annual_report or pool_overstay.
    kind: String,
    /// Date of the check (default today).
    as_of: Option<String>,
    /// certificate_expiring: window in days, 1–730 (default 90).
    within_days: Option<i64>,
    /// pool_overstay: years a firm may stay in the pool, 1–10 (default 3).
    max_pool_years: Option<i64>,
    /// Region subtree (default: yours).
    region: Option<String>,
    /// Page size, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Compliance alerts of one kind in your region, ordered by credit code.
#[utoipa::path(
    tag = "compliance",
    params(AlertQuery),
    responses(
        (status = 200, description = "A page of alerts", body = Page<ComplianceAlert>),
        (status = 400, response = BadRequest),
    )
)]
#[get("/compliance-alerts")]
pub async fn list_compliance_alerts(
    db: web::Data<Db>,
    caller: Caller,
    query: web::Query<AlertQuery>,
) -> Result<HttpResponse, RegistryError> {
    let mut errors = Vec::new();
    let kind = AlertKind::from_key(&query.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "enum",
            "kind must be certificate_expiring, missing_annual_report or pool_overstay",
        ));
    }
    let as_of = parse_date_param("as_of", query.as_of.as_deref())
        .map_err(|p| errors.extend(p.errors))
        .ok()
        .flatten()
        .unwrap_or_else(today);
    let within_days = query.within_days.unwrap_or(90);
    if !(1..=730).contains(&within_days) {
        errors.push(FieldError::new(
            "within_days",
            "range",
            "within_days must be between 1 and 730",
        ));
    }
    let max_pool_years = query.max_pool_years.unwrap_or(3);
    if !(1..=10).contains(&max_pool_years) {
        errors.push(FieldError::new(
            "max_pool_years",
            "range",
            "max_pool_years must be between 1 and 10",
        ));
    }
    let scope = region_filter(&caller, query.region.as_deref(), &mut errors)?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    }
    .parse::<(String, String)>()
    .map_err(|p| errors.extend(p.errors))
    .ok();
    let (Some(kind), Some(page)) = (kind, page) else {
        return Err(Problem::validation(errors).into());
    };
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let limit = page.limit as usize;
    let after = page.after;
    let alerts = db
        .read(move |conn| {
            let mut alerts: Vec<(ComplianceAlert, (String, String))> = Vec::new();
            match kind {
                AlertKind::CertificateExpiring => {
                    let key = after.clone();
                    let facts = queries::certificates_ending_between(
                        conn,
                        &scope,
                        as_of,
                        as_of + Duration::days(within_days),
                        key.as_ref(),
                        limit as i64 + 1,
                    )?;
                    for fact in facts {
                        let days = (fact.expires_on - as_of).num_days();
                        let position = (fact.credit_code.clone(), fact.certificate_no.clone());
                        alerts.push((
                            ComplianceAlert {
                                kind,
                                severity: expiry_severity(days),
                                message_en: format!(
                                    "HTE certificate {} expires on {} ({days} days): prepare the new recognition application",
                                    fact.certificate_no, fact.expires_on
                                ),
                                message_zh: format!(
                                    "高新技术企业证书{}将于{}到期（剩余{days}天），请及早准备重新认定申报",
                                    fact.certificate_no, fact.expires_on
                                ),
                                credit_code: fact.credit_code,
                                name: fact.name,
                                region_code: fact.region_code,
                                city_code: fact.city_code,
                                certificate_no: Some(fact.certificate_no),
                                expires_on: Some(fact.expires_on),
                                missing_years: Vec::new(),
                                pool_year: None,
                                entered_on: None,
                            },
                            position,
                        ));
                    }
                }
                AlertKind::MissingAnnualReport => {
                    // Certificates valid within the last year; checked in batches until a
                    // page of alerts is full.
                    let mut position = after.clone();
                    loop {
                        let batch = queries::certificates_ending_between(
                            conn,
                            &scope,
                            as_of - Duration::days(366),
                            // Certificates run three years; anything later is not yet issued.
                            as_of + Duration::days(4 * 366),
                            position.as_ref(),
                            500,
                        )?;
                        let Some(last) = batch.last() else { break };
                        position = Some((last.credit_code.clone(), last.certificate_no.clone()));
                        let codes: Vec<String> = batch.iter().map(|f| f.credit_code.clone()).collect();
                        let filed = queries::filed_years(conn, &codes)?;
                        for fact in batch {
                            if fact.issued_on > as_of {
                                continue;
                            }
                            let years: Vec<i32> = filed.iter().filter(|(c, _)| *c == fact.credit_code).map(|(_, y)| *y).collect();
                            let last_day = fact.expires_on.min(as_of);
                            let missing = missing_report_years(fact.issued_on, last_day, &years, as_of);
                            if missing.is_empty() {
                                continue;
                            }
                            let listed = missing.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
                            let critical = missing.len() >= 2;
                            let key = (fact.credit_code.clone(), fact.certificate_no.clone());
                            alerts.push((
                                ComplianceAlert {
                                    kind,
                                    severity: if critical { Severity::Critical } else { Severity::Warning },
                                    message_en: format!(
                                        "annual report missing for {listed} (due by 31 May of the following year){}",
                                        if critical { "; two missed years cancel the HTE qualification" } else { "" }
                                    ),
                                    message_zh: format!(
                                        "{listed}年度发展情况报表未报送（应于次年5月31日前报送）{}",
                                        if critical { "；累计两年未报将被取消高新技术企业资格" } else { "" }
                                    ),
                                    credit_code: fact.credit_code,
                                    name: fact.name,
                                    region_code: fact.region_code,
                                    city_code: fact.city_code,
                                    certificate_no: Some(fact.certificate_no),
                                    expires_on: Some(fact.expires_on),
                                    missing_years: missing,
                                    pool_year: None,
                                    entered_on: None,
                                },
                                key,
                            ));
                            if alerts.len() > limit {
                                break;
                            }
                        }
                        if alerts.len() > limit {
                            break;
                        }
                    }
                }
                AlertKind::PoolOverstay => {
                    let entered_by = as_of
                        .checked_sub_months(chrono::Months::new(12 * max_pool_years as u32))
                        .unwrap_or(NaiveDate::MIN);
                    let key = after
                        .as_ref()
                        .map(|(code, year)| (code.clone(), year.parse::<i32>().unwrap_or(i32::MAX)));
                    let entries = queries::open_pool_entries_before(conn, &scope, entered_by, key.as_ref(), limit as i64 + 1)?;
                    for entry in entries {
                        let position = (entry.credit_code.clone(), entry.year.to_string());
                        alerts.push((
                            ComplianceAlert {
                                kind,
                                severity: Severity::Warning,
                                message_en: format!(
                                    "in the cultivation pool since {} (more than {max_pool_years} years): assess it for recognition or record its exit",
                                    entry.entered_on
                                ),
                                message_zh: format!(
                                    "自{}入库培育已超过{max_pool_years}年，请评估认定条件或办理出库",
                                    entry.entered_on
                                ),
                                credit_code: entry.credit_code,
                                name: entry.name,
                                region_code: entry.region_code,
                                city_code: entry.city_code,
                                certificate_no: None,
                                expires_on: None,
                                missing_years: Vec::new(),
                                pool_year: Some(entry.year),
                                entered_on: Some(entry.entered_on),
                            },
                            position,
                        ));
                    }
                }
            }
            Ok::<_, RegistryError>(alerts)
        })
        .await?;
    let page = Page::from_rows(alerts, page.limit, |(_, position)| position.clone());
    Ok(HttpResponse::Ok().json(Page {
        items: page
            .items
            .into_iter()
            .map(|(alert, _)| alert)
            .collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    }))
}
