//! Readiness for candidate screening (遴选就绪度): each firm's HTE assessment under a rule set
//! on a screening date, stored so the ranking is read, not recomputed, per request.
//!
//! Every write that changes a firm's facts refreshes the firm's rows in the same transaction
//! (through the audit trail, which every write passes); a build fills a new rule set or date in
//! batches, each its own transaction, so writes are never blocked for long.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::assessment::{facts_with_certificates, resolve_rule_set};
use super::candidates::candidate_of;
use crate::db::enterprises::{self as enterprise_queries, EnterpriseRow};
use crate::db::readiness::{self as queries, BuildRow, RankScope, ReadinessRow};
use crate::domain::assessment::{OverallOutcome, RuleSet, assess};
use crate::domain::listing::{ListCursor, ListFilter, ListPage};
use crate::domain::status::{EnterpriseStatus, HteStanding, StatusFacts, status_on};
use crate::error::{RegistryError, json_key};

/// Firms per build batch (one transaction each).
pub const BUILD_BATCH: i64 = 500;

/// Audit entity types whose changes alter a firm's assessment.
pub const FIRM_FACTS: [&str; 5] = [
    "enterprise",
    "annual_report",
    "pool_entry",
    "certificate",
    "declaration",
];

/// The readiness rows of `firms` under `rules` on `screened_on`.
pub fn rows_for(
    conn: &mut DbConnection,
    rules: &RuleSet,
    screened_on: NaiveDate,
    firms: &[EnterpriseRow],
) -> Result<Vec<ReadinessRow>, RegistryError> {
    let codes: Vec<String> = firms.iter().map(|f| f.credit_code.clone()).collect();
    let certificates = enterprise_queries::certificate_spans(conn, &codes)?;
    let facts = facts_with_certificates(conn, firms, screened_on, &certificates)?;
    let pools = enterprise_queries::pool_spans(conn, &codes)?;
    let mut rows = Vec::with_capacity(firms.len());
    for (firm, facts) in firms.iter().zip(facts) {
        let assessment = assess(&facts, screened_on, rules);
        let (_, candidate) = candidate_of(firm, &facts, &assessment, None)?
            .ok_or_else(|| RegistryError::internal("no candidate row", &firm.credit_code))?;
        let status = status_on(
            &StatusFacts {
                registered_on: firm.registered_on,
                deregistered_on: firm.deregistered_on,
                certificates: certificates
                    .get(&firm.credit_code)
                    .map_or(&[], Vec::as_slice),
                pool_entries: pools.get(&firm.credit_code).map_or(&[], Vec::as_slice),
            },
            screened_on,
        );
        let active = firm.registered_on <= screened_on
            && firm.deregistered_on.is_none_or(|d| d > screened_on);
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let readiness = assessment.hte.readiness();
        rows.push(ReadinessRow {
            rule_set_version: rules.version.clone(),
            screened_on,
            credit_code: firm.credit_code.clone(),
            region_code: firm.region_code.clone(),
            city_code: firm.city_code.clone(),
            tech_domain: firm.tech_domain.clone(),
            in_pool: status == EnterpriseStatus::Pool,
            eligible: active && candidate.standing != HteStanding::Certified,
            outcome: json_key(candidate.outcome)?,
            passing: count(readiness.passing),
            not_passing: count(readiness.failing + readiness.unknown),
            failing: count(readiness.failing),
            unknown: count(readiness.unknown),
            relative_gap_ppm: i64::try_from(readiness.relative_gap_ppm).unwrap_or(i64::MAX),
            candidate_json: serde_json::to_string(&candidate)
                .map_err(|e| RegistryError::internal("cannot serialise a candidate", e))?,
        });
    }
    Ok(rows)
}

/// Recomputes the rows of the firms `codes` in every build, in the caller's transaction.
pub fn refresh(conn: &mut DbConnection, codes: &[String]) -> Result<(), RegistryError> {
    queries::fence_builds(conn, false)?;
    let builds = queries::builds(conn)?;
    if builds.is_empty() || codes.is_empty() {
        return Ok(());
    }
    queries::lock_firms(conn, codes, true)?;
    let firms = enterprise_queries::find_many(conn, codes)?;
    let mut rules: HashMap<String, RuleSet> = HashMap::new();
    for build in builds {
        let version = build.rule_set_version;
        if !rules.contains_key(&version) {
            let resolved = resolve_rule_set(conn, Some(&version))?;
            rules.insert(version.clone(), resolved);
        }
        let Some(set) = rules.get(&version) else {
            continue;
        };
        let rows = rows_for(conn, set, build.screened_on, &firms)?;
        queries::replace_rows(conn, (&version, build.screened_on), codes, &rows)?;
    }
    Ok(())
}

