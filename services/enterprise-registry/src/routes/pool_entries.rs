//! Pool entries (入库培育): entry for a year, the list, and the exit (出库) with a reason.

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
use crate::app::pool_entries::{self as operations, PoolEntryView};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::{Ending, check_past_date, check_programme_year};
use crate::domain::enterprise::{parse_identifier, prefixed};
use crate::domain::pool_entries::{PoolEntry, check_batch};
use crate::error::RegistryError;

/// Body of `POST …/pool-entries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoolEntry {
    /// Pool year (入库年度), 2015 to next year.
    #[schema(example = 2025)]
    #[schema(minimum = 2015, maximum = 2100)]
    pub year: i32,
    /// Batch (批次), 1 to 99.
    #[schema(example = 1, minimum = 1, maximum = 99)]
    pub batch: i32,
    /// Source (来源), 1–64 characters.
    #[schema(
        example = "市推荐",
        min_length = 1,
        max_length = 64,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s])?[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
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
    #[schema(
        example = "已认定为高新技术企业",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

impl NewPoolEntry {
    fn parse(&self, today: NaiveDate) -> Result<PoolEntry, Problem> {
        let mut errors = Vec::new();
        if let Err((rule, e)) = check_programme_year(self.year, today) {
            errors.push(FieldError::new("year", rule, e));
        }
        if let Err(e) = check_batch(i64::from(self.batch)) {
            errors.push(FieldError::new("batch", "range", e));
        }
        let source = match parse_identifier(&self.source) {
            Ok(source) => Some(source),
            Err(e) => {
                errors.push(FieldError::new("source", "format", prefixed("source", &e)));
                None
            }
        };
        check_past_date("entered_on", self.entered_on, today, &mut errors);
        match source {
            Some(source) if errors.is_empty() => Ok(PoolEntry {
                year: self.year,
                batch: self.batch,
                source,
                entered_on: self.entered_on,
                exit: None,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

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
        ChangeRefusals,
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
    create_fact(
        &db,
        (caller, request_id, key),
        (&path, "pool-entries"),
        &body.0,
        NewPoolEntry::parse,
        operations::enter,
    )
    .await
}

/// The enterprise's pool entries, by year.
/// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
/// follow `next_cursor` until it is absent to read them all.
#[utoipa::path(
    tag = "programme",
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of them", body = Page<PoolEntryView>),
        RecordInputRefusals,
    )
)]
#[get("/enterprises/{credit_code}/pool-entries")]
pub async fn list_pool_entries(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    page_of_records(&db, caller, (&path, &page), operations::list).await
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
        ChangeRefusals,
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
    end_fact(
        &db,
        (caller, request_id),
        (path.into_inner(), pool_entry_path),
        (&body.0, PoolExit::parse),
        operations::exit,
    )
    .await
}

/// The pool entry a path names: the enterprise and the pool year.
fn pool_entry_path((raw_code, year): (String, i32)) -> Result<(CreditCode, i32), Problem> {
    Ok((path_credit_code(&raw_code)?, year))
}

impl PoolExit {
    fn parse(&self) -> Result<Ending, Problem> {
        parse_ending(("exited_on", self.exited_on), &self.reason, today())
    }
}
