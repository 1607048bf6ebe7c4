//! HTTP only: extractors in, status codes, headers and problem+json out. What a request
//! asks is done by [`crate::app`].

use actix_web::http::StatusCode;
use hte_shared::idempotency::Created;
use hte_shared::stored;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::AllocationError;

pub mod allocations;
pub mod assessments;
pub mod params;
pub mod plans;
pub mod progress;
pub mod scoring;
pub mod splits;
pub mod targets;

/// Registers every `/api/v1` handler (the server and the OpenAPI document both use this).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(plans::list_plans)
        .service(plans::create_plan)
        .service(plans::get_plan)
        .service(plans::update_plan)
        .service(plans::delete_plan)
        .service(plans::publish_plan)
        .service(plans::close_plan)
        .service(plans::archive_plan)
        .service(plans::unarchive_plan)
        .service(targets::get_targets)
        .service(targets::list_tree_versions)
        .service(targets::put_target)
        .service(targets::post_adjustment)
        .service(allocations::propose_allocation)
        .service(allocations::list_allocations)
        .service(allocations::get_allocation)
        .service(allocations::accept_allocation)
        .service(allocations::withdraw_allocation)
        .service(allocations::reject_allocation)
        .service(splits::list_splits)
        .service(progress::get_progress)
        .service(scoring::list_scoring_schemes)
        .service(scoring::get_scoring_scheme)
        .service(scoring::create_scoring_scheme)
        .service(assessments::create_assessment)
        .service(assessments::list_assessments)
        .service(assessments::get_assessment)
        .service(assessments::publish_assessment)
        .service(hte_shared::audit::verify_audit_chain);
}

/// The answer `create_once` stores and sends for a new resource: 201, its JSON, its path.
fn created<T: Serialize>(view: &T, location: String) -> Result<Created, AllocationError> {
    Ok(Created {
        status: StatusCode::CREATED,
        body: stored::to_value(view)?,
        location: Some(location),
    })
}
