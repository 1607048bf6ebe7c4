//! Target allocation over real HTTP, each test on its own database (SQLite by default,
//! PostgreSQL with TEST_DATABASE_URL). Tests that need the registry's figures live in the
//! cross-service crate (`tests/src/cases/allocation_progress.rs`,
//! `tests/src/cases/allocation_assessments.rs`); here the registry is absent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod allocations;
mod body_limits;
mod chinese_problems;
mod contract;
mod exports;
mod helpers;
mod lifecycle;
mod paging;
mod plans;
mod progress;
mod scoring;
mod targets;
mod visibility;
