//! The versioned rule set: every threshold the assessment uses, as data a province can change
//! without a release. Ratios are decimals between 0 and 1 in JSON; the engine turns each into
//! integer parts per million once and compares exactly.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::rd_institution::RdInstitution;
use hte_shared::i18n::Text;
use hte_shared::text;

/// One rule-set validation problem: `(field path, rule, message)`, e.g.
/// `("hte.min_st_staff_ratio", "range", "must be between 0 and 1")`. The rule is `range`,
/// `maximum` or `max_length` for a bound of one value, which the document states on the field
/// (`#[schema]`), and `rule_set` for everything else: values against each other (band order,
/// points within the item maximum) and requirements the schema leaves to this check.
pub type RuleError = (String, &'static str, Text);

/// All thresholds for the three labels the engine assesses (评价规则集).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Rule-set version, recorded on every assessment (规则版本).
    #[schema(max_length = 64)]
    pub version: String,
    /// High and New Technology Enterprise rules (高新技术企业认定条件).
    pub hte: HteRules,
    /// Technology-based SME rules (科技型中小企业评价条件).
    pub tech_sme: TechSmeRules,
    /// Gazelle enterprise rules (瞪羚企业条件).
    pub gazelle: GazelleRules,
}

/// HTE recognition thresholds (国科发火〔2016〕32号 art. 11, 国科发火〔2016〕195号).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HteRules {
    /// Minimum days between registration and application (注册成立时间), compared with ≥.
    #[schema(maximum = 36500)]
    pub min_registration_days: u32,
    /// Minimum S&T staff ÷ employees in the latest year (科技人员占比), ≥.
    #[schema(minimum = 0, maximum = 1)]
    pub min_st_staff_ratio: f64,
    /// R&D intensity bands (研发费用占比), chosen by latest-year sales; ascending, the last
    /// without an upper edge.
    #[schema(max_items = 50)]
    pub rd_intensity_bands: Vec<RdIntensityBand>,
    /// Minimum domestic R&D ÷ all R&D over the same years (境内研发费用占比), ≥.
    #[schema(minimum = 0, maximum = 1)]
    pub min_rd_domestic_share: f64,
    /// Minimum high-tech products/services income ÷ total income in the latest year
    /// (高新技术产品（服务）收入占比), ≥.
    #[schema(minimum = 0, maximum = 1)]
    pub min_hightech_income_share: f64,
    /// Innovation-capability score table and the assumptions behind its estimate
    /// (企业创新能力评价).
    pub innovation: InnovationRules,
}

/// One R&D intensity band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RdIntensityBand {
    /// Upper edge of latest-year sales revenue for this band, inclusive (含), in yuan; null
    /// for the top band.
    pub max_latest_sales_yuan: Option<i64>,
    /// Minimum Σ R&D ÷ Σ sales over the assessed years (最低比例), ≥.
    #[schema(minimum = 0, maximum = 1)]
    pub min_ratio: f64,
}

/// A band's point range; the estimate takes `low`, the best case `high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointRange {
    /// Lowest points in the band.
    #[schema(maximum = 1000)]
    pub low: u32,
    /// Highest points in the band.
    #[schema(maximum = 1000)]
    pub high: u32,
}

/// Indicator of the HTE innovation-capability table (评价指标).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 知识产权
    IntellectualProperty,
    /// 科技成果转化能力
    Conversion,
    /// 研究开发组织管理水平
    RdManagement,
    /// 企业成长性
    Growth,
}

/// HTE innovation-capability score (condition 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InnovationRules {
    /// The total must be strictly greater than this (70分以上，不含70分).
    #[schema(maximum = 1000)]
    pub pass_mark_points: u32,
    /// Cap on the intellectual-property indicator, standards bonus included (知识产权满分).
    #[schema(maximum = 1000)]
    pub ip_cap_points: u32,
    /// IP quantity sub-item, computed from Class I / Class II counts (知识产权数量).
    pub ip_quantity: IpQuantityRules,
    /// Conversion of S&T results, computed from conversions per year (科技成果转化能力).
    pub conversion: ConversionRules,
    /// Net-asset and sales growth, each scored on these bands (企业成长性).
    pub growth: GrowthRules,
    /// Items experts score; the estimate assumes `assumed_fraction` of each maximum.
    #[schema(max_items = 100)]
    pub expert_items: Vec<ExpertItem>,
}

/// IP quantity bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpQuantityRules {
    /// Item maximum.
    #[schema(maximum = 1000)]
    pub max_points: u32,
    /// Points for at least one Class I item (Ⅰ类知识产权).
    pub class1_points: PointRange,
    /// Bands by Class II count (Ⅱ类知识产权), descending `min_count`.
    #[schema(max_items = 50)]
    pub class2_bands: Vec<CountBand>,
}

/// A band reached with at least `min_count` items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountBand {
    /// Lower edge, inclusive.
    #[schema(maximum = 1000000)]
    pub min_count: u32,
    /// Points in the band.
    pub points: PointRange,
}

