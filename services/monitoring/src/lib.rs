//! The monitoring service.

pub mod config;
pub mod routes;
pub mod startup;
