//! Carrier ranking (载体绩效排名) for the reward decision: every carrier of a region and kind
//! with the counts of `/carriers/{id}/performance`, a weighted score and a rank. Read in a few
//! set-based queries (the carriers, their incubations, then the incubated firms'
//! certificates, pool entries and labels), never one query per carrier.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;
use hte_shared::text;
use serde::Serialize;
use utoipa::ToSchema;

use super::exports::{made_at_row, region_cell};
use super::region_name;
use crate::db::carriers::{self as queries, CarrierFilter, CarrierRow};
use crate::db::{certificates, incubations, labels, pool_entries};
use crate::domain::carrier_performance::{self, FirmFacts, Performance, Weights};
use crate::domain::carriers::{CarrierKind, CarrierLevel};
use crate::error::{RegistryError, stored};
use crate::export::{Cell, Column, Language};

/// Most carriers one ranking holds (Jiangsu has a few thousand in all): the answer stays a
/// bounded document.
pub const MAX_RANKED: i64 = 10_000;

/// Keys bound per `IN (…)` list: well under SQLite's and PostgreSQL's parameter limits.
const KEYS_PER_QUERY: usize = 1_000;

/// One carrier's place in the ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedCarrier {
    /// Rank (名次): 1 + the number of carriers with a higher score; equal scores share it.
    #[schema(example = 1, minimum = 1, maximum = 10_000)]
    pub rank: i64,
    /// Score (得分): Σ weight × count.
    #[schema(example = 27, minimum = 0)]
    pub score: i64,
    /// Carrier id (载体编号).
    #[schema(
        example = "kunshan-sci-incubator",
        pattern = "^[a-z0-9][a-z0-9-]{1,39}$",
        max_length = 40
    )]
    pub carrier_id: String,
    /// Name (载体名称).
    #[schema(example = "昆山市科技创业孵化器", min_length = 2, max_length = 120)]
    pub name: String,
    pub kind: CarrierKind,
    /// Kind in Chinese (载体类型名称).
    #[schema(example = "孵化器", pattern = "^[一-龥]{2,10}$", max_length = 10)]
    pub kind_label: String,
    pub level: CarrierLevel,
    /// Level in Chinese (认定级别名称).
    #[schema(example = "省级", pattern = "^[一-龥]{2,10}$", max_length = 10)]
    pub level_label: String,
    /// County-level division (所在县区).
    #[schema(example = "320583", pattern = "^[0-9]{6}$", max_length = 6)]
    pub region_code: String,
    /// Its name (县区名称).
    #[schema(example = "昆山市", pattern = "^[一-龥]{2,20}$", max_length = 20)]
    pub region_name: String,
    /// Prefecture-level city (设区市).
    #[schema(example = "320500", pattern = "^[0-9]{6}$", max_length = 6)]
    pub city_code: String,
    /// Its name (设区市名称).
    #[schema(example = "苏州市", pattern = "^[一-龥]{2,20}$", max_length = 20)]
    pub city_name: String,
    /// The counts the score is made of.
    pub performance: Performance,
}

/// The ranking of the carriers a filter selects over `[from, to]`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CarrierRanking {
    /// First day of the period.
    #[schema(example = "2020-01-01", max_length = 10)]
    pub from: NaiveDate,
    /// Last day of the period.
    #[schema(example = "2023-12-31", max_length = 10)]
    pub to: NaiveDate,
    /// The weights the scores were computed with.
    pub weights: Weights,
    /// Every carrier, best first; equal scores by carrier id.
    #[schema(max_items = 10_000)]
    pub items: Vec<RankedCarrier>,
}

/// The certificates, pool entries and labels of `codes` as performance counts them (unrevoked
/// ones), one entry per code, read in chunks.
pub(super) fn facts_of_firms(
    conn: &mut DbConnection,
    codes: &[String],
) -> Result<BTreeMap<String, FirmFacts>, RegistryError> {
    let mut firms: BTreeMap<String, FirmFacts> = codes
        .iter()
        .map(|code| (code.clone(), FirmFacts::default()))
        .collect();
    for chunk in codes.chunks(KEYS_PER_QUERY) {
        for c in certificates::of_enterprises(conn, chunk)? {
            if let (Some(firm), None) = (firms.get_mut(&c.credit_code), c.revoked_on) {
                firm.certified_on.push(c.issued_on);
            }
        }
        for p in pool_entries::of_enterprises(conn, chunk)? {
            if let Some(firm) = firms.get_mut(&p.credit_code) {
                firm.pool_entered_on.push(p.entered_on);
            }
        }
        for l in labels::of_enterprises(conn, chunk)? {
            if let (Some(firm), None) = (firms.get_mut(&l.credit_code), l.revoked_on) {
                firm.labels.push((l.kind, l.year));
            }
        }
    }
    Ok(firms)
}

