//! Statistics by region (分地区统计) for monitoring and target allocation: counts and sums
//! computed in the database, one row per region in the caller's scope, and their totals.

use std::collections::HashMap;

use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;
use hte_shared::regions::{self, Region, RegionCode, RegionLevel};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::statistics::{self as queries, GroupBy, GroupCounts, StatisticsQuery};
use crate::error::RegistryError;

/// Counts of firms holding each label (称号) on the date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LabelCounts {
    /// 瞪羚企业
    pub gazelle: i64,
    /// 专精特新"小巨人"
    pub little_giant: i64,
    /// 制造业单项冠军
    pub single_champion: i64,
    /// 创新型领军企业
    pub innovative_leader: i64,
    /// 百强创新型企业
    pub top100: i64,
    /// 上市后备企业
    pub listing_pipeline: i64,
}

/// One region's figures on `as_of`. Counts exclude firms deregistered by then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegionStatistics {
    /// Division code (行政区划代码).
    pub region_code: String,
    /// Name (名称).
    pub name: String,
    /// Registered enterprises (登记企业数).
    pub registered: i64,
    /// Tech-SMEs registered for the year of as_of (科技型中小企业).
    pub tech_sme: i64,
    /// In the cultivation pool (入库培育企业).
    pub pool: i64,
    /// Valid HTEs (有效高新技术企业).
    pub hte: i64,
    pub labels: LabelCounts,
    /// Above-scale HTEs (规上高企).
    pub hte_above_scale: i64,
    /// Above-scale HTEs with an R&D institution in the report year (建有研发机构的规上高企).
    pub hte_above_scale_with_rd_institution: i64,
    /// HTEs in provincial high-tech zones (省级高新区内高企).
    pub hte_in_provincial_zone: i64,
    /// HTEs in national high-tech zones (国家级高新区内高企).
    pub hte_in_national_zone: i64,
    /// Sum of HTEs' R&D expense in the report year (高企研发费用), yuan.
    pub hte_rd_expense_yuan: i64,
    /// Sum of HTEs' effective invention patents (高企有效发明专利).
    pub hte_invention_patents: i64,
    /// Sum of HTEs' high-tech income in the report year (高企高新技术产品收入), yuan.
    pub hte_hightech_income_yuan: i64,
    /// Certificates issued between new_from and new_to (新认定高企).
    pub new_certificates: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Statistics {
    pub level: RegionLevel,
    /// Only counties of this city, when given.
    pub parent: Option<String>,
    pub as_of: NaiveDate,
    /// Year of the annual reports summed (默认为上一年度).
    pub report_year: i32,
    pub new_from: NaiveDate,
    pub new_to: NaiveDate,
    /// One row per region at `level` in scope, ordered by code (zeros included).
    #[schema(max_items = 200)]
    pub items: Vec<RegionStatistics>,
    /// The rows added up (region_code is the parent, or 320000).
    pub totals: RegionStatistics,
}

/// What to count: regions of one level (optionally one city's counties) on a date.
pub struct StatisticsRequest {
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
    pub as_of: NaiveDate,
    pub report_year: i32,
    pub new_from: NaiveDate,
    pub new_to: NaiveDate,
}

/// The level a caller's figures default to: a county official's figures are county figures.
pub fn default_level(caller: &Caller) -> RegionLevel {
    match caller.read_scope().and_then(regions::find) {
        Some(region) if region.level == RegionLevel::County => RegionLevel::County,
        _ => RegionLevel::City,
    }
}

/// The query for `request` within the caller's subtree; a parent outside it is a 403.
fn scoped_query(caller: &Caller, request: &StatisticsRequest) -> Result<StatisticsQuery, Problem> {
    let scope = caller.read_scope().copied();
    if let (Some(parent), Some(scope)) = (request.parent, scope)
        && !parent.is_within(&scope)
        && !scope.is_within(&parent)
    {
        return Err(Problem::forbidden(hte_shared::text!(
            "region {parent} is outside your region {scope}",
            "地区 {parent} 不在您的辖区 {scope} 之内"
        )));
    }
    let (city, county) = match scope.and_then(|code| regions::find(&code)) {
        Some(r) if r.level == RegionLevel::County => (None, Some(r.code)),
        Some(r) if r.level == RegionLevel::City => (Some(r.code), None),
        _ => (request.parent, None),
    };
    Ok(StatisticsQuery {
        group_by: if request.level == RegionLevel::City {
            GroupBy::City
        } else {
            GroupBy::County
        },
        city: city.or(request.parent),
        county,
        as_of: request.as_of,
        report_year: request.report_year,
        new_from: request.new_from,
        new_to: request.new_to,
    })
}

