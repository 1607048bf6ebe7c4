//! External statistics inputs (统计部门数据): entered, corrected, read, listed, imported.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use futures_util::StreamExt;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::i18n::Lang;
use hte_shared::idempotency::{MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{InputRefusals, RecordInputRefusals};
use hte_shared::openapi::{
    BadRequest, Conflict, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    UnprocessableEntity, UnsupportedMediaType,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, json_with_etag_as};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::answer;
use crate::app::imports::{
    self, Encoding, FileFormat, ImportMode, ImportReport, ImportSettings, MAX_FILE_BYTES,
};
use crate::app::inputs::{self, InputPath, InputQuery, InputView, InputWrite};
use crate::domain::inputs::{AmountUnit, InputMeasure};
use crate::error::MonitoringError;

const MEASURE_PARAM: &str = "Measure (统计指标): society_rd_expense_yuan, enterprise_rd_expense_yuan, above_scale_industrial_rd_expense_yuan, above_scale_industrial_output_yuan or hightech_industry_output_yuan";

fn with_etag(status: StatusCode, view: &InputView) -> HttpResponse {
    json_with_etag_as(status, view.version, view)
}

fn location_of(view: &InputView) -> String {
    format!(
        "/api/v1/statistics-inputs/{}/{}/{}",
        view.measure.key(),
        view.period,
        view.region_code
    )
}

/// Enter a figure (201, version 1) or correct it (200, a new version): a correction sends
/// `If-Match` with the current ETag and a `reason`; earlier versions stay readable. Amounts
/// may be written in 元, 万元 or 亿元 and are kept in whole yuan. Province only.
#[utoipa::path(
    tag = "statistics-inputs",
    request_body = InputWrite,
    params(
        ("measure" = InputMeasure, Path, description = MEASURE_PARAM),
        ("period" = String, Path, description = "Period (统计期): 2020-09, 2020-Q3 or 2020", pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$"),
        ("region" = String, Path, description = "Region (地区), a Jiangsu code (GB/T 2260)"),
        ("If-Match" = Option<String>, Header, description = "For a correction: the ETag of the current version, e.g. \"v1\""),
    ),
    responses(
        (status = 201, description = "Entered (version 1)", body = InputView, headers(("ETag" = String), ("Location" = String))),
        (status = 200, description = "Corrected (a new version)", body = InputView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[put("/statistics-inputs/{measure}/{period}/{region}")]
pub async fn put_input(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<(String, String, String)>,
    if_match: IfMatch,
    body: Json<InputWrite>,
) -> Result<HttpResponse, MonitoringError> {
    let (view, created) = inputs::put(
        &db,
        &caller,
        &request_id,
        path.into_inner(),
        if_match,
        body.into_inner(),
    )
    .await?;
    Ok(if created {
        let mut response = with_etag(StatusCode::CREATED, &view);
        if let Ok(value) = header::HeaderValue::from_str(&location_of(&view)) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    } else {
        with_etag(StatusCode::OK, &view)
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// An earlier version to read (default: the current one).
    #[param(minimum = 1)]
    version: Option<i32>,
}

/// `{measure}/{period}/{region}` of a figure's reads, parsed as `put_input` parses it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FigurePath {
    /// Measure (统计指标): society_rd_expense_yuan, enterprise_rd_expense_yuan, above_scale_industrial_rd_expense_yuan, above_scale_industrial_output_yuan or hightech_industry_output_yuan
    #[param(value_type = InputMeasure)]
    measure: String,
    /// Period (统计期)
    #[param(pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
    period: String,
    /// Region (地区)
    region: String,
}

impl FigurePath {
    fn parse(&self) -> Result<InputPath, Problem> {
        InputPath::parse(&self.measure, &self.period, &self.region)
    }
}

/// A figure's current version (or an earlier one). Cities and counties read their own
/// subtree.
#[utoipa::path(
    tag = "statistics-inputs",
    params(FigurePath, VersionParams),
    responses(
        (status = 200, description = "The figure", body = InputView, headers(("ETag" = String, description = "Send in If-Match to correct it"))),
        RecordInputRefusals,
    )
)]
#[get("/statistics-inputs/{measure}/{period}/{region}")]
pub async fn get_input(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<FigurePath>,
    params: web::Query<VersionParams>,
) -> Result<HttpResponse, MonitoringError> {
    let path = path.parse()?;
    let view = inputs::get(&db, &caller, path, params.version).await?;
    Ok(with_etag(StatusCode::OK, &view))
}

/// Every version of a figure, oldest first, a page at a time (`limit` 1–500, default 50;
/// follow `next_cursor`): value, source, who entered it and why it was corrected (修订记录).
#[utoipa::path(
    tag = "statistics-inputs",
    params(FigurePath, PageParams),
    responses(
        (status = 200, description = "A page of versions", body = Page<InputView>),
        RecordInputRefusals,
    )
)]
#[get("/statistics-inputs/{measure}/{period}/{region}/history")]
pub async fn input_history(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<FigurePath>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, MonitoringError> {
    let path = path.parse()?;
    let page = page.parse::<(String, i32)>()?;
    Ok(HttpResponse::Ok().json(inputs::history(&db, &caller, path, page).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InputListParams {
    /// Only this measure (统计指标).
    #[param(value_type = Option<InputMeasure>)]
    measure: Option<String>,
    /// Only this period (统计期).
    #[param(pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
    period: Option<String>,
    /// Only this region and the regions below it (default: yours).
    region: Option<String>,
}

/// Current figures, ordered by measure, period and region code; cities and counties see
/// their own subtree.
#[utoipa::path(
    tag = "statistics-inputs",
    params(InputListParams, PageParams),
    responses(
        (status = 200, description = "A page of figures", body = Page<InputView>),
        InputRefusals,
    )
)]
#[get("/statistics-inputs")]
pub async fn list_inputs(
    db: web::Data<Db>,
    caller: Caller,
    params: web::Query<InputListParams>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, MonitoringError> {
    let params = params.into_inner();
    let page = page.parse()?;
    let query = InputQuery {
        measure: params.measure,
        period: params.period,
        region: params.region,
    };
    Ok(HttpResponse::Ok().json(inputs::list(&db, &caller, query, page).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `dry_run` (试导入: check only), `atomic` (default, 整体导入: all rows or none) or
    /// `partial` (部分导入: good rows land).
    mode: Option<ImportMode>,
    /// Unit of values whose row has no unit and whose header names none (`数值（亿元）`):
    /// `yuan` (default), `wan_yuan` or `yi_yuan`.
    unit: Option<AmountUnit>,
    /// CSV only: `auto` (default: UTF-8 when the file is valid UTF-8, else GBK), `utf-8` or
    /// `gbk`.
    #[param(pattern = "^(auto|utf-8|utf8|gbk)$")]
    encoding: Option<String>,
}

const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const FILE_MEDIA_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "application/csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
    XLSX_MEDIA_TYPE,
];

/// The body of a statistics import in the OpenAPI document: 1 byte to [`MAX_FILE_BYTES`]
/// (an empty file is refused).
pub struct StatisticsFile;

impl utoipa::PartialSchema for StatisticsFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        hte_shared::export::upload_schema(MAX_FILE_BYTES as u64)
    }
}

impl utoipa::ToSchema for StatisticsFile {}

/// The upload, refused before reading when it is not a file or too large.
async fn read_upload(
    request: &HttpRequest,
    mut payload: web::Payload,
) -> Result<(Vec<u8>, FileFormat), MonitoringError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !(media_type.is_empty() || FILE_MEDIA_TYPES.contains(&media_type.as_str())) {
        return Err(Problem::unsupported_media_type(hte_shared::text!(
            "send the file as text/csv or {XLSX_MEDIA_TYPE}; got {media_type}",
            "须以 text/csv 或 {XLSX_MEDIA_TYPE} 格式上传 CSV 或 XLSX 文件，收到的是 {media_type}"
        ))
        .into());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::bad_request(hte_shared::text!(
                "the upload failed: {e}",
                "文件上传失败：{e}"
            ))
        })?;
        if bytes.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(Problem::payload_too_large(hte_shared::text!(
                "statistics files are limited to {MAX_FILE_BYTES} bytes",
                "文件过大：统计数据文件最大为 {MAX_FILE_BYTES} 字节"
            ))
            .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    let format = if bytes.starts_with(b"PK\x03\x04") || media_type == XLSX_MEDIA_TYPE {
        FileFormat::Xlsx
    } else {
        FileFormat::Csv
    };
    Ok((bytes, format))
}

fn encoding_of(raw: Option<&str>) -> Result<Encoding, Problem> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("auto") => Ok(Encoding::Auto),
        Some("utf-8" | "utf8") => Ok(Encoding::Utf8),
        Some("gbk") => Ok(Encoding::Gbk),
        Some(other) => Err(Problem::validation(vec![FieldError::new(
            "encoding",
            "enum",
            hte_shared::text!(
                "encoding must be auto, utf-8 or gbk; got {other:?}",
                "encoding 须为 auto（自动识别）、utf-8 或 gbk，收到的是 {other:?}"
            ),
        )])),
    }
}

