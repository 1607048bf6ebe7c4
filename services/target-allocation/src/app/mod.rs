//! The operations and views of target allocation: what `routes` (and anything else that reads
//! or changes plans) calls. Nothing here knows HTTP: routes parse requests into these calls
//! and turn their results into answers.
//!
//! Operations run their own transactions (`&Db`), except creating ones: routes run those
//! (`create` functions taking a connection) through `create_once`, since the
//! `Idempotency-Key` that may replay them is HTTP's.

pub mod allocations;
pub mod assessments;
pub mod figures;
pub mod plans;
pub mod progress;
pub mod rights;
pub mod targets;

use hte_shared::problem::{FieldError, Problem};

/// `Ok(value)` when no field was refused, else a 400 naming each.
fn validated<T>(errors: Vec<FieldError>, value: T) -> Result<T, Problem> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Problem::validation(errors))
    }
}
