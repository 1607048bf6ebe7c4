//! The target allocation service.

pub mod config;
pub mod routes;
pub mod startup;
