//! Bulk files in and out: `POST /imports` (CSV, GBK CSV or XLSX), `GET /imports/{id}`, and
//! `GET /exports/enterprises` (CSV or XLSX, Chinese or English headers).

use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{self, Claim, MaybeIdempotencyKey, StoredResponse};
use hte_shared::openapi::{BadRequest, Conflict, NotFound, PayloadTooLarge, UnprocessableEntity};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::RegionCode;
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::enterprises::{EnterpriseFilter, views_with_status};
use crate::db::enterprises::{self as enterprise_queries, ListCursor, SortKey};
use crate::db::imports::{self as queries, ImportRow};
use crate::domain::import::{ImportKind, MoneyUnit};
use crate::error::RegistryError;
use crate::export::{self, Cell, Column, Format, Language};
use crate::importer::{self, Counts, EncodingChoice, FileFormat, Mode, RowError, Settings};

const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a CSV or XLSX upload is labelled by browsers, Excel and scripts.
const FILE_MEDIA_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "text/comma-separated-values",
    "application/csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
    XLSX_MEDIA_TYPE,
];

/// Largest file accepted (a province of 200,000 firms with five years of reports fits).
pub const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

/// An import (导入批次) and what became of each row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportView {
    pub id: String,
    pub kind: ImportKind,
    pub mode: Mode,
    /// `completed` (rows written, or rehearsed for dry_run) or `rejected` (atomic import with
    /// refused rows: nothing written).
    pub status: String,
    pub file_format: String,
    pub encoding: String,
    pub counts: Counts,
    /// Refused rows with line, column and reason (at most 1,000 kept).
    pub errors: Vec<RowError>,
    pub errors_truncated: bool,
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub finished_at: chrono::NaiveDateTime,
}

