//! The bulletin (通报) as a value: what every format shows, and what the JSON format is.
//!
//! In the OpenAPI document the parts are named `Bulletin…` (`BulletinFigure`, …) so they
//! cannot collide with the board's types.
//!
//! Ratios are decimals 0–1 (completion 0.9 is 90 %); a share's value keeps its exact
//! numerator and denominator beside the decimal; counts are integers, exactly the
//! snapshot's. Changes of a share are in the share's own unit (0.02 is two percentage
//! points).

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::regions::RegionLevel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::alert::{AlertKind, Severity};
use crate::domain::indicator::Comparator;
use crate::domain::snapshot::SnapshotStatus;

/// The periodic progress bulletin of a plan for a period (定期通报), for the province or one
/// region with its subdivisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Bulletin {
    /// Issuing authority (发文机关), e.g. 江苏省科学技术厅.
    pub issuer: String,
    /// Document number (发文字号), e.g. 苏科高〔2020〕12号, when one was given.
    pub document_number: Option<String>,
    /// Title (标题).
    pub title: String,
    /// Addressees (主送机关), e.g. 各设区市科技局.
    pub addressees: String,
    /// Date of issue (成文日期).
    pub issued_on: NaiveDate,
    /// The region the bulletin covers: the province, or a city with its counties.
    pub scope: RegionRef,
    pub plan_id: String,
    /// The period (统计期): `2020-09`, `2020-Q3` or `2020`.
    #[schema(example = "2020-09")]
    pub period: String,
    /// The period in Chinese, e.g. 2020年9月.
    pub period_zh: String,
    /// Date the figures describe (数据截至).
    pub as_of: NaiveDate,
    /// The snapshot the figures come from.
    pub snapshot: SnapshotRef,
    /// The snapshot of the previous period, which 环比 compares with.
    pub previous: Option<SnapshotRef>,
    /// The snapshot of the same period a year earlier, which 同比 compares with.
    pub year_earlier: Option<SnapshotRef>,
    /// Opening paragraph (导语).
    pub introduction: String,
    /// One sentence per indicator (总体进展).
    /// (A plan holds at most 1,000 indicators: allocation's body limit.)
    #[schema(max_items = 1000)]
    pub summary: Vec<String>,
    /// The scope's own figure for each indicator (主要指标).
    /// (A plan holds at most 1,000 indicators: allocation's body limit.)
    #[schema(max_items = 1000)]
    pub indicators: Vec<IndicatorLine>,
    /// Per indicator, the scope's subdivisions: the 13 cities, or a city's counties.
    /// (A plan holds at most 1,000 indicators: allocation's body limit.)
    #[schema(max_items = 1000)]
    pub region_tables: Vec<RegionTable>,
    /// Subdivisions behind 时序进度 by more than the margin (进度滞后地区): at most every
    /// subdivision (200) for every indicator (1,000).
    #[schema(max_items = 200000)]
    pub lagging: Vec<LaggingRegion>,
    /// One paragraph per indicator with lagging subdivisions, or one saying there are none.
    /// (A plan holds at most 1,000 indicators: allocation's body limit.)
    #[schema(max_items = 1000)]
    pub lagging_summary: Vec<String>,
    /// The period's alerts within the scope (预警), most severe first: of the newest 2,000
    /// alerts of the scope, those in force at the snapshot
    /// (`domain::limits::MAX_BULLETIN_ALERTS`).
    #[schema(max_items = 2000)]
    pub alerts: Vec<BulletinAlert>,
    pub alerts_summary: String,
    /// Published year-end assessments (考核结果); a city's bulletin holds its own line. One
    /// per year of the plan and assessed set of regions: at most 2,200
    /// (`domain::limits::MAX_PUBLISHED_ASSESSMENTS`).
    #[schema(max_items = 2200)]
    pub assessments: Vec<Assessment>,
    /// Closing requirements (工作要求): two fixed paragraphs.
    #[schema(max_items = 2)]
    pub requirements: Vec<String>,
    /// Notes on the data (说明): source, definitions, comparisons, and whether the snapshot
    /// is partial.
    #[schema(max_items = 4)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinRegion)]
pub struct RegionRef {
    #[schema(example = "320000")]
    pub code: String,
    #[schema(example = "江苏省")]
    pub name: String,
    pub level: RegionLevel,
}

