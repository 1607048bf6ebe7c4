//! Tables, rows and queries. Queries take `&mut DbConnection` and run inside the caller's
//! transaction; HTTP concerns stay in `routes`, operations in `app`.

pub mod allocations;
pub mod assessments;
pub mod cache;
pub mod plans;
pub mod schema;
pub mod scoring;
pub mod targets;
