//! The shared stack behind a real server: a probe resource that reads and writes by region,
//! started on port 0 with its own database (SQLite, or PostgreSQL with TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod edge;
mod helpers;
mod identity_platform;
mod languages;
mod migrations;
mod oidc;
mod operations;
mod problems;
mod writes_counted;
