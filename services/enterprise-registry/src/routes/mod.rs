//! HTTP only: extractors, parsing requests into domain values, status codes, headers and
//! problem mapping. Every operation and view comes from `app`.

use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{RegionCode, RegionLevel};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::domain::credit_code::CreditCode;
use crate::domain::dates::{Ending, check_past_date};
use crate::domain::enterprise::parse_reason;
use crate::domain::listing::ListFilter;

#[macro_use]
mod facts;

pub mod annual_reports;
pub mod assessment;
pub mod candidates;
pub mod carrier_ranking;
pub mod carriers;
pub mod certificates;
pub mod compliance;
pub mod declarations;
pub mod dictionaries;
pub mod enterprises;
pub mod exports;
mod files;
pub mod imports;
pub mod incubations;
pub mod labels;
pub mod pool_entries;
pub mod readiness;
pub mod regions;
pub mod statistics;
pub mod zones;

/// Registers every `/api/v1` handler (the server and the OpenAPI document both use this).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(regions::list_regions)
        .service(regions::get_region)
        .service(enterprises::create_enterprise)
        .service(enterprises::list_enterprises)
        .service(enterprises::get_enterprise)
        .service(enterprises::update_enterprise)
        .service(enterprises::deregister_enterprise)
        .service(enterprises::enterprise_history)
        .service(annual_reports::put_annual_report)
        .service(annual_reports::get_annual_report)
        .service(annual_reports::list_annual_reports)
        .service(pool_entries::create_pool_entry)
        .service(pool_entries::list_pool_entries)
        .service(pool_entries::exit_pool_entry)
        .service(certificates::create_certificate)
        .service(certificates::list_certificates)
        .service(certificates::revoke_certificate)
        .service(labels::create_label)
        .service(labels::list_labels)
        .service(labels::revoke_label)
        .service(declarations::create_declaration)
        .service(declarations::list_declarations)
        .service(declarations::withdraw_declaration)
        .service(hte_shared::audit::unlabelled::verify_audit_chain)
        .service(compliance::list_compliance_alerts)
        .service(statistics::get_statistics)
        .service(assessment::list_rule_sets)
        .service(assessment::get_rule_set)
        .service(assessment::put_rule_set)
        .service(assessment::delete_rule_set)
        .service(assessment::activate_rule_set)
        .service(assessment::get_assessment)
        .service(candidates::list_candidates)
        .service(readiness::candidate_summary)
        .service(readiness::start_readiness_build)
        .service(readiness::list_readiness_builds)
        .service(dictionaries::list_dictionaries)
        .service(dictionaries::get_dictionary)
        .service(imports::create_import)
        .service(imports::import_columns)
        .service(imports::import_template)
        .service(imports::get_import)
        .service(exports::export_enterprises)
        .service(zones::list_zones)
        .service(zones::get_zone)
        .service(zones::create_zone)
        .service(zones::update_zone)
        .service(zones::list_unmatched_zone_values)
        .service(carriers::create_carrier)
        .service(carriers::list_carriers)
        .service(carriers::get_carrier)
        .service(carriers::update_carrier)
        .service(carriers::carrier_performance)
        .service(carrier_ranking::rank_carriers)
        .service(incubations::create_incubation)
        .service(incubations::list_incubations);
}

/// Parses a credit code from the path (400 naming the rule when malformed).
fn path_credit_code(raw: &str) -> Result<CreditCode, Problem> {
    CreditCode::parse(raw).map_err(|e| Problem::invalid_field("credit_code", e.rule(), e.text()))
}

/// Every field error at once, or nothing.
fn validated(errors: Vec<FieldError>) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

/// The value, or nothing with its problem's field errors added to `errors`, so a request's
/// every problem is reported at once.
fn gather<T>(errors: &mut Vec<FieldError>, result: Result<T, Problem>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(problem) => {
            errors.extend(problem.errors);
            None
        }
    }
}

/// The `as_of` query parameter (default today); a malformed one adds its field error to
/// `errors` and reads as today.
fn as_of_or_today(raw: Option<&str>, errors: &mut Vec<FieldError>) -> NaiveDate {
    let parsed = hte_shared::time::parse_date_param("as_of", raw);
    gather(errors, parsed)
        .flatten()
        .unwrap_or_else(hte_shared::time::today)
}

/// The `scope` query parameter: `pool` (培育库, true) or `all` (false), `default` when absent;
/// another value adds its field error to `errors`.
fn pool_scope(raw: Option<&str>, default: bool, errors: &mut Vec<FieldError>) -> bool {
    match raw {
        None => default,
        Some("pool") => true,
        Some("all") => false,
        Some(other) => {
            errors.push(FieldError::new(
                "scope",
                "enum",
                hte_shared::text!(
                    "scope must be pool or all; got {other:?}",
                    "scope 须为 pool（培育库）或 all（全部），收到的是 {other:?}"
                ),
            ));
            default
        }
    }
}

/// The end of a fact as a body gives it: a past date in `field` and a reason of 2–500
/// characters.
fn parse_ending(
    (field, on): (&str, NaiveDate),
    raw_reason: &str,
    today: NaiveDate,
) -> Result<Ending, Problem> {
    let mut errors = Vec::new();
    check_past_date(field, on, today, &mut errors);
    match parse_reason(raw_reason) {
        Ok(reason) if errors.is_empty() => Ok(Ending { on, reason }),
        Ok(_) => Err(Problem::validation(errors)),
        Err(e) => {
            errors.push(FieldError::new("reason", "length", e));
            Err(Problem::validation(errors))
        }
    }
}

/// The subtree a list covers: the requested region (a city covers its counties) within the
/// caller's own; a region outside it is a 403, a malformed one a field error.
pub(super) fn region_filter(
    caller: &Caller,
    raw: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Result<ListFilter, Problem> {
    let scope = caller.read_scope().copied();
    let region = match raw {
        None => scope,
        Some(raw) => match RegionCode::parse(raw) {
            Ok(code) if hte_shared::regions::find(&code).is_some() => {
                if scope.is_some_and(|s| !code.is_within(&s)) {
                    return Err(Problem::forbidden(hte_shared::text!(
                        "region {code} is outside your region {}",
                        "地区 {code} 不在您的辖区 {} 之内",
                        caller.region
                    )));
                }
                Some(code)
            }
            Ok(code) => {
                errors.push(FieldError::new(
                    "region",
                    "jiangsu_division",
                    hte_shared::text!(
                        "{code} is not a Jiangsu division code",
                        "{code} 不是江苏省行政区划代码"
                    ),
                ));
                None
            }
            Err(e) => {
                errors.push(FieldError::new("region", "format", e.text()));
                None
            }
        },
    };
    let mut filter = ListFilter::default();
    match region.and_then(|code| hte_shared::regions::find(&code)) {
        Some(r) if r.level == RegionLevel::City => filter.city = Some(r.code),
        Some(r) if r.level == RegionLevel::County => filter.county = Some(r.code),
        _ => {}
    }
    Ok(filter)
}
