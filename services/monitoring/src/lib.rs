//! The monitoring service.

pub mod app;
pub mod bulletin;
pub mod clients;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod render;
pub mod routes;
pub mod startup;