/// Conversion-of-results bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionRules {
    /// Item maximum.
    #[schema(maximum = 1000)]
    pub max_points: u32,
    /// Bands by average conversions per year, descending `min_per_year`; below the last
    /// band scores 0.
    #[schema(max_items = 50)]
    pub bands: Vec<AverageBand>,
}

/// A band reached with at least `min_per_year` on average.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AverageBand {
    /// Lower edge, inclusive (年均转化数).
    pub min_per_year: f64,
    /// Points in the band.
    pub points: PointRange,
}

/// Growth bands, applied to the net-asset growth rate and to the sales growth rate separately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrowthRules {
    /// Maximum of each of the two growth items (净资产增长率, 销售收入增长率).
    #[schema(maximum = 1000)]
    pub max_points: u32,
    /// Bands by growth rate, descending `min_rate`; below the last band scores 0.
    #[schema(max_items = 50)]
    pub bands: Vec<GrowthBand>,
}

/// A growth band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrowthBand {
    /// Lower edge as a decimal rate (0.35 = 35 %).
    pub min_rate: f64,
    /// Whether the edge belongs to the band (≥) or not (>).
    pub inclusive: bool,
    /// Points in the band.
    pub points: PointRange,
}

/// An item scored by experts; registry data cannot compute it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertItem {
    /// Stable snake_case key.
    #[schema(max_length = 64)]
    pub key: String,
    /// Indicator the item belongs to.
    pub indicator: Indicator,
    /// Name in English.
    #[schema(max_length = 200)]
    pub name_en: String,
    /// Name in Chinese (评分项).
    #[schema(max_length = 200)]
    pub name_zh: String,
    /// Item maximum.
    #[schema(maximum = 1000)]
    pub max_points: u32,
    /// Share of the maximum the estimate assumes (假设得分比例), 0–1.
    #[schema(minimum = 0, maximum = 1)]
    pub assumed_fraction: f64,
}

/// Technology-based SME evaluation (国科发政〔2017〕115号).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TechSmeRules {
    /// Employee cap (职工总数), ≤.
    pub max_employees: i64,
    /// Annual sales revenue cap in yuan (年销售收入), ≤.
    pub max_sales_yuan: i64,
    /// Total assets cap in yuan (资产总额), ≤.
    pub max_total_assets_yuan: i64,
    /// Minimum evaluation score (评价得分), ≥.
    #[schema(maximum = 1000)]
    pub pass_points: u32,
    /// Whether an S&T-staff score of 0 disqualifies (科技人员指标得分不得为0).
    pub staff_points_must_be_nonzero: bool,
    /// S&T staff ÷ employees bands, descending `min_ratio`; below the last scores 0.
    #[schema(max_items = 50)]
    pub staff_bands: Vec<RatioPoints>,
    /// R&D bands on two bases, descending; the firm gets the better of the two.
    #[schema(max_items = 50)]
    pub rd_bands: Vec<RdScoreBand>,
    /// Points for at least one Class I IP item.
    #[schema(maximum = 1000)]
    pub ip_class1_points: u32,
    /// Class II bands, descending `min_count`; none scores 0.
    #[schema(max_items = 50)]
    pub ip_class2_bands: Vec<CountPoints>,
    /// A valid HTE certificate qualifies directly (直接认定: 有效期内高新技术企业).
    pub direct_route_hte_certificate: bool,
    /// An R&D institution at this level or above qualifies directly; null disables the route.
    pub direct_route_min_rd_institution: Option<RdInstitution>,
}

/// Points for a ratio at or above `min_ratio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatioPoints {
    /// Lower edge, inclusive.
    #[schema(minimum = 0, maximum = 1)]
    pub min_ratio: f64,
    /// Points.
    #[schema(maximum = 1000)]
    pub points: u32,
}

/// An R&D score band; reaching either edge earns the points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RdScoreBand {
    /// Lower edge of R&D ÷ sales revenue, inclusive (研发费用占销售收入比例).
    #[schema(minimum = 0, maximum = 1)]
    pub min_ratio_of_sales: f64,
    /// Lower edge of R&D ÷ total costs and expenses, inclusive (研发费用占成本费用支出比例).
    #[schema(minimum = 0, maximum = 1)]
    pub min_ratio_of_total_costs: f64,
    /// Points.
    #[schema(maximum = 1000)]
    pub points: u32,
}

/// Points for at least `min_count` items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountPoints {
    /// Lower edge, inclusive.
    #[schema(maximum = 1000000)]
    pub min_count: u32,
    /// Points.
    #[schema(maximum = 1000)]
    pub points: u32,
}

