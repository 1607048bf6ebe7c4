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

/// A record id the recording office chooses (高新区编号, 载体编号): 2–40 lowercase ASCII
/// letters, digits and hyphens, not starting with a hyphen. `refusal` says so in the
/// record's own words, with an example.
pub fn parse_record_id(
    raw: &str,
    refusal: impl FnOnce() -> hte_shared::i18n::Text,
) -> Result<String, hte_shared::problem::FieldError> {
    let id = raw.trim();
    let ok = (2..=40).contains(&id.len())
        && id
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_lowercase() || b.is_ascii_digit() || (b == b'-' && i > 0));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(hte_shared::problem::FieldError::new(
            "id",
            "format",
            refusal(),
        ))
    }
}
