//! Carrier ranking (载体绩效排名): the carriers of a region and kind ranked by a weighted
//! score of their performance, as JSON or as the sheet for the reward decision.

use actix_web::{HttpRequest, HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::{BadRequest, Forbidden, UnprocessableEntity};
use hte_shared::problem::Problem;
use hte_shared::time::now;
use serde::Deserialize;
use utoipa::IntoParams;

use super::carriers::{PeriodQuery, carrier_filter, parse_period};
use super::files::{self, Format};
use super::gather;
use crate::app::carrier_ranking::{self as operations, COLUMNS, CarrierRanking};
use crate::db::carriers::CarrierFilter;
use crate::domain::carrier_performance::Weights;
use crate::domain::carriers::{CarrierKind, CarrierLevel};
use crate::error::RegistryError;
use crate::export::{self, Language};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// Region code: a city ranks its whole subtree, a county itself (default: your region).
    region: Option<String>,
    /// Kind (载体类型) of the carriers ranked (default: every kind).
    #[param(value_type = Option<CarrierKind>)]
    kind: Option<String>,
    /// Recognition level (认定级别) of the carriers ranked (default: every level).
    #[param(value_type = Option<CarrierLevel>)]
    level: Option<String>,
    /// Points per firm incubated in the period (在孵企业), 0–100 (default 1).
    #[param(minimum = 0, maximum = 100, default = 1)]
    weight_firms_incubated: Option<i64>,
    /// Points per tech-based SME among them (科技型中小企业), 0–100 (default 3).
    #[param(minimum = 0, maximum = 100, default = 3)]
    weight_tech_smes: Option<i64>,
    /// Points per pool member among them (入库企业), 0–100 (default 2).
    #[param(minimum = 0, maximum = 100, default = 2)]
    weight_pool_members: Option<i64>,
    /// Points per HTE certified among them (高新技术企业), 0–100 (default 5).
    #[param(minimum = 0, maximum = 100, default = 5)]
    weight_htes_certified: Option<i64>,
    /// Points per label earned (称号), 0–100 (default 1).
    #[param(minimum = 0, maximum = 100, default = 1)]
    weight_labels_earned: Option<i64>,
    /// json (default), csv or xlsx; or the Accept header.
    #[param(pattern = "^(json|csv|xlsx)$", max_length = 4)]
    format: Option<String>,
    /// Language of a file's headers and labels: zh (default) or en.
    lang: Option<String>,
}

/// What the parameters ask for.
struct Asked {
    filter: CarrierFilter,
    period: (chrono::NaiveDate, chrono::NaiveDate),
    weights: Weights,
    format: Format,
    language: Language,
}

impl RankingQuery {
    /// Every problem at once; a region outside the caller's is a 403.
    fn parse(
        &self,
        caller: &Caller,
        period: &PeriodQuery,
        request: &HttpRequest,
    ) -> Result<Asked, Problem> {
        let mut errors = Vec::new();
        let asked = (
            self.region.as_deref(),
            self.kind.as_deref(),
            self.level.as_deref(),
        );
        let filter = match carrier_filter(caller, asked) {
            Ok(filter) => Some(filter),
            Err(problem) if problem.errors.is_empty() => return Err(problem),
            Err(problem) => {
                errors.extend(problem.errors);
                None
            }
        };
        let period = gather(&mut errors, parse_period(period));
        let weights = Weights::parse([
            self.weight_firms_incubated,
            self.weight_tech_smes,
            self.weight_pool_members,
            self.weight_htes_certified,
            self.weight_labels_earned,
        ])
        .map_err(|e| errors.extend(e))
        .ok();
        let accept = request.headers().get("accept");
        let format = gather(
            &mut errors,
            files::negotiate(self.format.as_deref(), accept, Format::Json),
        );
        let language = gather(&mut errors, Language::parse(self.lang.as_deref()));
        match (filter, period, weights, format, language) {
            (Some(filter), Some(period), Some(weights), Some(format), Some(language))
                if errors.is_empty() =>
            {
                Ok(Asked {
                    filter,
                    period,
                    weights,
                    format,
                    language,
                })
            }
            _ => Err(Problem::validation(errors)),
        }
    }
}

/// Rank the carriers of your region (or a region, kind and level within it) by performance
/// over a period (载体绩效排名), for the reward decision.
///
/// Each carrier gets the counts of `/carriers/{id}/performance` over `[from, to]` and a score
/// Σ weight × count, with a weight per count (0–100, defaults: firm incubated 1, tech-based
/// SME 3, pool member 2, HTE certified 5, label 1: the programme makes HTEs and tech-based
/// SMEs the main factors). Carriers are ordered by score, highest first; equal scores share a
/// rank (1, 2, 2, 4) and are listed by carrier id. Every carrier selected appears, those that
/// incubated nothing with a score of 0. As JSON, CSV, or XLSX: a Chinese sheet 载体绩效排名
/// with a header block (period, region, kind, level, weights, time made), region names
/// beside codes, counts as numbers, the header row frozen and filtered. A region outside
/// yours is refused (403); weights outside 0–100 are field errors (400), a period ending before it starts a 422;
/// more than 10,000 carriers selected is refused with a field error.
#[utoipa::path(
    tag = "carriers",
    params(RankingQuery, PeriodQuery),
    responses(
        (status = 200, description = "The ranking (JSON, or a CSV/XLSX file)",
            content((CarrierRanking = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = UnprocessableEntity),
    )
)]
#[get("/carrier-ranking")]
pub async fn rank_carriers(
    db: web::Data<Db>,
    caller: Caller,
    request: HttpRequest,
    query: web::Query<RankingQuery>,
    period: web::Query<PeriodQuery>,
) -> Result<HttpResponse, RegistryError> {
    let asked = query.parse(&caller, &period, &request)?;
    let filter = asked.filter.clone();
    let ranking = db
        .read(move |conn| operations::ranking(conn, &filter, asked.period, asked.weights))
        .await?;
    let stem = format!("carrier-ranking-{}-{}", ranking.from, ranking.to);
    let rows = operations::rows_of(&ranking, asked.language);
    match asked.format {
        Format::Json => Ok(HttpResponse::Ok().json(ranking)),
        Format::Csv => {
            let bytes = export::csv_bytes(COLUMNS, &rows, asked.language)?;
            Ok(files::file_response(Format::Csv, &stem, bytes))
        }
        Format::Xlsx => {
            let preamble = operations::preamble(&ranking, &asked.filter, now(), asked.language)?;
            let sheet = match asked.language {
                Language::Zh => "载体绩效排名",
                Language::En => "carrier ranking",
            };
            let mut writer =
                export::XlsxWriter::with_preamble(sheet, &preamble, COLUMNS, asked.language)?;
            for row in &rows {
                writer.write_row(row)?;
            }
            Ok(files::file_response(Format::Xlsx, &stem, writer.finish()?))
        }
    }
}
