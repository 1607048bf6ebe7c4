//! Alerts (预警): listed, read, acknowledged.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{InputRefusals, LookupRefusals, VersionedUpdateRefusals};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, json_with_etag};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::alerts::{self, AcknowledgementInput, AlertQuery, AlertView};
use crate::error::MonitoringError;

fn with_etag(view: AlertView) -> HttpResponse {
    json_with_etag(view.version, &view)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertListParams {
    /// Kinds (预警类型), comma-separated: behind_schedule, off_track_forecast,
    /// certificates_expiring, annual_reports_missing.
    #[param(
        pattern = "^(behind_schedule|off_track_forecast|certificates_expiring|annual_reports_missing)(,(behind_schedule|off_track_forecast|certificates_expiring|annual_reports_missing))*$"
    )]
    kind: Option<String>,
    /// Severities (严重程度), comma-separated: info, warning, critical.
    #[param(pattern = "^(info|warning|critical)(,(info|warning|critical))*$")]
    severity: Option<String>,
    /// Statuses (状态), comma-separated: open (未处理), acknowledged (已知悉), resolved
    /// (已解除).
    #[param(pattern = "^(open|acknowledged|resolved)(,(open|acknowledged|resolved))*$")]
    status: Option<String>,
    /// This region and the regions below it (default: yours).
    region: Option<String>,
    /// Only alerts of this plan.
    #[param(pattern = "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")]
    plan: Option<String>,
    /// Only alerts of this indicator.
    indicator: Option<String>,
}

/// Alerts in your region, newest first: regions behind 时序进度, indicators off track by
/// forecast, certificates expiring and annual reports missing; resolved ones are kept.
#[utoipa::path(
    tag = "alerts",
    params(AlertListParams, PageParams),
    responses(
        (status = 200, description = "A page of alerts", body = Page<AlertView>),
        InputRefusals,
    )
)]
#[get("/alerts")]
pub async fn list_alerts(
    db: web::Data<Db>,
    caller: Caller,
    params: web::Query<AlertListParams>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, MonitoringError> {
    let params = params.into_inner();
    let page = page.parse::<(NaiveDateTime, String)>()?;
    let query = AlertQuery {
        kind: params.kind,
        severity: params.severity,
        status: params.status,
        region: params.region,
        plan: params.plan,
        indicator: params.indicator,
    };
    Ok(HttpResponse::Ok().json(alerts::list(&db, &caller, query, page).await?))
}

/// One alert (404 outside your region).
#[utoipa::path(
    tag = "alerts",
    params(("id" = String, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The alert", body = AlertView, headers(("ETag" = String, description = "Send in If-Match to acknowledge it"))),
        LookupRefusals,
    )
)]
#[get("/alerts/{id}")]
pub async fn get_alert(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, MonitoringError> {
    Ok(with_etag(
        alerts::get(&db, &caller, path.into_inner()).await?,
    ))
}

/// Acknowledge an alert with a note (确认/知悉): who and when are kept with it. Officials of
/// the alert's region (province, its city or county); a resolved alert cannot be
/// acknowledged (409).
#[utoipa::path(
    tag = "alerts",
    request_body = AcknowledgementInput,
    params(
        ("id" = String, Path, description = "Alert id"),
        ("If-Match" = String, Header, description = "ETag of the alert from the last read, e.g. \"v2\""),
    ),
    responses(
        (status = 200, description = "Acknowledged", body = AlertView, headers(("ETag" = String))),
        VersionedUpdateRefusals,
    )
)]
#[post("/alerts/{id}/acknowledgement")]
pub async fn acknowledge_alert(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<AcknowledgementInput>,
) -> Result<HttpResponse, MonitoringError> {
    let view = alerts::acknowledge(
        &db,
        &caller,
        &request_id,
        path.into_inner(),
        if_match,
        body.into_inner(),
    )
    .await?;
    Ok(with_etag(view))
}
