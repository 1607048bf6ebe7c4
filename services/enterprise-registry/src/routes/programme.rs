//! Programme facts: pool entries (入库培育), HTE certificates (高新技术企业认定) and labels
//! (称号). Each is created once and ended by an explicit action with a reason; nothing is
//! deleted.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::{BadRequest, Conflict, NotFound, UnprocessableEntity};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{now, today};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::enterprises::{load_visible, load_writable, path_credit_code};
use crate::db::enterprises::EnterpriseRow;
use crate::db::programme::{self as queries, CertificateRow, LabelRow, PoolEntryRow};
use crate::domain::credit_code::CreditCode;
use crate::domain::enterprise::{check_past_date, parse_identifier, parse_reason};
use crate::domain::programme::{
    CertificateNo, LabelKind, LabelLevel, certificate_expiry, check_programme_year,
};
use crate::domain::status::{OutsideExistence, outside_existence};
use crate::error::RegistryError;

// ---- shapes -------------------------------------------------------------------------------

/// A pool entry (入库培育记录).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolEntryView {
    pub credit_code: String,
    /// Pool year (入库年度).
    #[schema(example = 2025)]
    pub year: i32,
    /// Batch (批次) within the year.
    #[schema(example = 1)]
    pub batch: i32,
    /// How the firm came in (来源), e.g. city recommendation (市推荐).
    pub source: String,
    /// Date of entry (入库日期).
    pub entered_on: NaiveDate,
    /// First day out of the pool (出库日期).
    pub exited_on: Option<NaiveDate>,
    /// Why it left (出库原因).
    pub exit_reason: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

/// Body of `POST …/pool-entries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoolEntry {
    /// Pool year (入库年度), 2015 to next year.
    #[schema(example = 2025)]
    pub year: i32,
    /// Batch (批次), 1 or more.
    #[schema(example = 1, minimum = 1)]
    pub batch: i32,
    /// Source (来源), 1–64 characters.
    #[schema(example = "市推荐")]
    pub source: String,
    /// Date of entry (入库日期).
    pub entered_on: NaiveDate,
}

/// Body of `POST …/pool-entries/{year}/exit`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolExit {
    /// First day out of the pool (出库日期).
    pub exited_on: NaiveDate,
    /// Why (出库原因), 2–500 characters.
    #[schema(example = "已认定为高新技术企业")]
    pub reason: String,
}

/// An HTE certificate (高新技术企业证书).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateView {
    /// Certificate number (证书编号).
    #[schema(example = "GR202332001234")]
    pub certificate_no: String,
    pub credit_code: String,
    /// Issue date (发证日期).
    pub issued_on: NaiveDate,
    /// Last day of validity (有效期至): three years from issue; read-only.
    pub expires_on: NaiveDate,
    /// Revocation date (撤销日期): first day it no longer counts.
    pub revoked_on: Option<NaiveDate>,
    /// Why it was revoked (撤销原因).
    pub revoke_reason: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

/// Body of `POST …/certificates`. The expiry is computed (three years), not sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    /// Certificate number (证书编号): GR + issue year + 8 digits.
    #[schema(example = "GR202332001234")]
    pub certificate_no: String,
    /// Issue date (发证日期).
    pub issued_on: NaiveDate,
}

/// Body of revocations (撤销).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// First day it no longer counts (撤销日期).
    pub revoked_on: NaiveDate,
    /// Why (撤销原因), 2–500 characters.
    #[schema(example = "累计两年未按期报送年报")]
    pub reason: String,
}

/// A label (称号) granted to the enterprise.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LabelView {
    pub credit_code: String,
    /// Kind (称号类别).
    pub kind: LabelKind,
    /// Year granted (年度).
    #[schema(example = 2025)]
    pub year: i32,
    /// Level of the granting body (级别).
    pub level: LabelLevel,
    /// Granting body (认定机构).
    pub issuer: Option<String>,
    pub revoked_on: Option<NaiveDate>,
    pub revoke_reason: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