/// Import figures from a CSV (UTF-8, UTF-8 with BOM, or GBK) or XLSX file (first
/// worksheet). Columns, in Chinese or English: 统计指标/measure (a key or its Chinese
/// name), 统计期/period, 地区代码/region_code, 数值/value (a unit may follow in brackets:
/// `数值（亿元）`), 单位/unit, 来源文件/source_document, 备注/note, 更正理由/reason. A row for
/// an existing figure with the same value, source and note changes nothing; with another
/// value it is a correction and needs a reason. Refused rows are named by line and column.
/// Province only.
#[utoipa::path(
    tag = "statistics-inputs",
    params(ImportParams,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried upload safe: a replay with the same file and parameters returns the first report; 409 while the first is still running")),
    request_body(content((inline(StatisticsFile) = "text/csv"), (inline(StatisticsFile) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), description = "The file (CSV or XLSX); the first row with text holds the headers"),
    responses(
        (status = 200, description = "The import's report (for an atomic import with refused rows, status rejected: nothing written)", body = ImportReport),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[post("/statistics-inputs/imports")]
pub async fn import_inputs(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    request: HttpRequest,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> Result<HttpResponse, MonitoringError> {
    caller.require_province(("import statistics inputs", "导入统计数据"))?;
    let settings = ImportSettings {
        mode: params.mode.unwrap_or(ImportMode::Atomic),
        unit: params.unit.unwrap_or(AmountUnit::Yuan),
        encoding: encoding_of(params.encoding.as_deref())?,
        format: FileFormat::Csv,
    };
    // Row reasons are written in the language asked for, as problem texts are.
    let lang = Lang::from_headers(request.headers());
    let (bytes, format) = read_upload(&request, payload).await?;
    let settings = ImportSettings { format, ..settings };
    let sheet = imports::read_sheet(&bytes, &settings)?;
    let fingerprint = serde_json::json!({
        "mode": settings.mode,
        "unit": settings.unit.key(),
        "encoding": format!("{:?}", settings.encoding),
        "format": format!("{format:?}"),
        "body_sha256": format!("{:x}", Sha256::digest(&bytes)),
    });
    let actor = Actor::new(&caller, &request_id);
    let route = "POST /api/v1/statistics-inputs/imports".to_owned();
    create_once(&db, actor, key.0, route, fingerprint, move |conn, actor| {
        let report = imports::apply(conn, actor, &sheet, &settings, lang)?;
        answer(StatusCode::OK, &report, None)
    })
    .await
}