fn view_of(row: &ImportRow) -> ImportView {
    ImportView {
        id: row.id.clone(),
        kind: ImportKind::from_key(&row.kind).unwrap_or(ImportKind::Enterprises),
        mode: Mode::from_key(&row.mode).unwrap_or(Mode::Atomic),
        status: row.status.clone(),
        file_format: row.file_format.clone(),
        encoding: row.encoding.clone(),
        counts: Counts {
            rows: row.rows_total,
            created: row.created,
            updated: row.updated,
            unchanged: row.unchanged,
            rejected: row.rejected,
        },
        errors: serde_json::from_str(&row.errors_json).unwrap_or_default(),
        errors_truncated: row.errors_truncated,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        finished_at: row.finished_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// enterprises, annual_reports, pool_entries, certificates or labels.
    kind: String,
    /// dry_run, atomic (default) or partial.
    mode: Option<String>,
    /// Unit of money columns without a unit in brackets in their header: yuan (default),
    /// thousand_yuan (千元) or ten_thousand_yuan (万元). A header such as `总收入（万元）` or
    /// `total_income_yuan(万元)` declares its own; the English field names (`…_yuan`) are
    /// names, not units, so `unit` applies to them too.
    unit: Option<String>,
    /// auto (default: UTF-8 if the file is valid UTF-8, else GBK), utf-8 or gbk. CSV only.
    encoding: Option<String>,
}

/// Import a file (CSV or XLSX body). Rows are upserted by natural key (credit code; code and
/// year; certificate number; code, kind and year), so importing the same file twice changes
/// nothing the second time. Each row is authorised against your region and audited.
/// With an `Idempotency-Key`, a retried upload of the same file gets the first import back
/// instead of a second import record.
#[utoipa::path(
    tag = "bulk",
    params(ImportParams,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried upload safe: a replay with the same file and parameters returns the first import; 409 while it is still running")),
    request_body(content = Vec<u8>, description = "The file: CSV (UTF-8, UTF-8 with BOM, or GBK) or XLSX (first worksheet); the first row holds the headers, in Chinese or English",
        content_type = "text/csv"),
    responses(
        (status = 201, description = "Processed", body = ImportView, headers(("Location" = String))),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/imports")]
pub async fn create_import(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    request: HttpRequest,
    params: web::Query<ImportParams>,
    mut payload: web::Payload,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let mut errors = Vec::new();
    let kind = ImportKind::from_key(&params.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "enum",
            "kind must be enterprises, annual_reports, pool_entries, certificates or labels",
        ));
    }
    let mode = match params.mode.as_deref() {
        None => Some(Mode::Atomic),
        Some(raw) => Mode::from_key(raw),
    };
    if mode.is_none() {
        errors.push(FieldError::new(
            "mode",
            "enum",
            "mode must be dry_run, atomic or partial",
        ));
    }
    let unit = match params.unit.as_deref() {
        None => Some(MoneyUnit::Yuan),
        Some(raw) => MoneyUnit::from_key(raw),
    };
    if unit.is_none() {
        errors.push(FieldError::new(
            "unit",
            "enum",
            "unit must be yuan, thousand_yuan or ten_thousand_yuan",
        ));
    }
    let encoding = match params
        .encoding
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("auto") => Some(EncodingChoice::Auto),
        Some("utf-8" | "utf8") => Some(EncodingChoice::Utf8),
        Some("gbk" | "gb2312" | "gb18030") => Some(EncodingChoice::Gbk),
        Some(_) => None,
    };
    if encoding.is_none() {
        errors.push(FieldError::new(
            "encoding",
            "enum",
            "encoding must be auto, utf-8 or gbk",
        ));
    }
    let (Some(kind), Some(mode), Some(unit), Some(encoding)) = (kind, mode, unit, encoding) else {
        return Err(Problem::validation(errors).into());
    };

    // A file, not JSON or a form: refuse other bodies before reading them.
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !(media_type.is_empty() || FILE_MEDIA_TYPES.contains(&media_type)) {
        return Err(Problem::unsupported_media_type(format!(
            "send the file as text/csv or {XLSX_MEDIA_TYPE}; got {media_type}"
        ))
        .into());
    }

    // The body goes to a temporary file, never into memory as one document.
    let mut file = tempfile::NamedTempFile::new().map_err(|e| {
        tracing::error!(error = %e, "cannot create a temporary file");
        Problem::internal()
    })?;
    let mut size = 0u64;
    let mut first_bytes = Vec::new();
    let mut digest = Sha256::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| Problem::bad_request(format!("the upload failed: {e}")))?;
        digest.update(&chunk);
        size += chunk.len() as u64;
        if size > MAX_IMPORT_BYTES {
            return Err(Problem::payload_too_large(format!(
                "files are limited to {MAX_IMPORT_BYTES} bytes; split the file"
            ))
            .into());
        }
        if first_bytes.len() < 4 {
            first_bytes.extend_from_slice(&chunk[..chunk.len().min(4)]);
        }
        file.write_all(&chunk).map_err(|e| {
            tracing::error!(error = %e, "cannot write the temporary file");
            Problem::internal()
        })?;
    }
    let format = if first_bytes.starts_with(b"PK\x03\x04") || media_type == XLSX_MEDIA_TYPE {
        FileFormat::Xlsx
    } else {
        FileFormat::Csv
    };
    let settings = Settings {
        kind,
        mode,
        unit,
        encoding,
        format,
    };
    let actor = Actor::new(&caller, &request_id);
    // The same file with the same parameters is the same request, whatever its headers.
    let key = key.0.map(|key| {
        let request_hash = idempotency::fingerprint(
            ROUTE,
            &serde_json::json!({
                "kind": kind.key(),
                "mode": mode.key(),
                "unit": format!("{unit:?}"),
                "encoding": format!("{encoding:?}"),
                "format": format!("{format:?}"),
                "body_sha256": format!("{:x}", digest.finalize()),
            }),
        );
        (key, request_hash)
    });
    // Claim, import and release run in one blocking task, which finishes even when the
    // client goes away mid-request: a claimed key is always answered or given up.
    let answer = db
        .write_batches(move |conn| {
            let claimed = match key {
                None => None,
                Some((key, request_hash)) => {
                    let scope = idempotency::scope_of(&actor);
                    match idempotency::claim(conn, &scope, &key, ROUTE, &request_hash)? {
                        Claim::Claimed(token) => Some((key, token)),
                        Claim::Replay(stored) => return Ok(Answer::Replay(stored)),
                        Claim::Mismatch => return Err(idempotency::mismatch_problem().into()),
                        Claim::InProgress => {
                            return Err(idempotency::in_progress_problem().into());
                        }
                    }
                }
            };
            let result = import_file(conn, &file, settings, &caller, &actor, claimed.as_ref());
            if result.is_err()
                && let Some((key, token)) = &claimed
                && let Err(e) =
                    idempotency::release(conn, &idempotency::scope_of(&actor), key, token)
            {
                tracing::error!(error = %e, "cannot release the Idempotency-Key of a failed import");
            }
            result.map(|row| Answer::Imported(Box::new(row)))
        })
        .await?;
    Ok(match answer {
        Answer::Replay(stored) => idempotency::replay_response(&stored),
        Answer::Imported(row) => HttpResponse::Created()
            .insert_header((header::LOCATION, location_of(&row)))
            .json(view_of(&row)),
    })
}

enum Answer {
    Imported(Box<ImportRow>),
    Replay(StoredResponse),
}

const ROUTE: &str = "POST /api/v1/imports";

fn location_of(row: &ImportRow) -> String {
    format!("/api/v1/imports/{}", row.id)
}