/// Which snapshot figures come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinSnapshot)]
pub struct SnapshotRef {
    pub id: String,
    pub period: String,
    /// Revision of the period (第几版), 1 for the first.
    pub revision: i32,
    pub as_of: NaiveDate,
    pub status: SnapshotStatus,
    /// Why a partial snapshot is partial.
    pub partial_reason: Option<String>,
    /// When it was taken (UTC).
    #[serde(with = "hte_shared::time::utc")]
    pub taken_at: NaiveDateTime,
}

/// An indicator's value: a count, or a share with its exact parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinFigure)]
pub struct Figure {
    /// The count, or the share's numerator (分子).
    pub numerator: i64,
    /// The share's denominator (分母); absent for a count.
    pub denominator: Option<i64>,
    /// The count, or numerator ÷ denominator as a decimal.
    pub value: f64,
}

/// A change since an earlier snapshot (环比 or 同比).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinChange)]
pub struct Change {
    /// Current − earlier; for a share, in the share's unit (0.02 = 2 percentage points).
    pub delta: f64,
    /// delta ÷ earlier, when the earlier value is not zero.
    pub relative: Option<f64>,
}

/// Where one region stands on one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinReading)]
pub struct Reading {
    /// Target in force (目标值); a share's as a decimal.
    pub target: Option<f64>,
    /// Value (完成值); absent when the snapshot has none, with the reason.
    pub value: Option<Figure>,
    /// Why the value is missing (缺失原因).
    pub missing_reason: Option<String>,
    /// value ÷ target (完成率), where more is better and the target is positive.
    pub completion: Option<f64>,
    /// Whether the target is met (已完成目标).
    pub met: Option<bool>,
    /// Whether completion keeps up with 时序进度 within the margin (达到时序进度).
    pub on_track: Option<bool>,
    /// How far completion lags 时序进度, when it does (落后百分点, as a decimal).
    pub behind_by: Option<f64>,
    /// What is left (差距): target − value where more is better; value − target for a
    /// ceiling.
    pub gap: Option<f64>,
    /// 环比: since the previous period's snapshot.
    pub change_from_previous: Option<Change>,
    /// 同比: since the same period a year earlier.
    pub change_from_year_earlier: Option<Change>,
}

/// The scope's figure for one indicator (主要指标).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinIndicator)]
pub struct IndicatorLine {
    #[schema(example = "hte_count")]
    pub key: String,
    /// 指标名称
    pub name_zh: String,
    pub name_en: String,
    /// `ratio` for a share; otherwise what is counted (`enterprises`, `patents`, `yuan`).
    pub unit: String,
    pub comparator: Comparator,
    /// Expected completion by elapsed time on the as-of date (时序进度), 0–1.
    pub expected_completion: f64,
    pub window_starts_on: NaiveDate,
    pub window_ends_on: NaiveDate,
    #[serde(flatten)]
    pub reading: Reading,
}

/// One indicator across the scope's subdivisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinRegionTable)]
pub struct RegionTable {
    pub indicator_key: String,
    pub indicator_name_zh: String,
    pub unit: String,
    pub comparator: Comparator,
    pub expected_completion: f64,
    /// Level of the rows: `city` for the province's bulletin, `county` for a city's.
    pub level: RegionLevel,
    /// Whether ranks follow completion (where targets exist) or the value.
    pub ranked_by_completion: bool,
    /// A sentence on the leaders and how many keep pace.
    pub remark: String,
    /// By region code.
    #[schema(max_items = 200)] // hte_shared::regions::MAX_REGIONS
    pub rows: Vec<RegionLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinRegionLine)]
pub struct RegionLine {
    #[schema(example = "320500")]
    pub region_code: String,
    #[schema(example = "苏州市")]
    pub name: String,
    /// Rank among the table's regions (排名), 1 = best; equal figures share a rank.
    pub rank: Option<u32>,
    #[serde(flatten)]
    pub reading: Reading,
}

/// A subdivision behind 时序进度 on an indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinLaggingRegion)]
pub struct LaggingRegion {
    pub indicator_key: String,
    pub indicator_name_zh: String,
    pub region_code: String,
    pub name: String,
    pub completion: f64,
    pub expected_completion: f64,
    /// expected − completion, as a decimal.
    pub behind_by: f64,
}