/// Gazelle enterprise thresholds (瞪羚企业). Jiangsu's criteria document was not found; the
/// defaults are placeholders until `confirmed` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GazelleRules {
    /// Whether these thresholds were checked against the provincial notice (已核实).
    pub confirmed: bool,
    /// Where the thresholds come from.
    #[schema(max_length = 2000)]
    pub note: String,
    /// Oldest a firm may be, in years since registration at the assessment date (成立年限), ≤.
    #[schema(maximum = 100)]
    pub max_age_years: u32,
    /// Whether a valid HTE certificate is required.
    pub requires_hte_certificate: bool,
    /// Minimum latest-year sales revenue in yuan (营业收入下限), ≥.
    pub min_latest_sales_yuan: i64,
    /// Minimum compound annual growth of sales revenue (营业收入复合增长率), ≥.
    #[schema(minimum = 0, maximum = 1)]
    pub min_sales_cagr: f64,
    /// Number of yearly growth steps the CAGR spans (3: from the year four years before the
    /// application year to the latest year), 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub cagr_periods: u32,
}

fn points(low: u32, high: u32) -> PointRange {
    PointRange { low, high }
}

fn expert(
    key: &str,
    indicator: Indicator,
    name_en: &str,
    name_zh: &str,
    max_points: u32,
    assumed_fraction: f64,
) -> ExpertItem {
    ExpertItem {
        key: key.to_owned(),
        indicator,
        name_en: name_en.to_owned(),
        name_zh: name_zh.to_owned(),
        max_points,
        assumed_fraction,
    }
}

/// Keys of the computed innovation items; expert items may not reuse them.
pub(crate) const COMPUTED_ITEM_KEYS: [&str; 4] = [
    "ip_quantity",
    "conversion",
    "net_asset_growth",
    "sales_growth",
];

/// The assumed share of each expert item's maximum in the default rule set. 0.6 sits just
/// below the "fairly high" band of the 8-point IP items (5–6 of 8); the standards bonus is a
/// yes/no fact and defaults to 0.
const DEFAULT_EXPERT_FRACTION: f64 = 0.6;

/// The 2016 national HTE criteria (国科发火〔2016〕32号 / 195号).
fn national_hte_2016() -> HteRules {
    HteRules {
        min_registration_days: 365,
        min_st_staff_ratio: 0.10,
        rd_intensity_bands: vec![
            RdIntensityBand {
                max_latest_sales_yuan: Some(50_000_000),
                min_ratio: 0.05,
            },
            RdIntensityBand {
                max_latest_sales_yuan: Some(200_000_000),
                min_ratio: 0.04,
            },
            RdIntensityBand {
                max_latest_sales_yuan: None,
                min_ratio: 0.03,
            },
        ],
        min_rd_domestic_share: 0.60,
        min_hightech_income_share: 0.60,
        innovation: national_innovation_2016(),
    }
}

/// The innovation capability score of the 2016 guidelines (企业创新能力评价).
fn national_innovation_2016() -> InnovationRules {
    InnovationRules {
        pass_mark_points: 70,
        ip_cap_points: 30,
        ip_quantity: IpQuantityRules {
            max_points: 8,
            class1_points: points(7, 8),
            class2_bands: vec![
                CountBand {
                    min_count: 5,
                    points: points(5, 6),
                },
                CountBand {
                    min_count: 3,
                    points: points(3, 4),
                },
                CountBand {
                    min_count: 1,
                    points: points(1, 2),
                },
            ],
        },
        conversion: ConversionRules {
            max_points: 30,
            bands: [
                (5.0, 25, 30),
                (4.0, 19, 24),
                (3.0, 13, 18),
                (2.0, 7, 12),
                (1.0, 1, 6),
            ]
            .into_iter()
            .map(|(min_per_year, low, high)| AverageBand {
                min_per_year,
                points: points(low, high),
            })
            .collect(),
        },
        growth: GrowthRules {
            max_points: 10,
            bands: [
                (0.35, true, 9, 10),
                (0.25, true, 7, 8),
                (0.15, true, 5, 6),
                (0.05, true, 3, 4),
                (0.0, false, 1, 2),
            ]
            .into_iter()
            .map(|(min_rate, inclusive, low, high)| GrowthBand {
                min_rate,
                inclusive,
                points: points(low, high),
            })
            .collect(),
        },
        expert_items: national_expert_items(),
    }
}

