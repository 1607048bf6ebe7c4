//! High-tech zones (高新区): reference data an enterprise's zone must name. A zone is not a
//! division: it lies in one prefecture-level city and covers county-level divisions there.

use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::enterprise::ZoneLevel;

/// The level of a recognised high-tech zone (a zone is never of level `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneRank {
    /// 省级高新区
    Provincial,
    /// 国家级高新区
    National,
}

impl ZoneRank {
    pub fn key(self) -> &'static str {
        self.level().key()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "provincial" => Some(Self::Provincial),
            "national" => Some(Self::National),
            _ => None,
        }
    }

    /// The enterprise's zone level when it lies in a zone of this rank.
    pub fn level(self) -> ZoneLevel {
        match self {
            Self::Provincial => ZoneLevel::Provincial,
            Self::National => ZoneLevel::National,
        }
    }
}

/// A zone id (高新区编号): 2–40 lowercase ASCII letters, digits and hyphens, e.g. `kunshan-hz`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ZoneId(String);

pub const ZONE_ID_PATTERN: &str = "^[a-z0-9][a-z0-9-]{1,39}$";

impl ZoneId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        super::parse_record_id(raw, || {
            text!(
                "a zone id has 2 to 40 lowercase letters, digits and hyphens, e.g. kunshan-hz",
                "高新区编号须为 2 至 40 个小写字母、数字或连字符，例如 kunshan-hz"
            )
        })
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A zone name (full or short): 2–60 characters, no control characters.
fn parse_zone_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if (2..=60).contains(&chars) && raw.chars().count() <= 60 && !name.chars().any(char::is_control)
    {
        Ok(name.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "length",
            text!(
                "{field} must have 2 to 60 characters without control characters",
                "{field} 须为 2 至 60 个字符，且不含控制字符"
            ),
        ))
    }
}

/// The county-level divisions a zone covers: at least one, all in one city, no repeats.
pub fn parse_counties(raw: &[String]) -> Result<(RegionCode, Vec<RegionCode>), FieldError> {
    let error = |rule: &str, text| FieldError::new("county_codes", rule, text);
    if raw.is_empty() || raw.len() > 20 {
        return Err(error(
            "count",
            text!(
                "a zone covers 1 to 20 county-level divisions",
                "高新区须覆盖 1 至 20 个县级行政区"
            ),
        ));
    }
    let mut counties = Vec::with_capacity(raw.len());
    for code in raw {
        let county = RegionCode::parse(code)
            .ok()
            .and_then(|c| regions::find(&c))
            .filter(|r| r.level == RegionLevel::County)
            .ok_or_else(|| {
                let shown = hte_shared::i18n::quote(code);
                error(
                    "county_level",
                    text!(
                        "{shown} is not a Jiangsu county-level division code",
                        "{shown} 不是江苏省县级行政区划代码"
                    ),
                )
            })?;
        if counties.contains(&county.code) {
            return Err(error(
                "unique",
                text!("county {code} is listed twice", "县区 {code} 重复"),
            ));
        }
        counties.push(county.code);
    }
    let city = regions::city_of(&counties[0]).map_or(counties[0], |c| c.code);
    if counties
        .iter()
        .any(|c| regions::city_of(c).map_or(*c, |r| r.code) != city)
    {
        return Err(error(
            "one_city",
            text!(
                "all counties of a zone lie in one city ({city})",
                "高新区覆盖的县区须属同一设区市（{city}）"
            ),
        ));
    }
    Ok((city, counties))
}

/// A zone's fields, each already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneFields {
    pub name: String,
    pub short_name: String,
    pub rank: ZoneRank,
    pub city: RegionCode,
    pub counties: Vec<RegionCode>,
}

/// Body of `POST /zones`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewZone {
    /// Zone id (高新区编号), chosen by the province; 2–40 lowercase letters, digits, hyphens.
    #[schema(example = "zhangjiagang-hz", pattern = "^[a-z0-9][a-z0-9-]{1,39}$")]
    pub id: String,
    /// Full name (全称), 2–60 characters, unique.
    #[schema(
        example = "张家港高新技术产业开发区",
        min_length = 2,
        max_length = 60,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// Short name (简称), 2–60 characters, unique.
    #[schema(
        example = "张家港高新区",
        min_length = 2,
        max_length = 60,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub short_name: String,
    /// Level (级别).
    pub level: ZoneRank,
    /// County-level divisions covered (覆盖县区), 1–20, all in one city; the first is the host.
    #[schema(example = json!(["320582"]), schema_with = super::region_schemas::county_codes)]
    pub county_codes: Vec<String>,
}

