//! Candidate screening (遴选): firms ranked by how close they are to HTE recognition, as JSON
//! pages or the whole ranking as a file.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::refusals::InputRefusals;
use hte_shared::pagination::{PageParams, PageRequest};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::text;
use hte_shared::time::now;
use serde::Deserialize;
use utoipa::IntoParams;

use super::files::{self, Format};
use super::{as_of_or_today, gather, pool_scope, region_filter};
use crate::app::candidates::{
    self as operations, COLUMNS, CandidatePage, ExportPosition, RankKey, Screening,
};
use crate::db::readiness::RankScope;
use crate::domain::tech_domain::TechDomain;
use crate::error::RegistryError;
use crate::export::{self, Language};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateParams {
    /// Region subtree (default: yours).
    region: Option<String>,
    /// Technology domain key (技术领域).
    #[param(value_type = Option<crate::domain::tech_domain::TechDomain>)]
    tech_domain: Option<String>,
    /// Keep firms failing at most this many conditions.
    #[param(minimum = 0, maximum = 1000)]
    max_failing: Option<u32>,
    /// `pool` (default): firms in the cultivation pool; `all`: every registered firm that does
    /// not hold the HTE status beyond the screening year (those whose status ends within it
    /// are re-applicants).
    #[param(pattern = "^(pool|all)$")]
    scope: Option<String>,
    /// Assessment date (default today).
    as_of: Option<String>,
    /// Rule set version (default the active one).
    rule_set: Option<String>,
    /// Page size, 1–500 (default 50); ignored for csv/xlsx, which hold the whole ranking.
    limit: Option<u32>,
    cursor: Option<String>,
    /// json (default), csv or xlsx; or use the Accept header.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
    /// Language of files: zh (default) has Chinese headers and outcomes, and an XLSX opens
    /// with a header block (screening date, rule set version, region, time made); en has
    /// English headers and keys. Both carry county and city names beside their codes.
    lang: Option<String>,
}

/// What the parameters ask for: the screening, the answer's format and language, the page.
struct Asked {
    screening: Screening,
    format: Format,
    language: Language,
    page: PageRequest<RankKey>,
}