/// The expert-scored items, assumed at the default share of their maximum.
fn national_expert_items() -> Vec<ExpertItem> {
    let f = DEFAULT_EXPERT_FRACTION;
    vec![
        expert(
            "ip_advancement",
            Indicator::IntellectualProperty,
            "Advancement of the IP's technology",
            "技术的先进程度",
            8,
            f,
        ),
        expert(
            "ip_core_support",
            Indicator::IntellectualProperty,
            "Core support of the IP to the main products/services",
            "对主要产品（服务）在技术上发挥核心支持作用",
            8,
            f,
        ),
        expert(
            "ip_acquisition",
            Indicator::IntellectualProperty,
            "How the IP was obtained",
            "知识产权获得方式",
            6,
            f,
        ),
        expert(
            "ip_standards_bonus",
            Indicator::IntellectualProperty,
            "Took part in drafting standards, test methods or technical specifications",
            "参与编制标准、检测方法、技术规范（加分项）",
            2,
            0.0,
        ),
        expert(
            "rd_management_system",
            Indicator::RdManagement,
            "R&D management rules, R&D cost accounting and sub-ledger",
            "研发组织管理制度、研发投入核算体系与研发费用辅助账",
            6,
            f,
        ),
        expert(
            "rd_unit_and_cooperation",
            Indicator::RdManagement,
            "Internal R&D unit and industry–university–research cooperation",
            "内部研发机构与产学研合作",
            6,
            f,
        ),
        expert(
            "conversion_incentives",
            Indicator::RdManagement,
            "Rules for converting and rewarding results; open innovation platform",
            "成果转化组织实施与激励奖励制度、开放式创新创业平台",
            4,
            f,
        ),
        expert(
            "talent_system",
            Indicator::RdManagement,
            "Training, recruitment and performance rewards for S&T staff",
            "人才培养、引进与绩效评价奖励制度",
            4,
            f,
        ),
    ]
}

/// The tech-SME evaluation (国科发政〔2017〕115号).
fn national_tech_sme_2017() -> TechSmeRules {
    TechSmeRules {
        max_employees: 500,
        max_sales_yuan: 200_000_000,
        max_total_assets_yuan: 200_000_000,
        pass_points: 60,
        staff_points_must_be_nonzero: true,
        staff_bands: [(0.30, 20), (0.25, 16), (0.20, 12), (0.15, 8), (0.10, 4)]
            .into_iter()
            .map(|(min_ratio, points)| RatioPoints { min_ratio, points })
            .collect(),
        rd_bands: [
            (0.06, 0.30, 50),
            (0.05, 0.25, 40),
            (0.04, 0.20, 30),
            (0.03, 0.15, 20),
            (0.02, 0.10, 10),
        ]
        .into_iter()
        .map(|(sales, costs, points)| RdScoreBand {
            min_ratio_of_sales: sales,
            min_ratio_of_total_costs: costs,
            points,
        })
        .collect(),
        ip_class1_points: 30,
        ip_class2_bands: [(4, 24), (3, 18), (2, 12), (1, 6)]
            .into_iter()
            .map(|(min_count, points)| CountPoints { min_count, points })
            .collect(),
        direct_route_hte_certificate: true,
        direct_route_min_rd_institution: Some(RdInstitution::Provincial),
    }
}

/// Gazelle thresholds: placeholders until Jiangsu's are confirmed.
fn gazelle_placeholder() -> GazelleRules {
    GazelleRules {
        confirmed: false,
        note: "Jiangsu gazelle thresholds not confirmed; placeholder values after the \
               generic Torch Centre pattern (young HTE, revenue floor, about 20 % yearly \
               revenue growth over 3 years)"
            .to_owned(),
        max_age_years: 10,
        requires_hte_certificate: true,
        min_latest_sales_yuan: 10_000_000,
        min_sales_cagr: 0.20,
        cagr_periods: 3,
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        Self::national_2016()
    }
}

impl RuleSet {
    /// The 2016 national rules (HTE: 国科发火〔2016〕32号 / 195号; tech-SME: 国科发政〔2017〕115号)
    /// with placeholder gazelle thresholds.
    pub fn national_2016() -> Self {
        RuleSet {
            version: "2016-national-1".to_owned(),
            hte: national_hte_2016(),
            tech_sme: national_tech_sme_2017(),
            gazelle: gazelle_placeholder(),
        }
    }

    /// Check the rule set for values the engine cannot use or that make no sense. Returns every
    /// problem found, each with the path of the field.
    pub fn validate(&self) -> Result<(), Vec<RuleError>> {
        let mut v = Validator::default();
        if self.version.trim().is_empty() {
            v.err("version", Text::fixed("must not be empty", "不得为空"));
        }
        self.validate_hte(&mut v);
        self.validate_tech_sme(&mut v);
        self.validate_gazelle(&mut v);
        self.validate_bounds(&mut v);
        if v.errors.is_empty() {
            Ok(())
        } else {
            Err(v.errors)
        }
    }

