//! High-tech zones (高新区): reference data read by all, recorded and changed by the province;
//! and the report of free-text zones the migration to references could not match.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{InputRefusals, ReadRefusals};
use hte_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired,
    UnprocessableEntity,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, json_with_etag};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::text;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::zones::{self as operations, UnmatchedZoneValue, ZoneView};
use crate::domain::zones::{NewZone, ZoneId, ZonePatch};
use crate::error::{RegistryError, to_json};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZoneFilter {
    /// Only zones in this prefecture-level city (设区市), 6 digits.
    #[param(schema_with = crate::domain::region_schemas::city_code, example = "320500")]
    city: Option<String>,
}

fn parse_city(raw: &str) -> Result<RegionCode, Problem> {
    RegionCode::parse(raw)
        .ok()
        .filter(|c| regions::find(c).is_some_and(|r| r.level == RegionLevel::City))
        .ok_or_else(|| {
            let shown = hte_shared::i18n::quote(raw);
            Problem::invalid_field(
                "city",
                "city_level",
                text!(
                    "{shown} is not a Jiangsu prefecture-level city code",
                    "{shown} 不是江苏省设区市代码"
                ),
            )
        })
}

fn path_zone_id(raw: &str) -> Result<ZoneId, Problem> {
    ZoneId::parse(raw).map_err(|e| {
        Problem::validation(vec![FieldError {
            field: "id".into(),
            ..e
        }])
    })
}

/// High-tech zones (高新区), by id.
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "zones",
    params(ZoneFilter, PageParams),
    responses(
        (status = 200, description = "A page of zones", body = Page<ZoneView>),
        InputRefusals,
    )
)]
#[get("/zones")]
pub async fn list_zones(
    db: web::Data<Db>,
    _caller: Caller,
    query: web::Query<ZoneFilter>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    let city = query.city.as_deref().map(parse_city).transpose()?;
    let page = page.parse::<String>()?;
    let zones = db
        .read(move |conn| operations::list(conn, city, &page))
        .await?;
    Ok(HttpResponse::Ok().json(zones))
}

/// One high-tech zone (高新区).
#[utoipa::path(
    tag = "zones",
    params(("id" = String, Path, description = "Zone id (高新区编号)", pattern = "^[a-z0-9][a-z0-9-]{1,39}$")),
    responses(
        (status = 200, description = "The zone", body = ZoneView, headers(("ETag" = String, description = "Send back in If-Match to update"))),
        ReadRefusals,
    )
)]
#[get("/zones/{id}")]
pub async fn get_zone(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let id = path_zone_id(&path)?;
    let view = db.read(move |conn| operations::load(conn, &id)).await?;
    Ok(json_with_etag(view.version, &view))
}

/// Record a high-tech zone (province only).
#[utoipa::path(
    tag = "zones",
    request_body = NewZone,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer")),
    responses(
        (status = 201, description = "Recorded", body = ZoneView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/zones")]
pub async fn create_zone(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    body: Json<NewZone>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_write(&regions::PROVINCE_CODE)?;
    let zone = body.0.parse()?;
    let request = to_json(&body.0)?;
    create_once(
        &db,
        Actor::new(&caller, &request_id),
        key.0,
        "POST /api/v1/zones".to_owned(),
        request,
        move |conn, actor| {
            let view = operations::create(conn, &caller, actor, &zone)?;
            Ok(Created {
                status: StatusCode::CREATED,
                location: Some(format!("/api/v1/zones/{}", view.id)),
                body: to_json(&view)?,
            })
        },
    )
    .await
}

/// Change a high-tech zone (province only). Needs `If-Match` with the ETag of the last read.
#[utoipa::path(
    tag = "zones",
    request_body = ZonePatch,
    params(
        ("id" = String, Path, description = "Zone id (高新区编号)", pattern = "^[a-z0-9][a-z0-9-]{1,39}$"),
        ("If-Match" = String, Header, description = "ETag from the last read, e.g. \"v3\"", pattern = "^[!-~]([ -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "Updated", body = ZoneView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[patch("/zones/{id}")]
pub async fn update_zone(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<ZonePatch>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_write(&regions::PROVINCE_CODE)?;
    let id = path_zone_id(&path)?;
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| {
            let check = |version| if_match.check(version);
            operations::update(conn, &caller, &actor, &id, check, &body.0)
        })
        .await?;
    Ok(json_with_etag(view.version, &view))
}

/// Enterprises in your region whose free-text zone matched no recorded zone when zones
/// became reference data (迁移未匹配的高新区名称): their zone was cleared; set it again.
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "zones",
    params(PageParams),
    responses(
        (status = 200, description = "A page of the unmatched values, by credit code", body = Page<UnmatchedZoneValue>),
        InputRefusals,
    )
)]
#[get("/zone-migration/unmatched")]
pub async fn list_unmatched_zone_values(
    db: web::Data<Db>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    let page = page.parse::<String>()?;
    let values = db
        .read(move |conn| operations::unmatched(conn, &caller, &page))
        .await?;
    Ok(HttpResponse::Ok().json(values))
}
