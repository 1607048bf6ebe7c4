//! Candidate screening (遴选): firms ranked by how close they are to HTE recognition.
//!
//! Firms are read in batches of 500 in credit-code order, assessed, and only a bounded set of
//! the best-ranked is kept, so screening the province never holds every firm in memory and
//! runs three queries per batch, not per firm.

use std::collections::BinaryHeap;

use chrono::{Datelike, NaiveDate};
use hte_shared::db::DbConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::assessment::{facts_for, resolve_rule_set};
use super::exports::{FIRM_COLUMNS, firm_cells};
use crate::db::enterprises::{self as queries, EnterpriseRow};
use crate::db::readiness::{self as readiness_queries, RankPosition, RankScope, ReadinessRow};
use crate::domain::assessment::{
    Assessment, FirmFacts, Outcome, OverallOutcome, Readiness, assess,
};
use crate::domain::dictionaries::{ASSESSMENT_OUTCOMES, HTE_STANDINGS, label_zh};
use crate::domain::listing::{ListCursor, ListFilter, ListPage};
use crate::domain::status::{EnterpriseStatus, HteStanding, hte_standing};
use crate::domain::tech_domain::TechDomain;
use crate::error::{RegistryError, json_key};
use crate::export::{self, Cell, Column, Language};

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
    /// First recognition, or a re-applicant whose status ends within the screening year
    /// (首次认定 / 重新认定).
    pub standing: HteStanding,
    /// Last day of the firm's current HTE status, for re-applicants (资格有效期至).
    pub hte_valid_until: Option<NaiveDate>,
    /// Conditions known to pass (已达标条件数).
    pub passing: u32,
    /// Conditions failing (未达标条件数).
    pub failing: u32,
    /// Conditions that cannot be judged for lack of data (无法判断条件数).
    pub unknown: u32,
    /// Sum of the failing gaps relative to their thresholds (相对差距合计).
    pub relative_gap: f64,
    /// Keys of the failing conditions (of the nine HTE conditions).
    #[schema(max_items = 9)]
    pub failing_conditions: Vec<String>,
    /// What each failing condition lacks.
    #[schema(max_items = 9)]
    pub gaps: Vec<CandidateGap>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidatePage {
    /// Rule set version used (规则版本).
    pub rule_set_version: String,
    pub as_of: NaiveDate,
    /// At most `limit` (1–500).
    #[schema(max_items = 500)]
    pub items: Vec<Candidate>,
    /// Pass as `cursor` to get the next page; null on the last page.
    #[schema(pattern = "^[A-Za-z0-9_-]+$")] // `encode_cursor`'s base64url
    pub next_cursor: Option<String>,
}

/// Ranking key: the firm's [`Readiness`] (more known passes, fewer failing, smaller relative
/// gaps, fewer unknowns), then credit code; a total order, so pages are stable.
///
/// As a cursor it also carries the rank of the row it names, so a stored ranking need not
/// count the rows before it (absent in cursors of older versions: then they are counted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RankKey {
    readiness: Readiness,
    credit_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rank: Option<u64>,
}

impl RankKey {
    fn new(readiness: Readiness, credit_code: &str) -> Self {
        Self {
            readiness,
            credit_code: credit_code.to_owned(),
            rank: None,
        }
    }

    fn at_rank(self, rank: u64) -> Self {
        Self {
            rank: Some(rank),
            ..self
        }
    }

    /// What the ranking orders by (the rank a cursor carries is not part of it).
    fn order(&self) -> (Readiness, &str) {
        (self.readiness, &self.credit_code)
    }
}

/// A candidate with its ranking key, ordered by the key.
struct Ranked(RankKey, Candidate);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.0.order() == other.0.order()
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
        self.0.order().cmp(&other.0.order())
    }
}

/// Which firms to screen, on which date, under which rules.
pub struct Screening {
    pub filter: ListFilter,
    /// Only firms in the cultivation pool; otherwise every registered firm that does not hold
    /// the HTE status beyond the screening year.
    pub pool_only: bool,
    pub max_failing: Option<u32>,
    pub as_of: NaiveDate,
    pub rule_set: Option<String>,
}

