//! Domain types and rules: no I/O.

pub mod annual_report;
pub mod assessment;
pub mod compliance;
pub mod credit_code;
pub mod enterprise;
pub mod import;
pub mod programme;
pub mod rd_institution;
pub mod status;
pub mod tech_domain;