    fn validate_hte(&self, v: &mut Validator) {
        let h = &self.hte;
        v.ratio("hte.min_st_staff_ratio", h.min_st_staff_ratio);
        v.ratio("hte.min_rd_domestic_share", h.min_rd_domestic_share);
        v.ratio("hte.min_hightech_income_share", h.min_hightech_income_share);
        if h.rd_intensity_bands.is_empty() {
            v.err(
                "hte.rd_intensity_bands",
                Text::fixed("needs at least one band", "至少需要设置一档"),
            );
        }
        let last = h.rd_intensity_bands.len().saturating_sub(1);
        let mut previous: Option<i64> = None;
        for (i, band) in h.rd_intensity_bands.iter().enumerate() {
            let path = format!("hte.rd_intensity_bands[{i}]");
            v.ratio(&format!("{path}.min_ratio"), band.min_ratio);
            match (band.max_latest_sales_yuan, i == last) {
                (Some(_), true) => v.err(
                    &format!("{path}.max_latest_sales_yuan"),
                    Text::fixed(
                        "the last band must have no upper edge (null)",
                        "最后一档不得设上限（应为 null）",
                    ),
                ),
                (None, false) => v.err(
                    &format!("{path}.max_latest_sales_yuan"),
                    Text::fixed(
                        "only the last band may be open-ended",
                        "只有最后一档可以不设上限",
                    ),
                ),
                (Some(edge), false) => {
                    if edge < 0 {
                        v.err(
                            &format!("{path}.max_latest_sales_yuan"),
                            Text::fixed("must not be negative", "不得为负数"),
                        );
                    }
                    if previous.is_some_and(|p| edge <= p) {
                        v.err(
                            &format!("{path}.max_latest_sales_yuan"),
                            Text::fixed(
                                "band edges must increase strictly",
                                "各档分界值须严格递增",
                            ),
                        );
                    }
                    previous = Some(edge);
                }
                (None, true) => {}
            }
        }
        self.validate_innovation(v);
    }

    fn validate_innovation(&self, v: &mut Validator) {
        let r = &self.hte.innovation;
        let base = "hte.innovation";
        let q = &r.ip_quantity;
        v.range(
            &format!("{base}.ip_quantity.class1_points"),
            q.class1_points,
            q.max_points,
        );
        let mut above = (u32::MAX, q.class1_points.low);
        for (i, band) in q.class2_bands.iter().enumerate() {
            let path = format!("{base}.ip_quantity.class2_bands[{i}]");
            if band.min_count == 0 {
                v.err(
                    &format!("{path}.min_count"),
                    Text::fixed("must be at least 1", "须不小于 1"),
                );
            }
            if band.min_count >= above.0 {
                v.err(
                    &format!("{path}.min_count"),
                    Text::fixed(
                        "bands must be in strictly descending order",
                        "各档须严格按降序排列",
                    ),
                );
            }
            v.range(&format!("{path}.points"), band.points, q.max_points);
            if band.points.high > above.1 {
                v.err(
                    &format!("{path}.points"),
                    Text::fixed("must not exceed the band above", "不得超过上一档"),
                );
            }
            above = (band.min_count, band.points.low);
        }

        let c = &r.conversion;
        let mut above = (f64::INFINITY, u32::MAX);
        for (i, band) in c.bands.iter().enumerate() {
            let path = format!("{base}.conversion.bands[{i}]");
            if !(band.min_per_year.is_finite() && band.min_per_year > 0.0) {
                v.err(
                    &format!("{path}.min_per_year"),
                    Text::fixed("must be a positive number", "须为正数"),
                );
            } else if band.min_per_year >= above.0 {
                v.err(
                    &format!("{path}.min_per_year"),
                    Text::fixed(
                        "bands must be in strictly descending order",
                        "各档须严格按降序排列",
                    ),
                );
            }
            v.range(&format!("{path}.points"), band.points, c.max_points);
            if band.points.high > above.1 {
                v.err(
                    &format!("{path}.points"),
                    Text::fixed("must not exceed the band above", "不得超过上一档"),
                );
            }
            above = (band.min_per_year, band.points.low);
        }

        let g = &r.growth;
        let mut above = (f64::INFINITY, u32::MAX);
        for (i, band) in g.bands.iter().enumerate() {
            let path = format!("{base}.growth.bands[{i}]");
            if !(band.min_rate.is_finite() && band.min_rate >= 0.0 && band.min_rate <= 100.0) {
                v.err(
                    &format!("{path}.min_rate"),
                    Text::fixed(
                        "must be a rate between 0 and 100",
                        "须为 0 至 100 之间的比率",
                    ),
                );
            } else if band.min_rate >= above.0 {
                v.err(
                    &format!("{path}.min_rate"),
                    Text::fixed(
                        "bands must be in strictly descending order",
                        "各档须严格按降序排列",
                    ),
                );
            }
            v.range(&format!("{path}.points"), band.points, g.max_points);
            if band.points.high > above.1 {
                v.err(
                    &format!("{path}.points"),
                    Text::fixed("must not exceed the band above", "不得超过上一档"),
                );
            }
            above = (band.min_rate, band.points.low);
        }

        self.validate_expert_items(v);
    }

