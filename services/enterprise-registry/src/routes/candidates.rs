//! Candidate screening (遴选): firms ranked by how close they are to HTE recognition.
//!
//! Firms are read in batches of 500 in credit-code order, assessed, and only a bounded set of
//! the best-ranked is kept, so screening the province never holds every firm in memory and
//! runs three queries per batch, not per firm.

use std::collections::BinaryHeap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::openapi::BadRequest;
use hte_shared::pagination::{PageParams, encode_cursor};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::time::{parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::assessment::{facts_for, resolve_rule_set};
use super::enterprises::region_filter;
use crate::db::enterprises::{self as queries, ListCursor, ListFilter, SortKey};
use crate::domain::assessment::{OverallOutcome, Readiness, assess};
use crate::domain::status::EnterpriseStatus;
use crate::domain::tech_domain::TechDomain;
use crate::error::RegistryError;
use crate::export::{self, Cell, Column, Format, Language};

const BATCH: i64 = 500;

/// A condition the firm does not meet yet, with what it would take.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateGap {
    /// Condition key, e.g. `rd_intensity` (研发费用占比).
    pub condition: String,
    pub name_zh: String,
    /// Shortfall in the unit a manager acts on (yuan, staff, days, items, points).
    pub amount: i64,
    pub unit: String,
    pub advice_en: String,
    pub advice_zh: String,
}

/// One screened firm (候选企业).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    /// Position in the ranking, from 1.
    pub rank: u64,
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub city_code: String,
    pub tech_domain: Option<TechDomain>,
    /// HTE verdict (认定判断).
    pub outcome: OverallOutcome,
    /// Conditions failing (未达标条件数).
    pub failing: u32,
    /// Conditions that cannot be judged for lack of data (无法判断条件数).
    pub unknown: u32,
    /// Sum of the failing gaps relative to their thresholds (相对差距合计).
    pub relative_gap: f64,
    /// Keys of the failing conditions.
    pub failing_conditions: Vec<String>,
    pub gaps: Vec<CandidateGap>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidatePage {
    /// Rule set version used (规则版本).
    pub rule_set_version: String,
    pub as_of: NaiveDate,
    pub items: Vec<Candidate>,
    pub next_cursor: Option<String>,
}

/// Ranking key: fewer failing conditions, then smaller relative gaps, then fewer unknowns,
/// then credit code; a total order, so pages are stable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct RankKey {
    failing: u32,
    relative_gap_ppm: u64,
    unknown: u32,
    credit_code: String,
}

impl RankKey {
    fn new(readiness: Readiness, credit_code: &str) -> Self {
        Self {
            failing: readiness.failing,
            relative_gap_ppm: readiness.relative_gap_ppm,
            unknown: readiness.unknown,
            credit_code: credit_code.to_owned(),
        }
    }
}

struct Ranked(RankKey, Candidate);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateParams {
    /// Region subtree (default: yours).
    region: Option<String>,
    /// Technology domain key (技术领域).
    tech_domain: Option<String>,
    /// Keep firms failing at most this many conditions.
    max_failing: Option<u32>,
    /// `pool` (default): firms in the cultivation pool; `all`: every registered firm that is
    /// not a valid HTE.
    scope: Option<String>,
    /// Assessment date (default today).
    as_of: Option<String>,
    /// Rule set version (default the active one).
    rule_set: Option<String>,
    /// Page size, 1–500 (default 50); ignored for csv/xlsx, which hold the whole ranking.
    limit: Option<u32>,
    cursor: Option<String>,
    /// json (default), csv or xlsx; or use the Accept header.
    format: Option<String>,
    /// Header language of files: zh (default) or en.
    lang: Option<String>,
}

struct Screening {
    filter: ListFilter,
    pool_only: bool,
    max_failing: Option<u32>,
    as_of: NaiveDate,
    rule_set: Option<String>,
}