/// Registers a build of `version` on `screened_on`, to be filled by [`build_batch`].
pub fn start_build(
    conn: &mut DbConnection,
    version: &str,
    screened_on: NaiveDate,
) -> Result<BuildRow, RegistryError> {
    // Writes in flight finish first; later ones see this build (see `fence_builds`).
    queries::fence_builds(conn, true)?;
    let build = BuildRow {
        rule_set_version: version.to_owned(),
        screened_on,
        started_at: now(),
        finished_at: None,
        firms_done: 0,
        firms_total: enterprise_queries::count(conn)?,
    };
    queries::start_build(conn, &build)?;
    Ok(build)
}

/// Workers filling one build at once on PostgreSQL, each over its own range of credit
/// codes: a batch alternates between the database (facts read, rows written) and this process
/// (assessment), so one worker keeps about one core busy; two keep a small server's two busy
/// (one worker took 114 s for 200,000 firms in a release build on a busy 2-core machine).
/// SQLite has one writer, so one worker.
pub const BUILD_WORKERS_POSTGRES: i64 = 2;

/// The part of a build one worker fills: the firms after `after` up to `until` (inclusive;
/// `None`: to the last), in credit-code order.
#[derive(Debug, Clone, Default)]
pub struct BuildRange {
    pub after: Option<String>,
    pub until: Option<String>,
}

/// Fills the next batch of `range`; returns the rest of the range, or `None` once it is
/// done. Each batch adds its firms to the build's progress.
pub fn build_batch(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
    range: &BuildRange,
) -> Result<Option<BuildRange>, RegistryError> {
    queries::commit_batch_lazily(conn)?;
    let rules = resolve_rule_set(conn, Some(version))?;
    let cursor = range.after.clone().map(ListCursor::at_credit_code);
    let filter = ListFilter::default();
    let page = ListPage::by_credit_code(&filter, cursor.as_ref(), BUILD_BATCH);
    let mut firms = enterprise_queries::list(conn, page)?;
    let listed = firms.len();
    // Credit codes are digits and capital letters, which every collation orders as bytes.
    if let Some(until) = &range.until {
        firms.retain(|f| f.credit_code <= *until);
    }
    let more = listed as i64 == BUILD_BATCH && firms.len() == listed;
    let codes: Vec<String> = firms.iter().map(|f| f.credit_code.clone()).collect();
    // Waits for writes in flight on these firms, so the facts read below include them.
    queries::lock_firms(conn, &codes, false)?;
    let rows = rows_for(conn, &rules, screened_on, &firms)?;
    queries::replace_rows(conn, (version, screened_on), &codes, &rows)?;
    queries::add_progress(conn, (version, screened_on), firms.len() as i64)?;
    Ok(match codes.last() {
        Some(last) if more => Some(BuildRange {
            after: Some(last.clone()),
            until: range.until.clone(),
        }),
        _ => None,
    })
}

/// Marks a filled build finished, so reads move over, and drops the builds it replaces: those
/// of other rule sets, and those of this rule set for days before today (the daily schedule
/// keeps today's and tomorrow's).
pub fn finish_build(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
) -> Result<(), RegistryError> {
    queries::finish(conn, (version, screened_on), now())?;
    let today = hte_shared::time::today();
    for other in queries::builds(conn)? {
        let itself = (other.rule_set_version.as_str(), other.screened_on) == (version, screened_on);
        let replaced = other.rule_set_version != version || other.screened_on < today;
        if !itself && replaced {
            queries::drop_build(conn, (&other.rule_set_version, other.screened_on))?;
        }
    }
    Ok(())
}

/// `workers` ranges holding about as many firms each, in credit-code order.
pub fn split_firms(
    conn: &mut DbConnection,
    workers: i64,
) -> Result<Vec<BuildRange>, RegistryError> {
    let total = enterprise_queries::count(conn)?;
    let mut ranges = Vec::new();
    let mut after: Option<String> = None;
    for k in 1..workers {
        let last_of_part = total * k / workers - 1;
        if last_of_part < 0 {
            continue;
        }
        if let Some(code) = enterprise_queries::code_at(conn, last_of_part)? {
            if after.as_ref().is_some_and(|a| *a >= code) {
                continue;
            }
            ranges.push(BuildRange {
                after: after.replace(code.clone()),
                until: Some(code),
            });
        }
    }
    ranges.push(BuildRange { after, until: None });
    Ok(ranges)
}

