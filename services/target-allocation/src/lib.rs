//! The target allocation service: plans (规划), indicators, the target tree per plan
//! (province → city → county), allocations (任务分解), progress and assessments (考核).

pub mod app;
pub mod clients;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod routes;
pub mod startup;
