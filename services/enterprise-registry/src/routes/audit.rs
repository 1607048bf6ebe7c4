//! Checking the audit log's hash chain (审计核验).

use actix_web::{HttpResponse, get, web};
use hte_shared::audit::{self, ChainReport};
use hte_shared::auth::{Caller, Role};
use hte_shared::db::Db;
use hte_shared::problem::Problem;

use crate::error::RegistryError;

/// Re-computes every audit entry's hash and link. `valid: false` names the first entry that
/// was altered, removed or reordered. For auditors and the province.
#[utoipa::path(
    tag = "audit",
    responses((status = 200, description = "Result of the check", body = ChainReport))
)]
#[get("/audit/verification")]
pub async fn verify_audit_chain(
    db: web::Data<Db>,
    caller: Caller,
) -> Result<HttpResponse, RegistryError> {
    if !matches!(caller.role, Role::Auditor | Role::Province) {
        return Err(
            Problem::forbidden("only auditors and the province may verify the audit log").into(),
        );
    }
    let report = db
        .read(|conn| audit::verify_chain(conn).map_err(RegistryError::from))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
