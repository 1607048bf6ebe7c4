//! Innovation carriers (创新创业载体): record, read, list, change; authorised by the
//! carrier's county as enterprises are.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{ReadRefusals, RecordInputRefusals};
use hte_shared::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired,
    UnprocessableEntity,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, json_with_etag};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::text;
use hte_shared::time::{parse_date_param, today};
use serde::Deserialize;
use utoipa::IntoParams;

use super::region_filter;
use crate::app::carriers::{self as operations, CarrierView};
use crate::db::carriers::CarrierFilter;
use crate::domain::carrier_performance::Performance;
use crate::domain::carriers::{CarrierId, CarrierKind, CarrierLevel, CarrierPatch, NewCarrier};
use crate::error::{RegistryError, to_json};

fn path_carrier_id(raw: &str) -> Result<CarrierId, Problem> {
    CarrierId::parse(raw).map_err(|e| Problem::validation(vec![e]))
}

/// Record an innovation carrier in a county you may write.
#[utoipa::path(
    tag = "carriers",
    request_body = NewCarrier,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer")),
    responses(
        (status = 201, description = "Recorded", body = CarrierView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/carriers")]
pub async fn create_carrier(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    body: Json<NewCarrier>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let carrier = body.0.parse(today())?;
    caller.require_write(&carrier.1.county.code())?;
    let request = to_json(&body.0)?;
    create_once(
        &db,
        Actor::new(&caller, &request_id),
        key.0,
        "POST /api/v1/carriers".to_owned(),
        request,
        move |conn, actor| {
            let view = operations::create(conn, &caller, actor, &carrier)?;
            Ok(Created {
                status: StatusCode::CREATED,
                location: Some(format!("/api/v1/carriers/{}", view.id)),
                body: to_json(&view)?,
            })
        },
    )
    .await
}

/// One carrier in your region.
#[utoipa::path(
    tag = "carriers",
    params(("id" = String, Path, description = "Carrier id (载体编号)", pattern = "^[a-z0-9][a-z0-9-]{1,39}$")),
    responses(
        (status = 200, description = "The carrier", body = CarrierView, headers(("ETag" = String, description = "Send back in If-Match to update"))),
        ReadRefusals,
    )
)]
#[get("/carriers/{id}")]
pub async fn get_carrier(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let id = path_carrier_id(&path)?;
    let view = db
        .read(move |conn| {
            let row = operations::load_visible(conn, &caller, &id)?;
            operations::view_of(&row)
        })
        .await?;
    Ok(json_with_etag(view.version, &view))
}

