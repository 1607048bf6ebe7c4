//! Bulk files in: `POST /imports` (CSV, GBK CSV, XLSX, XLS or ODS) and `GET /imports/{id}`.

use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{BatchTurn, Db};
use hte_shared::idempotency::{self, Claim, IdempotencyKey, MaybeIdempotencyKey, StoredResponse};
use hte_shared::openapi::refusals::{LookupRefusals, ReadRefusals};
use hte_shared::openapi::{BadRequest, Conflict, NotFound, PayloadTooLarge, UnprocessableEntity};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::files::{self, Format};
use super::gather;
use crate::app::imports::{
    self as operations, CsvEncoding, EncodingChoice, FileFormat, ImportColumns, ImportView, Mode,
    Settings,
};
use crate::domain::import::{self, HeaderRules, ImportKind, MoneyUnit};
use crate::error::RegistryError;
use hte_shared::text;

const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ODS_MEDIA_TYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// What a CSV, XLSX, XLS or ODS upload is labelled by browsers, Excel, WPS and scripts.
const FILE_MEDIA_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "text/comma-separated-values",
    "application/csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
    XLSX_MEDIA_TYPE,
    ODS_MEDIA_TYPE,
];

/// Largest file accepted (a province of 200,000 firms with five years of reports fits).
pub const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

/// An uploaded file in the OpenAPI document: 1 byte to [`MAX_IMPORT_BYTES`] (an empty body is
/// refused as no file, a larger one with 413); one named schema under the four media types.
pub struct ImportFile;

impl utoipa::PartialSchema for ImportFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        hte_shared::export::upload_schema(MAX_IMPORT_BYTES)
    }
}

impl utoipa::ToSchema for ImportFile {}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// enterprises, annual_reports, pool_entries, certificates or labels.
    #[param(value_type = crate::domain::import::ImportKind)]
    kind: String,
    /// dry_run, atomic (default) or partial.
    #[param(value_type = Option<crate::app::imports::Mode>)]
    mode: Option<String>,
    /// Unit of money columns without a unit in brackets in their header: yuan (default),
    /// thousand_yuan (千元) or ten_thousand_yuan (万元). A header such as `总收入（万元）` or
    /// `total_income_yuan(万元)` declares its own; the English field names (`…_yuan`) are
    /// names, not units, so `unit` applies to them too.
    #[param(value_type = Option<crate::domain::import::MoneyUnit>)]
    unit: Option<String>,
    /// auto (default: UTF-8 if the file is valid UTF-8, else GBK), utf-8 (or utf8), gbk (or
    /// gb2312, gb18030, read as GBK); lowercase. CSV only.
    #[param(value_type = Option<crate::app::imports::CsvEncoding>)]
    encoding: Option<String>,
    /// The header's row, 1 for the first (default: the first of the first 20 rows that names
    /// every required column; rows above it are titles, read past with a warning).
    #[param(minimum = 1, maximum = 1_048_576)]
    header_row: Option<u64>,
    /// Headers of the file mapped to fields, `header:field` pairs separated by commas, e.g.
    /// `主营收入:sales_revenue_yuan,职工人数:employees`; a unit in brackets may follow the
    /// header in the file. See `GET /imports/kinds/{kind}/columns` for the fields. No control
    /// characters but tab and line breaks (the edge refuses them in every parameter); an
    /// empty pair is blank (spaces only).
    #[param(
        max_length = 4000,
        pattern = r"^([^,，\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[:：][^,，\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*|[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)([,，]([^,，\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[:：][^,，\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*|[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*))*$"
    )]
    columns: Option<String>,
    /// ignore (default: columns no field has are read past and listed in `warnings`) or
    /// refuse (such a column refuses the file).
    #[param(pattern = "^(ignore|refuse)$")]
    unknown_columns: Option<String>,
}

/// Longest `columns` parameter.
const MAX_COLUMNS_PARAM: usize = 4_000;