/// The candidate a firm's assessment makes, unless it is out of the screening.
pub(crate) fn candidate_of(
    row: &EnterpriseRow,
    facts: &FirmFacts,
    assessment: &Assessment,
    max_failing: Option<u32>,
) -> Result<Option<(RankKey, Candidate)>, RegistryError> {
    let hte = &assessment.hte;
    if max_failing.is_some_and(|max| hte.failing > max) {
        return Ok(None);
    }
    let readiness = hte.readiness();
    let mut gaps = Vec::new();
    for condition in &hte.conditions {
        if let Some(gap) = &condition.gap {
            gaps.push(CandidateGap {
                condition: condition.key.clone(),
                name_zh: condition.name_zh.clone(),
                amount: gap.amount,
                unit: json_key(gap.unit)?,
                advice_en: gap.advice_en.clone(),
                advice_zh: gap.advice_zh.clone(),
            });
        }
    }
    let candidate = Candidate {
        rank: 0,
        credit_code: row.credit_code.clone(),
        name: row.name.clone(),
        region_code: row.region_code.clone(),
        city_code: row.city_code.clone(),
        tech_domain: facts.tech_domain,
        outcome: hte.outcome,
        standing: hte_standing(facts.hte_valid_until, assessment.as_of.year()),
        hte_valid_until: facts.hte_valid_until,
        passing: hte.passing,
        failing: hte.failing,
        unknown: hte.unknown,
        relative_gap: readiness.relative_gap_ppm as f64 / 1_000_000.0,
        failing_conditions: hte
            .conditions
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .map(|c| c.key.clone())
            .collect(),
        gaps,
    };
    Ok(Some((RankKey::new(readiness, &row.credit_code), candidate)))
}

