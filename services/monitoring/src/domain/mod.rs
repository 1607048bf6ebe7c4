//! Monitoring's types and rules, without I/O: periods, exact ratios, statistics inputs,
//! indicator definitions and their evaluation, progress against targets (时序进度), ranking
//! and change, forecasts, alert rules, snapshot status, and webhooks (signatures, retries,
//! target checks).

pub mod alert;
pub mod event;
pub mod forecast;
pub mod indicator;
pub mod inputs;
pub mod limits;
pub mod period;
pub mod progress;
pub mod ranking;
pub mod ratio;
pub mod snapshot;
mod vocabulary;
pub mod webhook;
