//! Innovation carriers (创新创业载体): incubators, maker spaces and parks that incubate firms,
//! each in a county, optionally inside a high-tech zone, run by an operator with a credit code.

use chrono::{Datelike, NaiveDate};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credit_code::CreditCode;
use super::dates::LAST_YEAR;
use super::enterprise::{CountyCode, EnterpriseName};
use super::zones::ZoneId;

/// Kind of carrier (载体类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CarrierKind {
    /// 孵化器
    Incubator,
    /// 众创空间
    MakerSpace,
    /// 星创天地
    StarMakerSpace,
    /// 大学科技园
    UniversitySciencePark,
    /// 创业园
    EntrepreneurshipPark,
}

hte_shared::keyed_variants!(CarrierKind {
    Incubator = "incubator" => "孵化器",
    MakerSpace = "maker_space" => "众创空间",
    StarMakerSpace = "star_maker_space" => "星创天地",
    UniversitySciencePark = "university_science_park" => "大学科技园",
    EntrepreneurshipPark = "entrepreneurship_park" => "创业园",
});

/// Level at which a carrier is recognised (认定级别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CarrierLevel {
    /// 国家级
    National,
    /// 省级
    Provincial,
    /// 市级
    Municipal,
}

hte_shared::keyed_variants!(CarrierLevel {
    National = "national" => "国家级",
    Provincial = "provincial" => "省级",
    Municipal = "municipal" => "市级",
});

/// A carrier id (载体编号): 2–40 lowercase ASCII letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CarrierId(String);

impl CarrierId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        super::parse_record_id(raw, || {
            text!(
            "a carrier id has 2 to 40 lowercase letters, digits and hyphens, e.g. kunshan-sci-incubator",
            "载体编号须为 2 至 40 个小写字母、数字或连字符，例如 kunshan-sci-incubator"
        )
        })
        .map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Earliest recognition year accepted: China's first incubator opened in 1987.
pub const FIRST_RECOGNITION_YEAR: i32 = 1987;

pub fn check_recognition_year(year: i32, today: NaiveDate) -> Result<(), FieldError> {
    let last = today.year();
    if !(FIRST_RECOGNITION_YEAR..=LAST_YEAR).contains(&year) {
        Err(FieldError::new(
            "recognition_year",
            "range",
            text!(
                "recognition_year must be between 1987 and {last}; got {year}",
                "认定年份须在 1987 至 {last} 之间；收到 {year}"
            ),
        ))
    } else if year > last {
        Err(FieldError::new(
            "recognition_year",
            "not_in_future",
            text!(
                "recognition_year {year} is in the future (this year is {last})",
                "认定年份 {year} 晚于今年（{last}）"
            ),
        ))
    } else {
        Ok(())
    }
}

/// A carrier's fields, each already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierFields {
    pub name: EnterpriseName,
    pub kind: CarrierKind,
    pub level: CarrierLevel,
    pub county: CountyCode,
    pub zone_id: Option<ZoneId>,
    pub operator: CreditCode,
    pub recognition_year: i32,
}

/// Body of `POST /carriers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCarrier {
    /// Carrier id (载体编号), chosen by the recording office; 2–40 lowercase letters, digits, hyphens.
    #[schema(
        example = "kunshan-sci-incubator",
        pattern = "^[a-z0-9][a-z0-9-]{1,39}$"
    )]
    pub id: String,
    /// Name (载体名称), 2–120 characters.
    #[schema(
        example = "昆山市科技创业孵化器",
        min_length = 2,
        max_length = 120,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// Kind (载体类型).
    pub kind: CarrierKind,
    /// Recognition level (认定级别).
    pub level: CarrierLevel,
    /// County-level division (所在县区) where it is.
    #[schema(example = "320583", schema_with = super::region_schemas::county_code)]
    pub region_code: String,
    /// High-tech zone (所在高新区) it lies in, a zone of its city.
    #[schema(example = "kunshan-hz", pattern = "^[a-z0-9][a-z0-9-]{1,39}$")]
    pub zone_id: Option<String>,
    /// Operator's unified social credit code (运营主体统一社会信用代码).
    #[schema(
        example = "91320583MA1N2P3Q0J",
        pattern = "^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$",
        min_length = 18,
        max_length = 18
    )]
    pub operator_credit_code: String,
    /// Year of recognition (认定年份), 1987 to this year.
    #[schema(example = 2019, minimum = 1987, maximum = 2100)]
    pub recognition_year: i32,
}

