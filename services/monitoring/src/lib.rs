//! The monitoring service.

pub mod bulletin;
pub mod config;
pub mod db;
pub mod domain;
pub mod render;
pub mod routes;
pub mod startup;
