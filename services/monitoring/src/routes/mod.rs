//! HTTP only: extractors in, status codes, headers and problem+json out. What a request
//! asks is done by [`crate::app`].

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use hte_shared::audit::Actor;
use hte_shared::db::{Db, DbConnection};
use hte_shared::idempotency::{
    self, Created, IdempotencyKey, Lookup, MaybeIdempotencyKey, create_once,
};
use hte_shared::stored;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::MonitoringError;

pub mod alerts;
pub mod bulletins;
pub mod dashboard;
pub mod indicators;
pub mod inputs;
pub mod snapshots;
pub mod subscriptions;

/// Registers every `/api/v1` handler (the server and the OpenAPI document both use this).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(inputs::list_inputs)
        .service(inputs::import_inputs)
        .service(inputs::get_input)
        .service(inputs::put_input)
        .service(inputs::input_history)
        .service(snapshots::create_snapshot)
        .service(snapshots::list_snapshots)
        .service(snapshots::get_snapshot)
        .service(indicators::get_board)
        .service(indicators::get_series)
        .service(alerts::list_alerts)
        .service(alerts::get_alert)
        .service(alerts::acknowledge_alert)
        .service(bulletins::get_bulletin)
        .service(subscriptions::create_subscription)
        .service(subscriptions::list_subscriptions)
        .service(subscriptions::get_subscription)
        .service(subscriptions::delete_subscription)
        .service(subscriptions::list_deliveries)
        .service(hte_shared::audit::unlabelled::verify_audit_chain);
}

/// The answer `create_once` stores and sends: its status, its JSON and, for a new resource,
/// its path.
fn answer<T: Serialize>(
    status: StatusCode,
    view: &T,
    location: Option<String>,
) -> Result<Created, MonitoringError> {
    Ok(Created {
        status,
        body: stored::to_value(view)?,
        location,
    })
}

/// Creates a record once per `Idempotency-Key` (a retry gets the first answer back): `make`
/// writes it in the request's transaction and names its path; the answer is 201 with the
/// record's JSON and that path as `Location`.
async fn create_record<T, F>(
    db: &Db,
    actor: Actor,
    key: MaybeIdempotencyKey,
    route: &str,
    request: serde_json::Value,
    make: F,
) -> Result<HttpResponse, MonitoringError>
where
    T: Serialize,
    F: FnOnce(&mut DbConnection, &Actor) -> Result<(T, String), MonitoringError> + Send + 'static,
{
    create_once(
        db,
        actor,
        key.0,
        route.to_owned(),
        request,
        move |conn, actor| {
            let (view, location) = make(conn, actor)?;
            answer(StatusCode::CREATED, &view, Some(location))
        },
    )
    .await
}

/// The stored first answer to a request with this `Idempotency-Key`, before any slow work
/// is done for it again (a mismatch is a 422, a request still running a 409).
async fn replay_if_known(
    db: &Db,
    actor: &Actor,
    key: Option<&IdempotencyKey>,
    route: &str,
    request: &serde_json::Value,
) -> Result<Option<HttpResponse>, MonitoringError> {
    let Some(key) = key.cloned() else {
        return Ok(None);
    };
    let scope = idempotency::scope_of(actor);
    let hash = idempotency::fingerprint(route, request);
    let found = db
        .write(move |conn| {
            idempotency::lookup(conn, &scope, &key, &hash).map_err(MonitoringError::from)
        })
        .await?;
    match found {
        Lookup::New => Ok(None),
        Lookup::Replay(stored) => Ok(Some(idempotency::replay_response(&stored))),
        Lookup::Mismatch => Err(idempotency::mismatch_problem().into()),
        Lookup::InProgress => Err(idempotency::in_progress_problem().into()),
    }
}