/// Body of `PATCH /zones/{id}`: only the fields to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZonePatch {
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(
        nullable = false,
        min_length = 2,
        max_length = 60,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(
        nullable = false,
        min_length = 2,
        max_length = 60,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub short_name: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub level: Option<ZoneRank>,
    /// Changing the city of a zone that enterprises name is refused.
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false, schema_with = super::region_schemas::county_codes)]
    pub county_codes: Option<Vec<String>>,
}

fn finish<T>(value: Option<T>, errors: Vec<FieldError>) -> Result<T, Problem> {
    match value {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(Problem::validation(errors)),
    }
}

impl NewZone {
    pub fn parse(&self) -> Result<(ZoneId, ZoneFields), Problem> {
        let mut errors = Vec::new();
        let id = ZoneId::parse(&self.id).map_err(|e| errors.push(e)).ok();
        let name = parse_zone_name("name", &self.name)
            .map_err(|e| errors.push(e))
            .ok();
        let short_name = parse_zone_name("short_name", &self.short_name)
            .map_err(|e| errors.push(e))
            .ok();
        let counties = parse_counties(&self.county_codes)
            .map_err(|e| errors.push(e))
            .ok();
        let fields = match (id, name, short_name, counties) {
            (Some(id), Some(name), Some(short_name), Some((city, counties))) => Some((
                id,
                ZoneFields {
                    name,
                    short_name,
                    rank: self.level,
                    city,
                    counties,
                },
            )),
            _ => None,
        };
        finish(fields, errors)
    }
}

impl ZonePatch {
    pub fn apply(&self, current: &ZoneFields) -> Result<ZoneFields, Problem> {
        let mut errors = Vec::new();
        let mut next = current.clone();
        if let Some(raw) = &self.name {
            match parse_zone_name("name", raw) {
                Ok(name) => next.name = name,
                Err(e) => errors.push(e),
            }
        }
        if let Some(raw) = &self.short_name {
            match parse_zone_name("short_name", raw) {
                Ok(name) => next.short_name = name,
                Err(e) => errors.push(e),
            }
        }
        if let Some(rank) = self.level {
            next.rank = rank;
        }
        if let Some(raw) = &self.county_codes {
            match parse_counties(raw) {
                Ok((city, counties)) => (next.city, next.counties) = (city, counties),
                Err(e) => errors.push(e),
            }
        }
        finish(Some(next), errors)
    }
}

/// Why an enterprise in `enterprise_city` may not name a zone in `zone_city`, if it may not.
pub fn check_zone_city(
    zone_id: &str,
    zone_city: RegionCode,
    enterprise_city: RegionCode,
) -> Result<(), FieldError> {
    if zone_city == enterprise_city {
        Ok(())
    } else {
        Err(FieldError::new(
            "zone_id",
            "zone_in_city",
            text!(
                "zone {zone_id} lies in city {zone_city}, not in the enterprise's city {enterprise_city}",
                "高新区 {zone_id} 位于 {zone_city}，不在企业所在的设区市 {enterprise_city}"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_counties_and_cities() {
        assert!(ZoneId::parse("kunshan-hz").is_ok());
        for bad in ["-a", "K", "昆山", "a_b", &"a".repeat(41)] {
            assert!(ZoneId::parse(bad).is_err(), "{bad}");
        }
        let (city, counties) = parse_counties(&["320583".into(), "320581".into()]).unwrap();
        assert_eq!((city.to_string(), counties.len()), ("320500".to_owned(), 2));
        let rule = |raw: &[&str]| {
            let raw: Vec<String> = raw.iter().map(|s| (*s).to_owned()).collect();
            parse_counties(&raw).unwrap_err().rule
        };
        assert_eq!(rule(&["320583", "320281"]), "one_city");
        assert_eq!(rule(&["320500"]), "county_level");
        assert_eq!(rule(&["320583", "320583"]), "unique");
        assert_eq!(rule(&[]), "count");
        let suzhou = RegionCode::parse("320500").unwrap();
        let wuxi = RegionCode::parse("320200").unwrap();
        assert!(check_zone_city("kunshan-hz", suzhou, suzhou).is_ok());
        assert_eq!(
            check_zone_city("kunshan-hz", suzhou, wuxi)
                .unwrap_err()
                .rule,
            "zone_in_city"
        );
    }
}