    /// The expert-scored items, and whether the whole table can reach the pass mark.
    fn validate_expert_items(&self, v: &mut Validator) {
        let r = &self.hte.innovation;
        let base = "hte.innovation";
        let (q, c, g) = (&r.ip_quantity, &r.conversion, &r.growth);
        let mut keys = HashSet::new();
        // Widened: the bounds are checked in the same pass, so these may still be huge.
        let mut ip_total = u64::from(q.max_points);
        let mut other_total = u64::from(c.max_points) + 2 * u64::from(g.max_points);
        for (i, item) in r.expert_items.iter().enumerate() {
            let path = format!("{base}.expert_items[{i}]");
            let key_ok = !item.key.is_empty()
                && item
                    .key
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
            if !key_ok {
                v.err(
                    &format!("{path}.key"),
                    Text::fixed(
                        "must be non-empty snake_case",
                        "须为非空的小写下划线格式（snake_case）",
                    ),
                );
            } else if COMPUTED_ITEM_KEYS.contains(&item.key.as_str()) || !keys.insert(&item.key) {
                v.err(
                    &format!("{path}.key"),
                    Text::fixed("duplicate item key", "评分项键名重复"),
                );
            }
            if item.max_points == 0 {
                v.err(
                    &format!("{path}.max_points"),
                    Text::fixed("must be at least 1", "须不小于 1"),
                );
            }
            v.ratio(&format!("{path}.assumed_fraction"), item.assumed_fraction);
            if item.indicator == Indicator::IntellectualProperty {
                ip_total += u64::from(item.max_points);
            } else {
                other_total += u64::from(item.max_points);
            }
        }
        let best = ip_total.min(u64::from(r.ip_cap_points)) + other_total;
        if u64::from(r.pass_mark_points) >= best {
            v.err(
                &format!("{base}.pass_mark_points"),
                text!(
                    "cannot be passed: the table's maximum is {best} points",
                    "无法达到：评分表满分为 {best} 分"
                ),
            );
        }
    }

    fn validate_tech_sme(&self, v: &mut Validator) {
        let t = &self.tech_sme;
        for (path, cap) in [
            ("tech_sme.max_employees", t.max_employees),
            ("tech_sme.max_sales_yuan", t.max_sales_yuan),
            ("tech_sme.max_total_assets_yuan", t.max_total_assets_yuan),
        ] {
            if cap <= 0 {
                v.err(path, Text::fixed("must be positive", "须为正数"));
            }
        }
        let mut above = (f64::INFINITY, u32::MAX);
        for (i, band) in t.staff_bands.iter().enumerate() {
            let path = format!("tech_sme.staff_bands[{i}]");
            if v.ratio(&format!("{path}.min_ratio"), band.min_ratio) && band.min_ratio >= above.0 {
                v.err(
                    &format!("{path}.min_ratio"),
                    Text::fixed(
                        "bands must be in strictly descending order",
                        "各档须严格按降序排列",
                    ),
                );
            }
            if band.points == 0 || band.points >= above.1 {
                v.err(
                    &format!("{path}.points"),
                    Text::fixed(
                        "must be positive and below the band above",
                        "须为正数，且低于上一档",
                    ),
                );
            }
            above = (band.min_ratio, band.points);
        }
        self.validate_tech_sme_rd_bands(v);
        let mut above = (u32::MAX, t.ip_class1_points.saturating_add(1));
        for (i, band) in t.ip_class2_bands.iter().enumerate() {
            let path = format!("tech_sme.ip_class2_bands[{i}]");
            if band.min_count == 0 || band.min_count >= above.0 {
                v.err(
                    &format!("{path}.min_count"),
                    Text::fixed(
                        "must be at least 1, in strictly descending order",
                        "须不小于 1，且严格按降序排列",
                    ),
                );
            }
            if band.points == 0 || band.points >= above.1 {
                v.err(
                    &format!("{path}.points"),
                    Text::fixed(
                        "must be positive and below the band above",
                        "须为正数，且低于上一档",
                    ),
                );
            }
            above = (band.min_count, band.points);
        }
        let best = t.staff_bands.first().map_or(0, |b| u64::from(b.points))
            + t.rd_bands.first().map_or(0, |b| u64::from(b.points))
            + u64::from(t.ip_class1_points);
        if u64::from(t.pass_points) > best {
            v.err(
                "tech_sme.pass_points",
                text!(
                    "cannot be reached: the table's maximum is {best} points",
                    "无法达到：评分表满分为 {best} 分"
                ),
            );
        }
        if t.staff_points_must_be_nonzero && t.staff_bands.is_empty() {
            v.err(
                "tech_sme.staff_bands",
                Text::fixed(
                    "needs a band when a zero staff score disqualifies",
                    "科技人员得分为零即不合格时，至少需要设置一档",
                ),
            );
        }
        if t.direct_route_min_rd_institution == Some(RdInstitution::None) {
            v.err(
                "tech_sme.direct_route_min_rd_institution",
                Text::fixed(
                    "\"none\" would let every firm in; use null to disable the route",
                    "“none”会使所有企业都符合条件；如需停用该途径，请填 null",
                ),
            );
        }
    }

