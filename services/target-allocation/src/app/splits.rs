//! How far each city has split its targets among its counties (市级任务分解进度): the city
//! proposes and accepts its own split; the province sees every city's state at a glance.

use chrono::NaiveDateTime;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use serde::Serialize;
use utoipa::ToSchema;

use super::plans::load;
use crate::db::allocations as proposals;
use crate::db::targets::{self as queries, TargetRow};
use crate::domain::lifecycle::{ProposalStatus, SplitState};
use crate::error::AllocationError;

/// The newest proposal for a split (最近的分解方案).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalSummary {
    pub id: String,
    pub status: ProposalStatus,
    /// Who proposed it (token subject).
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

/// One city's target and how far it is split among its counties.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CitySplit {
    #[schema(example = "320500")]
    pub region_code: String,
    #[schema(example = "苏州市")]
    pub name: String,
    #[schema(example = "hte_count")]
    pub indicator: String,
    #[schema(example = "2020")]
    pub period: String,
    /// The city's target (目标值).
    pub target: i64,
    /// Its county-level regions (下辖县区数).
    pub counties: u32,
    /// How many of them have a target (已分解县区数).
    pub counties_with_targets: u32,
    /// Sum of the counties' targets (下级合计).
    pub children_sum: i64,
    pub state: SplitState,
    /// The newest proposal to split it, whatever became of it.
    pub latest_proposal: Option<ProposalSummary>,
}

/// Where a page of the overview starts: after this (indicator, period, city code).
pub type SplitKey = (String, String, String);

/// Filters of the overview (both optional).
#[derive(Debug, Clone, Default)]
pub struct SplitQuery {
    pub indicator: Option<String>,
    pub period: Option<String>,
}

/// A page of the city targets of the current tree with their split's state, ordered by
/// indicator, period and city code: every city for the province, auditors and services;
/// its own for a city; none for a county.
pub async fn overview(
    db: &Db,
    caller: &Caller,
    plan_id: String,
    query: SplitQuery,
    page: PageRequest<(String, SplitKey)>,
) -> Result<Page<CitySplit>, AllocationError> {
    let after = super::position_in_plan(&plan_id, page.after)?;
    let scope = caller.read_scope().copied();
    let wanted = page.limit as usize + 1;
    db.read(move |conn| {
        let plan = load(conn, &plan_id)?;
        let targets = queries::targets_at(conn, &plan_id, plan.tree_version)?;
        // Ordered here, not by the database, so the cursor's order is the same on every
        // backend and collation.
        let mut cities = Vec::new();
        for city in targets.iter().filter(|t| wanted_by(t, &query)) {
            let code = city.region()?;
            let is_city = regions::find(&code).is_some_and(|r| r.level == RegionLevel::City);
            if is_city && scope.is_none_or(|s| code.is_within(&s)) && after_key(city, &after) {
                cities.push((key_of(city), city, code));
            }
        }
        cities.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        for (_, city, code) in cities.into_iter().take(wanted) {
            out.push(city_split(conn, &plan_id, city, code, &targets)?);
        }
        Ok(Page::from_rows(out, page.limit, |c| {
            let key = (c.indicator.clone(), c.period.clone(), c.region_code.clone());
            (plan_id.clone(), key)
        }))
    })
    .await
}

fn key_of(target: &TargetRow) -> SplitKey {
    (
        target.indicator.clone(),
        target.period.clone(),
        target.region_code.clone(),
    )
}

fn after_key(target: &TargetRow, after: &Option<SplitKey>) -> bool {
    after.as_ref().is_none_or(|after| key_of(target) > *after)
}

fn wanted_by(target: &TargetRow, query: &SplitQuery) -> bool {
    query
        .indicator
        .as_ref()
        .is_none_or(|i| *i == target.indicator)
        && query.period.as_ref().is_none_or(|p| *p == target.period)
}

fn city_split(
    conn: &mut DbConnection,
    plan_id: &str,
    city: &TargetRow,
    code: RegionCode,
    targets: &[TargetRow],
) -> Result<CitySplit, AllocationError> {
    let counties: Vec<RegionCode> = regions::children(&code).map(|r| r.code).collect();
    let county_targets: Vec<i64> = targets
        .iter()
        .filter(|t| t.indicator == city.indicator && t.period == city.period)
        .filter(|t| counties.iter().any(|c| c.to_string() == t.region_code))
        .map(|t| t.value)
        .collect();
    // Targets are at most 10^12 each: the sum of a city's counties fits easily.
    let children_sum = county_targets
        .iter()
        .fold(0i64, |s, v| s.saturating_add(*v));
    let latest = proposals::latest_for(
        conn,
        plan_id,
        (&city.indicator, &city.period, &city.region_code),
    )?;
    let latest_proposal = latest
        .map(|row| {
            let status = ProposalStatus::from_key(&row.status)
                .ok_or_else(|| hte_shared::stored::corrupt("proposal status", &row.status))?;
            Ok::<_, diesel::result::Error>(ProposalSummary {
                id: row.id,
                status,
                created_by: row.created_by,
                created_at: row.created_at,
            })
        })
        .transpose()?;
    Ok(CitySplit {
        region_code: city.region_code.clone(),
        name: regions::find(&code)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        indicator: city.indicator.clone(),
        period: city.period.clone(),
        target: city.value,
        counties: u32::try_from(counties.len()).unwrap_or(u32::MAX),
        counties_with_targets: u32::try_from(county_targets.len()).unwrap_or(u32::MAX),
        children_sum,
        state: SplitState::of(city.value, county_targets.len(), children_sum),
        latest_proposal,
    })
}

#[cfg(test)]
mod cursor_tests {
    use chrono::NaiveDateTime;
    use hte_shared::pagination::cursor_fits;

    /// The worst key of each of the service's lists stays within the documented cursor
    /// bound. Plan ids, indicators, periods, region codes and ids are ASCII of at most 64
    /// bytes.
    #[test]
    fn the_worst_key_of_every_list_fits_the_cursor_bound() {
        let text = || "z".repeat(64);
        let moment = NaiveDateTime::MAX;
        // Plans; targets' versions; splits; allocations; assessments.
        assert!(cursor_fits(&text()));
        assert!(cursor_fits(&(text(), i32::MIN)));
        let split: super::SplitKey = (text(), text(), text());
        assert!(cursor_fits(&(text(), split)));
        assert!(cursor_fits(&(text(), moment, text())));
        assert!(cursor_fits(&(text(), (moment, text()))));
    }
}
