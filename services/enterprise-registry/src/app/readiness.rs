//! Readiness for candidate screening (遴选就绪度): each firm's HTE assessment under a rule set
//! on a screening date, stored so the ranking is read, not recomputed, per request.
//!
//! Every write that changes a firm's facts refreshes the firm's rows in the same transaction
//! (through the audit trail, which every write passes); a build fills a new rule set or date in
//! batches, each its own transaction, so writes are never blocked for long.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::db::DbConnection;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::assessment::{facts_for, resolve_rule_set};
use super::candidates::candidate_of;
use crate::db::enterprises::{self as enterprise_queries, EnterpriseRow};
use crate::db::readiness::{self as queries, BuildRow, RankScope, ReadinessRow};
use crate::domain::assessment::{OverallOutcome, RuleSet, assess};
use crate::domain::listing::{ListCursor, ListFilter, SortKey};
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
    let facts = facts_for(conn, firms, screened_on)?;
    let codes: Vec<String> = firms.iter().map(|f| f.credit_code.clone()).collect();
    let certificates = enterprise_queries::certificate_spans(conn, &codes)?;
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

/// Fills the next batch of a build after the firm `after`; returns the last firm done, or
/// `None` once the build is finished. Then reads move over and the builds it replaces are
/// dropped: those of other rule sets, and those of this rule set for days before today (the
/// daily schedule keeps today's and tomorrow's).
pub fn build_batch(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
    (after, done): (Option<String>, i64),
) -> Result<Option<(String, i64)>, RegistryError> {
    let rules = resolve_rule_set(conn, Some(version))?;
    let cursor = after.map(|code| ListCursor {
        sort: "credit_code".into(),
        value: code.clone(),
        credit_code: code,
    });
    let filter = ListFilter::default();
    let firms = enterprise_queries::list(
        conn,
        &filter,
        SortKey::CreditCode,
        cursor.as_ref(),
        BUILD_BATCH,
    )?;
    let codes: Vec<String> = firms.iter().map(|f| f.credit_code.clone()).collect();
    // Waits for writes in flight on these firms, so the facts read below include them.
    queries::lock_firms(conn, &codes, false)?;
    let rows = rows_for(conn, &rules, screened_on, &firms)?;
    queries::replace_rows(conn, (version, screened_on), &codes, &rows)?;
    let done = done + firms.len() as i64;
    let last = firms.last().map(|f| f.credit_code.clone());
    match last {
        Some(code) if firms.len() as i64 == BUILD_BATCH => {
            queries::record_progress(conn, (version, screened_on), done, None)?;
            Ok(Some((code, done)))
        }
        _ => {
            queries::record_progress(conn, (version, screened_on), done, Some(now()))?;
            let today = hte_shared::time::today();
            for other in queries::builds(conn)? {
                let itself =
                    (other.rule_set_version.as_str(), other.screened_on) == (version, screened_on);
                let replaced = other.rule_set_version != version || other.screened_on < today;
                if !itself && replaced {
                    queries::drop_build(conn, (&other.rule_set_version, other.screened_on))?;
                }
            }
            Ok(None)
        }
    }
}

/// Fills a registered build batch by batch, each batch its own transaction, until it is
/// finished.
pub async fn run_build(
    db: &hte_shared::db::Db,
    version: &str,
    screened_on: NaiveDate,
) -> Result<(), RegistryError> {
    let mut position: (Option<String>, i64) = (None, 0);
    loop {
        let (key, at) = (version.to_owned(), position.clone());
        let step = db
            .write(move |conn| build_batch(conn, (&key, screened_on), at))
            .await?;
        match step {
            Some((code, done)) => position = (Some(code), done),
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BuildList {
    pub items: Vec<BuildView>,
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

/// Every build with its progress.
pub fn list_builds(conn: &mut DbConnection) -> Result<Vec<BuildView>, RegistryError> {
    Ok(queries::builds(conn)?.iter().map(view_of).collect())
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
