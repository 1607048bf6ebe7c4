//! Tools that use the services from outside: the demo seed `cargo run` loads, the synthetic
//! province the benchmark imports, and (as the `bench` binary) the registry benchmark.

pub mod demo;
pub mod report;
pub mod synthetic;