/// Streams the firms in scope, assessing each batch; `keep` sees every candidate in
/// credit-code order.
fn screen(
    conn: &mut DbConnection,
    screening: &Screening,
    keep: &mut dyn FnMut(RankKey, Candidate),
) -> Result<String, RegistryError> {
    let rules = resolve_rule_set(conn, screening.rule_set.as_deref())?;
    let mut filter = screening.filter.clone();
    if screening.pool_only {
        filter.status = Some((EnterpriseStatus::Pool, screening.as_of));
    }
    let mut after: Option<ListCursor> = None;
    loop {
        let rows = queries::list(conn, &filter, SortKey::CreditCode, after.as_ref(), BATCH)?;
        let Some(last) = rows.last() else { break };
        after = Some(ListCursor {
            sort: "credit_code".into(),
            value: last.credit_code.clone(),
            credit_code: last.credit_code.clone(),
        });
        let facts = facts_for(conn, &rows, screening.as_of)?;
        for (row, facts) in rows.iter().zip(facts) {
            let active = row.registered_on <= screening.as_of
                && row.deregistered_on.is_none_or(|d| d > screening.as_of);
            if !active || facts.holds_valid_hte_certificate {
                continue;
            }
            let assessment = assess(&facts, screening.as_of, &rules);
            let hte = &assessment.hte;
            if screening.max_failing.is_some_and(|max| hte.failing > max) {
                continue;
            }
            let readiness = hte.readiness();
            let gaps: Vec<CandidateGap> = hte
                .conditions
                .iter()
                .filter_map(|c| {
                    c.gap.as_ref().map(|gap| CandidateGap {
                        condition: c.key.clone(),
                        name_zh: c.name_zh.clone(),
                        amount: gap.amount,
                        unit: serde_json::to_value(gap.unit)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        advice_en: gap.advice_en.clone(),
                        advice_zh: gap.advice_zh.clone(),
                    })
                })
                .collect();
            let candidate = Candidate {
                rank: 0,
                credit_code: row.credit_code.clone(),
                name: row.name.clone(),
                region_code: row.region_code.clone(),
                city_code: row.city_code.clone(),
                tech_domain: facts.tech_domain,
                outcome: hte.outcome,
                failing: hte.failing,
                unknown: hte.unknown,
                relative_gap: readiness.relative_gap_ppm as f64 / 1_000_000.0,
                failing_conditions: hte
                    .conditions
                    .iter()
                    .filter(|c| c.outcome == crate::domain::assessment::Outcome::Fail)
                    .map(|c| c.key.clone())
                    .collect(),
                gaps,
            };
            keep(RankKey::new(readiness, &row.credit_code), candidate);
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(rules.version)
}

const COLUMNS: &[Column] = &[
    Column {
        en: "rank",
        zh: "排名",
    },
    Column {
        en: "credit_code",
        zh: "统一社会信用代码",
    },
    Column {
        en: "name",
        zh: "企业名称",
    },
    Column {
        en: "region_code",
        zh: "所在县区",
    },
    Column {
        en: "city_code",
        zh: "设区市",
    },
    Column {
        en: "outcome",
        zh: "认定判断",
    },
    Column {
        en: "failing",
        zh: "未达标条件数",
    },
    Column {
        en: "unknown",
        zh: "无法判断条件数",
    },
    Column {
        en: "relative_gap",
        zh: "相对差距合计",
    },
    Column {
        en: "advice_en",
        zh: "差距与建议",
    },
];

/// Pool firms (or all firms) in a region, ranked by readiness for HTE recognition: failing
/// conditions first, then the size of the gaps relative to their thresholds, then unknowns;
/// ties by credit code. As JSON pages, or the whole ranking as CSV/XLSX.
#[utoipa::path(
    tag = "assessment",
    params(CandidateParams),
    responses(
        (status = 200, description = "Ranked candidates (JSON page, or a CSV/XLSX file)",
            content((CandidatePage = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, response = BadRequest),
    )
)]
#[get("/candidates")]
pub async fn list_candidates(
    db: web::Data<Db>,
    caller: Caller,
    request: HttpRequest,
    params: web::Query<CandidateParams>,
) -> Result<HttpResponse, RegistryError> {
    let mut errors = Vec::new();
    let mut filter = region_filter(&caller, params.region.as_deref(), &mut errors)?;
    if let Some(raw) = params.tech_domain.as_deref() {
        match TechDomain::parse(raw) {
            Ok(domain) => filter.tech_domain = Some(domain.key().to_owned()),
            Err(e) => errors.push(FieldError::new("tech_domain", "enum", e)),
        }
    }
    let pool_only = match params.scope.as_deref().unwrap_or("pool") {
        "pool" => true,
        "all" => false,
        other => {
            errors.push(FieldError::new(
                "scope",
                "enum",
                format!("scope must be pool or all; got {other:?}"),
            ));
            true
        }
    };
    let as_of = parse_date_param("as_of", params.as_of.as_deref())
        .map_err(|p| errors.extend(p.errors))
        .ok()
        .flatten()
        .unwrap_or_else(today);
    let format = export::negotiate(
        params.format.as_deref(),
        request.headers().get("accept"),
        Format::Json,
    )
    .map_err(|p| errors.extend(p.errors))
    .unwrap_or(Format::Json);
    let language = Language::parse(params.lang.as_deref())
        .map_err(|p| errors.extend(p.errors))
        .unwrap_or(Language::Zh);
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor.clone(),
    }
    .parse::<RankKey>()
    .map_err(|p| errors.extend(p.errors))
    .ok();
    let Some(page) = page.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors).into());
    };
    let screening = Screening {
        filter,
        pool_only,
        max_failing: params.max_failing,
        as_of,
        rule_set: params.rule_set.clone(),
    };

    if format != Format::Json {
        let (version, mut all) = db
            .read(move |conn| {
                let mut all = Vec::new();
                let version = screen(conn, &screening, &mut |key, candidate| {
                    all.push(Ranked(key, candidate))
                })?;
                Ok::<_, RegistryError>((version, all))
            })
            .await?;
        all.sort();
        let rows: Vec<Vec<Cell>> = all
            .into_iter()
            .enumerate()
            .map(|(i, Ranked(_, c))| {
                let advice = c
                    .gaps
                    .iter()
                    .map(|g| {
                        if language == Language::Zh {
                            g.advice_zh.clone()
                        } else {
                            g.advice_en.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("；");
                vec![
                    Cell::Int(i as i64 + 1),
                    c.credit_code.into(),
                    c.name.into(),
                    c.region_code.into(),
                    c.city_code.into(),
                    serde_json::to_value(c.outcome)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .into(),
                    Cell::Int(i64::from(c.failing)),
                    Cell::Int(i64::from(c.unknown)),
                    Cell::Number(c.relative_gap),
                    advice.into(),
                ]
            })
            .collect();
        let bytes = match format {
            Format::Xlsx => export::xlsx_bytes("candidates", COLUMNS, &rows, language)?,
            _ => export::csv_bytes(COLUMNS, &rows, language)?,
        };
        return Ok(export::file_response(
            format,
            &format!("candidates-{as_of}-{version}"),
            bytes,
        ));
    }

    let limit = page.limit as usize;
    let after = page.after;
    let (version, before, ranked) = db
        .read(move |conn| {
            // The best `limit + 1` after the cursor: a max-heap whose top is the worst kept.
            let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(limit + 2);
            let mut before = 0u64;
            let version = screen(conn, &screening, &mut |key, candidate| {
                if after.as_ref().is_some_and(|a| key <= *a) {
                    before += 1;
                    return;
                }
                heap.push(Ranked(key, candidate));
                if heap.len() > limit + 1 {
                    heap.pop();
                }
            })?;
            Ok::<_, RegistryError>((version, before, heap.into_sorted_vec()))
        })
        .await?;
    let more = ranked.len() > limit;
    let mut items = Vec::with_capacity(limit);
    let mut next_cursor = None;
    for (i, Ranked(key, mut candidate)) in ranked.into_iter().take(limit).enumerate() {
        candidate.rank = before + i as u64 + 1;
        if more && i + 1 == limit {
            next_cursor = Some(encode_cursor(&key));
        }
        items.push(candidate);
    }
    Ok(HttpResponse::Ok().json(CandidatePage {
        rule_set_version: version,
        as_of,
        items,
        next_cursor,
    }))
}