/// Fills a registered build, batch by batch (each batch its own transaction), by
/// [`BUILD_WORKERS_POSTGRES`] workers at once on PostgreSQL and one on SQLite, then marks it
/// finished.
pub async fn run_build(
    db: &hte_shared::db::Db,
    version: &str,
    screened_on: NaiveDate,
) -> Result<(), RegistryError> {
    let workers = match db.backend() {
        hte_shared::db::Backend::Postgres => BUILD_WORKERS_POSTGRES,
        hte_shared::db::Backend::Sqlite => 1,
    };
    let ranges = db.read(move |conn| split_firms(conn, workers)).await?;
    let parts = ranges
        .into_iter()
        .map(|range| fill_range(db, (version, screened_on), range));
    futures_util::future::try_join_all(parts).await?;
    let key = version.to_owned();
    db.write(move |conn| finish_build(conn, (&key, screened_on)))
        .await
}

async fn fill_range(
    db: &hte_shared::db::Db,
    (version, screened_on): (&str, NaiveDate),
    mut range: BuildRange,
) -> Result<(), RegistryError> {
    loop {
        let (key, at) = (version.to_owned(), range.clone());
        let step = db
            .write(move |conn| build_batch(conn, (&key, screened_on), &at))
            .await?;
        match step {
            Some(rest) => range = rest,
            None => return Ok(()),
        }
    }
}

/// A readiness build and its progress (遴选就绪度计算).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BuildView {
    /// Rule set version (规则版本).
    pub rule_set_version: String,
    /// Screening date (遴选日期).
    pub screened_on: NaiveDate,
    #[serde(with = "hte_shared::time::utc")]
    pub started_at: NaiveDateTime,
    /// When it finished; null while it runs (reads use the previous build meanwhile).
    #[serde(with = "hte_shared::time::utc::option")]
    pub finished_at: Option<NaiveDateTime>,
    /// Firms done so far (已完成企业数).
    pub firms_done: i64,
    /// Firms stored when it started (企业总数).
    pub firms_total: i64,
}

pub fn view_of(build: &BuildRow) -> BuildView {
    BuildView {
        rule_set_version: build.rule_set_version.clone(),
        screened_on: build.screened_on,
        started_at: build.started_at,
        finished_at: build.finished_at,
        firms_done: build.firms_done,
        firms_total: build.firms_total,
    }
}

/// Where a page of builds resumes: the last build's start, rule set version and date.
pub type BuildKey = (NaiveDateTime, String, NaiveDate);

/// A page of the builds with their progress, oldest first.
pub fn list_builds(
    conn: &mut DbConnection,
    page: &PageRequest<BuildKey>,
) -> Result<Page<BuildView>, RegistryError> {
    let rows = queries::builds_page(conn, page.after.as_ref(), super::pages::fetched(page))?;
    let key = |b: &BuildRow| (b.started_at, b.rule_set_version.clone(), b.screened_on);
    let page = Page::from_rows(rows, page.limit, key);
    super::pages::views_of(page, |b| Ok(view_of(b)))
}

/// Eligible firms of one region and verdict (候选企业分布).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SummaryRow {
    pub city_code: String,
    /// County (所在县区).
    pub region_code: String,
    /// HTE verdict (认定判断).
    pub outcome: OverallOutcome,
    /// Firms (企业数).
    pub firms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateSummary {
    /// Rule set version of the build read (规则版本).
    pub rule_set_version: String,
    /// Screening date of the build read (遴选日期).
    pub as_of: NaiveDate,
    /// A row per county and verdict: at most 200 divisions (`hte_shared::regions::MAX_REGIONS`)
    /// times four verdicts.
    #[schema(max_items = 800)]
    pub items: Vec<SummaryRow>,
}

/// Counts by city, county and verdict from the build `scope` names.
pub fn summary(
    conn: &mut DbConnection,
    scope: &RankScope,
) -> Result<CandidateSummary, RegistryError> {
    let mut items = Vec::new();
    for (city_code, region_code, outcome, firms) in queries::summary(conn, scope)? {
        let outcome: OverallOutcome =
            serde_json::from_value(serde_json::Value::String(outcome.clone())).map_err(|e| {
                RegistryError::internal("stored outcome does not parse", format!("{outcome}: {e}"))
            })?;
        items.push(SummaryRow {
            city_code,
            region_code,
            outcome,
            firms,
        });
    }
    Ok(CandidateSummary {
        rule_set_version: scope.rule_set_version.clone(),
        as_of: scope.screened_on,
        items,
    })
}
