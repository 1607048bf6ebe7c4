//! Which enterprises a list, an export or a screening covers, in which order, from where.

use chrono::NaiveDate;
use hte_shared::regions::RegionCode;

use super::status::EnterpriseStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    CreditCode,
    Name,
    UpdatedAt,
}

/// Position after which the next page starts: the last row's sort value and credit code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListCursor {
    pub sort: String,
    pub value: String,
    pub credit_code: String,
}

/// Filters of the enterprise list, already validated.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this subtree (province: no constraint).
    pub city: Option<RegionCode>,
    pub county: Option<RegionCode>,
    pub status: Option<(EnterpriseStatus, NaiveDate)>,
    pub tech_domain: Option<String>,
    /// Holds an unrevoked label of this kind on the date (tech-SME: of that year).
    pub label: Option<(String, NaiveDate)>,
    pub zone_level: Option<String>,
    pub above_scale: Option<bool>,
    pub name_contains: Option<String>,
}

pub const CURSOR_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";
