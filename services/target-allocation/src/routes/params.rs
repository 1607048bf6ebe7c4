//! Query parameters shared by several routes. Every parameter struct refuses a parameter it
//! does not know (`deny_unknown_fields`): a misspelled filter is a 400 naming it, never a
//! silently unfiltered answer.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::export::Format;
use hte_shared::i18n::Text;
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use serde::de::DeserializeOwned;
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

/// `{id}` of a plan's routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PlanPath {
    /// Plan id (规划代码)
    pub id: String,
}

/// `{id}/allocations/{allocation_id}` of a proposal's routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AllocationPath {
    /// Plan id (规划代码)
    pub id: String,
    /// Proposal id
    pub allocation_id: String,
}

impl AllocationPath {
    /// The plan id and the proposal id, as the application layer takes them.
    pub fn into_ids(self) -> (String, String) {
        (self.id, self.allocation_id)
    }
}

/// `If-Match` of a plan's transitions: optional, checked when sent.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct PlanIfMatch {
    /// Optional: the plan's ETag; when sent, a stale one is a 412
    #[param(rename = "If-Match")]
    pub if_match: Option<String>,
}

/// `If-Match` of a decision on a proposal: optional, checked when sent.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct ProposalIfMatch {
    /// Optional: the proposal's ETag; when sent, a stale one is a 412
    #[param(rename = "If-Match")]
    pub if_match: Option<String>,
}

/// `Idempotency-Key` of a creating POST.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes a retried POST safe: a replay returns the first answer
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: Option<String>,
}

/// What a change to one record extracts, in the order its handlers always took it: the
/// database, the caller (a missing or bad token refuses first), the request id, the record's
/// path (`P`: its path parameters) and `If-Match`. A route documents `P` and the header in
/// its own `params(...)`.
pub struct Change<P> {
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: P,
    if_match: IfMatch,
}

impl<P> Change<P> {
    /// The parts, to pass on to the application layer.
    pub fn into_parts(self) -> (web::Data<Db>, Caller, RequestId, P, IfMatch) {
        (
            self.db,
            self.caller,
            self.request_id,
            self.path,
            self.if_match,
        )
    }
}

impl<P: DeserializeOwned + 'static> FromRequest for Change<P> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        type Parts<P> = (web::Data<Db>, Caller, RequestId, web::Path<P>, IfMatch);
        let parts = Parts::<P>::from_request(req, payload);
        Box::pin(async move {
            let (db, caller, request_id, path, if_match) = parts.await?;
            Ok(Self {
                db,
                caller,
                request_id,
                path: path.into_inner(),
                if_match,
            })
        })
    }
}