/// Applies the file and records the import; with a claimed key, its answer is stored in the
/// transaction that records the import.
fn import_file(
    conn: &mut hte_shared::db::DbConnection,
    file: &tempfile::NamedTempFile,
    settings: Settings,
    caller: &Caller,
    actor: &Actor,
    claimed: Option<&(idempotency::IdempotencyKey, idempotency::ClaimToken)>,
) -> Result<ImportRow, RegistryError> {
    let Settings {
        kind, mode, format, ..
    } = settings;
    let id = uuid::Uuid::new_v4().to_string();
    let started = now();
    let outcome = importer::run(conn, file.path(), &settings, caller, actor, &id)?;
    let row = ImportRow {
        id: id.clone(),
        kind: kind.key().to_owned(),
        mode: mode.key().to_owned(),
        status: if mode == Mode::Atomic && !outcome.committed {
            "rejected"
        } else {
            "completed"
        }
        .to_owned(),
        file_format: if format == FileFormat::Xlsx {
            "xlsx"
        } else {
            "csv"
        }
        .to_owned(),
        encoding: outcome.encoding.to_owned(),
        rows_total: outcome.counts.rows,
        created: outcome.counts.created,
        updated: outcome.counts.updated,
        unchanged: outcome.counts.unchanged,
        rejected: outcome.counts.rejected,
        errors_json: serde_json::to_string(&outcome.errors).unwrap_or_else(|_| "[]".into()),
        errors_truncated: outcome.errors_truncated,
        created_by: actor.subject.clone(),
        created_by_region: caller.region.to_string(),
        created_at: started,
        finished_at: now(),
    };
    use diesel::Connection;
    conn.transaction(|conn| {
        queries::insert(conn, &row)?;
        if let Some((key, token)) = claimed {
            let answer = StoredResponse {
                status: 201,
                body: serde_json::to_string(&view_of(&row))
                    .map_err(|_| RegistryError::from(Problem::internal()))?,
                location: Some(location_of(&row)),
            };
            if !idempotency::complete(conn, &idempotency::scope_of(actor), key, token, &answer)? {
                // Only after an hour, when the claim counted as abandoned and another request
                // took the key over: that request answers it; this import stands on its own.
                tracing::warn!(import = %row.id, "the Idempotency-Key was taken over; answer not stored");
            }
        }
        Ok::<_, RegistryError>(())
    })?;
    Ok(row)
}

