//! An enterprise's own fields, each parsed from raw input into a value that is already valid.

use chrono::NaiveDate;
use hte_shared::problem::FieldError;
use hte_shared::regions::{self, RegionCode, RegionLevel};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Enterprise name (企业名称): 2–120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseName(String);

impl EnterpriseName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        let chars = name.chars().count();
        if !(2..=120).contains(&chars) {
            return Err(format!("name must have 2 to 120 characters; got {chars}"));
        }
        if name.chars().any(char::is_control) {
            return Err("name must not contain control characters".to_owned());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A county-level Jiangsu division (县级行政区), where an enterprise is located.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountyCode(RegionCode);

impl CountyCode {
    pub fn parse(raw: &str) -> Result<Self, (&'static str, String)> {
        let code = RegionCode::parse(raw).map_err(|e| ("format", e.to_string()))?;
        match regions::find(&code) {
            None => Err((
                "jiangsu_division",
                format!("{code} is not a Jiangsu division code"),
            )),
            Some(region) if region.level != RegionLevel::County => Err((
                "county_level",
                format!(
                    "{code} ({}) is not county-level; give the district, county-level city or county",
                    region.name
                ),
            )),
            Some(_) => Ok(Self(code)),
        }
    }

    pub fn code(&self) -> RegionCode {
        self.0
    }

    /// The prefecture-level city the county belongs to.
    pub fn city(&self) -> RegionCode {
        regions::city_of(&self.0).map_or(self.0, |city| city.code)
    }
}

/// GB/T 4754-2017 industry code (国民经济行业分类): a section letter A–T, optionally followed by
/// a 2-, 3- or 4-digit division/group/class code, or the digits alone (e.g. `C3911`, `3911`, `I65`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryCode(String);

impl IndustryCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        let (letter, digits) = match code.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => (Some(c), &code[1..]),
            _ => (None, code.as_str()),
        };
        let letter_ok = letter.is_none_or(|c| ('A'..='T').contains(&c));
        let digits_ok = digits.bytes().all(|b| b.is_ascii_digit())
            && (if letter.is_some() {
                digits.is_empty() || (2..=4).contains(&digits.len())
            } else {
                (2..=4).contains(&digits.len())
            });
        if letter_ok && digits_ok {
            Ok(Self(code))
        } else {
            Err(format!(
                "{raw:?} is not a GB/T 4754 industry code (a section letter A–T and/or 2–4 digits, e.g. C3911)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// High-tech zone level (高新区级别) of the enterprise's location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneLevel {
    /// Not in a high-tech zone
    #[default]
    None,
    /// 省级高新区
    Provincial,
    /// 国家级高新区
    National,
}

impl ZoneLevel {
    pub fn key(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Provincial => "provincial",
            Self::National => "national",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::None, Self::Provincial, Self::National]
            .into_iter()
            .find(|z| z.key() == key)
    }
}

/// Listing status (上市状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// 未上市
    #[default]
    Unlisted,
    /// 辅导备案/拟上市 (in listing preparation)
    Preparing,
    /// 已上市
    Listed,
}

impl ListingStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Unlisted => "unlisted",
            Self::Preparing => "preparing",
            Self::Listed => "listed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Unlisted, Self::Preparing, Self::Listed]
            .into_iter()
            .find(|z| z.key() == key)
    }
}

/// A short identifier (zone, carrier): 1–64 visible characters.
pub fn parse_identifier(raw: &str) -> Result<String, String> {
    let id = raw.trim();
    let chars = id.chars().count();
    if (1..=64).contains(&chars) && !id.chars().any(char::is_control) {
        Ok(id.to_owned())
    } else {
        Err("must have 1 to 64 characters without control characters".to_owned())
    }
}

/// Earliest date accepted anywhere (registrations, reports): before it, data is a typo.
pub fn earliest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1949, 10, 1).unwrap_or(NaiveDate::MIN)
}

/// Checks a date is neither implausibly early nor after `today`.
pub fn check_past_date(
    field: &str,
    date: NaiveDate,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) {
    if date > today {
        errors.push(FieldError::new(
            field,
            "not_in_future",
            format!("{field} {date} is in the future (today is {today})"),
        ));
    } else if date < earliest_date() {
        errors.push(FieldError::new(
            field,
            "range",
            format!("{field} {date} is before 1949-10-01"),
        ));
    }
}

/// A reason (理由) for an explicit action such as revocation: 2–500 characters.
pub fn parse_reason(raw: &str) -> Result<String, String> {
    let reason = raw.trim();
    let chars = reason.chars().count();
    if (2..=500).contains(&chars) {
        Ok(reason.to_owned())
    } else {
        Err(format!(
            "a reason of 2 to 500 characters is required; got {chars}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_counties_and_industries() {
        assert!(EnterpriseName::parse(" 苏州某某科技有限公司 ").is_ok());
        assert!(EnterpriseName::parse("x").is_err());
        assert!(EnterpriseName::parse(&"字".repeat(121)).is_err());
        assert!(EnterpriseName::parse("a\u{0}b").is_err());

        let kunshan = CountyCode::parse("320583").unwrap();
        assert_eq!(kunshan.city().to_string(), "320500");
        assert_eq!(CountyCode::parse("320500").unwrap_err().0, "county_level");
        assert_eq!(
            CountyCode::parse("110101").unwrap_err().0,
            "jiangsu_division"
        );
        assert_eq!(CountyCode::parse("3205").unwrap_err().0, "format");

        for ok in ["C3911", "3911", "c39", "I", "65", "I651"] {
            assert!(IndustryCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["Z3911", "C39111", "3", "C3X", ""] {
            assert!(IndustryCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(IndustryCode::parse("c3911").unwrap().as_str(), "C3911");
    }
}
