//! The cross-service tests, one module a subject; `webdriver` and `monitoring_setup` are
//! helpers others use.

mod allocation_assessments;
mod allocation_progress;
mod compose_config;
mod dashboard_browser;
mod kubernetes_config;
mod monitoring_bulletin_assessments;
mod monitoring_figures;
mod monitoring_resilience;
mod monitoring_schedule;
mod monitoring_setup;
mod numeric_edges;
mod openapi_documents;
mod response_schemas;
mod suite_starts;
mod webdriver;
