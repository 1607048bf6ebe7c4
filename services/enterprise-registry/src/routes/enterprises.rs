//! Enterprises (企业): create, read, list, update, deregister, history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use hte_shared::audit::{self, Actor, AuditEntry, Change};
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{
    BadRequest, Conflict, NotFound, PreconditionFailed, PreconditionRequired, UnprocessableEntity,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, etag_header};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{now, parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::enterprises::{self as queries, EnterpriseRow, ListCursor, ListFilter, SortKey};
use crate::domain::credit_code::CreditCode;
use crate::domain::enterprise::{
    CountyCode, EnterpriseName, IndustryCode, ListingStatus, ZoneLevel, check_past_date,
    parse_identifier, parse_reason,
};
use crate::domain::programme::LabelKind;
use crate::domain::status::{EnterpriseStatus, StatusFacts, status_on};
use crate::domain::tech_domain::TechDomain;
use crate::error::RegistryError;

/// An enterprise (企业) as the registry holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseView {
    /// Unified social credit code (统一社会信用代码), GB 32100-2015.
    #[schema(example = "91320583MA1N2P3Q0J")]
    pub credit_code: String,
    /// Name (企业名称).
    #[schema(example = "昆山示例智能装备有限公司")]
    pub name: String,
    /// County-level division (所在县区), 6 digits.
    #[schema(example = "320583")]
    pub region_code: String,
    /// Prefecture-level city (设区市) of region_code; read-only.
    #[schema(example = "320500")]
    pub city_code: String,
    /// Date of registration (成立日期).
    pub registered_on: NaiveDate,
    /// Industry (国民经济行业分类, GB/T 4754-2017).
    #[schema(example = "C3491")]
    pub industry_code: String,
    /// Main technology domain (技术领域).
    pub tech_domain: Option<TechDomain>,
    /// High-tech zone level (高新区级别).
    pub zone_level: ZoneLevel,
    /// Which high-tech zone (高新区), when zone_level is not `none`.
    pub zone_id: Option<String>,
    /// Above designated size (规模以上).
    pub above_scale: bool,
    /// Carrier that incubated it (孵化载体).
    pub carrier_id: Option<String>,
    /// Listing status (上市状态).
    pub listing_status: ListingStatus,
    /// Programme status (状态) on `status_as_of`; derived, read-only.
    pub status: EnterpriseStatus,
    /// The date `status` refers to.
    pub status_as_of: NaiveDate,
    /// Deregistration date (注销日期), when deregistered.
    pub deregistered_on: Option<NaiveDate>,
    /// Why it was deregistered.
    pub deregistration_reason: Option<String>,
    /// Version; the ETag is `"v<version>"`.
    pub version: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub updated_at: chrono::NaiveDateTime,
}

/// Body of `POST /enterprises`. Server-owned fields (status, city_code, version, timestamps)
/// are refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    /// Unified social credit code (统一社会信用代码): 18 characters with a valid check character.
    #[schema(example = "91320583MA1N2P3Q0J")]
    pub credit_code: String,
    /// Name (企业名称), 2–120 characters.
    #[schema(example = "昆山示例智能装备有限公司")]
    pub name: String,
    /// County-level division code (所在县区): a Jiangsu district, county-level city or county.
    #[schema(example = "320583")]
    pub region_code: String,
    /// Date of registration (成立日期); not in the future.
    pub registered_on: NaiveDate,
    /// Industry code (国民经济行业分类, GB/T 4754-2017), e.g. `C3491`.
    #[schema(example = "C3491")]
    pub industry_code: String,
    /// Main technology domain (技术领域).
    pub tech_domain: Option<TechDomain>,
    /// High-tech zone level (高新区级别); default `none`.
    #[serde(default)]
    pub zone_level: ZoneLevel,
    /// Which high-tech zone (高新区): required when zone_level is not `none`.
    pub zone_id: Option<String>,
    /// Above designated size (规模以上).
    #[serde(default)]
    pub above_scale: bool,
    /// Carrier that incubated it (孵化载体).
    pub carrier_id: Option<String>,
    /// Listing status (上市状态); default `unlisted`.
    #[serde(default)]
    pub listing_status: ListingStatus,
}

