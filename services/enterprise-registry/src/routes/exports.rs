//! Bulk files out: `GET /exports/enterprises` (CSV or XLSX, Chinese or English headers).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::BadRequest;
use hte_shared::problem::Problem;
use hte_shared::time::now;
use serde::Deserialize;
use utoipa::IntoParams;

use super::enterprises::{EnterpriseFilter, ParsedFilter};
use super::files::{self, Format};
use crate::app::exports::{self as operations, COLUMNS};
use crate::domain::listing::ListCursor;
use crate::error::RegistryError;
use crate::export::{self, Language};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// csv (default) or xlsx; or the Accept header.
    #[param(pattern = "^(csv|xlsx)$")]
    format: Option<String>,
    /// Language: zh (default) shows code values as their Chinese names (电子信息, 国家级, 是),
    /// and an XLSX opens with a header block (as-of date, region, time made); en shows the
    /// keys. Both import back unchanged.
    lang: Option<String>,
}

impl ExportParams {
    /// The file format and header language asked for.
    fn parse(&self, request: &HttpRequest) -> Result<(Format, Language), Problem> {
        if let Some(asked) = self.format.as_deref()
            && !matches!(asked, "csv" | "xlsx")
        {
            return Err(Problem::invalid_field(
                "format",
                "enum",
                hte_shared::text!(
                    "format must be csv or xlsx; got {asked:?}",
                    "格式须为 csv 或 xlsx，收到的是 {asked:?}"
                ),
            ));
        }
        let format = files::negotiate(
            self.format.as_deref(),
            request.headers().get(header::ACCEPT),
            Format::Csv,
        )?;
        if format == Format::Json {
            return Err(Problem::invalid_field(
                "format",
                "enum",
                hte_shared::i18n::Text::fixed(
                    "exports are csv or xlsx; use GET /api/v1/enterprises for JSON",
                    "导出格式为 csv 或 xlsx；如需 JSON，请使用 GET /api/v1/enterprises",
                ),
            ));
        }
        Ok((format, Language::parse(self.lang.as_deref())?))
    }
}

/// Export enterprises with the list's filters (region, status, as_of, tech_domain, label,
/// zone_level, above_scale, q) as CSV or XLSX, read in pages of 1,000, region names beside
/// codes, dates as dates in XLSX. The file imports back unchanged (a deregistration, an action
/// with its own reason, is not part of the file).
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
    let (format, language) = params.parse(&request)?;
    let parsed = filter.parse(&caller)?;
    let stem = format!("enterprises-{}", parsed.as_of);
    if format == Format::Xlsx {
        // Rows go straight into a constant-memory worksheet, page by page.
        let bytes = db
            .read(move |conn| {
                let sheet = match language {
                    Language::Zh => "企业名单",
                    Language::En => "enterprises",
                };
                let preamble = match language {
                    Language::Zh => {
                        operations::preamble(conn, parsed.as_of, &parsed.filter, now())?
                    }
                    Language::En => Vec::new(),
                };
                let mut writer =
                    export::XlsxWriter::with_preamble(sheet, &preamble, COLUMNS, language)?;
                let mut after: Option<ListCursor> = None;
                while let Some(rows) =
                    operations::next_page(conn, &parsed.filter, parsed.as_of, &mut after, language)?
                {
                    for row in &rows {
                        writer.write_row(row)?;
                    }
                }
                writer.finish().map_err(RegistryError::from)
            })
            .await?;
        return Ok(files::file_response(format, &stem, bytes));
    }
    let stream = csv_stream(db, parsed, language);
    Ok(files::file_response_builder(format, &stem).streaming(stream))
}

/// Where a streamed CSV export is.
struct CsvState {
    db: web::Data<Db>,
    parsed: Option<ParsedFilter>,
    after: Option<ListCursor>,
    first: bool,
    done: bool,
}

/// The CSV file, streamed: each page of 1,000 is read, encoded and sent before the next.
fn csv_stream(
    db: web::Data<Db>,
    parsed: ParsedFilter,
    language: Language,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    let state = CsvState {
        db,
        parsed: Some(parsed),
        after: None,
        first: true,
        done: false,
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        let parsed = state.parsed.take()?;
        let after = state.after.take();
        let result = state
            .db
            .read(move |conn| {
                let mut after = after;
                let page = operations::next_page(
                    conn,
                    &parsed.filter,
                    parsed.as_of,
                    &mut after,
                    language,
                )?;
                Ok::<_, RegistryError>((parsed, after, page))
            })
            .await;
        match result {
            Ok((parsed, after, page)) => {
                let header = state.first.then_some((COLUMNS, language));
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
    })
}
