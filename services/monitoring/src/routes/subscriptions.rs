//! Webhook subscriptions (事件订阅) and their deliveries (推送记录).

use actix_web::{HttpResponse, delete, get, post, web};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::MaybeIdempotencyKey;
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{CreateRefusals, InputRefusals, LookupRefusals};
use hte_shared::openapi::{NotFound, PreconditionFailed, PreconditionRequired};
use hte_shared::preconditions::{IfMatch, json_with_etag};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::create_record;
use crate::app::Monitor;
use crate::app::subscriptions::{
    self, DeliveryList, NewSubscription, SubscriptionCreated, SubscriptionList, SubscriptionView,
};
use crate::error::MonitoringError;

const ROUTE: &str = "POST /api/v1/subscriptions";

/// Subscribe another system to a region's events (订阅事件推送): each event is POSTed to the
/// URL as signed JSON (`X-HTE-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" keyed with the secret>`; `X-HTE-Event-Id` for de-duplication: delivery is at
/// least once), retried with exponential backoff and jitter for a bounded time; every
/// attempt is recorded, and a subscription that keeps failing is paused with the reason.
/// The URL must be `https` to a public address (no loopback, private, link-local or
/// metadata addresses unless the service is configured for them); it is checked again, after
/// DNS resolution, at every delivery. The answer holds the signing secret, this once. The
/// province subscribes for any region, a city official for its own subtree.
#[utoipa::path(
    tag = "subscriptions",
    request_body = NewSubscription,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer (with the same secret)")),
    responses(
        (status = 201, description = "Subscribed", body = SubscriptionCreated, headers(("Location" = String), ("ETag" = String))),
        CreateRefusals,
    )
)]
#[post("/subscriptions")]
pub async fn create_subscription(
    db: web::Data<Db>,
    monitor: web::Data<Monitor>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    body: Json<NewSubscription>,
) -> Result<HttpResponse, MonitoringError> {
    let input = body.into_inner();
    let request = hte_shared::stored::to_value(&input)?;
    let actor = Actor::new(&caller, &request_id);
    let policy = monitor.settings.webhooks.targets.clone();
    create_record(&db, actor, key, ROUTE, request, move |conn, actor| {
        let created = subscriptions::create(conn, actor, &caller, &input, &policy)?;
        let location = format!("/api/v1/subscriptions/{}", created.subscription.id);
        Ok((created, location))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionListParams {
    /// This region and the regions below it (default: yours).
    region: Option<String>,
}

/// Subscriptions within your region (deleted ones left out), newest first; secrets are never
/// shown.
#[utoipa::path(
    tag = "subscriptions",
    params(SubscriptionListParams),
    responses(
        (status = 200, description = "Subscriptions", body = SubscriptionList),
        InputRefusals,
    )
)]
#[get("/subscriptions")]
pub async fn list_subscriptions(
    db: web::Data<Db>,
    caller: Caller,
    params: web::Query<SubscriptionListParams>,
) -> Result<HttpResponse, MonitoringError> {
    let list = subscriptions::list(&db, &caller, params.into_inner().region).await?;
    Ok(HttpResponse::Ok().json(list))
}

fn with_etag(view: &SubscriptionView) -> HttpResponse {
    json_with_etag(view.version, &view)
}

/// A subscription: its status (active, paused with the reason, deleted) and failure record.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView, headers(("ETag" = String))),
        LookupRefusals,
    )
)]
#[get("/subscriptions/{id}")]
pub async fn get_subscription(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, MonitoringError> {
    let view = subscriptions::get(&db, &caller, path.into_inner()).await?;
    Ok(with_etag(&view))
}

/// Unsubscribe: the subscription is kept, marked deleted, for the record of its deliveries;
/// pending deliveries are cancelled. The province, or the subscription's city.
#[utoipa::path(
    tag = "subscriptions",
    params(
        ("id" = String, Path, description = "Subscription id"),
        ("If-Match" = String, Header, description = "ETag of the subscription from the last read, e.g. \"v1\""),
    ),
    responses(
        (status = 200, description = "Deleted", body = SubscriptionView, headers(("ETag" = String))),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[delete("/subscriptions/{id}")]
pub async fn delete_subscription(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, MonitoringError> {
    let view =
        subscriptions::delete(&db, &caller, &request_id, path.into_inner(), if_match).await?;
    Ok(with_etag(&view))
}

/// The subscription's newest deliveries (at most 100), each with its status (pending,
/// delivered, failed, cancelled) and every attempt: when, the receiver's status code, the
/// latency and the error.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "Deliveries", body = DeliveryList),
        LookupRefusals,
    )
)]
#[get("/subscriptions/{id}/deliveries")]
pub async fn list_deliveries(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, MonitoringError> {
    let list = subscriptions::deliveries(&db, &caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(list))
}
