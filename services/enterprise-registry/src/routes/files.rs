//! Files over HTTP: which format a client asked for, and the headers of a download.

use actix_web::HttpResponse;
use actix_web::http::header::HeaderValue;
use hte_shared::download;
use hte_shared::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `format=` wins; otherwise the Accept header; otherwise `default`.
pub fn negotiate(
    param: Option<&str>,
    accept: Option<&HeaderValue>,
    default: Format,
) -> Result<Format, Problem> {
    match param.map(|p| p.trim().to_ascii_lowercase()) {
        Some(p) if p == "json" => return Ok(Format::Json),
        Some(p) if p == "csv" => return Ok(Format::Csv),
        Some(p) if p == "xlsx" => return Ok(Format::Xlsx),
        Some(p) => {
            return Err(Problem::invalid_field(
                "format",
                "enum",
                hte_shared::text!(
                    "format must be json, csv or xlsx; got {p:?}",
                    "格式须为 json、csv 或 xlsx，收到的是 {p:?}"
                ),
            ));
        }
        None => {}
    }
    let accept = accept.and_then(|v| v.to_str().ok()).unwrap_or_default();
    Ok(if accept.contains(XLSX_MIME) {
        Format::Xlsx
    } else if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains("application/json") {
        Format::Json
    } else {
        default
    })
}

/// A download: the right content type and a file name.
pub fn file_response(format: Format, stem: &str, bytes: Vec<u8>) -> HttpResponse {
    file_response_builder(format, stem).body(bytes)
}

/// Headers of a download, for a body given now or streamed.
pub fn file_response_builder(format: Format, stem: &str) -> actix_web::HttpResponseBuilder {
    let (mime, extension) = match format {
        Format::Xlsx => (XLSX_MIME, "xlsx"),
        _ => ("text/csv; charset=utf-8", "csv"),
    };
    let mut builder = HttpResponse::Ok();
    // RFC 6266 / 8187: whatever a stem holds (a rule-set version, a Chinese name), it stays
    // one quoted, ASCII-only parameter.
    builder
        .content_type(mime)
        .insert_header(download::attachment(&format!("{stem}.{extension}")));
    builder
}