/// Body of `POST …/labels`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLabel {
    pub kind: LabelKind,
    #[schema(example = 2025)]
    pub year: i32,
    pub level: LabelLevel,
    /// Granting body (认定机构), 1–64 characters.
    #[schema(example = "江苏省科学技术厅")]
    pub issuer: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolEntryList {
    pub items: Vec<PoolEntryView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateList {
    pub items: Vec<CertificateView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LabelList {
    pub items: Vec<LabelView>,
}

fn pool_view(row: &PoolEntryRow) -> PoolEntryView {
    PoolEntryView {
        credit_code: row.credit_code.clone(),
        year: row.year,
        batch: row.batch,
        source: row.source.clone(),
        entered_on: row.entered_on,
        exited_on: row.exited_on,
        exit_reason: row.exit_reason.clone(),
        created_at: row.created_at,
    }
}

fn certificate_view(row: &CertificateRow) -> CertificateView {
    CertificateView {
        certificate_no: row.certificate_no.clone(),
        credit_code: row.credit_code.clone(),
        issued_on: row.issued_on,
        expires_on: row.expires_on,
        revoked_on: row.revoked_on,
        revoke_reason: row.revoke_reason.clone(),
        created_at: row.created_at,
    }
}

fn label_view(row: &LabelRow) -> LabelView {
    LabelView {
        credit_code: row.credit_code.clone(),
        kind: LabelKind::from_key(&row.kind).unwrap_or(LabelKind::Gazelle),
        year: row.year,
        level: LabelLevel::from_key(&row.level).unwrap_or(LabelLevel::Provincial),
        issuer: row.issuer.clone(),
        revoked_on: row.revoked_on,
        revoke_reason: row.revoke_reason.clone(),
        created_at: row.created_at,
    }
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

fn validated<T>(errors: Vec<FieldError>, value: T) -> Result<T, Problem> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Problem::validation(errors))
    }
}

/// A new fact must fall within the enterprise's existence: not before its registration,
/// not after its deregistration.
fn not_before_registration(
    field: &str,
    date: NaiveDate,
    enterprise: &EnterpriseRow,
) -> Result<(), Problem> {
    match outside_existence(enterprise.registered_on, enterprise.deregistered_on, date) {
        None => Ok(()),
        Some(OutsideExistence::AfterDeregistration(gone)) => Err(Problem::invalid_field(
            field,
            "after_deregistration",
            format!("{field} {date} is after the enterprise's deregistration on {gone}"),
        )),
        Some(OutsideExistence::BeforeRegistration(registered)) => Err(Problem::invalid_field(
            field,
            "not_before_registration",
            format!("{field} {date} is before the enterprise's registration on {registered}"),
        )),
    }
}

fn parse_revocation(body: &Revocation, today: NaiveDate) -> Result<(NaiveDate, String), Problem> {
    let mut errors = Vec::new();
    check_past_date("revoked_on", body.revoked_on, today, &mut errors);
    let reason = parse_reason(&body.reason)
        .map_err(|e| errors.push(FieldError::new("reason", "length", e)))
        .unwrap_or_default();
    validated(errors, (body.revoked_on, reason))
}

/// Who is asking to create, and under which idempotency key.
struct Requester {
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
}

/// Audits the creation of a fact and shapes its 201 answer.
fn created<T: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    entity_type: &str,
    credit_code: &str,
    collection: &str,
    view: &T,
) -> Result<Created, RegistryError> {
    audit::append(
        conn,
        actor,
        Change {
            entity_type,
            entity_key: credit_code,
            action: "create",
            reason: None,
            before: None,
            after: Some(json(view)),
        },
    )?;
    Ok(Created {
        status: StatusCode::CREATED,
        location: Some(format!("/api/v1/enterprises/{credit_code}/{collection}")),
        body: json(view),
    })
}

/// Audits the end of a fact (exit, revocation) with its reason and the record before and after.
#[allow(clippy::too_many_arguments)]
fn ended<T: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    entity_type: &str,
    credit_code: &CreditCode,
    action: &str,
    reason: &str,
    before: &T,
    after: &T,
) -> Result<(), RegistryError> {
    audit::append(
        conn,
        actor,
        Change {
            entity_type,
            entity_key: credit_code.as_str(),
            action,
            reason: Some(reason),
            before: Some(json(before)),
            after: Some(json(after)),
        },
    )?;
    Ok(())
}

/// Shared shape of the creating POSTs below: authorise, then create once under the key.
async fn create_fact<F>(
    db: &Db,
    requester: Requester,
    route: String,
    request: serde_json::Value,
    code: CreditCode,
    work: F,
) -> Result<HttpResponse, RegistryError>
where
    F: FnOnce(&mut DbConnection, &Actor, &EnterpriseRow) -> Result<Created, RegistryError>
        + Send
        + 'static,
{
    let Requester {
        caller,
        request_id,
        key,
    } = requester;
    caller.require_writer()?;
    let actor = Actor::new(&caller, &request_id);
    create_once(db, actor, key.0, route, request, move |conn, actor| {
        let enterprise = load_writable(conn, &caller, &code)?;
        work(conn, actor, &enterprise)
    })
    .await
}

// ---- pool entries -------------------------------------------------------------------------

