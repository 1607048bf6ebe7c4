//! A line of an enterprises file: the enterprise's fields, checked as `POST /enterprises`
//! checks them.

use chrono::NaiveDate;

use super::{Cells, known};
use crate::domain::enterprise::{EnterpriseFields, ListingStatus, NewEnterprise, ZoneLevel};
use crate::domain::import::{self, LISTING, TECH_DOMAINS, ZONE_LEVELS};
use crate::domain::tech_domain::TechDomain;

pub(in crate::app::imports) fn parse(
    cells: &mut Cells<'_>,
    credit_code: Option<&str>,
    today: NaiveDate,
) -> Option<EnterpriseFields> {
    let name = cells.required("name");
    let region_code = cells.required("region_code");
    let registered_on = cells.date("registered_on");
    let industry_code = cells.required("industry_code");
    let tech_domain = cells.choice_of("tech_domain", TECH_DOMAINS, TechDomain::parse);
    let zone_level = cells.choice_of("zone_level", ZONE_LEVELS, known(ZoneLevel::from_key));
    let zone_id = cells.text("zone_id");
    let above_scale = cells.parse("above_scale", import::parse_bool);
    let carrier_id = cells.text("carrier_id");
    let listing_status = cells.choice_of("listing_status", LISTING, known(ListingStatus::from_key));
    if cells.raw("registered_on").is_none() {
        cells.fail("registered_on", hte_shared::text!("required", "必填"));
    }
    // The API's rules run even when a cell already failed (with a stand-in for it, whose own
    // complaints are dropped), so a row's every problem is reported at once.
    let stand_in_date = NaiveDate::from_ymd_opt(2000, 1, 1)?;
    let request = NewEnterprise {
        credit_code: credit_code.unwrap_or_default().to_owned(),
        name: name.unwrap_or_default(),
        region_code: region_code.unwrap_or_default(),
        registered_on: registered_on.unwrap_or(stand_in_date),
        industry_code: industry_code.unwrap_or_default(),
        tech_domain,
        zone_level: zone_level.unwrap_or(ZoneLevel::None),
        zone_id,
        above_scale: above_scale.unwrap_or(false),
        carrier_id,
        listing_status: listing_status.unwrap_or(ListingStatus::Unlisted),
    };
    // The API's own rules, so a file and a POST accept the same records.
    match request.parse(today) {
        Ok(fields) if !cells.has_errors() => Some(fields),
        Ok(_) => None,
        Err(problem) => {
            for e in problem.errors {
                if !cells.failed(&e.field) {
                    cells.fail(&e.field, e.message);
                }
            }
            None
        }
    }
}
