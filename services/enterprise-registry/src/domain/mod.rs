//! Domain types and rules: no I/O.

pub mod annual_report;
pub mod assessment;
pub mod carrier_performance;
pub mod carriers;
pub mod certificates;
pub mod compliance;
pub mod credit_code;
pub mod dates;
pub mod declarations;
pub mod dictionaries;
pub mod enterprise;
pub mod import;
pub mod labels;
pub mod listing;
pub mod pool_entries;
pub mod rd_institution;
pub mod region_schemas;
pub mod status;
pub mod tech_domain;
pub mod zones;
