//! Code lists (代码表): every fixed value the registry accepts or answers with, with its
//! Chinese and English labels, so forms and sheets can offer them and inputs are checked
//! against them. Industries are GB/T 4754-2017 down to the class (4 digits).

use std::sync::LazyLock;

use hte_shared::regions::{self, RegionLevel};
use serde::Serialize;
use utoipa::ToSchema;

use super::import::{
    LABEL_KINDS, LABEL_LEVELS, LISTING, RD_INSTITUTIONS, TECH_DOMAINS, ZONE_LEVELS,
};

/// One value of a code list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DictionaryEntry {
    /// The value as the API writes it.
    #[schema(example = "C3491")]
    pub code: String,
    #[schema(example = "工业机器人制造")]
    pub label_zh: String,
    /// English label; absent where no exact English name is sourced (industries below the
    /// section, Jiangsu divisions).
    pub label_en: Option<String>,
    /// The enclosing value (an industry's division, a county's city), when there is one.
    pub parent: Option<String>,
    /// Level within a hierarchical list (section, division, group, class; province, city,
    /// county).
    pub level: Option<String>,
}

/// A code list (代码表).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dictionary {
    #[schema(example = "industries")]
    pub name: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    /// Fixed lists; the longest, industries, has under 2,000 entries (a test holds every list
    /// to this bound).
    #[schema(max_items = 2000)]
    pub entries: Vec<DictionaryEntry>,
}

/// A code list without its entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DictionarySummary {
    pub name: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub size: usize,
}

/// (name, Chinese, English) of every list.
pub const NAMES: &[(&str, &str, &str)] = &[
    (
        "industries",
        "国民经济行业分类（GB/T 4754-2017）",
        "Industries (GB/T 4754-2017)",
    ),
    (
        "tech_domains",
        "高新技术领域",
        "High and new technology domains",
    ),
    ("regions", "江苏省行政区划", "Jiangsu divisions"),
    ("label_kinds", "企业称号", "Enterprise labels"),
    ("label_levels", "称号级别", "Label levels"),
    ("zone_levels", "高新区级别", "High-tech zone levels"),
    ("listing_statuses", "上市状态", "Listing statuses"),
    ("rd_institutions", "研发机构级别", "R&D institution levels"),
    ("record_statuses", "企业状态", "Enterprise statuses"),
    ("assessment_outcomes", "评价结论", "Assessment outcomes"),
    (
        "hte_standings",
        "申报类型",
        "Standings in the HTE candidate screening",
    ),
];

static INDUSTRIES: LazyLock<Vec<DictionaryEntry>> = LazyLock::new(industries);

/// Whether an industry code is in GB/T 4754-2017: a section letter with its digits
/// (`C3491`), the digits alone (`3491`, division digits being unique), or a section letter.
pub fn industry_listed(code: &str) -> bool {
    let code = code.trim().to_ascii_uppercase();
    INDUSTRIES.iter().any(|entry| {
        entry.code == code
            || code.starts_with(|c: char| c.is_ascii_digit()) && entry.code[1..] == code
    })
}

pub fn summaries() -> Vec<DictionarySummary> {
    NAMES
        .iter()
        .filter_map(|(name, _, _)| dictionary(name))
        .map(|d| DictionarySummary {
            name: d.name,
            label_zh: d.label_zh,
            label_en: d.label_en,
            size: d.entries.len(),
        })
        .collect()
}

pub fn dictionary(name: &str) -> Option<Dictionary> {
    let &(name, label_zh, label_en) = NAMES.iter().find(|(n, _, _)| *n == name)?;
    let entries = match name {
        "industries" => INDUSTRIES.clone(),
        "regions" => jiangsu_regions(),
        "tech_domains" => from_choices(TECH_DOMAINS),
        "label_kinds" => from_choices(LABEL_KINDS),
        "label_levels" => from_choices(LABEL_LEVELS),
        "zone_levels" => from_choices(ZONE_LEVELS),
        "listing_statuses" => from_choices(LISTING),
        "rd_institutions" => from_choices(RD_INSTITUTIONS),
        "record_statuses" => from_labels(RECORD_STATUSES),
        "assessment_outcomes" => from_labels(ASSESSMENT_OUTCOMES),
        "hte_standings" => from_labels(HTE_STANDINGS),
        _ => return None,
    };
    Some(Dictionary {
        name,
        label_zh,
        label_en,
        entries,
    })
}

/// The importer's choices: the key, its first Chinese name, and the key in words.
fn from_choices(choices: &[(&str, &[&str])]) -> Vec<DictionaryEntry> {
    choices
        .iter()
        .map(|(key, names)| DictionaryEntry {
            code: (*key).to_owned(),
            label_zh: names.first().copied().unwrap_or_default().to_owned(),
            label_en: Some(english_of(key)),
            parent: None,
            level: None,
        })
        .collect()
}

fn from_labels(labels: &[(&str, &str, &str)]) -> Vec<DictionaryEntry> {
    labels
        .iter()
        .map(|(code, zh, en)| DictionaryEntry {
            code: (*code).to_owned(),
            label_zh: (*zh).to_owned(),
            label_en: Some((*en).to_owned()),
            parent: None,
            level: None,
        })
        .collect()
}

