//! HTE certificates (高新技术企业认定): recording one, the list, and the revocation (撤销)
//! with a reason.

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
use hte_shared::time::today;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{create_fact, end_fact, page_of_records, parse_ending, path_credit_code};
use crate::app::certificates::{self as operations, CertificateView};
use crate::domain::certificates::{Certificate, CertificateNo};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::{Ending, check_past_date};
use crate::error::RegistryError;

/// Body of `POST …/certificates`. The expiry is computed (three years), not sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    /// Certificate number (证书编号): GR + issue year + 8 digits.
    #[schema(
        example = "GR202332001234",
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[Gg][Rr][0-9]{12}[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
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
    #[schema(
        example = "累计两年未按期报送年报",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

impl NewCertificate {
    fn parse(&self, today: NaiveDate) -> Result<Certificate, Problem> {
        let mut errors = Vec::new();
        check_past_date("issued_on", self.issued_on, today, &mut errors);
        match CertificateNo::parse(&self.certificate_no, self.issued_on) {
            Ok(number) if errors.is_empty() => Ok(Certificate {
                number,
                issued_on: self.issued_on,
                revocation: None,
            }),
            Ok(_) => Err(Problem::validation(errors)),
            Err((rule, message)) => {
                errors.push(FieldError::new("certificate_no", rule, message));
                Err(Problem::validation(errors))
            }
        }
    }
}

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
        ChangeRefusals,
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
    create_fact(
        &db,
        (caller, request_id, key),
        (&path, "certificates"),
        &body.0,
        NewCertificate::parse,
        operations::record,
    )
    .await
}

/// The enterprise's certificates, by issue date and number.
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "programme",
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of them", body = Page<CertificateView>),
        RecordInputRefusals,
    )
)]
#[get("/enterprises/{credit_code}/certificates")]
pub async fn list_certificates(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    page_of_records(&db, caller, (&path, &page), operations::list).await
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
        ChangeRefusals,
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
    end_fact(
        &db,
        (caller, request_id),
        (path.into_inner(), certificate_path),
        (&body.0, Revocation::parse),
        operations::revoke,
    )
    .await
}

/// The certificate a path names: its holder and its number (case does not matter).
fn certificate_path((raw_code, number): (String, String)) -> Result<(CreditCode, String), Problem> {
    Ok((
        path_credit_code(&raw_code)?,
        number.trim().to_ascii_uppercase(),
    ))
}

impl Revocation {
    pub(super) fn parse(&self) -> Result<Ending, Problem> {
        parse_ending(("revoked_on", self.revoked_on), &self.reason, today())
    }
}
