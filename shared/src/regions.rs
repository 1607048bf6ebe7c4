//! Jiangsu's administrative divisions (GB/T 2260, NBS 2023 vintage): the province, its 13
//! prefecture-level cities and their county-level divisions, plus the NBS statistical codes
//! of functional zones (flagged: they are not GB/T 2260 divisions).

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::{Text, quote};

const DIVISIONS_CSV: &str = include_str!("../data/jiangsu-divisions.csv");

pub const PROVINCE_CODE: RegionCode = RegionCode(320000);

/// A syntactically valid 6-digit division code. Whether it names a Jiangsu region is a
/// separate question ([`find`]), so a malformed code (400) and an unknown one (404) differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u32);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCodeError(pub String);

impl RegionCodeError {
    /// The reason in both languages, quoting at most the start of what was sent.
    pub fn text(&self) -> Text {
        let got = quote(&self.0);
        crate::text!(
            "a region code is 6 digits (GB/T 2260), e.g. 320500; got {got}",
            "地区代码须为 6 位数字（GB/T 2260），例如 320500；收到的是 {got}"
        )
    }
}

impl fmt::Display for RegionCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().en())
    }
}

impl std::error::Error for RegionCodeError {}

impl From<RegionCodeError> for Text {
    fn from(error: RegionCodeError) -> Self {
        error.text()
    }
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let trimmed = input.trim();
        if trimmed.len() != 6 || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError(input.to_owned()));
        }
        trimmed
            .parse()
            .map(Self)
            .map_err(|_| RegionCodeError(input.to_owned()))
    }

    /// True when `self` is `ancestor` or lies below it in the division tree.
    pub fn is_within(&self, ancestor: &RegionCode) -> bool {
        let mut current = Some(*self);
        while let Some(code) = current {
            if code == *ancestor {
                return true;
            }
            current = find(&code).and_then(|r| r.parent);
        }
        false
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl std::str::FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(|e| crate::rejection::custom(e.text()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省
    Province,
    /// 设区市 (prefecture-level city)
    City,
    /// 县级 (district, county-level city, county, or NBS functional zone)
    County,
}

impl std::str::FromStr for RegionLevel {
    type Err = Text;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "province" => Ok(Self::Province),
            "city" => Ok(Self::City),
            "county" => Ok(Self::County),
            other => {
                let shown = quote(other);
                Err(crate::text!(
                    "unknown level {shown}: use province, city or county",
                    "未知的级别 {shown}：请使用 province（省）、city（市）或 county（县）"
                ))
            }
        }
    }
}