/// Streams the firms in scope, assessing each batch; `keep` sees every candidate in
/// credit-code order. Returns the rule set version used.
fn screen(
    conn: &mut DbConnection,
    screening: &Screening,
    keep: &mut dyn FnMut(RankKey, Candidate),
) -> Result<String, RegistryError> {
    let rules = resolve_rule_set(conn, screening.rule_set.as_deref())?;
    let as_of = screening.as_of;
    let mut filter = screening.filter.clone();
    if screening.pool_only {
        filter.status = Some((EnterpriseStatus::Pool, as_of));
    }
    let mut after: Option<ListCursor> = None;
    loop {
        let rows = queries::list(
            conn,
            ListPage::by_credit_code(&filter, after.as_ref(), BATCH),
        )?;
        let Some(last) = rows.last() else { break };
        after = Some(ListCursor::at_credit_code(last.credit_code.clone()));
        let facts = facts_for(conn, &rows, as_of)?;
        for (row, facts) in rows.iter().zip(facts) {
            let active =
                row.registered_on <= as_of && row.deregistered_on.is_none_or(|d| d > as_of);
            let standing = hte_standing(facts.hte_valid_until, as_of.year());
            if !active || standing == HteStanding::Certified {
                continue;
            }
            let assessment = assess(&facts, as_of, &rules);
            if let Some((key, candidate)) =
                candidate_of(row, &facts, &assessment, screening.max_failing)?
            {
                keep(key, candidate);
            }
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    Ok(rules.version)
}

/// The finished readiness build a screening can read: of the requested rule set on the
/// screening date; without a request, of the active one, else (while the active one is
/// being built) the previous one. `None`: assess live.
pub fn readiness_scope(
    conn: &mut DbConnection,
    screening: &Screening,
) -> Result<Option<RankScope>, RegistryError> {
    let rules = resolve_rule_set(conn, screening.rule_set.as_deref())?;
    let finished: Vec<_> = readiness_queries::builds(conn)?
        .into_iter()
        .filter(|b| b.finished_at.is_some() && b.screened_on == screening.as_of)
        .collect();
    let chosen = finished
        .iter()
        .find(|b| b.rule_set_version == rules.version)
        .or_else(|| finished.last().filter(|_| screening.rule_set.is_none()));
    Ok(chosen.map(|build| RankScope {
        rule_set_version: build.rule_set_version.clone(),
        screened_on: build.screened_on,
        pool_only: screening.pool_only,
        city: screening.filter.city.map(|c| c.to_string()),
        county: screening.filter.county.map(|c| c.to_string()),
        tech_domain: screening.filter.tech_domain.clone(),
        max_failing: screening
            .max_failing
            .map(|m| i32::try_from(m).unwrap_or(i32::MAX)),
    }))
}

fn count_of(value: i32) -> Result<u32, RegistryError> {
    u32::try_from(value).map_err(|e| RegistryError::internal("stored readiness count", e))
}

/// A stored readiness row's ranking key and candidate.
fn ranked_row(row: &ReadinessRow) -> Result<(RankKey, Candidate), RegistryError> {
    let readiness = Readiness {
        passing: count_of(row.passing)?,
        failing: count_of(row.failing)?,
        relative_gap_ppm: u64::try_from(row.relative_gap_ppm)
            .map_err(|e| RegistryError::internal("stored readiness gap", e))?,
        unknown: count_of(row.unknown)?,
    };
    let candidate: Candidate = serde_json::from_str(&row.candidate_json).map_err(|e| {
        RegistryError::internal(
            "stored candidate does not parse",
            format!("{}: {e}", row.credit_code),
        )
    })?;
    Ok((RankKey::new(readiness, &row.credit_code), candidate))
}

impl RankKey {
    fn position(&self) -> RankPosition {
        let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        RankPosition {
            failing: int(self.readiness.failing),
            relative_gap_ppm: i64::try_from(self.readiness.relative_gap_ppm).unwrap_or(i64::MAX),
            unknown: int(self.readiness.unknown),
            credit_code: self.credit_code.clone(),
        }
    }
}

/// A page read from the readiness table: an index range scan and, after a cursor, a count.
fn stored_page(
    conn: &mut DbConnection,
    scope: &RankScope,
    after: Option<&RankKey>,
    limit: usize,
) -> Result<CandidatePage, RegistryError> {
    let position = after.map(RankKey::position);
    let rows = readiness_queries::page(conn, scope, position.as_ref(), limit as i64 + 1)?;
    let before = match (&position, after.and_then(|a| a.rank)) {
        (_, Some(rank)) => rank,
        (Some(p), None) => readiness_queries::count_through(conn, scope, p)?.unsigned_abs(),
        (None, None) => 0,
    };
    let more = rows.len() > limit;
    let ranked: Vec<_> = rows
        .iter()
        .take(limit)
        .map(ranked_row)
        .collect::<Result<_, _>>()?;
    let build = (scope.rule_set_version.clone(), scope.screened_on);
    Ok(numbered_page(build, ranked, (before, more)))
}

/// A page of ranked candidates of the rule set and date given, numbered after the `before`
/// ranked ahead of them; when `more` follow, the cursor continues after the last.
fn numbered_page(
    (rule_set_version, as_of): (String, NaiveDate),
    ranked: Vec<(RankKey, Candidate)>,
    (before, more): (u64, bool),
) -> CandidatePage {
    let last = ranked.len();
    let mut items = Vec::with_capacity(last);
    let mut next_cursor = None;
    for (i, (key, mut candidate)) in ranked.into_iter().enumerate() {
        candidate.rank = before + i as u64 + 1;
        if more && i + 1 == last {
            let key = key.at_rank(candidate.rank);
            next_cursor = Some(hte_shared::pagination::encode_cursor(&key));
        }
        items.push(candidate);
    }
    CandidatePage {
        rule_set_version,
        as_of,
        items,
        next_cursor,
    }
}

/// The page of at most `limit` candidates ranked after `after`, with the key to continue
/// from when more follow: from the readiness table when a build covers the screening,
/// otherwise assessed live.
pub fn page(
    conn: &mut DbConnection,
    screening: &Screening,
    after: Option<&RankKey>,
    limit: usize,
) -> Result<CandidatePage, RegistryError> {
    if let Some(scope) = readiness_scope(conn, screening)? {
        return stored_page(conn, &scope, after, limit);
    }
    live_page(conn, screening, after, limit)
}

/// [`page`] by assessing every firm in scope.
pub fn live_page(
    conn: &mut DbConnection,
    screening: &Screening,
    after: Option<&RankKey>,
    limit: usize,
) -> Result<CandidatePage, RegistryError> {
    // The best `limit + 1` after the cursor: a max-heap whose top is the worst kept.
    let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(limit + 2);
    let mut before = 0u64;
    let version = screen(conn, screening, &mut |key, candidate| {
        if after.is_some_and(|a| key.order() <= a.order()) {
            before += 1;
            return;
        }
        heap.push(Ranked(key, candidate));
        if heap.len() > limit + 1 {
            heap.pop();
        }
    })?;
    let ranked = heap.into_sorted_vec();
    let more = ranked.len() > limit;
    let ranked = ranked
        .into_iter()
        .take(limit)
        .map(|Ranked(key, c)| (key, c))
        .collect();
    Ok(numbered_page(
        (version, screening.as_of),
        ranked,
        (before, more),
    ))
}

pub const COLUMNS: &[Column] = &export::columns::<14>(&[
    &[Column::new("rank", "排名")],
    &FIRM_COLUMNS,
    &[
        Column::new("outcome", "认定判断"),
        Column::new("failing", "未达标条件数"),
        Column::new("unknown", "无法判断条件数"),
        Column::new("relative_gap", "相对差距合计"),
        Column::new("advice_en", "差距与建议"),
        Column::new("passing", "已达标条件数"),
        Column::new("standing", "申报类型"),
    ],
]);

/// Rows of a stored ranking read per query by the exports.
pub const EXPORT_PAGE: i64 = 1_000;

/// Where a stored ranking's export is: after which row, and how many came before.
#[derive(Debug, Clone, Default)]
pub struct ExportPosition {
    after: Option<RankPosition>,
    rank: u64,
}

/// The next [`EXPORT_PAGE`] rows of a stored ranking as spreadsheet rows (the position
/// advanced), or `None` when done: an index range scan per page, so an export of the
/// province holds one page at a time.
pub fn next_export_page(
    conn: &mut DbConnection,
    scope: &RankScope,
    position: &mut ExportPosition,
    language: Language,
) -> Result<Option<Vec<Vec<Cell>>>, RegistryError> {
    let rows = readiness_queries::page(conn, scope, position.after.as_ref(), EXPORT_PAGE)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let (key, candidate) = ranked_row(row)?;
        position.after = Some(key.position());
        position.rank += 1;
        out.push(export_row(position.rank, candidate, language)?);
    }
    Ok(Some(out))
}

/// The whole ranking assessed live as spreadsheet rows, and the rule set version used: for
/// dates and rule sets no readiness build covers, so every candidate is held to be sorted.
pub fn live_ranking_rows(
    conn: &mut DbConnection,
    screening: &Screening,
    language: Language,
) -> Result<(String, Vec<Vec<Cell>>), RegistryError> {
    let mut all = Vec::new();
    let version = screen(conn, screening, &mut |key, candidate| {
        all.push(Ranked(key, candidate))
    })?;
    all.sort();
    let mut rows = Vec::with_capacity(all.len());
    for (i, Ranked(_, candidate)) in all.into_iter().enumerate() {
        rows.push(export_row(i as u64 + 1, candidate, language)?);
    }
    Ok((version, rows))
}

/// One candidate as a spreadsheet row under [`COLUMNS`].
fn export_row(rank: u64, c: Candidate, language: Language) -> Result<Vec<Cell>, RegistryError> {
    let advice = c
        .gaps
        .iter()
        .map(|g| match language {
            Language::Zh => g.advice_zh.as_str(),
            Language::En => g.advice_en.as_str(),
        })
        .collect::<Vec<_>>()
        .join("；");
    let outcome = in_language(ASSESSMENT_OUTCOMES, json_key(c.outcome)?, language)?;
    let standing = in_language(HTE_STANDINGS, json_key(c.standing)?, language)?;
    let mut row = vec![Cell::Int(i64::try_from(rank).unwrap_or(i64::MAX))];
    row.extend(firm_cells(
        (c.credit_code, c.name),
        (c.region_code, c.city_code),
    )?);
    row.extend([
        outcome.into(),
        Cell::Int(i64::from(c.failing)),
        Cell::Int(i64::from(c.unknown)),
        Cell::Number(c.relative_gap),
        advice.into(),
        Cell::Int(i64::from(c.passing)),
        standing.into(),
    ]);
    Ok(row)
}

/// A code value as a Chinese file shows it: its label (a key without one is a fault of ours).
fn in_language(
    labels: &[(&'static str, &'static str, &'static str)],
    key: String,
    language: Language,
) -> Result<String, RegistryError> {
    match language {
        Language::En => Ok(key),
        Language::Zh => label_zh(labels, &key)
            .map(str::to_owned)
            .ok_or_else(|| RegistryError::internal("a code value without a Chinese label", key)),
    }
}

/// The header block of a Chinese ranking file: screening date, rule set, region and time made
/// (`made_at` in UTC, shown in Beijing time).
pub fn preamble(
    as_of_and_rule_set: (NaiveDate, &str),
    filter: &ListFilter,
    made_at: chrono::NaiveDateTime,
) -> Result<Vec<Vec<Cell>>, RegistryError> {
    super::exports::header_block(
        ("高新技术企业培育候选企业排名", "评估日期"),
        as_of_and_rule_set,
        filter,
        made_at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The candidates' cursor, at its largest, stays within the documented cursor bound.
    #[test]
    fn the_largest_rank_key_fits_the_cursor_bound() {
        let readiness = Readiness {
            passing: u32::MAX,
            failing: u32::MAX,
            relative_gap_ppm: u64::MAX,
            unknown: u32::MAX,
        };
        let key = RankKey::new(readiness, &"Z".repeat(64)).at_rank(u64::MAX);
        assert!(hte_shared::pagination::cursor_fits(&key));
    }
}