/// Body of `PATCH /enterprises/{credit_code}`: only the fields to change. `null` clears an
/// optional field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterprisePatch {
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub region_code: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub registered_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub industry_code: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<TechDomain>)]
    pub tech_domain: Option<Option<TechDomain>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub zone_level: Option<ZoneLevel>,
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>)]
    pub zone_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub above_scale: Option<bool>,
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>)]
    pub carrier_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub listing_status: Option<ListingStatus>,
}

/// Body of `POST /enterprises/{credit_code}/deregister`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deregistration {
    /// Date of deregistration (注销日期).
    pub deregistered_on: NaiveDate,
    /// Why (注销原因), 2–500 characters.
    #[schema(example = "企业已办理工商注销")]
    pub reason: String,
}

/// An enterprise's fields, each already valid.
pub(crate) struct EnterpriseFields {
    pub credit_code: CreditCode,
    pub name: EnterpriseName,
    pub county: CountyCode,
    pub registered_on: NaiveDate,
    pub industry_code: IndustryCode,
    pub tech_domain: Option<TechDomain>,
    pub zone_level: ZoneLevel,
    pub zone_id: Option<String>,
    pub above_scale: bool,
    pub carrier_id: Option<String>,
    pub listing_status: ListingStatus,
}

impl NewEnterprise {
    /// Parses every field, reporting every problem at once.
    pub(crate) fn parse(&self, today: NaiveDate) -> Result<EnterpriseFields, Problem> {
        let mut errors = Vec::new();
        let credit_code = CreditCode::parse(&self.credit_code)
            .map_err(|e| errors.push(FieldError::new("credit_code", e.rule(), e.to_string())))
            .ok();
        let name = EnterpriseName::parse(&self.name)
            .map_err(|e| errors.push(FieldError::new("name", "length", e)))
            .ok();
        let county = CountyCode::parse(&self.region_code)
            .map_err(|(rule, message)| errors.push(FieldError::new("region_code", rule, message)))
            .ok();
        check_past_date("registered_on", self.registered_on, today, &mut errors);
        let industry_code = IndustryCode::parse(&self.industry_code)
            .map_err(|e| errors.push(FieldError::new("industry_code", "format", e)))
            .ok();
        let zone_id = match (self.zone_level, self.zone_id.as_deref()) {
            (ZoneLevel::None, None) => None,
            (ZoneLevel::None, Some(_)) => {
                errors.push(FieldError::new(
                    "zone_id",
                    "zone_level_none",
                    "zone_id must be absent when zone_level is none",
                ));
                None
            }
            (_, None) => {
                errors.push(FieldError::new(
                    "zone_id",
                    "required",
                    "zone_id names the high-tech zone and is required when zone_level is provincial or national",
                ));
                None
            }
            (_, Some(raw)) => parse_identifier(raw)
                .map_err(|e| {
                    errors.push(FieldError::new("zone_id", "format", format!("zone_id {e}")))
                })
                .ok(),
        };
        let carrier_id = match self.carrier_id.as_deref() {
            None => None,
            Some(raw) => parse_identifier(raw)
                .map_err(|e| {
                    errors.push(FieldError::new(
                        "carrier_id",
                        "format",
                        format!("carrier_id {e}"),
                    ))
                })
                .ok(),
        };
        match (credit_code, name, county, industry_code) {
            (Some(credit_code), Some(name), Some(county), Some(industry_code))
                if errors.is_empty() =>
            {
                Ok(EnterpriseFields {
                    credit_code,
                    name,
                    county,
                    registered_on: self.registered_on,
                    industry_code,
                    tech_domain: self.tech_domain,
                    zone_level: self.zone_level,
                    zone_id,
                    above_scale: self.above_scale,
                    carrier_id,
                    listing_status: self.listing_status,
                })
            }
            _ => Err(Problem::validation(errors)),
        }
    }

