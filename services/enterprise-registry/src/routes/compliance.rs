//! Compliance alerts (合规提醒), read by the monitoring service and by officials.

use actix_web::{HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::refusals::InputRefusals;
use hte_shared::pagination::{Page, PageParams};
use hte_shared::problem::{FieldError, Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{as_of_or_today, gather, region_filter};
use crate::app::compliance::{self as operations, ComplianceAlert};
use crate::domain::compliance::AlertKind;
use crate::error::RegistryError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// certificate_expiring, missing_annual_report or pool_overstay.
    #[param(value_type = crate::domain::compliance::AlertKind)]
    kind: String,
    /// Date of the check (default today).
    as_of: Option<String>,
    /// certificate_expiring: window in days, 1–730 (default 90).
    #[param(minimum = 1, maximum = 730)]
    within_days: Option<i64>,
    /// pool_overstay: years a firm may stay in the pool, 1–10 (default 3).
    #[param(minimum = 1, maximum = 10)]
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
        InputRefusals,
    )
)]
#[get("/compliance-alerts")]
pub async fn list_compliance_alerts(
    db: web::Data<Db>,
    caller: Caller,
    query: web::Query<AlertQuery>,
) -> Result<HttpResponse, RegistryError> {
    let (request, page) = query.parse(&caller)?;
    let limit = page.limit;
    let alerts = db
        .read(move |conn| operations::alerts(conn, &request, page))
        .await?;
    let page = Page::from_rows(alerts, limit, |(_, position)| position.clone());
    Ok(HttpResponse::Ok().json(Page {
        items: page
            .items
            .into_iter()
            .map(|(alert, _)| alert)
            .collect::<Vec<ComplianceAlert>>(),
        next_cursor: page.next_cursor,
    }))
}

impl AlertQuery {
    /// The alerts asked for and the page, every problem reported at once.
    fn parse(
        &self,
        caller: &Caller,
    ) -> Result<(operations::AlertRequest, operations::AlertPage), Problem> {
        let mut errors = Vec::new();
        let kind = AlertKind::from_key(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "enum",
                hte_shared::i18n::Text::fixed(
                    "kind must be certificate_expiring, missing_annual_report or pool_overstay",
                    "kind 须为 certificate_expiring（证书即将到期）、missing_annual_report（缺少年报）或 pool_overstay（在库超期）",
                ),
            ));
        }
        let as_of = as_of_or_today(self.as_of.as_deref(), &mut errors);
        let within_days = self.within_days.unwrap_or(90);
        if !(1..=730).contains(&within_days) {
            errors.push(FieldError::new(
                "within_days",
                "range",
                hte_shared::i18n::Text::fixed(
                    "within_days must be between 1 and 730",
                    "within_days 须在 1 至 730 之间",
                ),
            ));
        }
        let max_pool_years = self.max_pool_years.unwrap_or(3);
        if !(1..=10).contains(&max_pool_years) {
            errors.push(FieldError::new(
                "max_pool_years",
                "range",
                hte_shared::i18n::Text::fixed(
                    "max_pool_years must be between 1 and 10",
                    "max_pool_years 须在 1 至 10 之间",
                ),
            ));
        }
        let scope = region_filter(caller, self.region.as_deref(), &mut errors)?;
        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
        .parse::<(String, String)>();
        let page = gather(&mut errors, page);
        match (kind, page) {
            (Some(kind), Some(page)) if errors.is_empty() => Ok((
                operations::AlertRequest {
                    kind,
                    as_of,
                    within_days,
                    max_pool_years,
                    scope,
                },
                page,
            )),
            _ => Err(Problem::validation(errors)),
        }
    }
}