/// Starts of the incubations overlapping the period, per carrier, then per firm.
type Incubated = BTreeMap<String, BTreeMap<String, Vec<NaiveDate>>>;

fn incubated_in(
    conn: &mut DbConnection,
    carriers: &[CarrierRow],
    period: (NaiveDate, NaiveDate),
) -> Result<Incubated, RegistryError> {
    let ids: Vec<String> = carriers.iter().map(|c| c.id.clone()).collect();
    let mut incubated = Incubated::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        for row in incubations::of_carriers_in_period(conn, chunk, period)? {
            incubated
                .entry(row.carrier_id)
                .or_default()
                .entry(row.credit_code)
                .or_default()
                .push(row.started_on);
        }
    }
    Ok(incubated)
}

/// Ranks every carrier `filter` selects (already narrowed to the caller's region).
pub fn ranking(
    conn: &mut DbConnection,
    filter: &CarrierFilter,
    (from, to): (NaiveDate, NaiveDate),
    weights: Weights,
) -> Result<CarrierRanking, RegistryError> {
    let carriers = queries::all_matching(conn, filter, MAX_RANKED + 1)?;
    if carriers.len() > MAX_RANKED as usize {
        return Err(Problem::invalid_field(
            "region",
            "too_many_carriers",
            text!(
                "more than {MAX_RANKED} carriers match; narrow the ranking by region, kind or level",
                "符合条件的载体超过 {MAX_RANKED} 个，请按地区、类型或级别缩小排名范围"
            ),
        )
        .into());
    }
    let mut incubated = incubated_in(conn, &carriers, (from, to))?;
    let mut codes: Vec<String> = incubated.values().flat_map(|f| f.keys().cloned()).collect();
    codes.sort();
    codes.dedup();
    let facts = facts_of_firms(conn, &codes)?;
    let mut scored = Vec::with_capacity(carriers.len());
    for carrier in carriers {
        let mut firms = BTreeMap::new();
        for (code, starts) in incubated.remove(&carrier.id).into_iter().flatten() {
            let mut firm = facts
                .get(&code)
                .cloned()
                .ok_or_else(|| RegistryError::internal("incubated firm without facts", &code))?;
            firm.incubated_from = starts;
            firms.insert(code, firm);
        }
        let performance = carrier_performance::performance(&firms, to);
        let score = weights
            .score(&performance)
            .ok_or_else(|| RegistryError::internal("carrier score overflows", &carrier.id))?;
        scored.push((score, carrier.id.clone(), (carrier, performance)));
    }
    let items = carrier_performance::rank(scored)
        .into_iter()
        .map(|(rank, score, (carrier, performance))| {
            ranked_view(rank, score, &carrier, performance)
        })
        .collect::<Result<_, _>>()?;
    Ok(CarrierRanking {
        from,
        to,
        weights,
        items,
    })
}

fn ranked_view(
    rank: i64,
    score: i64,
    carrier: &CarrierRow,
    performance: Performance,
) -> Result<RankedCarrier, RegistryError> {
    let kind = stored("carriers.kind", &carrier.kind, CarrierKind::from_key)?;
    let level = stored("carriers.level", &carrier.level, CarrierLevel::from_key)?;
    Ok(RankedCarrier {
        rank,
        score,
        carrier_id: carrier.id.clone(),
        name: carrier.name.clone(),
        kind,
        kind_label: kind.name_zh().to_owned(),
        level,
        level_label: level.name_zh().to_owned(),
        region_code: carrier.region_code.clone(),
        region_name: region_name(&carrier.region_code)?,
        city_code: carrier.city_code.clone(),
        city_name: region_name(&carrier.city_code)?,
        performance,
    })
}