    pub(crate) fn from_row(row: &EnterpriseRow) -> Self {
        Self {
            credit_code: row.credit_code.clone(),
            name: row.name.clone(),
            region_code: row.region_code.clone(),
            registered_on: row.registered_on,
            industry_code: row.industry_code.clone(),
            tech_domain: row
                .tech_domain
                .as_deref()
                .and_then(|d| TechDomain::parse(d).ok()),
            zone_level: ZoneLevel::from_key(&row.zone_level).unwrap_or_default(),
            zone_id: row.zone_id.clone(),
            above_scale: row.above_scale,
            carrier_id: row.carrier_id.clone(),
            listing_status: ListingStatus::from_key(&row.listing_status).unwrap_or_default(),
        }
    }

    fn apply(mut self, patch: EnterprisePatch) -> Self {
        if let Some(v) = patch.name {
            self.name = v;
        }
        if let Some(v) = patch.region_code {
            self.region_code = v;
        }
        if let Some(v) = patch.registered_on {
            self.registered_on = v;
        }
        if let Some(v) = patch.industry_code {
            self.industry_code = v;
        }
        if let Some(v) = patch.tech_domain {
            self.tech_domain = v;
        }
        if let Some(v) = patch.zone_level {
            self.zone_level = v;
            // Leaving a zone drops the zone id unless the patch names one.
            if v == ZoneLevel::None && patch.zone_id.is_none() {
                self.zone_id = None;
            }
        }
        if let Some(v) = patch.zone_id {
            self.zone_id = v;
        }
        if let Some(v) = patch.above_scale {
            self.above_scale = v;
        }
        if let Some(v) = patch.carrier_id {
            self.carrier_id = v;
        }
        if let Some(v) = patch.listing_status {
            self.listing_status = v;
        }
        self
    }
}

impl EnterpriseFields {
    pub(crate) fn into_row(self, previous: Option<&EnterpriseRow>) -> EnterpriseRow {
        let now = now();
        EnterpriseRow {
            credit_code: self.credit_code.to_string(),
            name: self.name.as_str().to_owned(),
            region_code: self.county.code().to_string(),
            city_code: self.county.city().to_string(),
            registered_on: self.registered_on,
            industry_code: self.industry_code.as_str().to_owned(),
            tech_domain: self.tech_domain.map(|d| d.key().to_owned()),
            zone_level: self.zone_level.key().to_owned(),
            zone_id: self.zone_id,
            above_scale: self.above_scale,
            carrier_id: self.carrier_id,
            listing_status: self.listing_status.key().to_owned(),
            deregistered_on: previous.and_then(|p| p.deregistered_on),
            deregistration_reason: previous.and_then(|p| p.deregistration_reason.clone()),
            version: previous.map_or(1, |p| p.version + 1),
            created_at: previous.map_or(now, |p| p.created_at),
            updated_at: now,
        }
    }
}

/// The stored record as the audit log keeps it (no derived fields).
pub(crate) fn record_json(row: &EnterpriseRow) -> serde_json::Value {
    let mut view = serde_json::to_value(view_of(
        row,
        EnterpriseStatus::Registered,
        row.registered_on,
    ))
    .unwrap_or_default();
    if let Some(map) = view.as_object_mut() {
        map.remove("status");
        map.remove("status_as_of");
    }
    view
}