    /// The R&D score bands: both ratios and the points strictly descending.
    fn validate_tech_sme_rd_bands(&self, v: &mut Validator) {
        let t = &self.tech_sme;
        let mut above = (f64::INFINITY, f64::INFINITY, u32::MAX);
        for (i, band) in t.rd_bands.iter().enumerate() {
            let path = format!("tech_sme.rd_bands[{i}]");
            if v.ratio(
                &format!("{path}.min_ratio_of_sales"),
                band.min_ratio_of_sales,
            ) && band.min_ratio_of_sales >= above.0
            {
                v.err(
                    &format!("{path}.min_ratio_of_sales"),
                    Text::fixed(
                        "bands must be in strictly descending order",
                        "各档须严格按降序排列",
                    ),
                );
            }
            if v.ratio(
                &format!("{path}.min_ratio_of_total_costs"),
                band.min_ratio_of_total_costs,
            ) && band.min_ratio_of_total_costs >= above.1
            {
                v.err(
                    &format!("{path}.min_ratio_of_total_costs"),
                    Text::fixed(
                        "bands must be in strictly descending order",
                        "各档须严格按降序排列",
                    ),
                );
            }
            if band.points == 0 || band.points >= above.2 {
                v.err(
                    &format!("{path}.points"),
                    Text::fixed(
                        "must be positive and below the band above",
                        "须为正数，且低于上一档",
                    ),
                );
            }
            above = (
                band.min_ratio_of_sales,
                band.min_ratio_of_total_costs,
                band.points,
            );
        }
    }

    fn validate_gazelle(&self, v: &mut Validator) {
        let g = &self.gazelle;
        if g.max_age_years == 0 {
            v.err(
                "gazelle.max_age_years",
                Text::fixed("must be at least 1", "须不小于 1"),
            );
        }
        if g.min_latest_sales_yuan < 0 {
            v.err(
                "gazelle.min_latest_sales_yuan",
                Text::fixed("must not be negative", "不得为负数"),
            );
        }
        v.ratio("gazelle.min_sales_cagr", g.min_sales_cagr);
        if !(1..=5).contains(&g.cagr_periods) {
            v.bound(
                "gazelle.cagr_periods",
                "range",
                Text::fixed("must be between 1 and 5", "须在 1 至 5 之间"),
            );
        }
    }
}

/// Sensible bounds for stored rule sets: far beyond any real table (the 2016 table totals
/// 100 points), small enough that no sum or product of them can overflow.
// The bounds of single values; each field states its own in the document (`#[schema]`).
pub const MAX_POINTS: u32 = 1_000;
pub const MAX_AGE_YEARS: u32 = 100;
pub const MAX_REGISTRATION_DAYS: u32 = 36_500;
pub const MAX_BANDS: usize = 50;
pub const MAX_EXPERT_ITEMS: usize = 100;
pub const MAX_COUNT: u32 = 1_000_000;
pub const MAX_TEXT_CHARS: usize = 2_000;
pub const MAX_VERSION_CHARS: usize = 64;

impl RuleSet {
    /// Every number a stored rule set holds stays within bounds the engine's arithmetic can
    /// take, and every list and text stays small.
    fn validate_bounds(&self, v: &mut Validator) {
        let (h, t, g) = (&self.hte, &self.tech_sme, &self.gazelle);
        let r = &h.innovation;
        let mut points: Vec<(String, u32)> = vec![
            ("hte.innovation.pass_mark_points".into(), r.pass_mark_points),
            ("hte.innovation.ip_cap_points".into(), r.ip_cap_points),
            (
                "hte.innovation.ip_quantity.max_points".into(),
                r.ip_quantity.max_points,
            ),
            (
                "hte.innovation.conversion.max_points".into(),
                r.conversion.max_points,
            ),
            (
                "hte.innovation.growth.max_points".into(),
                r.growth.max_points,
            ),
            ("tech_sme.pass_points".into(), t.pass_points),
            ("tech_sme.ip_class1_points".into(), t.ip_class1_points),
        ];
        let range = |path: String, p: PointRange| {
            [
                (format!("{path}.low"), p.low),
                (format!("{path}.high"), p.high),
            ]
        };
        points.extend(range(
            "hte.innovation.ip_quantity.class1_points".into(),
            r.ip_quantity.class1_points,
        ));
        for (i, b) in r.ip_quantity.class2_bands.iter().enumerate() {
            points.extend(range(
                format!("hte.innovation.ip_quantity.class2_bands[{i}].points"),
                b.points,
            ));
        }
        for (i, b) in r.conversion.bands.iter().enumerate() {
            points.extend(range(
                format!("hte.innovation.conversion.bands[{i}].points"),
                b.points,
            ));
        }
        for (i, b) in r.growth.bands.iter().enumerate() {
            points.extend(range(
                format!("hte.innovation.growth.bands[{i}].points"),
                b.points,
            ));
        }
        for (i, e) in r.expert_items.iter().enumerate() {
            points.push((
                format!("hte.innovation.expert_items[{i}].max_points"),
                e.max_points,
            ));
        }
        for (i, b) in t.staff_bands.iter().enumerate() {
            points.push((format!("tech_sme.staff_bands[{i}].points"), b.points));
        }
        for (i, b) in t.rd_bands.iter().enumerate() {
            points.push((format!("tech_sme.rd_bands[{i}].points"), b.points));
        }
        for (i, b) in t.ip_class2_bands.iter().enumerate() {
            points.push((format!("tech_sme.ip_class2_bands[{i}].points"), b.points));
        }
        for (path, value) in points {
            v.at_most(&path, u64::from(value), u64::from(MAX_POINTS));
        }
        v.at_most(
            "gazelle.max_age_years",
            g.max_age_years.into(),
            MAX_AGE_YEARS.into(),
        );
        v.at_most(
            "hte.min_registration_days",
            h.min_registration_days.into(),
            MAX_REGISTRATION_DAYS.into(),
        );
        self.validate_sizes(v);
    }

