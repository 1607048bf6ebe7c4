//! The registry over real HTTP, each test on its own database (SQLite by default, PostgreSQL
//! with TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod annual_reports;
mod assessment;
mod audit;
mod authorization;
mod compliance;
mod enterprises;
mod faults;
mod helpers;
mod imports;
mod programme;
mod regions;
mod statistics;
