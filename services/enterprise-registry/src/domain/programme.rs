//! Programme facts over time: pool entries (入库培育), HTE certificates (高新技术企业证书) and
//! labels (瞪羚, 专精特新"小巨人", …).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Certificates are valid for three years (有效期三年), through the day before the third
/// anniversary of issue.
pub fn certificate_expiry(issued_on: NaiveDate) -> NaiveDate {
    issued_on
        .checked_add_months(Months::new(36))
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// HTE certificate number (证书编号): `GR` + issue year + 8 digits, e.g. `GR202332001234`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateNo(String);

impl CertificateNo {
    /// Checks the form, and that the year in the number is the year of issue.
    pub fn parse(raw: &str, issued_on: NaiveDate) -> Result<Self, (&'static str, String)> {
        let number = raw.trim().to_ascii_uppercase();
        let digits = number.strip_prefix("GR").unwrap_or_default();
        if number.len() != 14 || digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err((
                "format",
                format!(
                    "{raw:?} is not a certificate number: GR followed by 12 digits, e.g. GR202332001234"
                ),
            ));
        }
        let year: i32 = digits[..4].parse().unwrap_or_default();
        if year != issued_on.year() {
            return Err((
                "year_matches_issue",
                format!(
                    "the number says {year} but the certificate was issued in {}",
                    issued_on.year()
                ),
            ));
        }
        Ok(Self(number))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Label kinds (称号).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// 瞪羚企业
    Gazelle,
    /// 专精特新"小巨人"
    LittleGiant,
    /// 制造业单项冠军
    SingleChampion,
    /// 创新型领军企业
    InnovativeLeader,
    /// 江苏省百强创新型企业
    Top100,
    /// 上市后备企业
    ListingPipeline,
    /// 科技型中小企业 (evaluated each year; the registration number is valid for that year only)
    TechSme,
}

impl LabelKind {
    pub const ALL: [LabelKind; 7] = [
        Self::Gazelle,
        Self::LittleGiant,
        Self::SingleChampion,
        Self::InnovativeLeader,
        Self::Top100,
        Self::ListingPipeline,
        Self::TechSme,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Gazelle => "gazelle",
            Self::LittleGiant => "little_giant",
            Self::SingleChampion => "single_champion",
            Self::InnovativeLeader => "innovative_leader",
            Self::Top100 => "top100",
            Self::ListingPipeline => "listing_pipeline",
            Self::TechSme => "tech_sme",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Level of the body that granted a label (级别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabelLevel {
    /// 国家级
    National,
    /// 省级
    Provincial,
    /// 市级
    Municipal,
    /// 县（区）级
    County,
}

impl LabelLevel {
    pub fn key(self) -> &'static str {
        match self {
            Self::National => "national",
            Self::Provincial => "provincial",
            Self::Municipal => "municipal",
            Self::County => "county",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [
            Self::National,
            Self::Provincial,
            Self::Municipal,
            Self::County,
        ]
        .into_iter()
        .find(|l| l.key() == key)
    }
}

/// Programme years accepted for pool entries and labels.
pub fn check_programme_year(year: i32, today: NaiveDate) -> Result<(), String> {
    let last = today.year() + 1;
    if (2015..=last).contains(&year) {
        Ok(())
    } else {
        Err(format!("year must be between 2015 and {last}; got {year}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn certificates_last_three_years() {
        assert_eq!(certificate_expiry(d("2023-12-12")), d("2026-12-11"));
        assert_eq!(certificate_expiry(d("2024-01-01")), d("2026-12-31"));
        assert!(CertificateNo::parse("gr202332001234", d("2023-12-12")).is_ok());
        assert_eq!(
            CertificateNo::parse("GR202332001234", d("2024-01-02"))
                .unwrap_err()
                .0,
            "year_matches_issue"
        );
        for bad in [
            "GR20233200123",
            "GX202332001234",
            "GR2023320012345",
            "GR20233200123A",
        ] {
            assert_eq!(
                CertificateNo::parse(bad, d("2023-12-12")).unwrap_err().0,
                "format",
                "{bad}"
            );
        }
    }
}
