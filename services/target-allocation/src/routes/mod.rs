//! HTTP only: parse requests into domain values, call the domain and the database, shape
//! responses.

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/api/v1` handler (the server and the OpenAPI document both use this).
pub fn configure(_cfg: &mut ServiceConfig) {}
