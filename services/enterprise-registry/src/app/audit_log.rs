//! The audit log's hash chain (审计核验): who may check it, and the check.

use hte_shared::audit::{self, ChainReport};
use hte_shared::auth::{Caller, Role};
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;

use crate::error::RegistryError;

/// Auditors and the province may verify the chain.
pub fn require_verifier(caller: &Caller) -> Result<(), Problem> {
    if matches!(caller.role, Role::Auditor | Role::Province) {
        Ok(())
    } else {
        Err(Problem::forbidden(hte_shared::i18n::Text::fixed(
            "only auditors and the province may verify the audit log",
            "仅审计人员与省级用户可核验审计日志",
        )))
    }
}

/// Re-computes every entry's hash and link.
pub fn verify(conn: &mut DbConnection) -> Result<ChainReport, RegistryError> {
    Ok(audit::verify_chain(conn)?)
}
