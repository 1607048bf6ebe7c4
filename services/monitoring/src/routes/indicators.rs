//! The KPI board (指标看板) and series, from stored snapshots.

use actix_web::{HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::refusals::RecordInputRefusals;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::Monitor;
use crate::app::board::{self, Board, BoardQuery, Series};
use crate::error::MonitoringError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    /// The plan (规划代码).
    #[param(
        pattern = "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$",
        example = "jiangsu-2019-57"
    )]
    plan: String,
    /// The region (地区); default yours (the province for provincial, auditor and service
    /// tokens).
    #[param(example = "320500")]
    region: Option<String>,
    /// A period (统计期) to answer from its latest snapshot; default the plan's latest
    /// snapshot.
    #[param(pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
    period: Option<String>,
}

impl BoardParams {
    fn into_query(self) -> BoardQuery {
        BoardQuery {
            plan: self.plan,
            region: self.region,
            period: self.period,
        }
    }
}

/// The KPI board of a region: per indicator its value, target, gap, completion, 时序进度 and
/// whether on track, 环比 and 同比, rank among its siblings, the forecast (trend over the
/// snapshots plus ready pool firms), as-of date and sources. Answered from stored
/// snapshots: when a service they are taken from is down now, `stale` is true and the
/// figures are those of `figures_taken_at`.
#[utoipa::path(
    tag = "indicators",
    params(BoardParams),
    responses(
        (status = 200, description = "The board", body = Board),
        RecordInputRefusals,
    )
)]
#[get("/indicators")]
pub async fn get_board(
    db: web::Data<Db>,
    monitor: web::Data<Monitor>,
    caller: Caller,
    params: web::Query<BoardParams>,
) -> Result<HttpResponse, MonitoringError> {
    let board = board::board(&db, &monitor, &caller, params.into_inner().into_query()).await?;
    Ok(HttpResponse::Ok().json(board))
}

/// An indicator's values for a region over the plan's snapshots (latest revision of each
/// period, by as-of date), for charts.
#[utoipa::path(
    tag = "indicators",
    params(
        ("key" = String, Path, description = "Indicator key (指标代码), e.g. hte_count"),
        BoardParams,
    ),
    responses(
        (status = 200, description = "The series", body = Series),
        RecordInputRefusals,
    )
)]
#[get("/indicators/{key}/series")]
pub async fn get_series(
    db: web::Data<Db>,
    monitor: web::Data<Monitor>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<BoardParams>,
) -> Result<HttpResponse, MonitoringError> {
    let query = params.into_inner().into_query();
    let series = board::series(&db, &monitor, &caller, path.into_inner(), query).await?;
    Ok(HttpResponse::Ok().json(series))
}
