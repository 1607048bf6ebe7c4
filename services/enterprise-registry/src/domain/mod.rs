//! Domain types and rules: no I/O.

pub mod credit_code;
