//! The enterprise registry: the programme's source of truth for enterprises and the facts
//! every count is made from.

pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod importer;
pub mod routes;
pub mod startup;
pub mod synthetic;
