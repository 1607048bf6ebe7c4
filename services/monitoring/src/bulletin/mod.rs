//! The periodic bulletin (定期通报) of a snapshot: headline indicators against targets with
//! 时序进度, the subdivisions' table (target, achieved, completion, rank, 环比, 同比), lagging
//! regions, alerts and published 考核 results; for the province with its 13 cities, or for a
//! city with its counties.
//!
//! [`build`] makes the [`Bulletin`] value from stored rows; `crate::render` turns it into
//! DOCX, XLSX, HTML or JSON. A route loads the rows and calls both:
//!
//! 1. `snapshots::latest(plan, period)`, `snapshots::indicators_of(id)` and
//!    `snapshots::values_of(id, None, Some(&regions_read(scope)))`;
//! 2. the same for `period.previous()` and `period.year_earlier()` (环比, 同比), if taken;
//! 3. the period's alerts in the scope (`alerts::list` with the subtree's regions);
//! 4. the plan's assessments from the allocation service (as [`Assessment`]);
//! 5. [`build`] with the caller's region as the scope, then `render::render(format, …)`.

mod build;
pub mod model;
mod prose;
pub mod text;

pub use build::{BulletinError, BulletinOptions, BulletinSource, Earlier, build, regions_read};
pub use model::*;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;
