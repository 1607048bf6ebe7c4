//! Typed clients of the other services this one calls.

pub mod registry;