/// An alert as the bulletin lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulletinAlert {
    pub id: String,
    pub kind: AlertKind,
    /// The kind in Chinese, e.g. 落后于时序进度.
    pub kind_zh: String,
    pub severity: Severity,
    /// 提示, 警告 or 严重.
    pub severity_zh: String,
    pub region_code: String,
    pub region_name: String,
    pub indicator_key: Option<String>,
    pub message_zh: String,
    pub message_en: String,
    #[serde(with = "hte_shared::time::utc")]
    pub first_seen: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub last_seen: NaiveDateTime,
    /// When the condition ended (已解除); absent while open.
    #[serde(with = "hte_shared::time::utc::option")]
    pub resolved_at: Option<NaiveDateTime>,
    /// Whether an official has acknowledged it (已确认).
    pub acknowledged: bool,
}

/// A published year-end assessment (考核结果) as the allocation service publishes it
/// (`GET /api/v1/plans/{id}/assessments`): each region's points per indicator of the
/// scoring scheme, the province's bonus/penalty points, the total and the rank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinAssessment)]
pub struct Assessment {
    pub id: String,
    pub plan_id: String,
    /// The year assessed (考核年度).
    #[schema(example = "2020")]
    pub period: String,
    /// Which regions were assessed (考核层级).
    pub level: AssessedLevel,
    /// The province (level `city`) or the city whose counties were assessed.
    #[schema(example = "320000")]
    pub parent_code: String,
    /// Date of the registry figures (统计截止日期).
    pub as_of: NaiveDate,
    /// The plan's scoring scheme version it was scored by (考核办法版本), 1, 2, ….
    #[schema(minimum = 1)]
    pub scheme_version: i32,
    /// The indicators of the scheme, in its order (a scheme has at most 20).
    #[schema(max_items = 20)]
    pub indicators: Vec<String>,
    /// When it was published (UTC).
    #[serde(default, with = "hte_shared::time::utc::option")]
    pub published_at: Option<NaiveDateTime>,
    /// One line per region within the bulletin's scope, by code.
    #[schema(max_items = 200)] // hte_shared::regions::MAX_REGIONS
    pub rows: Vec<AssessmentLine>,
}

/// Which regions an assessment covers (考核层级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = BulletinAssessedLevel)]
pub enum AssessedLevel {
    /// The 13 cities (设区市).
    City,
    /// One city's counties (县（市、区）).
    County,
}

/// One region's assessment result (考核结果).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinAssessmentLine)]
pub struct AssessmentLine {
    #[schema(example = "320500")]
    pub region_code: String,
    #[schema(example = "苏州市")]
    pub name: String,
    /// One per indicator of the scheme, in its order (a scheme has at most 20).
    #[schema(max_items = 20)]
    pub scores: Vec<IndicatorScore>,
    /// The province's bonus and penalty points (加减分合计).
    pub adjustment_points: f64,
    /// Indicator scores plus adjustments (总分).
    pub total: f64,
    /// Rank by total among every region assessed (排名), 1 = best; equal totals share a rank.
    pub rank: u32,
}

/// One region's result on one indicator of the scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = BulletinIndicatorScore)]
pub struct IndicatorScore {
    #[schema(example = "new_hte")]
    pub indicator: String,
    /// 目标任务
    pub target: i64,
    /// 完成数
    pub achieved: i64,
    /// 完成率, a decimal (1 for a target of 0).
    pub completion_rate: f64,
    /// 指标得分, with any bonus or deduction of the scheme.
    pub score: f64,
}

#[cfg(test)]
mod tests {
    use utoipa::{PartialSchema, ToSchema};

    use super::*;

    /// Every part of the bulletin's schema is collected for the OpenAPI document, and every
    /// reference in it points at one of them.
    #[test]
    fn the_schema_names_every_part_it_refers_to() {
        let mut parts = vec![(Bulletin::name().into_owned(), Bulletin::schema())];
        Bulletin::schemas(&mut parts);
        let names: std::collections::BTreeSet<String> =
            parts.iter().map(|(n, _)| n.clone()).collect();
        for expected in [
            "Bulletin",
            "BulletinFigure",
            "BulletinReading",
            "BulletinRegionLine",
            "BulletinAlert",
            "AlertKind",
            "Severity",
            "Comparator",
            "SnapshotStatus",
            "RegionLevel",
        ] {
            assert!(
                names.contains(expected),
                "{expected} missing from {names:?}"
            );
        }
        let json = serde_json::to_string(&parts).unwrap();
        for reference in json.split("\"#/components/schemas/").skip(1) {
            let name = &reference[..reference.find('"').unwrap()];
            assert!(names.contains(name), "dangling reference to {name}");
        }
        assert!(
            json.contains("\"at_least\""),
            "enums list their keys: {json}"
        );
    }
}
