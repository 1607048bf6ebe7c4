//! The operations and views of target allocation: what `routes` (and anything else that reads
//! or changes plans) calls. Nothing here knows HTTP: routes parse requests into these calls
//! and turn their results into answers.
//!
//! Operations run their own transactions (`&Db`), except creating ones: routes run those
//! (`create` functions taking a connection) through `create_once`, since the
//! `Idempotency-Key` that may replay them is HTTP's.

pub mod allocations;
pub mod assessments;
pub mod decisions;
pub mod exports;
pub mod figures;
pub mod plan_lifecycle;
pub mod plans;
pub mod progress;
pub mod rights;
pub mod scoring;
pub mod splits;
pub mod targets;

use hte_shared::audit::{self, Actor, Change};
use hte_shared::db::DbConnection;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::stored;
use serde::Serialize;

use crate::error::AllocationError;

/// `Ok(value)` when no field was refused, else a 400 naming each.
fn validated<T>(errors: Vec<FieldError>, value: T) -> Result<T, Problem> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Problem::validation(errors))
    }
}

/// The position a cursor of a plan's list names. Cursors carry their plan: one issued for
/// another plan's list is refused, never read as a position in this one.
fn position_in_plan<K>(plan_id: &str, after: Option<(String, K)>) -> Result<Option<K>, Problem> {
    match after {
        Some((cursor_plan, key)) if cursor_plan == plan_id => Ok(Some(key)),
        Some(_) => Err(Problem::invalid_field(
            "cursor",
            "not_issued",
            hte_shared::i18n::Text::fixed(
                "the cursor belongs to another plan's list; start again without it",
                "该游标属于另一规划的列表，请去掉游标从头查询",
            ),
        )),
        None => Ok(None),
    }
}

/// A view of a record the audit log files under its plan.
trait Audited: Serialize {
    const ENTITY_TYPE: &'static str;
    fn plan_id(&self) -> &str;
}

/// Appends the audit entry of a change (`action`, with its reason) to a plan's record: its
/// view before (absent on creation) and after.
fn record_change<T: Audited>(
    conn: &mut DbConnection,
    actor: &Actor,
    (action, reason): (&str, Option<&str>),
    before: Option<&T>,
    after: &T,
) -> Result<(), AllocationError> {
    audit::append(
        conn,
        actor,
        Change {
            entity_type: T::ENTITY_TYPE,
            entity_key: after.plan_id(),
            action,
            reason,
            before: before.map(stored::to_value).transpose()?,
            after: Some(stored::to_value(after)?),
        },
    )?;
    Ok(())
}
