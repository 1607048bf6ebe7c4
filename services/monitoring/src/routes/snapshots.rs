//! Snapshots (快照): taken on demand, listed, read.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::MaybeIdempotencyKey;
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{CreateRefusals, InputRefusals, LookupRefusals};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::problem::Problem;
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{create_record, replay_if_known};
use crate::app::Monitor;
use crate::app::snapshots::{
    self, NewSnapshotRequest, Outcome, SnapshotQuery, SnapshotSummary, SnapshotTaken, SnapshotView,
};
use crate::error::MonitoringError;

const ROUTE: &str = "POST /api/v1/snapshots";

/// Take a snapshot of a plan's period now (按需快照): every indicator of the plan for the
/// province, the 13 cities and the counties (where the formula has county figures), with
/// the targets in force, 时序进度 and each figure's source. Retaking a period adds a
/// revision; earlier ones are kept. If the registry or the allocation service cannot
/// answer, nothing is taken (503); if the pool's ready firms cannot be read the snapshot
/// is recorded as `partial` with the reason. The plan's latest snapshot also opens,
/// updates and resolves alerts. Province only.
#[utoipa::path(
    tag = "snapshots",
    request_body = NewSnapshotRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer without taking another snapshot; 409 while the first is still being taken")),
    responses(
        (status = 201, description = "Taken", body = SnapshotTaken, headers(("Location" = String))),
        CreateRefusals,
    )
)]
#[post("/snapshots")]
pub async fn create_snapshot(
    db: web::Data<Db>,
    monitor: web::Data<Monitor>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    body: Json<NewSnapshotRequest>,
) -> Result<HttpResponse, MonitoringError> {
    let body = body.into_inner();
    let order = snapshots::order_of(&caller, &body, hte_shared::time::today())?;
    let request = hte_shared::stored::to_value(&body)?;
    let actor = Actor::new(&caller, &request_id);
    if let Some(replay) = replay_if_known(&db, &actor, key.0.as_ref(), ROUTE, &request).await? {
        return Ok(replay);
    }
    let prepared = snapshots::prepare(&db, &monitor, &order, &request_id).await?;
    let monitor = monitor.get_ref().clone();
    create_record(
        &db,
        actor,
        key,
        ROUTE,
        request,
        move |conn, actor| match snapshots::record(conn, actor, &monitor, prepared, None)? {
            Outcome::Taken(taken) => {
                let location = format!("/api/v1/snapshots/{}", taken.snapshot.id);
                Ok((taken, location))
            }
            other => {
                tracing::error!(?other, "an on-demand snapshot was not recorded");
                Err(Problem::internal().into())
            }
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SnapshotListParams {
    /// Only this plan (规划代码).
    #[param(pattern = "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")]
    plan: Option<String>,
    /// Only this period (统计期).
    #[param(pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
    period: Option<String>,
}

/// Snapshots, newest first, every revision.
#[utoipa::path(
    tag = "snapshots",
    params(SnapshotListParams, PageParams),
    responses(
        (status = 200, description = "A page of snapshots", body = Page<SnapshotSummary>),
        InputRefusals,
    )
)]
#[get("/snapshots")]
pub async fn list_snapshots(
    db: web::Data<Db>,
    _caller: Caller,
    params: web::Query<SnapshotListParams>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, MonitoringError> {
    let params = params.into_inner();
    let page = page.parse::<(NaiveDateTime, String)>()?;
    let query = SnapshotQuery {
        plan: params.plan,
        period: params.period,
    };
    Ok(HttpResponse::Ok().json(snapshots::list(&db, query, page).await?))
}

/// A snapshot with every figure the caller may read (cities and counties: their own
/// subtree), its indicators' 时序进度 windows, the sources and the ready pool firms.
#[utoipa::path(
    tag = "snapshots",
    params(("id" = String, Path, description = "Snapshot id")),
    responses(
        (status = 200, description = "The snapshot", body = SnapshotView),
        LookupRefusals,
    )
)]
#[get("/snapshots/{id}")]
pub async fn get_snapshot(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, MonitoringError> {
    Ok(HttpResponse::Ok().json(snapshots::get(&db, &caller, path.into_inner()).await?))
}