/// An import's counts and refused rows.
#[utoipa::path(
    tag = "bulk",
    params(("id" = String, Path, description = "Import id")),
    responses((status = 200, description = "The import", body = ImportView), (status = 404, response = NotFound))
)]
#[get("/imports/{id}")]
pub async fn get_import(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let id = path.into_inner();
    let row = db
        .read(move |conn| {
            let row = queries::find(conn, &id)?
                .ok_or_else(|| Problem::not_found(format!("no import {id}")))?;
            let region = RegionCode::parse(&row.created_by_region)
                .unwrap_or(hte_shared::regions::PROVINCE_CODE);
            // Visible to whoever may read the region it was made for (a token's subject is
            // no identity on its own: the same name may hold tokens for other regions).
            if caller.may_read(&region) {
                Ok::<_, RegistryError>(row)
            } else {
                Err(Problem::not_found(format!("no import {id}")).into())
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(view_of(&row)))
}

const EXPORT_COLUMNS: &[Column] = &[
    Column {
        en: "credit_code",
        zh: "统一社会信用代码",
    },
    Column {
        en: "name",
        zh: "企业名称",
    },
    Column {
        en: "region_code",
        zh: "所在县区",
    },
    Column {
        en: "city_code",
        zh: "设区市",
    },
    Column {
        en: "registered_on",
        zh: "成立日期",
    },
    Column {
        en: "industry_code",
        zh: "行业代码",
    },
    Column {
        en: "tech_domain",
        zh: "技术领域",
    },
    Column {
        en: "zone_level",
        zh: "高新区级别",
    },
    Column {
        en: "zone_id",
        zh: "所在高新区",
    },
    Column {
        en: "above_scale",
        zh: "规上企业",
    },
    Column {
        en: "carrier_id",
        zh: "孵化载体",
    },
    Column {
        en: "listing_status",
        zh: "上市状态",
    },
    Column {
        en: "status",
        zh: "状态",
    },
    Column {
        en: "status_as_of",
        zh: "状态日期",
    },
];

fn key_of<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// csv (default) or xlsx; or the Accept header.
    format: Option<String>,
    /// Header language: zh (default) or en.
    lang: Option<String>,
}

/// Export enterprises with the list's filters (region, status, as_of, tech_domain, label,
/// zone_level, above_scale, q) as CSV or XLSX, read in pages of 1,000. The file imports back
/// unchanged (a deregistration, an action with its own reason, is not part of the file).
#[utoipa::path(
    tag = "bulk",
    params(ExportParams, EnterpriseFilter),
    responses(
        (status = 200, description = "The file", content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, response = BadRequest),
    )
)]
#[get("/exports/enterprises")]
pub async fn export_enterprises(
    db: web::Data<Db>,
    caller: Caller,
    request: HttpRequest,
    params: web::Query<ExportParams>,
    filter: web::Query<EnterpriseFilter>,
) -> Result<HttpResponse, RegistryError> {
    if let Some(asked) = params.format.as_deref()
        && !matches!(asked, "csv" | "xlsx")
    {
        return Err(Problem::invalid_field(
            "format",
            "enum",
            format!("format must be csv or xlsx; got {asked:?}"),
        )
        .into());
    }
    let format = export::negotiate(
        params.format.as_deref(),
        request.headers().get(header::ACCEPT),
        Format::Csv,
    )?;
    if format == Format::Json {
        return Err(Problem::invalid_field(
            "format",
            "enum",
            "exports are csv or xlsx; use GET /api/v1/enterprises for JSON",
        )
        .into());
    }
    let language = Language::parse(params.lang.as_deref())?;
    let parsed = filter.parse(&caller)?;
    let as_of = parsed.as_of;
    let stem = format!("enterprises-{as_of}");
    if format == Format::Xlsx {
        // Rows go straight into a constant-memory worksheet, page by page.
        let bytes = db
            .read(move |conn| {
                let mut writer = export::XlsxWriter::new("enterprises", EXPORT_COLUMNS, language)?;
                let mut after: Option<ListCursor> = None;
                while let Some(rows) = next_page(conn, &parsed, &mut after)? {
                    for row in &rows {
                        writer.write_row(row)?;
                    }
                }
                writer.finish().map_err(RegistryError::from)
            })
            .await?;
        return Ok(export::file_response(format, &stem, bytes));
    }
    // CSV is streamed: each page of 1,000 is read, encoded and sent before the next.
    struct State {
        db: web::Data<Db>,
        parsed: Option<super::enterprises::ParsedFilter>,
        after: Option<ListCursor>,
        first: bool,
        done: bool,
    }
    let state = State {
        db,
        parsed: Some(parsed),
        after: None,
        first: true,
        done: false,
    };
    let stream = futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        let parsed = state.parsed.take()?;
        let after = state.after.take();
        let result = state
            .db
            .read(move |conn| {
                let mut after = after;
                let page = next_page(conn, &parsed, &mut after)?;
                Ok::<_, RegistryError>((parsed, after, page))
            })
            .await;
        match result {
            Ok((parsed, after, page)) => {
                let header = state.first.then_some((EXPORT_COLUMNS, language));
                state.first = false;
                state.done = page.is_none();
                state.parsed = Some(parsed);
                state.after = after;
                let rows = page.unwrap_or_default();
                if rows.is_empty() && header.is_none() {
                    return None;
                }
                let chunk = export::csv_chunk(header, &rows)
                    .map(web::Bytes::from)
                    .map_err(actix_web::Error::from);
                Some((chunk, state))
            }
            Err(error) => {
                // The status line is gone; ending early makes the truncation visible.
                tracing::error!(%error, "export stopped");
                state.done = true;
                Some((
                    Err(actix_web::error::ErrorInternalServerError(
                        "export interrupted",
                    )),
                    state,
                ))
            }
        }
    });
    Ok(export::file_response_builder(format, &stem).streaming(stream))
}

/// The next page of export rows after `after` (advanced), or `None` when done.
fn next_page(
    conn: &mut hte_shared::db::DbConnection,
    parsed: &super::enterprises::ParsedFilter,
    after: &mut Option<ListCursor>,
) -> Result<Option<Vec<Vec<Cell>>>, RegistryError> {
    let page = enterprise_queries::list(
        conn,
        &parsed.filter,
        SortKey::CreditCode,
        after.as_ref(),
        1_000,
    )?;
    let Some(last) = page.last() else {
        return Ok(None);
    };
    *after = Some(ListCursor {
        sort: "credit_code".into(),
        value: last.credit_code.clone(),
        credit_code: last.credit_code.clone(),
    });
    let rows = views_with_status(conn, &page, parsed.as_of)?
        .into_iter()
        .map(|view| {
            vec![
                view.credit_code.into(),
                view.name.into(),
                view.region_code.into(),
                view.city_code.into(),
                view.registered_on.to_string().into(),
                view.industry_code.into(),
                view.tech_domain.map(|d| d.key().to_owned()).into(),
                key_of(view.zone_level).into(),
                view.zone_id.into(),
                view.above_scale.to_string().into(),
                view.carrier_id.into(),
                key_of(view.listing_status).into(),
                key_of(view.status).into(),
                view.status_as_of.to_string().into(),
            ]
        })
        .collect();
    Ok(Some(rows))
}
