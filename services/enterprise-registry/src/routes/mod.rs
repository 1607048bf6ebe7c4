//! HTTP only: parse requests into domain values, call the domain and the database, shape
//! responses.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod annual_reports;
pub mod assessment;
pub mod audit;
pub mod candidates;
pub mod compliance;
pub mod enterprises;
pub mod imports;
pub mod programme;
pub mod regions;
pub mod statistics;

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
        .service(programme::create_pool_entry)
        .service(programme::list_pool_entries)
        .service(programme::exit_pool_entry)
        .service(programme::create_certificate)
        .service(programme::list_certificates)
        .service(programme::revoke_certificate)
        .service(programme::create_label)
        .service(programme::list_labels)
        .service(programme::revoke_label)
        .service(audit::verify_audit_chain)
        .service(compliance::list_compliance_alerts)
        .service(statistics::get_statistics)
        .service(assessment::list_rule_sets)
        .service(assessment::get_rule_set)
        .service(assessment::put_rule_set)
        .service(assessment::activate_rule_set)
        .service(assessment::get_assessment)
        .service(candidates::list_candidates)
        .service(imports::create_import)
        .service(imports::get_import)
        .service(imports::export_enterprises);
}
