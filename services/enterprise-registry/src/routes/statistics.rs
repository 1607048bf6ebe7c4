//! Statistics by region (分地区统计) for monitoring and target allocation.

use actix_web::{HttpResponse, get, web};
use chrono::{Datelike, NaiveDate};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::openapi::refusals::InputRefusals;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use hte_shared::text;
use hte_shared::time::{parse_date_param, today};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{gather, validated};
use crate::app::statistics::{self as operations, Statistics, StatisticsRequest};
use crate::domain::dates::LAST_YEAR;
use crate::error::RegistryError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// `city` (default) or `county`.
    #[param(pattern = "^(city|county)$")]
    level: Option<String>,
    /// A city code: only its counties (level=county).
    #[param(schema_with = crate::domain::region_schemas::city_code)]
    parent: Option<String>,
    /// Date of the counts (default today).
    as_of: Option<String>,
    /// Year of annual reports to sum (default the year before as_of), not after as_of's year.
    #[param(minimum = 1990, maximum = 2100)]
    report_year: Option<i32>,
    /// Start of the new-certificate window (default 1 January of as_of's year).
    new_from: Option<String>,
    /// End of the new-certificate window (default as_of).
    new_to: Option<String>,
}

/// Counts and sums by city or county, on a date, computed in the database.
#[utoipa::path(
    tag = "statistics",
    params(StatisticsParams),
    responses(
        (status = 200, description = "Figures by region", body = Statistics),
        InputRefusals,
    )
)]
#[get("/statistics")]
pub async fn get_statistics(
    db: web::Data<Db>,
    caller: Caller,
    params: web::Query<StatisticsParams>,
) -> Result<HttpResponse, RegistryError> {
    let request = params.parse(&caller)?;
    let statistics: Statistics = db
        .read(move |conn| operations::compute(conn, &caller, &request))
        .await?;
    Ok(HttpResponse::Ok().json(statistics))
}

impl StatisticsParams {
    /// The request, every problem reported at once.
    fn parse(&self, caller: &Caller) -> Result<StatisticsRequest, Problem> {
        let mut errors = Vec::new();
        let level = match self.level.as_deref().map(RegionLevel::parse_breakdown) {
            None => operations::default_level(caller),
            Some(Ok(level)) => level,
            Some(Err(error)) => {
                errors.push(error);
                RegionLevel::City
            }
        };
        let parent = self.parent.as_deref().and_then(|raw| {
            let region = RegionCode::parse(raw).ok().and_then(|c| regions::find(&c));
            match region {
                Some(region) if region.level == RegionLevel::City => Some(region.code),
                _ => {
                    errors.push(FieldError::new(
                        "parent",
                        "city_code",
                        hte_shared::text!(
                            "parent must be a Jiangsu city code; got {raw:?}",
                            "parent 须为江苏省设区市代码，收到的是 {raw:?}"
                        ),
                    ));
                    None
                }
            }
        });
        let mut date = |name: &str, raw: Option<&str>| {
            gather(&mut errors, parse_date_param(name, raw)).flatten()
        };
        let as_of = date("as_of", self.as_of.as_deref()).unwrap_or_else(today);
        let new_from = date("new_from", self.new_from.as_deref())
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of));
        let new_to = date("new_to", self.new_to.as_deref()).unwrap_or(as_of);
        let report_year = self.report_year.unwrap_or(as_of.year() - 1);
        if !(1990..=LAST_YEAR).contains(&report_year) || report_year > as_of.year() {
            // Beyond as_of's year but within the document's bound: a rule between two fields.
            // A report year taken from an early as_of is as_of's fault, a rule between the two.
            let rule = if (1990..=LAST_YEAR).contains(&report_year) || self.report_year.is_none() {
                "not_after_as_of"
            } else {
                "range"
            };
            let last = as_of.year();
            errors.push(FieldError::new(
                "report_year",
                rule,
                text!(
                    "report_year must be between 1990 and {last}",
                    "report_year 须在 1990 到 {last} 之间"
                ),
            ));
        }
        if new_from > new_to {
            errors.push(FieldError::new(
                "new_from",
                "order",
                hte_shared::i18n::Text::fixed(
                    "new_from must not be after new_to",
                    "new_from 不得晚于 new_to",
                ),
            ));
        }
        validated(errors)?;
        Ok(StatisticsRequest {
            level,
            parent,
            as_of,
            report_year,
            new_from,
            new_to,
        })
    }
}
