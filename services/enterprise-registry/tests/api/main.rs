//! The registry over real HTTP, each test on its own database (SQLite by default, PostgreSQL
//! with TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod annual_reports;
mod assessment;
mod audit;
mod authorization;
mod body_limits;
mod carrier_ranking;
mod carriers;
mod chinese_problems;
mod compliance;
mod contract_statuses;
mod declarations;
mod dictionaries;
mod enterprises;
mod faults;
mod helpers;
mod import_limits;
mod imports;
mod keyed_read;
mod officials_sheets;
mod output_safety;
mod paged_lists;
mod programme;
mod readiness;
mod regions;
mod statistics;
mod workbook_formats;
mod zones;