/// The `columns` mapping, each header normalised as the importer compares headers.
fn mapped_columns(raw: &str, kind: ImportKind) -> Result<Vec<(String, &'static str)>, Problem> {
    let invalid =
        |message: hte_shared::i18n::Text| Problem::invalid_field("columns", "format", message);
    if raw.len() > MAX_COLUMNS_PARAM {
        return Err(invalid(text!(
            "columns is at most {MAX_COLUMNS_PARAM} bytes",
            "columns 参数最多 {MAX_COLUMNS_PARAM} 字节"
        )));
    }
    let mut mapped = Vec::new();
    for pair in raw.split([',', '，']).filter(|p| !p.trim().is_empty()) {
        let Some((header, field)) = pair.rsplit_once([':', '：']) else {
            let pair = hte_shared::i18n::quote(pair);
            return Err(invalid(text!(
                "{pair} is not header:field",
                "{pair} 不是“表头:字段”的形式"
            )));
        };
        let field = field.trim();
        let Some((known, _, _)) = kind.columns().iter().find(|(f, _, _)| *f == field) else {
            // Which fields a kind has is the columns route's answer, not the pattern's.
            let (field, kind) = (hte_shared::i18n::quote(field), kind.key());
            return Err(Problem::invalid_field(
                "columns",
                "field_of_kind",
                text!(
                    "{field} is not a field of {kind} files",
                    "{field} 不是 {kind} 文件的字段"
                ),
            ));
        };
        mapped.push((import::normalise_header(header), *known));
    }
    Ok(mapped)
}

/// What an import asks for, every parameter parsed.
struct Asked {
    kind: ImportKind,
    mode: Mode,
    unit: MoneyUnit,
    encoding: EncodingChoice,
    header_row: Option<u64>,
    header_rules: HeaderRules,
}

/// A known key, or the field error naming the choices.
fn choice<T>(
    value: Option<T>,
    field: &str,
    message: impl Into<hte_shared::i18n::Text>,
) -> Result<T, Problem> {
    value.ok_or_else(|| Problem::invalid_field(field, "enum", message))
}

impl ImportParams {
    /// Every parameter, every problem reported at once.
    fn parse(&self) -> Result<Asked, Problem> {
        let mut errors: Vec<FieldError> = Vec::new();
        let kind = choice(
            ImportKind::from_key(&self.kind),
            "kind",
            hte_shared::i18n::Text::fixed(
                "kind must be enterprises, annual_reports, pool_entries, certificates or labels",
                "kind 须为 enterprises（企业）、annual_reports（年报）、pool_entries（培育库）、certificates（高新技术企业证书）或 labels（称号）",
            ),
        );
        let kind = gather(&mut errors, kind);
        let mode = match self.mode.as_deref() {
            None => Some(Mode::Atomic),
            Some(raw) => Mode::from_key(raw),
        };
        let mode = gather(
            &mut errors,
            choice(
                mode,
                "mode",
                hte_shared::i18n::Text::fixed(
                    "mode must be dry_run, atomic or partial",
                    "mode 须为 dry_run（试导入）、atomic（整体导入）或 partial（部分导入）",
                ),
            ),
        );
        let unit = match self.unit.as_deref() {
            None => Some(MoneyUnit::Yuan),
            Some(raw) => MoneyUnit::from_key(raw),
        };
        let unit_message = hte_shared::i18n::Text::fixed(
            "unit must be yuan, thousand_yuan or ten_thousand_yuan",
            "unit 须为 yuan（元）、thousand_yuan（千元）或 ten_thousand_yuan（万元）",
        );
        let unit = gather(&mut errors, choice(unit, "unit", unit_message));
        let encoding = gather(&mut errors, self.encoding_choice());
        errors.extend(self.header_row_error());
        let refuse_unknown = gather(&mut errors, self.refuse_unknown());
        let mapped = match (kind, self.columns.as_deref()) {
            (Some(kind), Some(raw)) => gather(&mut errors, mapped_columns(raw, kind)),
            _ => Some(Vec::new()),
        };
        match (kind, mode, unit, encoding, refuse_unknown, mapped) {
            (
                Some(kind),
                Some(mode),
                Some(unit),
                Some(encoding),
                Some(refuse_unknown),
                Some(mapped),
            ) if errors.is_empty() => Ok(Asked {
                kind,
                mode,
                unit,
                encoding,
                header_row: self.header_row,
                header_rules: HeaderRules {
                    mapped,
                    refuse_unknown,
                },
            }),
            _ => Err(Problem::validation(errors)),
        }
    }

