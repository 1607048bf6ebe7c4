//! Pure rules: no HTTP, no database.

pub mod apportionment;
pub mod assessment;
pub mod plan;
pub mod progress;
pub mod tree;
