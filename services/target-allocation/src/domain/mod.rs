//! Pure rules: no HTTP, no database.

pub mod apportionment;
pub mod exact;
pub mod lifecycle;
pub mod plan;
pub mod progress;
pub mod scoring;
pub mod tree;