/// One region's row from its counts (zeros when it has none).
fn region_row(
    region: &Region,
    counts: Option<&GroupCounts>,
    new_certificates: i64,
) -> RegionStatistics {
    let c = counts.cloned().unwrap_or_default();
    RegionStatistics {
        region_code: region.code.to_string(),
        name: region.name.clone(),
        registered: c.registered,
        tech_sme: c.tech_sme,
        pool: c.pool,
        hte: c.hte,
        labels: LabelCounts {
            gazelle: c.gazelle,
            little_giant: c.little_giant,
            single_champion: c.single_champion,
            innovative_leader: c.innovative_leader,
            top100: c.top100,
            listing_pipeline: c.listing_pipeline,
        },
        hte_above_scale: c.hte_above_scale,
        hte_above_scale_with_rd_institution: c.hte_above_scale_with_rd_institution,
        hte_in_provincial_zone: c.hte_in_provincial_zone,
        hte_in_national_zone: c.hte_in_national_zone,
        hte_rd_expense_yuan: c.hte_rd_expense_yuan,
        hte_invention_patents: c.hte_invention_patents,
        hte_hightech_income_yuan: c.hte_hightech_income_yuan,
        new_certificates,
    }
}

/// Adds a region's figures to the totals.
fn add_to(t: &mut RegionStatistics, r: &RegionStatistics) {
    t.registered += r.registered;
    t.tech_sme += r.tech_sme;
    t.pool += r.pool;
    t.hte += r.hte;
    t.labels.gazelle += r.labels.gazelle;
    t.labels.little_giant += r.labels.little_giant;
    t.labels.single_champion += r.labels.single_champion;
    t.labels.innovative_leader += r.labels.innovative_leader;
    t.labels.top100 += r.labels.top100;
    t.labels.listing_pipeline += r.labels.listing_pipeline;
    t.hte_above_scale += r.hte_above_scale;
    t.hte_above_scale_with_rd_institution += r.hte_above_scale_with_rd_institution;
    t.hte_in_provincial_zone += r.hte_in_provincial_zone;
    t.hte_in_national_zone += r.hte_in_national_zone;
    t.hte_rd_expense_yuan += r.hte_rd_expense_yuan;
    t.hte_invention_patents += r.hte_invention_patents;
    t.hte_hightech_income_yuan += r.hte_hightech_income_yuan;
    t.new_certificates += r.new_certificates;
}

/// The figures the caller may see for `request`.
pub fn compute(
    conn: &mut DbConnection,
    caller: &Caller,
    request: &StatisticsRequest,
) -> Result<Statistics, RegistryError> {
    let query = scoped_query(caller, request)?;
    let (counts, new) = queries::load(conn, &query)?;
    let counts: HashMap<String, GroupCounts> = counts
        .into_iter()
        .map(|c| (c.region_code.clone(), c))
        .collect();
    let new: HashMap<String, i64> = new
        .into_iter()
        .map(|n| (n.region_code, n.new_certificates))
        .collect();
    let scope = caller.read_scope().copied();
    let parent = request.parent;
    let in_scope = |code: &RegionCode| {
        // A county official asking by city gets its city's row, holding its county's figures.
        scope.is_none_or(|s| code.is_within(&s) || s.is_within(code))
            && parent.is_none_or(|p| code.is_within(&p))
    };
    let items: Vec<RegionStatistics> = regions::all()
        .iter()
        .filter(|r| r.level == request.level && in_scope(&r.code))
        .map(|region| {
            let code = region.code.to_string();
            region_row(
                region,
                counts.get(&code),
                new.get(&code).copied().unwrap_or(0),
            )
        })
        .collect();
    let total_code = parent.or(scope).unwrap_or(regions::PROVINCE_CODE);
    let mut totals = RegionStatistics {
        region_code: total_code.to_string(),
        name: regions::find(&total_code)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    for item in &items {
        add_to(&mut totals, item);
    }
    Ok(Statistics {
        level: request.level,
        parent: parent.map(|p| p.to_string()),
        as_of: request.as_of,
        report_year: request.report_year,
        new_from: request.new_from,
        new_to: request.new_to,
        items,
        totals,
    })
}
