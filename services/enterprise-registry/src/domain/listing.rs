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

impl ListCursor {
    /// The position after the firm `credit_code` in credit-code order.
    pub fn at_credit_code(credit_code: String) -> Self {
        Self {
            sort: "credit_code".into(),
            value: credit_code.clone(),
            credit_code,
        }
    }
}

/// One page of the list: the firms `filter` covers in `sort` order after `after`, `limit` at
/// most.
#[derive(Debug, Clone, Copy)]
pub struct ListPage<'a> {
    pub filter: &'a ListFilter,
    pub sort: SortKey,
    pub after: Option<&'a ListCursor>,
    pub limit: i64,
}

impl<'a> ListPage<'a> {
    /// `limit` firms of `filter` in credit-code order, after `after`.
    pub fn by_credit_code(
        filter: &'a ListFilter,
        after: Option<&'a ListCursor>,
        limit: i64,
    ) -> Self {
        Self {
            filter,
            sort: SortKey::CreditCode,
            after,
            limit,
        }
    }
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