fn view_of(row: &EnterpriseRow, status: EnterpriseStatus, as_of: NaiveDate) -> EnterpriseView {
    EnterpriseView {
        credit_code: row.credit_code.clone(),
        name: row.name.clone(),
        region_code: row.region_code.clone(),
        city_code: row.city_code.clone(),
        registered_on: row.registered_on,
        industry_code: row.industry_code.clone(),
        tech_domain: row
            .tech_domain
            .as_deref()
            .and_then(|d| TechDomain::parse(d).ok()),
        zone_level: ZoneLevel::from_key(&row.zone_level).unwrap_or_default(),
        zone_id: row.zone_id.clone(),
        above_scale: row.above_scale,
        carrier_id: row.carrier_id.clone(),
        listing_status: ListingStatus::from_key(&row.listing_status).unwrap_or_default(),
        status,
        status_as_of: as_of,
        deregistered_on: row.deregistered_on,
        deregistration_reason: row.deregistration_reason.clone(),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Views of `rows` with their status on `as_of` (two queries for the whole page).
pub(crate) fn views_with_status(
    conn: &mut DbConnection,
    rows: &[EnterpriseRow],
    as_of: NaiveDate,
) -> Result<Vec<EnterpriseView>, RegistryError> {
    let codes: Vec<String> = rows.iter().map(|r| r.credit_code.clone()).collect();
    let certificates = queries::certificate_spans(conn, &codes)?;
    let pool = queries::pool_spans(conn, &codes)?;
    Ok(rows
        .iter()
        .map(|row| {
            let facts = StatusFacts {
                registered_on: row.registered_on,
                deregistered_on: row.deregistered_on,
                certificates: certificates
                    .get(&row.credit_code)
                    .map_or(&[], Vec::as_slice),
                pool_entries: pool.get(&row.credit_code).map_or(&[], Vec::as_slice),
            };
            view_of(row, status_on(&facts, as_of), as_of)
        })
        .collect())
}

fn view_with_status(
    conn: &mut DbConnection,
    row: &EnterpriseRow,
    as_of: NaiveDate,
) -> Result<EnterpriseView, RegistryError> {
    views_with_status(conn, std::slice::from_ref(row), as_of)?
        .pop()
        .ok_or_else(|| RegistryError::from(Problem::internal()))
}

/// Parses a credit code from the path (400 naming the rule when malformed).
pub(crate) fn path_credit_code(raw: &str) -> Result<CreditCode, Problem> {
    CreditCode::parse(raw)
        .map_err(|e| Problem::invalid_field("credit_code", e.rule(), e.to_string()))
}

fn not_found(code: &CreditCode) -> Problem {
    Problem::not_found(format!(
        "no enterprise with credit code {code} in your region"
    ))
}

/// The enterprise, if it exists and the caller may see it; otherwise 404, so records outside
/// the caller's region are indistinguishable from absent ones.
pub(crate) fn load_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
) -> Result<EnterpriseRow, RegistryError> {
    let row = queries::find(conn, code.as_str())?.ok_or_else(|| not_found(code))?;
    let region = RegionCode::parse(&row.region_code).map_err(|_| Problem::internal())?;
    if caller.may_read(&region) {
        Ok(row)
    } else {
        Err(not_found(code).into())
    }
}

/// The enterprise for a write by `caller`: 404 when invisible, 403 when visible but not
/// writable.
pub(crate) fn load_writable(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
) -> Result<EnterpriseRow, RegistryError> {
    let row = load_visible(conn, caller, code)?;
    let region = RegionCode::parse(&row.region_code).map_err(|_| Problem::internal())?;
    caller.require_write(&region)?;
    Ok(row)
}

/// Register an enterprise.
#[utoipa::path(
    tag = "enterprises",
    request_body = NewEnterprise,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer")),
    responses(
        (status = 201, description = "Registered", body = EnterpriseView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/enterprises")]
pub async fn create_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    body: Json<NewEnterprise>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let today = today();
    let fields = body.0.parse(today)?;
    caller.require_write(&fields.county.code())?;
    let request = serde_json::to_value(&body.0).unwrap_or_default();
    create_once(
        &db,
        Actor::new(&caller, &request_id),
        key.0,
        "POST /api/v1/enterprises".to_owned(),
        request,
        move |conn, actor| {
            if queries::find(conn, fields.credit_code.as_str())?.is_some() {
                return Err(Problem::conflict(format!(
                    "an enterprise with credit code {} is already registered",
                    fields.credit_code
                ))
                .into());
            }
            let row = fields.into_row(None);
            queries::insert(conn, &row)?;
            audit::append(
                conn,
                actor,
                Change {
                    entity_type: "enterprise",
                    entity_key: &row.credit_code,
                    action: "create",
                    reason: None,
                    before: None,
                    after: Some(record_json(&row)),
                },
            )?;
            let view = view_with_status(conn, &row, today)?;
            Ok(Created {
                status: StatusCode::CREATED,
                body: serde_json::to_value(view).unwrap_or_default(),
                location: Some(format!("/api/v1/enterprises/{}", row.credit_code)),
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParam {
    /// Date the derived status refers to (default: today, China time).
    as_of: Option<String>,
}

/// One enterprise, with its status on a date.
#[utoipa::path(
    tag = "enterprises",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"), AsOfParam),
    responses(
        (status = 200, description = "The enterprise", body = EnterpriseView, headers(("ETag" = String, description = "Send back in If-Match to update"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}")]
pub async fn get_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<AsOfParam>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let as_of = parse_date_param("as_of", query.as_of.as_deref())?.unwrap_or_else(today);
    let view = db
        .read(move |conn| {
            let row = load_visible(conn, &caller, &code)?;
            view_with_status(conn, &row, as_of)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view))
}

/// Change an enterprise's fields. Needs `If-Match` with the ETag of the last read.
#[utoipa::path(
    tag = "enterprises",
    request_body = EnterprisePatch,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("If-Match" = String, Header, description = "ETag from the last read, e.g. \"v3\""),
    ),
    responses(
        (status = 200, description = "Updated", body = EnterpriseView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[patch("/enterprises/{credit_code}")]
pub async fn update_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<EnterprisePatch>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let code = path_credit_code(&path)?;
    let actor = Actor::new(&caller, &request_id);
    let today = today();
    let view = db
        .write(move |conn| {
            let before = load_writable(conn, &caller, &code)?;
            if_match.check(before.version)?;
            let fields = NewEnterprise::from_row(&before)
                .apply(body.0)
                .parse(today)?;
            caller.require_write(&fields.county.code())?;
            let after = fields.into_row(Some(&before));
            if after.same_facts(&before) {
                // Nothing to change: no new version, so other clients' ETags stay good.
                return view_with_status(conn, &before, today);
            }
            if after.registered_on != before.registered_on {
                let contradiction = if before
                    .deregistered_on
                    .is_some_and(|d| d < after.registered_on)
                {
                    Some("the enterprise was deregistered before it".to_owned())
                } else {
                    queries::earliest_facts(conn, &before.credit_code)?
                        .contradiction(after.registered_on)
                };
                if let Some(why) = contradiction {
                    return Err(Problem::invalid_field(
                        "registered_on",
                        "not_after_recorded_facts",
                        format!("registered_on {} cannot be: {why}", after.registered_on),
                    )
                    .into());
                }
            }
            if !queries::update_if_version(conn, &after, before.version)? {
                return Err(Problem::precondition_failed(
                    "the record changed while this update was being applied; read it again",
                )
                .into());
            }
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "enterprise",
                    entity_key: &after.credit_code,
                    action: "update",
                    reason: None,
                    before: Some(record_json(&before)),
                    after: Some(record_json(&after)),
                },
            )?;
            view_with_status(conn, &after, today)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view))
}

/// Deregister (注销) an enterprise: nothing is deleted; its history stays.
#[utoipa::path(
    tag = "enterprises",
    request_body = Deregistration,
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)")),
    responses(
        (status = 200, description = "Deregistered", body = EnterpriseView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/enterprises/{credit_code}/deregister")]
pub async fn deregister_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    body: Json<Deregistration>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let code = path_credit_code(&path)?;
    let today = today();
    let mut errors = Vec::new();
    check_past_date(
        "deregistered_on",
        body.0.deregistered_on,
        today,
        &mut errors,
    );
    let reason = parse_reason(&body.0.reason)
        .map_err(|e| errors.push(FieldError::new("reason", "length", e)))
        .ok();
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let deregistered_on = body.0.deregistered_on;
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| {
            let before = load_writable(conn, &caller, &code)?;
            if let Some(date) = before.deregistered_on {
                return Err(Problem::conflict(format!("already deregistered on {date}")).into());
            }
            if deregistered_on < before.registered_on {
                return Err(Problem::invalid_field(
                    "deregistered_on",
                    "not_before_registration",
                    format!(
                        "deregistered_on is before the registration date {}",
                        before.registered_on
                    ),
                )
                .into());
            }
            let after = EnterpriseRow {
                deregistered_on: Some(deregistered_on),
                deregistration_reason: Some(reason.clone()),
                version: before.version + 1,
                updated_at: now(),
                ..before.clone()
            };
            if !queries::update_if_version(conn, &after, before.version)? {
                return Err(Problem::conflict("the record changed concurrently; retry").into());
            }
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "enterprise",
                    entity_key: &after.credit_code,
                    action: "deregister",
                    reason: Some(&reason),
                    before: Some(record_json(&before)),
                    after: Some(record_json(&after)),
                },
            )?;
            view_with_status(conn, &after, today)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag_header(view.version))
        .json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseFilter {
    /// Region code: a city matches its whole subtree, a county itself (default: your region).
    region: Option<String>,
    /// Status on `as_of`: hte, pool, registered, deregistered, not_yet_registered.
    status: Option<String>,
    /// Date for `status` and for the status shown (default today).
    as_of: Option<String>,
    /// Technology domain key (技术领域).
    tech_domain: Option<String>,
    /// Holds an unrevoked label of this kind (称号): gazelle, little_giant, …
    label: Option<String>,
    /// High-tech zone level: none, provincial, national.
    zone_level: Option<String>,
    /// Above designated size (规上).
    above_scale: Option<bool>,
    /// Name contains this text (名称包含).
    q: Option<String>,
}

/// Order and page of `GET /enterprises` (exports take the filters only: they hold them all).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterprisePage {
    /// Order: `credit_code` (default), `name`, or `updated_at`; always ascending, ties by credit code.
    sort: Option<String>,
    /// Page size, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Clone)]
pub(crate) struct ParsedFilter {
    pub filter: ListFilter,
    pub as_of: NaiveDate,
}

impl EnterpriseFilter {
    pub(crate) fn parse(&self, caller: &Caller) -> Result<ParsedFilter, Problem> {
        let mut errors = Vec::new();
        let as_of = match parse_date_param("as_of", self.as_of.as_deref()) {
            Ok(date) => date.unwrap_or_else(today),
            Err(problem) => {
                errors.extend(problem.errors);
                today()
            }
        };
        let mut filter = region_filter(caller, self.region.as_deref(), &mut errors)?;
        if let Some(raw) = self.status.as_deref() {
            let statuses = [
                EnterpriseStatus::Hte,
                EnterpriseStatus::Pool,
                EnterpriseStatus::Registered,
                EnterpriseStatus::Deregistered,
                EnterpriseStatus::NotYetRegistered,
            ];
            match statuses.into_iter().find(|s| s.key() == raw) {
                Some(status) => filter.status = Some((status, as_of)),
                None => errors.push(FieldError::new(
                    "status",
                    "enum",
                    "status must be hte, pool, registered, deregistered or not_yet_registered",
                )),
            }
        }
        if let Some(raw) = self.tech_domain.as_deref() {
            match TechDomain::parse(raw) {
                Ok(domain) => filter.tech_domain = Some(domain.key().to_owned()),
                Err(e) => errors.push(FieldError::new("tech_domain", "enum", e)),
            }
        }
        if let Some(raw) = self.label.as_deref() {
            match LabelKind::from_key(raw) {
                Some(kind) => filter.label = Some((kind.key().to_owned(), as_of)),
                None => errors.push(FieldError::new(
                    "label",
                    "enum",
                    "label must be gazelle, little_giant, single_champion, innovative_leader, top100, listing_pipeline or tech_sme",
                )),
            }
        }
        if let Some(raw) = self.zone_level.as_deref() {
            match ZoneLevel::from_key(raw) {
                Some(level) => filter.zone_level = Some(level.key().to_owned()),
                None => errors.push(FieldError::new(
                    "zone_level",
                    "enum",
                    "zone_level must be none, provincial or national",
                )),
            }
        }
        filter.above_scale = self.above_scale;
        if let Some(text) = self.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            if text.chars().count() > 100 {
                errors.push(FieldError::new(
                    "q",
                    "length",
                    "q may have at most 100 characters",
                ));
            }
            filter.name_contains = Some(text.to_owned());
        }
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        Ok(ParsedFilter { filter, as_of })
    }
}

/// The subtree a list covers: the requested region (a city covers its counties) within the
/// caller's own; a region outside it is a 403, a malformed one a field error.
pub(crate) fn region_filter(
    caller: &Caller,
    raw: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Result<ListFilter, Problem> {
    let scope = caller.read_scope().copied();
    let region = match raw {
        None => scope,
        Some(raw) => match RegionCode::parse(raw) {
            Ok(code) if regions::find(&code).is_some() => {
                if scope.is_some_and(|s| !code.is_within(&s)) {
                    return Err(Problem::forbidden(format!(
                        "region {code} is outside your region {}",
                        caller.region
                    )));
                }
                Some(code)
            }
            Ok(code) => {
                errors.push(FieldError::new(
                    "region",
                    "jiangsu_division",
                    format!("{code} is not a Jiangsu division code"),
                ));
                None
            }
            Err(e) => {
                errors.push(FieldError::new("region", "format", e.to_string()));
                None
            }
        },
    };
    let mut filter = ListFilter::default();
    match region.and_then(|code| regions::find(&code)) {
        Some(r) if r.level == RegionLevel::City => filter.city = Some(r.code),
        Some(r) if r.level == RegionLevel::County => filter.county = Some(r.code),
        _ => {}
    }
    Ok(filter)
}

/// List enterprises in your region, filtered, with cursor pagination.
#[utoipa::path(
    tag = "enterprises",
    params(EnterpriseFilter, EnterprisePage),
    responses(
        (status = 200, description = "A page of enterprises", body = Page<EnterpriseView>),
        (status = 400, response = BadRequest),
    )
)]
#[get("/enterprises")]
pub async fn list_enterprises(
    db: web::Data<Db>,
    caller: Caller,
    query: web::Query<EnterpriseFilter>,
    order: web::Query<EnterprisePage>,
) -> Result<HttpResponse, RegistryError> {
    let parsed = query.parse(&caller)?;
    let query = order.into_inner();
    let sort = match query.sort.as_deref().unwrap_or("credit_code") {
        "credit_code" => SortKey::CreditCode,
        "name" => SortKey::Name,
        "updated_at" => SortKey::UpdatedAt,
        other => {
            return Err(Problem::invalid_field(
                "sort",
                "enum",
                format!("sort must be credit_code, name or updated_at; got {other:?}"),
            )
            .into());
        }
    };
    let sort_name = query
        .sort
        .clone()
        .unwrap_or_else(|| "credit_code".to_owned());
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    }
    .parse::<ListCursor>()?;
    if page.after.as_ref().is_some_and(|c| c.sort != sort_name) {
        return Err(Problem::invalid_field(
            "cursor",
            "sort_mismatch",
            "the cursor belongs to another sort order",
        )
        .into());
    }
    // A cursor is opaque but decodable; one whose position does not fit its order was not
    // issued here.
    if page.after.as_ref().is_some_and(|c| {
        sort == SortKey::UpdatedAt
            && chrono::NaiveDateTime::parse_from_str(&c.value, queries::CURSOR_TIME_FORMAT).is_err()
            || CreditCode::parse(&c.credit_code).is_err()
    }) {
        return Err(Problem::invalid_field(
            "cursor",
            "format",
            "the cursor is not one this service issued; start again without it",
        )
        .into());
    }
    let limit = page.limit;
    let result = db
        .read(move |conn| {
            let rows = queries::list(
                conn,
                &parsed.filter,
                sort,
                page.after.as_ref(),
                i64::from(limit) + 1,
            )?;
            let views = views_with_status(conn, &rows, parsed.as_of)?;
            Ok::<_, RegistryError>(Page::from_rows(views, limit, |v| ListCursor {
                sort: sort_name.clone(),
                value: match sort {
                    SortKey::CreditCode => v.credit_code.clone(),
                    SortKey::Name => v.name.clone(),
                    SortKey::UpdatedAt => {
                        v.updated_at.format(queries::CURSOR_TIME_FORMAT).to_string()
                    }
                },
                credit_code: v.credit_code.clone(),
            }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Every recorded change to an enterprise and its records (历史记录): who, when, why,
/// before and after. Oldest first.
#[utoipa::path(
    tag = "enterprises",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"), PageParams),
    responses(
        (status = 200, description = "A page of changes", body = Page<AuditEntry>),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}/history")]
pub async fn enterprise_history(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let page = page.parse::<i64>()?;
    let result = db
        .read(move |conn| {
            load_visible(conn, &caller, &code)?;
            let entries =
                audit::history(conn, code.as_str(), page.after, i64::from(page.limit) + 1)?;
            Ok::<_, RegistryError>(Page::from_rows(entries, page.limit, |e| e.id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}