pub const COLUMNS: &[Column] = &[
    Column::new("rank", "名次"),
    Column::new("score", "得分"),
    Column::new("carrier_id", "载体编号"),
    Column::new("name", "载体名称"),
    Column::new("kind", "载体类型"),
    Column::new("level", "认定级别"),
    Column::new("region_code", "县区代码"),
    Column::new("region_name", "县区名称"),
    Column::new("city_code", "设区市代码"),
    Column::new("city_name", "设区市名称"),
    Column::new("firms_incubated", "在孵企业数"),
    Column::new("tech_smes", "科技型中小企业数"),
    Column::new("pool_members", "入库企业数"),
    Column::new("htes_certified", "高新技术企业数"),
    Column::new("labels_earned", "称号数"),
];

/// Spreadsheet rows of the ranking, counts as numbers.
pub fn rows_of(ranking: &CarrierRanking, language: Language) -> Vec<Vec<Cell>> {
    let zh = language == Language::Zh;
    ranking
        .items
        .iter()
        .map(|item| {
            let p = &item.performance;
            vec![
                item.rank.into(),
                item.score.into(),
                item.carrier_id.as_str().into(),
                item.name.as_str().into(),
                if zh {
                    item.kind.name_zh()
                } else {
                    item.kind.key()
                }
                .into(),
                if zh {
                    item.level.name_zh()
                } else {
                    item.level.key()
                }
                .into(),
                item.region_code.as_str().into(),
                item.region_name.as_str().into(),
                item.city_code.as_str().into(),
                item.city_name.as_str().into(),
                p.firms_incubated.into(),
                p.tech_smes.into(),
                p.pool_members.into(),
                p.htes_certified.into(),
                p.labels_earned.into(),
            ]
        })
        .collect()
}

/// The header block above the table: what was ranked, over which period, with which weights,
/// and when the sheet was made (`made_at` in UTC, shown in Beijing time).
pub fn preamble(
    ranking: &CarrierRanking,
    filter: &CarrierFilter,
    made_at: NaiveDateTime,
    language: Language,
) -> Result<Vec<Vec<Cell>>, RegistryError> {
    let zh = language == Language::Zh;
    let pick = |en: &'static str, zh_text: &'static str| if zh { zh_text } else { en };
    let region = filter
        .county
        .as_deref()
        .or(filter.city.as_deref())
        .unwrap_or(PROVINCE);
    let kind = stored_key(filter.kind.as_deref(), CarrierKind::from_key, |k| {
        (k.key(), k.name_zh())
    })?;
    let level = stored_key(filter.level.as_deref(), CarrierLevel::from_key, |l| {
        (l.key(), l.name_zh())
    })?;
    let all = || pick("all", "全部");
    let mut rows = vec![
        vec![pick("Carrier performance ranking", "创新创业载体绩效排名").into()],
        vec![
            pick("Period", "统计期间").into(),
            Cell::Date(ranking.from),
            pick("to", "至").into(),
            Cell::Date(ranking.to),
        ],
        vec![
            pick("Region", "地区").into(),
            region_cell(region)?,
            pick("Kind", "载体类型").into(),
            kind.map_or_else(all, |(en, zh_text)| pick(en, zh_text))
                .into(),
            pick("Level", "认定级别").into(),
            level
                .map_or_else(all, |(en, zh_text)| pick(en, zh_text))
                .into(),
        ],
        vec![
            pick("Score", "得分").into(),
            pick(
                "Σ weight × count; equal scores share a rank, listed by carrier id",
                "Σ 权重 × 企业数；得分相同者名次相同，按载体编号排列",
            )
            .into(),
        ],
    ];
    let headers = &COLUMNS[10..];
    for (column, weight) in headers.iter().zip(ranking.weights.as_array()) {
        let label = if zh {
            format!("权重：{}", column.zh)
        } else {
            format!("weight: {}", column.en)
        };
        rows.push(vec![label.into(), weight.into()]);
    }
    rows.push(made_at_row(
        (
            pick("Made at", "制表时间"),
            pick("Beijing time", "北京时间"),
        ),
        made_at,
    ));
    Ok(rows)
}

/// The province's code: a ranking without a narrower region covers it.
const PROVINCE: &str = "320000";

/// A filter's stored key read back as its English key and Chinese label.
fn stored_key<T>(
    key: Option<&str>,
    parse: fn(&str) -> Option<T>,
    labels: fn(T) -> (&'static str, &'static str),
) -> Result<Option<(&'static str, &'static str)>, RegistryError> {
    key.map(|k| stored("carrier filter", k, parse).map(labels))
        .transpose()
}