    /// Exactly a name of [`CsvEncoding`], as the document lists them.
    fn encoding_choice(&self) -> Result<EncodingChoice, Problem> {
        let encoding = match self.encoding.as_deref() {
            None => Some(EncodingChoice::Auto),
            Some(key) => CsvEncoding::from_key(key).map(CsvEncoding::choice),
        };
        let message = hte_shared::i18n::Text::fixed(
            "encoding must be auto, utf-8, utf8, gbk, gb2312 or gb18030 (lowercase)",
            "encoding 须为 auto（自动识别）、utf-8、utf8、gbk、gb2312 或 gb18030（小写）",
        );
        choice(encoding, "encoding", message)
    }

    /// The header row's field error, if it is given out of range.
    fn header_row_error(&self) -> Option<FieldError> {
        match self.header_row {
            Some(row) if !(1..=1_048_576).contains(&row) => Some(FieldError::new(
                "header_row",
                "range",
                text!(
                    "header_row is a row number from 1 to 1048576",
                    "header_row 为 1 至 1048576 的行号"
                ),
            )),
            _ => None,
        }
    }

    fn refuse_unknown(&self) -> Result<bool, Problem> {
        let refuse = match self.unknown_columns.as_deref() {
            None | Some("ignore") => Some(false),
            Some("refuse") => Some(true),
            Some(_) => None,
        };
        let message = text!(
            "unknown_columns must be ignore or refuse",
            "unknown_columns 只能是 ignore 或 refuse"
        );
        choice(refuse, "unknown_columns", message)
    }
}

/// A file, not JSON or a form: other bodies are refused before they are read.
fn media_type_of(request: &HttpRequest) -> Result<String, Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    if media_type.is_empty() || FILE_MEDIA_TYPES.contains(&media_type.as_str()) {
        Ok(media_type)
    } else {
        Err(Problem::unsupported_media_type(text!(
            "send the file as text/csv, {XLSX_MEDIA_TYPE}, application/vnd.ms-excel or {ODS_MEDIA_TYPE}; got {media_type}",
            "请以 text/csv、{XLSX_MEDIA_TYPE}、application/vnd.ms-excel 或 {ODS_MEDIA_TYPE} 格式发送文件，收到的是 {media_type}"
        )))
    }
}

/// An upload kept in a temporary file, never in memory as one document.
struct Upload {
    file: tempfile::NamedTempFile,
    /// Whether it starts like a ZIP archive, as XLSX files do.
    zipped: bool,
    /// Whether it is an OLE compound file, as legacy `.xls` (BIFF) workbooks are.
    compound: bool,
    sha256: String,
}

impl Upload {
    /// The content decides, whatever the label: a ZIP is XLSX or ODS (told apart by its
    /// parts), an OLE compound file is a legacy workbook, anything else is CSV.
    fn format(&self, media_type: &str) -> FileFormat {
        if self.compound {
            FileFormat::Xls
        } else if self.zipped || media_type == XLSX_MEDIA_TYPE || media_type == ODS_MEDIA_TYPE {
            FileFormat::Xlsx
        } else {
            FileFormat::Csv
        }
    }
}

/// The signature of OLE compound files (legacy `.xls`, `.et` of old WPS).
const COMPOUND_FILE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

async fn receive(mut payload: web::Payload) -> Result<Upload, Problem> {
    let unwritable = |e: std::io::Error| {
        tracing::error!(error = %e, "cannot write the temporary file");
        Problem::internal()
    };
    let mut file = tempfile::NamedTempFile::new().map_err(unwritable)?;
    let mut size = 0u64;
    let mut first_bytes = Vec::new();
    let mut digest = Sha256::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::info!(error = %e, "an upload broke off");
            Problem::bad_request(text!("the upload broke off", "上传中断"))
        })?;
        digest.update(&chunk);
        size += chunk.len() as u64;
        if size > MAX_IMPORT_BYTES {
            return Err(Problem::payload_too_large(text!(
                "files are limited to {MAX_IMPORT_BYTES} bytes; split the file",
                "文件最大 {MAX_IMPORT_BYTES} 字节，请拆分文件"
            )));
        }
        let wanted = COMPOUND_FILE.len().saturating_sub(first_bytes.len());
        first_bytes.extend_from_slice(&chunk[..chunk.len().min(wanted)]);
        file.write_all(&chunk).map_err(unwritable)?;
    }
    Ok(Upload {
        file,
        zipped: first_bytes.starts_with(b"PK\x03\x04"),
        compound: first_bytes.starts_with(COMPOUND_FILE),
        sha256: format!("{:x}", digest.finalize()),
    })
}

