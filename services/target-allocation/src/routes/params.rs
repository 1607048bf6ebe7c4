//! Query parameters shared by several routes. Every parameter struct refuses a parameter it
//! does not know (`deny_unknown_fields`): a misspelled filter is a 400 naming it, never a
//! silently unfiltered answer.

use actix_web::HttpRequest;
use actix_web::http::header;
use hte_shared::export::Format;
use hte_shared::i18n::Text;
use hte_shared::problem::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::plan::check_indicator_key;

/// For routes that take no query parameters: any sent is refused, named.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoParams {}

/// `?limit=&cursor=` of a plan's list that takes no filter (any other parameter is refused).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
}

impl ListParams {
    pub fn page(self) -> hte_shared::pagination::PageParams {
        hte_shared::pagination::PageParams {
            limit: self.limit,
            cursor: self.cursor,
        }
    }
}

/// What a download is written as (文件格式).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// The JSON view (default).
    Json,
    /// CSV, UTF-8 with a byte-order mark.
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// `?format=` for a view that can also be downloaded.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `json` (default), `csv` or `xlsx`; else the `Accept` header (`text/csv` or the XLSX
    /// media type) decides.
    #[param(value_type = Option<FileFormat>)]
    pub format: Option<String>,
}

/// The format asked for by `format=` or `Accept`.
pub fn format_of(request: &HttpRequest, param: Option<&str>) -> Result<Format, Problem> {
    Format::negotiate(param, request.headers().get(header::ACCEPT))
}

/// `?indicator=&period=` filters as the document states them (an indicator key, a year): a
/// malformed one is a 400 naming it, never a silently empty list.
pub fn filter_rules(indicator: Option<&str>, period: Option<&str>) -> Result<(), Problem> {
    let mut errors = Vec::new();
    if let Some(Err(message)) = indicator.map(check_indicator_key) {
        errors.push(FieldError::new("indicator", "format", message));
    }
    if period.is_some_and(|p| p.len() != 4 || !p.bytes().all(|b| b.is_ascii_digit())) {
        errors.push(FieldError::new(
            "period",
            "format",
            Text::fixed("period is a year like 2020", "period 须为年份，如 2020"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}
