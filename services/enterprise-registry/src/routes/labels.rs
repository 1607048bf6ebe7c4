//! Labels (称号): recording one granted to an enterprise, the list, and the revocation with
//! a reason.

use actix_web::{get, post};
use chrono::NaiveDate;
use hte_shared::problem::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::certificates::Revocation;
use super::path_credit_code;
use crate::app::labels::{self as operations, LabelView};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::check_programme_year;
use crate::domain::enterprise::{parse_identifier, prefixed};
use crate::domain::labels::{Label, LabelKind, LabelLevel};

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

fact_create_route! {
    /// Record a label (称号) granted to the enterprise.
    create_label: POST "/enterprises/{credit_code}/labels",
    tag = "programme", collection = "labels",
    NewLabel => 201 LabelView "Recorded", operations::grant,
}

fact_list_route! {
    /// The enterprise's labels, by year and kind.
    list_labels: GET "/enterprises/{credit_code}/labels",
    tag = "programme", Page<LabelView>, operations::list,
}

fact_end_route! {
    /// Revoke a label, with a reason.
    revoke_label: POST "/enterprises/{credit_code}/labels/{kind}/{year}/revoke",
    tag = "programme",
    params(
        ("kind" = LabelKind, Path, description = "Label kind (称号类别)"),
        ("year" = i32, Path, description = "Year granted"),
    ) as (String, String, i32) => label_path,
    Revocation => LabelView "Revoked", operations::revoke,
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