/// Import a file (CSV, XLSX, XLS or ODS body). Rows are upserted by natural key (credit code; code and
/// year; certificate number; code, kind and year), so importing the same file twice changes
/// nothing the second time. Each row is authorised against your region and audited.
/// With an `Idempotency-Key`, a retried upload of the same file gets the first import back
/// instead of a second import record.
#[utoipa::path(
    tag = "bulk",
    params(ImportParams,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried upload safe: a replay with the same file and parameters returns the first import; 409 while it is still running")),
    request_body(content((ImportFile = "text/csv"), (ImportFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (ImportFile = "application/vnd.ms-excel"), (ImportFile = "application/vnd.oasis.opendocument.spreadsheet")),
        description = "The file: CSV (UTF-8, UTF-8 with BOM, or GBK), XLSX, legacy Excel XLS (BIFF) or OpenDocument ODS (first worksheet; workbooks up to 64 MiB, XLS and ODS sheets up to 2,000,000 cells from first to last and 128 MiB of text as their cells repeat it); the headers in Chinese or English, below any title rows"),
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
    payload: web::Payload,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let Asked {
        kind,
        mode,
        unit,
        encoding,
        header_row,
        header_rules,
    } = params.parse()?;
    let media_type = media_type_of(&request)?;
    let upload = receive(payload).await?;
    let settings = Settings {
        kind,
        mode,
        unit,
        encoding,
        format: upload.format(&media_type),
        header_row,
        header_rules,
    };
    let actor = Actor::new(&caller, &request_id);
    let key = key
        .0
        .map(|key| (key, fingerprint(&settings, &upload.sha256)));
    // Claim, import and release run in one blocking task, which finishes even when the
    // client goes away mid-request: a claimed key is always answered or given up.
    let answer = db
        .write_batches(move |conn, turn| {
            let claimed = match claim(conn, turn, &actor, key)? {
                KeyClaim::Held(claimed) => claimed,
                KeyClaim::Replay(stored) => return Ok(Answer::Replay(stored)),
            };
            let path = upload.file.path();
            let who = (&caller, &actor);
            let result = operations::import_file(conn, path, settings, who, claimed.as_ref(), turn);
            if result.is_err() {
                let _turn = turn.take();
                release(conn, &actor, claimed.as_ref());
            }
            result.map(|view| Answer::Imported(Box::new(view)))
        })
        .await?;
    Ok(match answer {
        Answer::Replay(stored) => idempotency::replay_response(&stored),
        Answer::Imported(view) => HttpResponse::Created()
            .insert_header((header::LOCATION, operations::location_of(&view)))
            .json(view),
    })
}

/// The request's fingerprint for its `Idempotency-Key`: the same file with the same
/// parameters is the same request, whatever its headers.
fn fingerprint(settings: &Settings, body_sha256: &str) -> String {
    let request = serde_json::json!({
        "kind": settings.kind.key(),
        "mode": settings.mode.key(),
        "unit": format!("{:?}", settings.unit),
        "encoding": format!("{:?}", settings.encoding),
        "format": format!("{:?}", settings.format),
        "header_row": settings.header_row,
        "columns": format!("{:?}", settings.header_rules.mapped),
        "unknown_columns": settings.header_rules.refuse_unknown,
        "body_sha256": body_sha256,
    });
    idempotency::fingerprint(ROUTE, &request)
}

/// A key this import holds while it runs.
type HeldKey = (IdempotencyKey, idempotency::ClaimToken);

/// What claiming the request's `Idempotency-Key` decided.
enum KeyClaim {
    /// Import, holding the key when one was sent.
    Held(Option<HeldKey>),
    /// A retry of a finished import: answer as it was answered.
    Replay(StoredResponse),
}

/// Claims the key (if one was sent) in a turn of its own; a different request under the
/// same key is a 422, one still running a 409.
fn claim(
    conn: &mut hte_shared::db::DbConnection,
    turn: &BatchTurn,
    actor: &Actor,
    key: Option<(IdempotencyKey, String)>,
) -> Result<KeyClaim, RegistryError> {
    let Some((key, request_hash)) = key else {
        return Ok(KeyClaim::Held(None));
    };
    let claim = {
        let _turn = turn.take();
        idempotency::claim(
            conn,
            &idempotency::scope_of(actor),
            &key,
            ROUTE,
            &request_hash,
        )?
    };
    match claim {
        Claim::Claimed(token) => Ok(KeyClaim::Held(Some((key, token)))),
        Claim::Replay(stored) => Ok(KeyClaim::Replay(stored)),
        Claim::Mismatch => Err(idempotency::mismatch_problem().into()),
        Claim::InProgress => Err(idempotency::in_progress_problem().into()),
    }
}

/// Gives up the key of an import that failed, so a retry may run.
fn release(conn: &mut hte_shared::db::DbConnection, actor: &Actor, claimed: Option<&HeldKey>) {
    if let Some((key, token)) = claimed
        && let Err(e) = idempotency::release(conn, &idempotency::scope_of(actor), key, token)
    {
        tracing::error!(error = %e, "cannot release the Idempotency-Key of a failed import");
    }
}

enum Answer {
    Imported(Box<ImportView>),
    Replay(StoredResponse),
}

const ROUTE: &str = "POST /api/v1/imports";

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
    let view = db
        .read(move |conn| operations::find(conn, &caller, &id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The headers a kind of file is read by: each field's accepted headers (Chinese forms'
/// names among them), whether it is required, whether it is money, and the headers read
/// past.
#[utoipa::path(
    tag = "bulk",
    params(("kind" = ImportKind, Path, description = "Kind of file")),
    responses(
        (status = 200, description = "The columns", body = ImportColumns),
        LookupRefusals,
    )
)]
#[get("/imports/kinds/{kind}/columns")]
pub async fn import_columns(
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let kind = kind_of(&path.into_inner())?;
    Ok(HttpResponse::Ok().json(operations::columns_of(kind)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateParams {
    /// xlsx (default: headers, lists of fixed values, an explanation sheet) or csv (headers).
    #[param(pattern = "^(xlsx|csv)$")]
    format: Option<String>,
}

/// An import template: the Chinese headers a file of this kind is read by (money in 元); the
/// XLSX adds a list to choose from in each column with fixed values and a second sheet
/// explaining every column with an example. Filled in, it imports without edits.
#[utoipa::path(
    tag = "bulk",
    params(("kind" = ImportKind, Path, description = "Kind of file"), TemplateParams),
    responses(
        (status = 200, description = "The template", content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
        ReadRefusals,
    )
)]
#[get("/imports/templates/{kind}")]
pub async fn import_template(
    _caller: Caller,
    path: web::Path<String>,
    params: web::Query<TemplateParams>,
) -> Result<HttpResponse, RegistryError> {
    let kind = kind_of(&path.into_inner())?;
    let stem = format!("{}-导入模板", kind.key());
    match params.format.as_deref() {
        None | Some("xlsx") => {
            let bytes = crate::template::xlsx_template(kind)?;
            Ok(files::file_response(Format::Xlsx, &stem, bytes))
        }
        Some("csv") => {
            let bytes = crate::template::csv_template(kind);
            Ok(files::file_response(Format::Csv, &stem, bytes))
        }
        Some(other) => {
            let other = hte_shared::i18n::quote(other);
            Err(Problem::invalid_field(
                "format",
                "enum",
                text!(
                    "format must be xlsx or csv; got {other}",
                    "format 只能是 xlsx 或 csv，收到 {other}"
                ),
            )
            .into())
        }
    }
}

/// A kind of import named in a path, or 404.
fn kind_of(raw: &str) -> Result<ImportKind, Problem> {
    ImportKind::from_key(raw).ok_or_else(|| {
        let raw = hte_shared::i18n::quote(raw);
        Problem::not_found(text!(
            "no kind of import {raw}: enterprises, annual_reports, pool_entries, certificates or labels",
            "没有导入类型 {raw}：可用 enterprises、annual_reports、pool_entries、certificates、labels"
        ))
    })
}
