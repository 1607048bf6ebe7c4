//! Incubations (在孵记录): recording that a carrier incubated the enterprise, and the list.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::MaybeIdempotencyKey;
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{ChangeRefusals, RecordInputRefusals};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{create_fact, page_of_records};
use crate::app::incubations::{self as operations, Incubation, IncubationView};
use crate::domain::carriers::CarrierId;
use crate::domain::dates::check_past_date;
use crate::error::RegistryError;

/// Body of `POST …/incubations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncubation {
    /// The carrier that incubated the enterprise (孵化载体编号).
    #[schema(
        example = "kunshan-sci-incubator",
        pattern = "^[a-z0-9][a-z0-9-]{1,39}$"
    )]
    pub carrier_id: String,
    /// First day of incubation (入孵日期); not in the future.
    pub started_on: NaiveDate,
    /// Graduation or leaving (毕业/离孵日期), not before started_on nor in the future; absent
    /// while incubating.
    pub ended_on: Option<NaiveDate>,
}

impl NewIncubation {
    fn parse(&self, today: NaiveDate) -> Result<Incubation, Problem> {
        let mut errors = Vec::new();
        let carrier = CarrierId::parse(&self.carrier_id)
            .map_err(|e| {
                errors.push(FieldError {
                    field: "carrier_id".into(),
                    ..e
                })
            })
            .ok();
        check_past_date("started_on", self.started_on, today, &mut errors);
        if let Some(end) = self.ended_on {
            check_past_date("ended_on", end, today, &mut errors);
            if end < self.started_on {
                errors.push(FieldError::new(
                    "ended_on",
                    "not_before_start",
                    text!("ended_on is before started_on", "毕业/离孵日期早于入孵日期"),
                ));
            }
        }
        match carrier {
            Some(carrier) if errors.is_empty() => Ok(Incubation {
                carrier,
                started_on: self.started_on,
                ended_on: self.ended_on,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

/// Record that a carrier incubated the enterprise (在孵记录).
#[utoipa::path(
    tag = "carriers",
    request_body = NewIncubation,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe"),
    ),
    responses(
        (status = 201, description = "Recorded", body = IncubationView, headers(("Location" = String))),
        ChangeRefusals,
    )
)]
#[post("/enterprises/{credit_code}/incubations")]
pub async fn create_incubation(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<String>,
    body: Json<NewIncubation>,
) -> Result<HttpResponse, RegistryError> {
    create_fact(
        &db,
        (caller, request_id, key),
        (&path, "incubations"),
        &body.0,
        NewIncubation::parse,
        operations::record,
    )
    .await
}

/// The enterprise's incubations, oldest first (by start, then carrier id).
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "carriers",
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of them", body = Page<IncubationView>),
        RecordInputRefusals,
    )
)]
#[get("/enterprises/{credit_code}/incubations")]
pub async fn list_incubations(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    page_of_records(&db, caller, (&path, &page), operations::list).await
}