impl CandidateParams {
    /// Every problem reported at once.
    fn parse(&self, caller: &Caller, request: &HttpRequest) -> Result<Asked, Problem> {
        let mut errors = Vec::new();
        let mut filter = region_filter(caller, self.region.as_deref(), &mut errors)?;
        if let Some(raw) = self.tech_domain.as_deref() {
            match TechDomain::parse(raw) {
                Ok(domain) => filter.tech_domain = Some(domain.key().to_owned()),
                Err(e) => errors.push(FieldError::new("tech_domain", "enum", e)),
            }
        }
        let pool_only = pool_scope(self.scope.as_deref(), true, &mut errors);
        let as_of = as_of_or_today(self.as_of.as_deref(), &mut errors);
        let accept = request.headers().get("accept");
        let negotiated = files::negotiate(self.format.as_deref(), accept, Format::Json);
        let format = gather(&mut errors, negotiated);
        let language = gather(&mut errors, Language::parse(self.lang.as_deref()));
        let page = gather(
            &mut errors,
            PageParams {
                limit: self.limit,
                cursor: self.cursor.clone(),
            }
            .parse::<RankKey>(),
        );
        if let Some(n) = self.max_failing.filter(|n| *n > 1000) {
            errors.push(FieldError::new(
                "max_failing",
                "range",
                text!(
                    "max_failing must be between 0 and 1000; got {n}",
                    "max_failing 须在 0 到 1000 之间；收到的是 {n}"
                ),
            ));
        }
        match (page, format, language) {
            (Some(page), format, language) if errors.is_empty() => Ok(Asked {
                screening: Screening {
                    filter,
                    pool_only,
                    max_failing: self.max_failing,
                    as_of,
                    rule_set: self.rule_set.clone(),
                },
                format: format.unwrap_or(Format::Json),
                language: language.unwrap_or(Language::Zh),
                page,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

/// Pool firms (or all firms) in a region, ranked by readiness for HTE recognition: more
/// conditions known to pass first, then fewer failing, then the size of the gaps relative to
/// their thresholds, then fewer unknown; ties by credit code. Read from the readiness build
/// covering the date when there is one (fast), otherwise assessed live. As JSON pages, or the
/// whole ranking as CSV/XLSX.
#[utoipa::path(
    tag = "assessment",
    params(CandidateParams),
    responses(
        (status = 200, description = "Ranked candidates (JSON page, or a CSV/XLSX file)",
            content((CandidatePage = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        InputRefusals,
    )
)]
#[get("/candidates")]
pub async fn list_candidates(
    db: web::Data<Db>,
    caller: Caller,
    request: HttpRequest,
    params: web::Query<CandidateParams>,
) -> Result<HttpResponse, RegistryError> {
    let Asked {
        screening,
        format,
        language,
        page,
    } = params.parse(&caller, &request)?;
    if format != Format::Json {
        return export_ranking(db, screening, format, language).await;
    }
    let limit = page.limit as usize;
    let result: CandidatePage = db
        .read(move |conn| operations::page(conn, &screening, page.after.as_ref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// The whole ranking as a file. From a readiness build, CSV is sent page by page as it is
/// read and XLSX is written row by row into a spilled worksheet, then sent from a temporary
/// file: memory stays flat however many firms. Without a build (a past date or another rule
/// set) the ranking is assessed live and sorted in memory.
async fn export_ranking(
    db: web::Data<Db>,
    screening: Screening,
    format: Format,
    language: Language,
) -> Result<HttpResponse, RegistryError> {
    let as_of = screening.as_of;
    let filter = screening.filter.clone();
    let (sheet, made_at) = match language {
        Language::Zh => ("候选企业排名", now()),
        Language::En => ("candidates", now()),
    };
    let preamble = move |version: &str, as_of| match language {
        Language::Zh => operations::preamble((as_of, version), &filter, made_at),
        Language::En => Ok(Vec::new()),
    };
    let (scope, screening) = db
        .read(move |conn| {
            let scope = operations::readiness_scope(conn, &screening)?;
            Ok::<_, RegistryError>((scope, screening))
        })
        .await?;
    let Some(scope) = scope else {
        let (version, rows) = db
            .read(move |conn| operations::live_ranking_rows(conn, &screening, language))
            .await?;
        let bytes = match format {
            Format::Xlsx => {
                let preamble = preamble(&version, as_of)?;
                let mut writer =
                    export::XlsxWriter::with_preamble(sheet, &preamble, COLUMNS, language)?;
                for row in &rows {
                    writer.write_row(row)?;
                }
                writer.finish()?
            }
            _ => export::csv_bytes(COLUMNS, &rows, language)?,
        };
        let stem = format!("candidates-{as_of}-{version}");
        return Ok(files::file_response(format, &stem, bytes));
    };
    let stem = format!(
        "candidates-{}-{}",
        scope.screened_on, scope.rule_set_version
    );
    if format == Format::Xlsx {
        let file = db
            .read(move |conn| {
                let preamble = preamble(&scope.rule_set_version, scope.screened_on)?;
                let mut writer =
                    export::XlsxWriter::with_preamble(sheet, &preamble, COLUMNS, language)?;
                let mut position = ExportPosition::default();
                while let Some(rows) =
                    operations::next_export_page(conn, &scope, &mut position, language)?
                {
                    for row in &rows {
                        writer.write_row(row)?;
                    }
                }
                writer.finish_to_file().map_err(RegistryError::from)
            })
            .await?;
        return Ok(files::file_response_builder(format, &stem).streaming(export::file_chunks(file)));
    }
    let stream = csv_stream(db, scope, language);
    Ok(files::file_response_builder(format, &stem).streaming(stream))
}

/// Where a streamed CSV ranking is.
struct CsvState {
    db: web::Data<Db>,
    scope: Arc<RankScope>,
    position: Option<ExportPosition>,
    first: bool,
    done: bool,
}

/// The stored ranking as CSV, streamed: each page of 1,000 is read, encoded and sent before
/// the next is read.
fn csv_stream(
    db: web::Data<Db>,
    scope: RankScope,
    language: Language,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    let state = CsvState {
        db,
        scope: Arc::new(scope),
        position: Some(ExportPosition::default()),
        first: true,
        done: false,
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        let mut position = state.position.take()?;
        let scope = Arc::clone(&state.scope);
        let result = state
            .db
            .read(move |conn| {
                let page = operations::next_export_page(conn, &scope, &mut position, language)?;
                Ok::<_, RegistryError>((position, page))
            })
            .await;
        match result {
            Ok((position, page)) => {
                let header = state.first.then_some((COLUMNS, language));
                state.first = false;
                state.done = page.is_none();
                state.position = Some(position);
                if page.is_none() && header.is_none() {
                    return None;
                }
                let rows = page.as_deref().unwrap_or(&[]);
                let chunk = export::csv_chunk(header, rows)
                    .map(web::Bytes::from)
                    .map_err(actix_web::Error::from);
                Some((chunk, state))
            }
            Err(error) => {
                // The status line is gone; ending early makes the truncation visible.
                tracing::error!(%error, "candidates export stopped");
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
