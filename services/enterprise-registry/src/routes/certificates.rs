//! HTE certificates (高新技术企业认定): recording one, the list, and the revocation (撤销)
//! with a reason.

use actix_web::{get, post};
use chrono::NaiveDate;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::time::today;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_ending, path_credit_code};
use crate::app::certificates::{self as operations, CertificateView};
use crate::domain::certificates::{Certificate, CertificateNo};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::{Ending, check_past_date};

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

fact_create_route! {
    /// Record an HTE certificate (认定). Renewal is a new certificate.
    create_certificate: POST "/enterprises/{credit_code}/certificates",
    tag = "programme", collection = "certificates",
    NewCertificate => 201 CertificateView "Recorded", operations::record,
}

fact_list_route! {
    /// The enterprise's certificates, by issue date and number.
    list_certificates: GET "/enterprises/{credit_code}/certificates",
    tag = "programme", Page<CertificateView>, operations::list,
}

fact_end_route! {
    /// Revoke a certificate (撤销高企资格), with a reason.
    revoke_certificate: POST "/enterprises/{credit_code}/certificates/{certificate_no}/revoke",
    tag = "programme",
    params(("certificate_no" = String, Path, description = "Certificate number (证书编号)"))
        as (String, String) => certificate_path,
    Revocation => CertificateView "Revoked", operations::revoke,
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