    /// Lists, counts and texts: a rule set is a table, not a store for arbitrary data.
    fn validate_sizes(&self, v: &mut Validator) {
        let (h, t) = (&self.hte, &self.tech_sme);
        let r = &h.innovation;
        for (path, len) in [
            ("hte.rd_intensity_bands", h.rd_intensity_bands.len()),
            (
                "hte.innovation.ip_quantity.class2_bands",
                r.ip_quantity.class2_bands.len(),
            ),
            ("hte.innovation.conversion.bands", r.conversion.bands.len()),
            ("hte.innovation.growth.bands", r.growth.bands.len()),
            ("tech_sme.staff_bands", t.staff_bands.len()),
            ("tech_sme.rd_bands", t.rd_bands.len()),
            ("tech_sme.ip_class2_bands", t.ip_class2_bands.len()),
        ] {
            v.at_most(path, len as u64, MAX_BANDS as u64);
        }
        v.at_most(
            "hte.innovation.expert_items",
            r.expert_items.len() as u64,
            MAX_EXPERT_ITEMS as u64,
        );
        for (i, b) in r.ip_quantity.class2_bands.iter().enumerate() {
            v.at_most(
                &format!("hte.innovation.ip_quantity.class2_bands[{i}].min_count"),
                b.min_count.into(),
                MAX_COUNT.into(),
            );
        }
        for (i, b) in t.ip_class2_bands.iter().enumerate() {
            v.at_most(
                &format!("tech_sme.ip_class2_bands[{i}].min_count"),
                b.min_count.into(),
                MAX_COUNT.into(),
            );
        }
        let mut texts = vec![
            ("version".to_owned(), &self.version, MAX_VERSION_CHARS),
            (
                "gazelle.note".to_owned(),
                &self.gazelle.note,
                MAX_TEXT_CHARS,
            ),
        ];
        for (i, e) in r.expert_items.iter().enumerate() {
            texts.push((
                format!("hte.innovation.expert_items[{i}].key"),
                &e.key,
                MAX_VERSION_CHARS,
            ));
            texts.push((
                format!("hte.innovation.expert_items[{i}].name_en"),
                &e.name_en,
                200,
            ));
            texts.push((
                format!("hte.innovation.expert_items[{i}].name_zh"),
                &e.name_zh,
                200,
            ));
        }
        for (path, text, max) in texts {
            if text.chars().count() > max {
                v.bound(
                    &path,
                    "max_length",
                    text!("must be at most {max} characters", "不得超过 {max} 个字符"),
                );
            }
        }
    }
}

#[derive(Default)]
struct Validator {
    errors: Vec<RuleError>,
}

impl Validator {
    fn err(&mut self, path: &str, message: Text) {
        self.errors.push((path.to_owned(), "rule_set", message));
    }

    /// A bound of one value, which the document states on the field.
    fn bound(&mut self, path: &str, rule: &'static str, message: Text) {
        self.errors.push((path.to_owned(), rule, message));
    }

    /// A decimal ratio must be finite and within 0..=1; returns whether it is.
    fn ratio(&mut self, path: &str, value: f64) -> bool {
        let ok = value.is_finite() && (0.0..=1.0).contains(&value);
        if !ok {
            self.bound(
                path,
                "range",
                Text::fixed(
                    "must be a ratio between 0 and 1 (e.g. 0.05 for 5 %)",
                    "须为 0 至 1 之间的比例（如 5% 填 0.05）",
                ),
            );
        }
        ok
    }

    fn at_most(&mut self, path: &str, value: u64, max: u64) {
        if value > max {
            self.bound(
                path,
                "maximum",
                text!("must be at most {max}", "不得大于 {max}"),
            );
        }
    }

    fn range(&mut self, path: &str, range: PointRange, max: u32) {
        if range.low > range.high {
            self.err(
                path,
                Text::fixed("low must not exceed high", "下限不得高于上限"),
            );
        }
        if range.high > max {
            self.err(
                path,
                text!(
                    "must not exceed the item maximum of {max}",
                    "不得超过该项满分 {max}"
                ),
            );
        }
    }
}