/// Change a carrier. Needs `If-Match` with the ETag of the last read; moving it needs the
/// right to write both counties.
#[utoipa::path(
    tag = "carriers",
    request_body = CarrierPatch,
    params(
        ("id" = String, Path, description = "Carrier id (载体编号)", pattern = "^[a-z0-9][a-z0-9-]{1,39}$"),
        ("If-Match" = String, Header, description = "ETag from the last read, e.g. \"v3\"", pattern = "^[!-~]([ -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "Updated", body = CarrierView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[patch("/carriers/{id}")]
pub async fn update_carrier(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<CarrierPatch>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let id = path_carrier_id(&path)?;
    let actor = Actor::new(&caller, &request_id);
    let today = today();
    let view = db
        .write(move |conn| {
            let check = |version| if_match.check(version);
            operations::update(conn, &caller, &actor, (&id, check), &body.0, today)
        })
        .await?;
    Ok(json_with_etag(view.version, &view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CarrierQuery {
    /// Region code: a city matches its whole subtree, a county itself (default: your region).
    region: Option<String>,
    /// Kind (载体类型): incubator 孵化器, maker_space 众创空间, star_maker_space 星创天地,
    /// university_science_park 大学科技园, entrepreneurship_park 创业园.
    #[param(value_type = Option<CarrierKind>)]
    kind: Option<String>,
    /// Recognition level (认定级别): national, provincial, municipal.
    #[param(value_type = Option<CarrierLevel>)]
    level: Option<String>,
}

/// The filter a carrier list or ranking query asks for, within the caller's region.
pub(super) fn carrier_filter(
    caller: &Caller,
    (region, kind, level): (Option<&str>, Option<&str>, Option<&str>),
) -> Result<CarrierFilter, Problem> {
    let mut errors = Vec::new();
    let scope = region_filter(caller, region, &mut errors)?;
    let mut filter = CarrierFilter {
        city: scope.city.map(|c| c.to_string()),
        county: scope.county.map(|c| c.to_string()),
        ..CarrierFilter::default()
    };
    if let Some(raw) = kind {
        match CarrierKind::from_key(raw) {
            Some(kind) => filter.kind = Some(kind.key().to_owned()),
            None => errors.push(FieldError::new(
                "kind",
                "enum",
                text!(
                    "kind must be incubator, maker_space, star_maker_space, university_science_park or entrepreneurship_park",
                    "kind 须为 incubator（孵化器）、maker_space（众创空间）、star_maker_space（星创天地）、university_science_park（大学科技园）或 entrepreneurship_park（创业园）"
                ),
            )),
        }
    }
    if let Some(raw) = level {
        match CarrierLevel::from_key(raw) {
            Some(level) => filter.level = Some(level.key().to_owned()),
            None => errors.push(FieldError::new(
                "level",
                "enum",
                text!(
                    "level must be national, provincial or municipal",
                    "level 须为 national（国家级）、provincial（省级）或 municipal（市级）"
                ),
            )),
        }
    }
    super::validated(errors)?;
    Ok(filter)
}

/// List carriers in your region, filtered, by id, with cursor pagination.
#[utoipa::path(
    tag = "carriers",
    params(CarrierQuery, PageParams),
    responses(
        (status = 200, description = "A page of carriers", body = Page<CarrierView>),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
        (status = 403, response = Forbidden),
    )
)]
#[get("/carriers")]
pub async fn list_carriers(
    db: web::Data<Db>,
    caller: Caller,
    query: web::Query<CarrierQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    let q = &query;
    let filter = carrier_filter(
        &caller,
        (q.region.as_deref(), q.kind.as_deref(), q.level.as_deref()),
    )?;
    let page = page.parse::<String>()?;
    let result = db
        .read(move |conn| {
            let limit = i64::from(page.limit) + 1;
            let views = operations::list(conn, &filter, page.after.as_deref(), limit)?;
            Ok::<_, RegistryError>(Page::from_rows(views, page.limit, |v| v.id.clone()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day of the period (YYYY-MM-DD).
    #[param(value_type = String, format = Date, max_length = 10)]
    pub(super) from: String,
    /// Last day of the period (YYYY-MM-DD), not before `from`.
    #[param(value_type = String, format = Date, max_length = 10)]
    pub(super) to: String,
}

pub(super) fn parse_period(query: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), Problem> {
    let mut errors = Vec::new();
    let mut date = |field: &str, raw: &str| match parse_date_param(field, Some(raw)) {
        Ok(Some(date)) => Some(date),
        // An empty value (`to=`) is a missing date, not a server error.
        Ok(None) => {
            errors.push(FieldError::new(
                field,
                "required",
                text!(
                    "{field} is required: a date like 2025-12-31",
                    "{field} 为必填项，须为日期，例如 2025-12-31"
                ),
            ));
            None
        }
        Err(problem) => {
            errors.extend(problem.errors);
            None
        }
    };
    let (from, to) = (date("from", &query.from), date("to", &query.to));
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        errors.push(FieldError::new(
            "to",
            "not_before_from",
            text!("to is before from", "结束日期早于开始日期"),
        ));
    }
    super::validated(errors)?;
    match (from, to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(Problem::internal()),
    }
}

/// What the carrier achieved over a period (孵化绩效): firms incubated then, and of those
/// the tech-based SMEs, pool members and HTEs certified during or after incubation, and the
/// labels earned.
#[utoipa::path(
    tag = "carriers",
    params(("id" = String, Path, description = "Carrier id (载体编号)", pattern = "^[a-z0-9][a-z0-9-]{1,39}$"), PeriodQuery),
    responses(
        (status = 200, description = "The counts", body = Performance),
        RecordInputRefusals,
    )
)]
#[get("/carriers/{id}/performance")]
pub async fn carrier_performance(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, RegistryError> {
    let id = path_carrier_id(&path)?;
    let period = parse_period(&query)?;
    let counts = db
        .read(move |conn| operations::performance(conn, &caller, &id, period))
        .await?;
    Ok(HttpResponse::Ok().json(counts))
}
