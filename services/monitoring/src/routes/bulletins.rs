//! Bulletins (定期通报) of a snapshot as JSON, Word, Excel or a printable HTML page.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::download::attachment_with_fallback;
use hte_shared::export::BinaryFile;
use hte_shared::i18n::Text;
use hte_shared::openapi::refusals::RecordInputRefusals;
use hte_shared::problem::{Problem, types};
use hte_shared::telemetry::RequestId;
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::Monitor;
use crate::app::bulletins::{self, BulletinQuery};
use crate::bulletin::Bulletin;
use crate::error::MonitoringError;
use crate::render::BulletinFormat;

/// The formats a bulletin comes in (通报格式).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulletinFileFormat {
    /// The figures as JSON (default).
    Json,
    /// Word, as a 通报 is circulated: A4, Chinese fonts named, page numbers.
    Docx,
    /// Excel: one sheet per table, numbers as numbers, frozen Chinese headers.
    Xlsx,
    /// A page that prints on A4, with no external assets.
    Html,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulletinParams {
    /// A revision of the period's snapshot (第几版); the latest when absent.
    #[param(minimum = 1)]
    revision: Option<i32>,
    /// `json`, `docx`, `xlsx` or `html`; wins over `Accept` (which may name
    /// `application/json`, the DOCX or XLSX media type or `text/html`; anything else that
    /// excludes all four is a 406).
    #[param(value_type = Option<BulletinFileFormat>)]
    format: Option<String>,
    /// The province (320000) or a city; default the caller's own city, else the province.
    region: Option<String>,
}

fn not_acceptable(accept: &str) -> Problem {
    let shown: String = accept.chars().take(80).collect();
    Problem::new(
        StatusCode::NOT_ACCEPTABLE,
        types::NOT_ACCEPTABLE,
        Text::fixed("Not acceptable", "无法提供所要求的格式"),
    )
    .with_detail(text!(
        "a bulletin comes as application/json, text/html, DOCX or XLSX; Accept was {shown:?}",
        "通报格式为 JSON、HTML、DOCX 或 XLSX；Accept 为 {shown:?}"
    ))
}

/// `format=` wins; else the first of ours the `Accept` header names; else JSON when it
/// takes anything (or is absent); else 406.
fn negotiate(param: Option<&str>, accept: Option<&HeaderValue>) -> Result<BulletinFormat, Problem> {
    if let Some(raw) = param {
        return BulletinFormat::from_key(raw.trim()).ok_or_else(|| {
            let shown: String = raw.chars().take(32).collect();
            Problem::invalid_field(
                "format",
                "enum",
                text!(
                    "format must be json, docx, xlsx or html; got {shown:?}",
                    "格式须为 json、docx、xlsx 或 html；收到 {shown:?}"
                ),
            )
        });
    }
    let Some(accept) = accept else {
        return Ok(BulletinFormat::Json);
    };
    let accept = accept.to_str().unwrap_or_default();
    if let Some(format) = BulletinFormat::from_accept(accept) {
        return Ok(format);
    }
    let takes_any = accept.split(',').any(|item| {
        let media = item.split(';').next().unwrap_or("").trim();
        matches!(media, "*/*" | "application/*" | "")
    });
    if takes_any {
        Ok(BulletinFormat::Json)
    } else {
        Err(not_acceptable(accept))
    }
}

/// The periodic progress bulletin (定期通报) of a plan's period from its stored snapshot:
/// headline indicators against targets with 时序进度; the table of the 13 cities (or a city's
/// counties): target, achieved, completion, rank, 环比/同比; lagging regions; the alerts in
/// force when the snapshot was taken; published 考核 results (a note says when the allocation
/// service could not be asked). Every figure is the snapshot's, to the unit, in every
/// format. The province, auditors and services read any (default the province's); a city
/// official reads its own city's with its counties (the default for them; another region is
/// a 403); county officials are refused (403): a county has no subdivisions to rank, and
/// reads its figures on the KPI board. DOCX and XLSX come as attachments.
#[utoipa::path(
    tag = "bulletins",
    params(
        ("plan" = String, Path, description = "Plan id (规划代码)", pattern = "^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"),
        ("period" = String, Path, description = "Period (统计期): 2020-09, 2020-Q3 or 2020", pattern = r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4])?$"),
        BulletinParams,
    ),
    responses(
        (status = 200, description = "The bulletin", content(
            (Bulletin = "application/json"),
            (BinaryFile = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/html"),
        ), headers(
            ("Content-Disposition" = String, description = "DOCX and XLSX: attachment; filename=…; filename*=UTF-8''通报-….docx"),
        )),
        RecordInputRefusals,
        (status = 406, description = "The Accept header names none of the bulletin's formats (JSON, DOCX, XLSX, HTML)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/bulletins/{plan}/{period}")]
pub async fn get_bulletin(
    db: web::Data<Db>,
    monitor: web::Data<Monitor>,
    caller: Caller,
    request_id: RequestId,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    params: web::Query<BulletinParams>,
) -> Result<HttpResponse, MonitoringError> {
    let (plan, period) = path.into_inner();
    let params = params.into_inner();
    let format = negotiate(
        params.format.as_deref(),
        request.headers().get(header::ACCEPT),
    )?;
    let query = BulletinQuery {
        plan,
        period,
        revision: params.revision,
        region: params.region,
    };
    let order = bulletins::order_of(&caller, &query)?;
    let bulletin = bulletins::bulletin(&db, &monitor, &request_id, order).await?;
    let rendered = bulletins::render(&bulletin, format)?;
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type());
    if matches!(format, BulletinFormat::Docx | BulletinFormat::Xlsx) {
        let fallback = rendered.file_name.replacen("通报", "bulletin", 1);
        response.insert_header(attachment_with_fallback(&rendered.file_name, &fallback));
    }
    Ok(response.body(rendered.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &'static str) -> Option<HeaderValue> {
        Some(HeaderValue::from_static(value))
    }

    #[test]
    fn the_parameter_wins_then_accept_then_json() {
        let xlsx = accept(crate::render::XLSX_MIME);
        assert_eq!(
            negotiate(Some("docx"), xlsx.as_ref()).unwrap(),
            BulletinFormat::Docx
        );
        assert_eq!(
            negotiate(None, xlsx.as_ref()).unwrap(),
            BulletinFormat::Xlsx
        );
        let browser = accept("text/html,application/xhtml+xml,*/*;q=0.8");
        assert_eq!(
            negotiate(None, browser.as_ref()).unwrap(),
            BulletinFormat::Html
        );
        for anything in ["*/*", "application/*", "application/json;q=0.5"] {
            let header = Some(HeaderValue::from_static(anything));
            assert_eq!(
                negotiate(None, header.as_ref()).unwrap(),
                BulletinFormat::Json,
                "{anything}"
            );
        }
        assert_eq!(negotiate(None, None).unwrap(), BulletinFormat::Json);
    }

    #[test]
    fn other_formats_are_refused() {
        let problem = negotiate(None, accept("application/pdf, text/csv").as_ref()).unwrap_err();
        assert_eq!(problem.status, 406);
        let problem = negotiate(Some("pdf"), None).unwrap_err();
        assert_eq!(
            (problem.status, problem.errors[0].field.as_str()),
            (400, "format")
        );
    }
}