/// `advanced_manufacturing_and_automation` → `Advanced manufacturing and automation`.
fn english_of(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

pub const RECORD_STATUSES: &[(&str, &str, &str)] = &[
    ("registered", "已登记", "Registered"),
    ("pool", "入库培育", "In the cultivation pool"),
    ("hte", "高新技术企业", "High and new technology enterprise"),
    ("deregistered", "注销", "Deregistered"),
    ("not_yet_registered", "尚未登记", "Not yet registered"),
];

pub const ASSESSMENT_OUTCOMES: &[(&str, &str, &str)] = &[
    ("qualifies", "符合条件", "Qualifies"),
    ("likely_qualifies", "基本符合", "Likely qualifies"),
    ("does_not_qualify", "不符合", "Does not qualify"),
    ("undetermined", "待定", "Undetermined"),
];

/// A firm's standing in the HTE candidate screening (`HteStanding`).
pub const HTE_STANDINGS: &[(&str, &str, &str)] = &[
    ("first_applicant", "首次认定", "First recognition"),
    ("re_applicant", "重新认定", "Recognition again"),
    (
        "certified",
        "有效期内",
        "Certified beyond the screening year",
    ),
];

/// The Chinese label of `key` in `labels`.
pub fn label_zh(
    labels: &[(&'static str, &'static str, &'static str)],
    key: &str,
) -> Option<&'static str> {
    labels
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, _)| *zh)
}

/// English names of the 20 sections; divisions and below carry Chinese names only.
const SECTIONS_EN: [&str; 20] = [
    "Agriculture, forestry, animal husbandry and fishery",
    "Mining",
    "Manufacturing",
    "Production and supply of electricity, heat, gas and water",
    "Construction",
    "Wholesale and retail trade",
    "Transport, storage and postal services",
    "Accommodation and catering",
    "Information transmission, software and information technology services",
    "Finance",
    "Real estate",
    "Leasing and business services",
    "Scientific research and technical services",
    "Water conservancy, environment and public facilities management",
    "Resident, repair and other services",
    "Education",
    "Health and social work",
    "Culture, sports and entertainment",
    "Public administration, social security and social organisations",
    "International organisations",
];

/// GB/T 4754-2017 from the code table shipped with the service (`code,level,name_zh`).
fn industries() -> Vec<DictionaryEntry> {
    let table = include_str!("../../data/gbt4754-2017.csv");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.splitn(3, ',');
            let (code, level, name) = (cols.next()?, cols.next()?, cols.next()?);
            let parent = match code.len() {
                1 => None,
                3 => Some(code[..1].to_owned()),
                n => Some(code[..n - 1].to_owned()),
            };
            let section = (code.len() == 1)
                .then(|| code.bytes().next())
                .flatten()
                .and_then(|b| SECTIONS_EN.get(usize::from(b.wrapping_sub(b'A'))));
            Some(DictionaryEntry {
                code: code.to_owned(),
                label_zh: name.trim().to_owned(),
                label_en: section.map(|s| (*s).to_owned()),
                parent,
                level: Some(level.to_owned()),
            })
        })
        .collect()
}

fn jiangsu_regions() -> Vec<DictionaryEntry> {
    regions::all()
        .iter()
        .map(|region| DictionaryEntry {
            code: region.code.to_string(),
            label_zh: region.name.clone(),
            label_en: None,
            parent: region.parent.map(|p| p.to_string()),
            level: Some(
                match region.level {
                    RegionLevel::Province => "province",
                    RegionLevel::City => "city",
                    RegionLevel::County => "county",
                }
                .to_owned(),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industries_are_the_standard_s_table() {
        let all = dictionary("industries").unwrap().entries;
        let count = |level: &str| {
            all.iter()
                .filter(|e| e.level.as_deref() == Some(level))
                .count()
        };
        assert_eq!((count("section"), count("division")), (20, 97));
        let robots = all.iter().find(|e| e.code == "C3491").unwrap();
        assert_eq!(robots.label_zh, "工业机器人制造");
        assert_eq!(robots.parent.as_deref(), Some("C349"));
        let manufacturing = all.iter().find(|e| e.code == "C").unwrap();
        assert_eq!(manufacturing.label_en.as_deref(), Some("Manufacturing"));
        assert!(industry_listed("C3491") && industry_listed("c39") && industry_listed("3491"));
        assert!(!industry_listed("C9999") && !industry_listed("9999") && !industry_listed("C3991"));
    }

    #[test]
    fn every_list_has_labels_in_both_languages() {
        for summary in summaries() {
            let list = dictionary(summary.name).unwrap();
            assert!(!list.entries.is_empty(), "{}", summary.name);
            // The document's `maxItems` of `entries`.
            assert!(list.entries.len() <= 2000, "{}", summary.name);
            assert!(
                list.entries.iter().all(|e| !e.label_zh.is_empty()),
                "{}",
                summary.name
            );
        }
        let domains = dictionary("tech_domains").unwrap().entries;
        assert_eq!(domains.len(), 8);
        assert_eq!(domains[0].label_zh, "电子信息");
        assert_eq!(
            domains[0].label_en.as_deref(),
            Some("Electronic information")
        );
    }
}
