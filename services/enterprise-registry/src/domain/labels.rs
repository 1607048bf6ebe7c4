//! Labels (称号): 瞪羚, 专精特新"小巨人", … granted to an enterprise for a year.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// A label as granted: kind, year, level and granting body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub kind: LabelKind,
    pub year: i32,
    pub level: LabelLevel,
    pub issuer: Option<String>,
}

/// The first day a label of `year` counts for a firm registered on `registered_on`: 1 January
/// of its year, or the registration if later. It can be neither granted nor revoked before.
pub fn holds_from(year: i32, registered_on: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).map_or(registered_on, |first| first.max(registered_on))
}