/// Body of `PATCH /carriers/{id}`: only the fields to change; `null` clears the zone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarrierPatch {
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(
        nullable = false,
        min_length = 2,
        max_length = 120,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub kind: Option<CarrierKind>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub level: Option<CarrierLevel>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false, schema_with = super::region_schemas::county_code)]
    pub region_code: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9][a-z0-9-]{1,39}$")]
    pub zone_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(
        nullable = false,
        pattern = "^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$",
        min_length = 18,
        max_length = 18
    )]
    pub operator_credit_code: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false, minimum = 1987, maximum = 2100)]
    pub recognition_year: Option<i32>,
}

fn name_of(raw: &str, errors: &mut Vec<FieldError>) -> Option<EnterpriseName> {
    EnterpriseName::parse(raw)
        .map_err(|e| errors.push(FieldError::new("name", "length", e)))
        .ok()
}

fn county_of(raw: &str, errors: &mut Vec<FieldError>) -> Option<CountyCode> {
    CountyCode::parse(raw)
        .map_err(|(rule, e)| errors.push(FieldError::new("region_code", rule, e)))
        .ok()
}

fn zone_of(raw: &str, errors: &mut Vec<FieldError>) -> Option<ZoneId> {
    ZoneId::parse(raw)
        .map_err(|e| {
            errors.push(FieldError {
                field: "zone_id".into(),
                ..e
            })
        })
        .ok()
}

fn operator_of(raw: &str, errors: &mut Vec<FieldError>) -> Option<CreditCode> {
    CreditCode::parse(raw)
        .map_err(|e| errors.push(FieldError::new("operator_credit_code", e.rule(), e.text())))
        .ok()
}

fn year_of(year: i32, today: NaiveDate, errors: &mut Vec<FieldError>) -> Option<i32> {
    check_recognition_year(year, today)
        .map_err(|e| errors.push(e))
        .ok()
        .map(|()| year)
}

impl NewCarrier {
    pub fn parse(&self, today: NaiveDate) -> Result<(CarrierId, CarrierFields), Problem> {
        let mut errors = Vec::new();
        let id = CarrierId::parse(&self.id).map_err(|e| errors.push(e)).ok();
        let name = name_of(&self.name, &mut errors);
        let county = county_of(&self.region_code, &mut errors);
        let zone_id = self.zone_id.as_deref().map(|z| zone_of(z, &mut errors));
        let operator = operator_of(&self.operator_credit_code, &mut errors);
        let year = year_of(self.recognition_year, today, &mut errors);
        match (id, name, county, operator, year) {
            (Some(id), Some(name), Some(county), Some(operator), Some(recognition_year))
                if errors.is_empty() =>
            {
                Ok((
                    id,
                    CarrierFields {
                        name,
                        kind: self.kind,
                        level: self.level,
                        county,
                        zone_id: zone_id.flatten(),
                        operator,
                        recognition_year,
                    },
                ))
            }
            _ => Err(Problem::validation(errors)),
        }
    }
}

impl CarrierPatch {
    pub fn apply(
        &self,
        current: &CarrierFields,
        today: NaiveDate,
    ) -> Result<CarrierFields, Problem> {
        let mut errors = Vec::new();
        let mut next = current.clone();
        if let Some(name) = self.name.as_deref().and_then(|r| name_of(r, &mut errors)) {
            next.name = name;
        }
        next.kind = self.kind.unwrap_or(current.kind);
        next.level = self.level.unwrap_or(current.level);
        if let Some(county) = self
            .region_code
            .as_deref()
            .and_then(|r| county_of(r, &mut errors))
        {
            next.county = county;
        }
        if let Some(zone) = &self.zone_id {
            next.zone_id = zone.as_deref().and_then(|z| zone_of(z, &mut errors));
        }
        if let Some(op) = self
            .operator_credit_code
            .as_deref()
            .and_then(|r| operator_of(r, &mut errors))
        {
            next.operator = op;
        }
        if let Some(year) = self
            .recognition_year
            .and_then(|y| year_of(y, today, &mut errors))
        {
            next.recognition_year = year;
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(Problem::validation(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_levels_and_years() {
        for &kind in CarrierKind::ALL {
            assert_eq!(CarrierKind::from_key(kind.key()), Some(kind));
            assert!(!kind.name_zh().is_empty());
        }
        assert_eq!(
            CarrierLevel::from_key("municipal"),
            Some(CarrierLevel::Municipal)
        );
        assert_eq!(CarrierLevel::from_key("county"), None);
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert!(check_recognition_year(1987, today).is_ok());
        assert!(check_recognition_year(2026, today).is_ok());
        assert!(check_recognition_year(1986, today).is_err());
        assert!(check_recognition_year(2027, today).is_err());
    }
}
