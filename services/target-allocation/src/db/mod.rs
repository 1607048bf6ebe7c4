//! Tables, rows and queries. Queries take `&mut DbConnection` and run inside the caller's
//! transaction; HTTP concerns stay in `routes`.

pub mod allocations;
pub mod assessments;
pub mod cache;
pub mod plans;
pub mod schema;
pub mod targets;
