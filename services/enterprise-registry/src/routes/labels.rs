//! Labels (称号): recording one granted to an enterprise, the list, and the revocation with
//! a reason.

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
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::certificates::Revocation;
use super::{create_fact, end_fact, page_of_records, path_credit_code};
use crate::app::labels::{self as operations, LabelView};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::check_programme_year;
use crate::domain::enterprise::{parse_identifier, prefixed};
use crate::domain::labels::{Label, LabelKind, LabelLevel};
use crate::error::RegistryError;

/// Body of `POST …/labels`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLabel {
    pub kind: LabelKind,
    #[schema(example = 2025)]
    #[schema(minimum = 2015, maximum = 2100)]
    pub year: i32,
    pub level: LabelLevel,
    /// Granting body (认定机构), 1–64 characters.
    #[schema(
        example = "江苏省科学技术厅",
        min_length = 1,
        max_length = 64,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s])?[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub issuer: Option<String>,
}

impl NewLabel {
    fn parse(&self, today: NaiveDate) -> Result<Label, Problem> {
        let mut errors = Vec::new();
        if let Err((rule, e)) = check_programme_year(self.year, today) {
            errors.push(FieldError::new("year", rule, e));
        }
        let issuer = match self.issuer.as_deref().map(parse_identifier) {
            None => None,
            Some(Ok(issuer)) => Some(issuer),
            Some(Err(e)) => {
                errors.push(FieldError::new("issuer", "format", prefixed("issuer", &e)));
                None
            }
        };
        super::validated(errors)?;
        Ok(Label {
            kind: self.kind,
            year: self.year,
            level: self.level,
            issuer,
        })
    }
}

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
        ChangeRefusals,
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
    create_fact(
        &db,
        (caller, request_id, key),
        (&path, "labels"),
        &body.0,
        NewLabel::parse,
        operations::grant,
    )
    .await
}

/// The enterprise's labels, by year and kind.
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "programme",
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of them", body = Page<LabelView>),
        RecordInputRefusals,
    )
)]
#[get("/enterprises/{credit_code}/labels")]
pub async fn list_labels(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    page_of_records(&db, caller, (&path, &page), operations::list).await
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
        ChangeRefusals,
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
    end_fact(
        &db,
        (caller, request_id),
        (path.into_inner(), label_path),
        (&body.0, Revocation::parse),
        operations::revoke,
    )
    .await
}

/// The label a path names: its holder, its kind and its year.
fn label_path(
    (raw_code, raw_kind, year): (String, String, i32),
) -> Result<(CreditCode, (LabelKind, i32)), Problem> {
    let code = path_credit_code(&raw_code)?;
    let kind = LabelKind::from_key(&raw_kind).ok_or_else(|| {
        Problem::invalid_field(
            "kind",
            "enum",
            hte_shared::text!(
                "unknown label kind {raw_kind:?}",
                "未知的称号类型 {raw_kind:?}"
            ),
        )
    })?;
    Ok((code, (kind, year)))
}
