//! Tests that need more than one service: all three are started in-process on port 0, each
//! with its own fresh database, and talk over real HTTP.

pub mod harness;
#[cfg(test)]
mod webdriver;

#[cfg(test)]
mod allocation_assessments;
#[cfg(test)]
mod allocation_progress;
#[cfg(test)]
mod compose_config;
#[cfg(test)]
mod dashboard_browser;
#[cfg(test)]
mod kubernetes_config;
#[cfg(test)]
mod monitoring_bulletin_assessments;
#[cfg(test)]
mod monitoring_figures;
#[cfg(test)]
mod monitoring_resilience;
#[cfg(test)]
mod monitoring_schedule;
#[cfg(test)]
mod monitoring_setup;
#[cfg(test)]
mod numeric_edges;
#[cfg(test)]
mod openapi_documents;
#[cfg(test)]
mod response_schemas;
#[cfg(test)]
mod suite_starts;
