//! Tables, rows and queries. Queries take `&mut DbConnection` and run inside the caller's
//! transaction; HTTP concerns stay in `routes`.

pub mod annual_reports;
pub mod compliance;
pub mod enterprises;
pub mod imports;
pub mod programme;
pub mod rule_sets;
pub mod schema;
pub mod statistics;
