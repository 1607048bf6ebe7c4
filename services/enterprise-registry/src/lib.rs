//! The enterprise registry: the programme's source of truth for enterprises and the facts
//! every count is made from.

pub mod config;
pub mod domain;
pub mod error;
pub mod routes;
pub mod startup;