impl RegionLevel {
    /// The `level` query parameter of figures broken down by region: `city` or `county`,
    /// anything else a field error naming `level`.
    pub fn parse_breakdown(raw: &str) -> Result<Self, crate::problem::FieldError> {
        match raw {
            "city" => Ok(Self::City),
            "county" => Ok(Self::County),
            other => Err(crate::problem::FieldError::new(
                "level",
                "enum",
                crate::text!(
                    "level must be city or county; got {other:?}",
                    "level 须为 city（市）或 county（县），收到的是 {other:?}"
                ),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// 省
    Province,
    /// 地级市
    PrefectureLevelCity,
    /// 市辖区
    District,
    /// 县级市
    CountyLevelCity,
    /// 县
    County,
    /// 功能区 (NBS statistical code, not a GB/T 2260 division)
    FunctionalZone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
    pub kind: RegionKind,
    pub in_gbt2260: bool,
}

impl Region {
    /// Enterprises are registered to county-level divisions.
    pub fn is_county_level(&self) -> bool {
        self.level == RegionLevel::County
    }
}

static REGIONS: LazyLock<Vec<Region>> = LazyLock::new(|| {
    parse_table(DIVISIONS_CSV).unwrap_or_else(|e| panic!("embedded division table: {e}"))
});

fn parse_table(csv: &str) -> Result<Vec<Region>, String> {
    let mut regions = Vec::new();
    for (index, line) in csv.lines().enumerate().skip(1) {
        let line_no = index + 1;
        let cols: Vec<&str> = line.split(',').collect();
        let [code, name, level, parent, kind, in_gbt2260] = cols[..] else {
            return Err(format!("line {line_no}: expected 6 columns"));
        };
        let kind = match kind {
            "province" => RegionKind::Province,
            "prefecture_level_city" => RegionKind::PrefectureLevelCity,
            "district" => RegionKind::District,
            "county_level_city" => RegionKind::CountyLevelCity,
            "county" => RegionKind::County,
            "functional_zone" => RegionKind::FunctionalZone,
            other => return Err(format!("line {line_no}: unknown type {other}")),
        };
        regions.push(Region {
            code: RegionCode::parse(code).map_err(|e| format!("line {line_no}: {e}"))?,
            name: name.to_owned(),
            level: level.parse().map_err(|e| format!("line {line_no}: {e}"))?,
            parent: match parent {
                "" => None,
                p => Some(RegionCode::parse(p).map_err(|e| format!("line {line_no}: {e}"))?),
            },
            kind,
            in_gbt2260: in_gbt2260 == "yes",
        });
    }
    regions.sort_by_key(|r| r.code);
    Ok(regions)
}

/// Most divisions the table holds (118 today): lists of regions are bounded by it, and the
/// documents say so (`max_items = 200`).
pub const MAX_REGIONS: usize = 200;

/// Every region, ordered by code.
pub fn all() -> &'static [Region] {
    &REGIONS
}

pub fn find(code: &RegionCode) -> Option<&'static Region> {
    let regions = all();
    regions
        .binary_search_by_key(code, |r| r.code)
        .ok()
        .map(|i| &regions[i])
}

pub fn children(code: &RegionCode) -> impl Iterator<Item = &'static Region> + '_ {
    all()
        .iter()
        .filter(move |r| r.parent.as_ref() == Some(code))
}

/// `code` and everything below it.
pub fn subtree(code: &RegionCode) -> impl Iterator<Item = &'static Region> + '_ {
    all().iter().filter(move |r| r.code.is_within(code))
}

pub fn cities() -> impl Iterator<Item = &'static Region> {
    all().iter().filter(|r| r.level == RegionLevel::City)
}

/// The prefecture-level city a region belongs to (itself for a city).
pub fn city_of(code: &RegionCode) -> Option<&'static Region> {
    let region = find(code)?;
    match region.level {
        RegionLevel::Province => None,
        RegionLevel::City => Some(region),
        RegionLevel::County => region.parent.as_ref().and_then(find),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_table_fits_the_documented_bound_and_depth() {
        assert!(all().len() <= MAX_REGIONS, "{}", all().len());
        // A region has at most two ancestors (province, city): `RegionDetail.ancestors`.
        assert!(all().iter().all(|r| {
            r.level != RegionLevel::County
                || r.parent
                    .is_some_and(|p| find(&p).is_some_and(|c| c.parent == Some(PROVINCE_CODE)))
        }));
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn the_table_has_the_province_13_cities_and_their_counties() {
        let province = find(&PROVINCE_CODE).unwrap();
        assert_eq!(province.name, "江苏省");
        assert_eq!(cities().count(), 13);
        assert!(cities().all(|c| c.parent == Some(PROVINCE_CODE)));
        let counties: Vec<_> = all().iter().filter(|r| r.is_county_level()).collect();
        assert_eq!(counties.iter().filter(|r| r.in_gbt2260).count(), 95);
        assert_eq!(
            counties
                .iter()
                .filter(|r| r.kind == RegionKind::FunctionalZone)
                .count(),
            9
        );
        for county in counties {
            let parent = county.parent.and_then(|p| find(&p)).unwrap();
            assert_eq!(parent.level, RegionLevel::City, "{}", county.code);
        }
        let unique: HashSet<_> = all().iter().map(|r| r.code).collect();
        assert_eq!(unique.len(), all().len());
    }

    #[test]
    fn codes_parse_strictly() {
        assert_eq!(code("320500").to_string(), "320500");
        for bad in ["", "32050", "3205000", "32O500", "-32050", "+32050"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad:?}");
        }
        assert!(find(&code("110000")).is_none());
    }

    #[test]
    fn subtree_and_children() {
        let suzhou = code("320500");
        assert_eq!(find(&suzhou).unwrap().name, "苏州市");
        let kunshan = code("320583");
        assert!(kunshan.is_within(&suzhou));
        assert!(kunshan.is_within(&PROVINCE_CODE));
        assert!(!kunshan.is_within(&code("320100")));
        assert!(!suzhou.is_within(&kunshan));
        assert!(children(&suzhou).any(|r| r.code == kunshan));
        assert_eq!(subtree(&suzhou).count(), children(&suzhou).count() + 1);
        assert_eq!(city_of(&kunshan).unwrap().code, suzhou);
        assert_eq!(subtree(&PROVINCE_CODE).count(), all().len());
    }
}
