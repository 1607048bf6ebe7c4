//! The enterprise registry: the programme's source of truth for enterprises and the facts
//! every count is made from. Layers, top to bottom: `routes` (HTTP only) → `app` (operations
//! and views) → `domain` (types and rules, no I/O) and `db` (tables, rows, queries).

pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod routes;
pub mod startup;
pub mod template;