/// Enter the enterprise into the cultivation pool (入库) for a year.
#[utoipa::path(
    tag = "programme",
    request_body = NewPoolEntry,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe"),
    ),
    responses(
        (status = 201, description = "Entered", body = PoolEntryView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/enterprises/{credit_code}/pool-entries")]
pub async fn create_pool_entry(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<String>,
    body: Json<NewPoolEntry>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let today = today();
    let entry = body.into_inner();
    let mut errors = Vec::new();
    if let Err(e) = check_programme_year(entry.year, today) {
        errors.push(FieldError::new("year", "range", e));
    }
    if !(1..=99).contains(&entry.batch) {
        errors.push(FieldError::new(
            "batch",
            "range",
            "batch must be between 1 and 99",
        ));
    }
    let source = parse_identifier(&entry.source)
        .map_err(|e| errors.push(FieldError::new("source", "format", format!("source {e}"))))
        .unwrap_or_default();
    check_past_date("entered_on", entry.entered_on, today, &mut errors);
    validated(errors, ())?;
    let request = json(&entry);
    let route = format!("POST /api/v1/enterprises/{code}/pool-entries");
    create_fact(
        &db,
        Requester {
            caller,
            request_id,
            key,
        },
        route,
        request,
        code,
        move |conn, actor, enterprise| {
            not_before_registration("entered_on", entry.entered_on, enterprise)?;
            if queries::find_pool_entry(conn, &enterprise.credit_code, entry.year)?.is_some() {
                return Err(Problem::conflict(format!(
                    "{} already has a pool entry for {}",
                    enterprise.credit_code, entry.year
                ))
                .into());
            }
            let row = PoolEntryRow {
                credit_code: enterprise.credit_code.clone(),
                year: entry.year,
                batch: entry.batch,
                source,
                entered_on: entry.entered_on,
                exited_on: None,
                exit_reason: None,
                created_at: now(),
            };
            queries::insert_pool_entry(conn, &row)?;
            created(
                conn,
                actor,
                "pool_entry",
                &row.credit_code,
                "pool-entries",
                &pool_view(&row),
            )
        },
    )
    .await
}

/// The enterprise's pool entries, by year.
#[utoipa::path(
    tag = "programme",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)")),
    responses(
        (status = 200, description = "Pool entries", body = PoolEntryList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}/pool-entries")]
pub async fn list_pool_entries(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let items = db
        .read(move |conn| {
            load_visible(conn, &caller, &code)?;
            Ok::<_, RegistryError>(
                queries::pool_entries_of(conn, code.as_str())?
                    .iter()
                    .map(pool_view)
                    .collect(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(PoolEntryList { items }))
}

/// Take the enterprise out of the pool (出库), with a reason.
#[utoipa::path(
    tag = "programme",
    request_body = PoolExit,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("year" = i32, Path, description = "Pool year (入库年度)"),
    ),
    responses(
        (status = 200, description = "Exited", body = PoolEntryView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/enterprises/{credit_code}/pool-entries/{year}/exit")]
pub async fn exit_pool_entry(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, i32)>,
    body: Json<PoolExit>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let (raw_code, year) = path.into_inner();
    let code = path_credit_code(&raw_code)?;
    let today = today();
    let mut errors = Vec::new();
    check_past_date("exited_on", body.0.exited_on, today, &mut errors);
    let reason = parse_reason(&body.0.reason)
        .map_err(|e| errors.push(FieldError::new("reason", "length", e)))
        .unwrap_or_default();
    validated(errors, ())?;
    let exited_on = body.0.exited_on;
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| {
            load_writable(conn, &caller, &code)?;
            let before = queries::find_pool_entry(conn, code.as_str(), year)?.ok_or_else(|| {
                Problem::not_found(format!("{code} has no pool entry for {year}"))
            })?;
            if let Some(date) = before.exited_on {
                return Err(Problem::conflict(format!(
                    "the {year} pool entry already ended on {date}"
                ))
                .into());
            }
            if exited_on < before.entered_on {
                return Err(Problem::invalid_field(
                    "exited_on",
                    "not_before_entry",
                    format!("exited_on is before entered_on {}", before.entered_on),
                )
                .into());
            }
            let after = PoolEntryRow {
                exited_on: Some(exited_on),
                exit_reason: Some(reason.clone()),
                ..before.clone()
            };
            if !queries::exit_pool_entry(conn, &after)? {
                return Err(Problem::conflict("the pool entry was ended concurrently").into());
            }
            ended(
                conn,
                &actor,
                "pool_entry",
                &code,
                "exit",
                &reason,
                &pool_view(&before),
                &pool_view(&after),
            )?;
            Ok::<_, RegistryError>(pool_view(&after))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---- certificates -------------------------------------------------------------------------

/// Record an HTE certificate (认定). Renewal is a new certificate.
#[utoipa::path(
    tag = "programme",
    request_body = NewCertificate,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe"),
    ),
    responses(
        (status = 201, description = "Recorded", body = CertificateView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/enterprises/{credit_code}/certificates")]
pub async fn create_certificate(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<String>,
    body: Json<NewCertificate>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let today = today();
    let certificate = body.into_inner();
    let mut errors = Vec::new();
    check_past_date("issued_on", certificate.issued_on, today, &mut errors);
    let number = CertificateNo::parse(&certificate.certificate_no, certificate.issued_on)
        .map_err(|(rule, message)| errors.push(FieldError::new("certificate_no", rule, message)))
        .ok();
    let Some(number) = number.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let request = json(&certificate);
    let route = format!("POST /api/v1/enterprises/{code}/certificates");
    create_fact(
        &db,
        Requester {
            caller,
            request_id,
            key,
        },
        route,
        request,
        code,
        move |conn, actor, enterprise| {
            not_before_registration("issued_on", certificate.issued_on, enterprise)?;
            if let Some(existing) = queries::find_certificate(conn, number.as_str())? {
                return Err(Problem::conflict(format!(
                    "certificate {} is already recorded (for {})",
                    number.as_str(),
                    if existing.credit_code == enterprise.credit_code {
                        "this enterprise"
                    } else {
                        "another enterprise"
                    }
                ))
                .into());
            }
            let row = CertificateRow {
                certificate_no: number.as_str().to_owned(),
                credit_code: enterprise.credit_code.clone(),
                issued_on: certificate.issued_on,
                expires_on: certificate_expiry(certificate.issued_on),
                revoked_on: None,
                revoke_reason: None,
                created_at: now(),
            };
            queries::insert_certificate(conn, &row)?;
            created(
                conn,
                actor,
                "certificate",
                &row.credit_code,
                "certificates",
                &certificate_view(&row),
            )
        },
    )
    .await
}

/// The enterprise's certificates, by issue date.
#[utoipa::path(
    tag = "programme",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)")),
    responses(
        (status = 200, description = "Certificates", body = CertificateList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}/certificates")]
pub async fn list_certificates(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let items = db
        .read(move |conn| {
            load_visible(conn, &caller, &code)?;
            Ok::<_, RegistryError>(
                queries::certificates_of(conn, code.as_str())?
                    .iter()
                    .map(certificate_view)
                    .collect(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(CertificateList { items }))
}

/// Revoke a certificate (撤销高企资格), with a reason.
#[utoipa::path(
    tag = "programme",
    request_body = Revocation,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("certificate_no" = String, Path, description = "Certificate number (证书编号)"),
    ),
    responses(
        (status = 200, description = "Revoked", body = CertificateView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/enterprises/{credit_code}/certificates/{certificate_no}/revoke")]
pub async fn revoke_certificate(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, String)>,
    body: Json<Revocation>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let (raw_code, number) = path.into_inner();
    let code = path_credit_code(&raw_code)?;
    let number = number.trim().to_ascii_uppercase();
    let (revoked_on, reason) = parse_revocation(&body.0, today())?;
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| {
            load_writable(conn, &caller, &code)?;
            let before = queries::find_certificate(conn, &number)?
                .filter(|c| c.credit_code == code.as_str())
                .ok_or_else(|| Problem::not_found(format!("{code} has no certificate {number}")))?;
            if let Some(date) = before.revoked_on {
                return Err(Problem::conflict(format!(
                    "certificate {number} was already revoked on {date}"
                ))
                .into());
            }
            if revoked_on < before.issued_on {
                return Err(Problem::invalid_field(
                    "revoked_on",
                    "not_before_issue",
                    format!("revoked_on is before the issue date {}", before.issued_on),
                )
                .into());
            }
            let after = CertificateRow {
                revoked_on: Some(revoked_on),
                revoke_reason: Some(reason.clone()),
                ..before.clone()
            };
            if !queries::revoke_certificate(conn, &after)? {
                return Err(Problem::conflict("the certificate was revoked concurrently").into());
            }
            ended(
                conn,
                &actor,
                "certificate",
                &code,
                "revoke",
                &reason,
                &certificate_view(&before),
                &certificate_view(&after),
            )?;
            Ok::<_, RegistryError>(certificate_view(&after))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// ---- labels -------------------------------------------------------------------------------

/// Record a label (称号) granted to the enterprise.
#[utoipa::path(
    tag = "programme",
    request_body = NewLabel,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe"),
    ),
    responses(
        (status = 201, description = "Recorded", body = LabelView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/enterprises/{credit_code}/labels")]
pub async fn create_label(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    path: web::Path<String>,
    body: Json<NewLabel>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let label = body.into_inner();
    let mut errors = Vec::new();
    if let Err(e) = check_programme_year(label.year, today()) {
        errors.push(FieldError::new("year", "range", e));
    }
    let issuer = match label.issuer.as_deref() {
        None => None,
        Some(raw) => parse_identifier(raw)
            .map_err(|e| errors.push(FieldError::new("issuer", "format", format!("issuer {e}"))))
            .ok(),
    };
    validated(errors, ())?;
    let request = json(&label);
    let route = format!("POST /api/v1/enterprises/{code}/labels");
    create_fact(
        &db,
        Requester {
            caller,
            request_id,
            key,
        },
        route,
        request,
        code,
        move |conn, actor, enterprise| {
            if let Some(first_day) = NaiveDate::from_ymd_opt(label.year, 1, 1) {
                not_before_registration(
                    "year",
                    first_day.max(enterprise.registered_on),
                    enterprise,
                )?;
            }
            if queries::find_label(conn, &enterprise.credit_code, label.kind.key(), label.year)?
                .is_some()
            {
                return Err(Problem::conflict(format!(
                    "{} already holds {} for {}",
                    enterprise.credit_code,
                    label.kind.key(),
                    label.year
                ))
                .into());
            }
            let row = LabelRow {
                credit_code: enterprise.credit_code.clone(),
                kind: label.kind.key().to_owned(),
                year: label.year,
                level: label.level.key().to_owned(),
                issuer,
                revoked_on: None,
                revoke_reason: None,
                created_at: now(),
            };
            queries::insert_label(conn, &row)?;
            created(
                conn,
                actor,
                "label",
                &row.credit_code,
                "labels",
                &label_view(&row),
            )
        },
    )
    .await
}

/// The enterprise's labels.
#[utoipa::path(
    tag = "programme",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)")),
    responses(
        (status = 200, description = "Labels", body = LabelList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}/labels")]
pub async fn list_labels(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let items = db
        .read(move |conn| {
            load_visible(conn, &caller, &code)?;
            Ok::<_, RegistryError>(
                queries::labels_of(conn, code.as_str())?
                    .iter()
                    .map(label_view)
                    .collect(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(LabelList { items }))
}

/// Revoke a label, with a reason.
#[utoipa::path(
    tag = "programme",
    request_body = Revocation,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("kind" = LabelKind, Path, description = "Label kind (称号类别)"),
        ("year" = i32, Path, description = "Year granted"),
    ),
    responses(
        (status = 200, description = "Revoked", body = LabelView),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/enterprises/{credit_code}/labels/{kind}/{year}/revoke")]
pub async fn revoke_label(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, String, i32)>,
    body: Json<Revocation>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let (raw_code, raw_kind, year) = path.into_inner();
    let code = path_credit_code(&raw_code)?;
    let kind = LabelKind::from_key(&raw_kind).ok_or_else(|| {
        Problem::invalid_field("kind", "enum", format!("unknown label kind {raw_kind:?}"))
    })?;
    let (revoked_on, reason) = parse_revocation(&body.0, today())?;
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| {
            let enterprise = load_writable(conn, &caller, &code)?;
            let before =
                queries::find_label(conn, code.as_str(), kind.key(), year)?.ok_or_else(|| {
                    Problem::not_found(format!("{code} has no {} label for {year}", kind.key()))
                })?;
            if let Some(date) = before.revoked_on {
                return Err(
                    Problem::conflict(format!("this label was already revoked on {date}")).into(),
                );
            }
            // A label holds from its year on; it cannot be revoked before it was granted.
            let granted = NaiveDate::from_ymd_opt(year, 1, 1)
                .unwrap_or(enterprise.registered_on)
                .max(enterprise.registered_on);
            if revoked_on < granted {
                return Err(Problem::invalid_field(
                    "revoked_on",
                    "not_before_grant",
                    format!("revoked_on {revoked_on} is before the label held (from {granted})"),
                )
                .into());
            }
            let after = LabelRow {
                revoked_on: Some(revoked_on),
                revoke_reason: Some(reason.clone()),
                ..before.clone()
            };
            if !queries::revoke_label(conn, &after)? {
                return Err(Problem::conflict("the label was revoked concurrently").into());
            }
            ended(
                conn,
                &actor,
                "label",
                &code,
                "revoke",
                &reason,
                &label_view(&before),
                &label_view(&after),
            )?;
            Ok::<_, RegistryError>(label_view(&after))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
