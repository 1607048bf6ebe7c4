//! The dashboard (监测看板) of a region, from stored snapshots: the KPI board, the
//! subdivisions' completion (ranked and as small multiples), the trend of the HTE count over
//! snapshots and the open alerts, with the regions the viewer may pick.
//!
//! It reads what the API reads, with the viewer's own authority: [`super::board`],
//! [`super::bulletins`] (for the subdivisions' table, without assessments) and
//! [`super::alerts`].

use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::pagination::PageRequest;
use hte_shared::problem::Problem;
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode, RegionLevel};

use super::alerts::{self, AlertQuery, AlertView};
use super::board::{self, Board, BoardQuery, Series};
use super::bulletins::{self, BulletinOrder};
use super::{Monitor, check_plan_id, parse_region, require_read};
use crate::bulletin::RegionTable;
use crate::db::snapshots::{self as queries, SnapshotFilter};
use crate::domain::period::Period;
use crate::error::MonitoringError;

/// The indicator the trend follows (高新技术企业数量).
pub const TREND_KEY: &str = "hte_count";
/// Open alerts shown, the newest first.
const ALERTS_SHOWN: u32 = 50;

/// What the page is asked for, as sent.
#[derive(Debug, Clone, Default)]
pub struct DashboardQuery {
    pub plan: Option<String>,
    pub region: Option<String>,
}

/// A region the viewer may pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub plan_id: String,
    pub region_code: String,
    pub region_name: String,
    pub choices: Vec<Choice>,
    pub board: Board,
    /// The subdivisions' table of the trend indicator (or the first with one); none for a
    /// county.
    pub table: Option<RegionTable>,
    pub trend: Option<Series>,
    pub alerts: Vec<AlertView>,
}

/// The page, or why there is nothing to show yet.
#[derive(Debug, Clone)]
pub enum Page {
    Ready(Box<Dashboard>),
    /// No snapshot has been taken (of the plan asked for, or at all).
    NoSnapshot {
        choices: Vec<Choice>,
    },
}

/// The province (if the viewer reads it), the cities they may read and, below a city the
/// viewer belongs to, its counties.
pub fn choices(caller: &Caller, selected: &RegionCode) -> Vec<Choice> {
    let own_subtree = caller.read_scope().copied();
    regions::subtree(&PROVINCE_CODE)
        .filter(|r| caller.may_read(&r.code))
        .filter(|r| match r.level {
            RegionLevel::Province | RegionLevel::City => true,
            RegionLevel::County => own_subtree.is_some(),
        })
        .map(|r| Choice {
            code: r.code.to_string(),
            name: r.name.clone(),
            selected: r.code == *selected,
        })
        .collect()
}

fn region_of(caller: &Caller, raw: Option<&str>) -> Result<RegionCode, Problem> {
    let region = match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => parse_region("region", raw)?,
        None => caller.read_scope().copied().unwrap_or(PROVINCE_CODE),
    };
    require_read(caller, &region)?;
    Ok(region)
}

/// The plan asked for, else the plan of the newest snapshot; `None` before any snapshot.
async fn plan_of(db: &Db, raw: Option<&str>) -> Result<Option<String>, MonitoringError> {
    if let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) {
        return Ok(Some(check_plan_id("plan", raw)?));
    }
    db.read(|conn| {
        let newest = queries::list(conn, &SnapshotFilter::default(), None, 1)?;
        Ok(newest.into_iter().next().map(|s| s.plan_id))
    })
    .await
}

/// The page for the viewer.
pub async fn dashboard(
    db: &Db,
    monitor: &Monitor,
    caller: &Caller,
    query: DashboardQuery,
) -> Result<Page, MonitoringError> {
    let region = region_of(caller, query.region.as_deref())?;
    let choices = choices(caller, &region);
    let Some(plan_id) = plan_of(db, query.plan.as_deref()).await? else {
        return Ok(Page::NoSnapshot { choices });
    };
    let board_query = BoardQuery {
        plan: plan_id.clone(),
        region: Some(region.to_string()),
        period: None,
    };
    let board = match board::board(db, monitor, caller, board_query.clone()).await {
        Ok(board) => board,
        Err(MonitoringError::Problem(p)) if p.status == 404 => {
            return Ok(Page::NoSnapshot { choices });
        }
        Err(e) => return Err(e),
    };
    let table = table_of(db, monitor, &board, region).await?;
    let trend_key = board
        .items
        .iter()
        .map(|i| i.indicator.key.as_str())
        .find(|k| *k == TREND_KEY)
        .map(str::to_owned);
    let trend = match trend_key {
        Some(key) => Some(board::series(db, monitor, caller, key, board_query).await?),
        None => None,
    };
    let alerts = open_alerts(db, caller, &region).await?;
    Ok(Page::Ready(Box::new(Dashboard {
        plan_id,
        region_name: board.region_name.clone(),
        region_code: region.to_string(),
        choices,
        board,
        table,
        trend,
        alerts,
    })))
}

/// The subdivisions' table of the board's snapshot, for the province or a city.
async fn table_of(
    db: &Db,
    monitor: &Monitor,
    board: &Board,
    region: RegionCode,
) -> Result<Option<RegionTable>, MonitoringError> {
    if !matches!(board.level, RegionLevel::Province | RegionLevel::City) {
        return Ok(None);
    }
    let period = Period::parse(&board.snapshot.period)
        .map_err(|e| hte_shared::stored::corrupt("snapshot period", &e.0))?;
    let order = BulletinOrder {
        plan_id: board.plan_id.clone(),
        period,
        revision: Some(board.snapshot.revision),
        scope: region,
    };
    let bulletin = bulletins::from_storage(db, monitor, order, Vec::new()).await?;
    let mut tables = bulletin.region_tables;
    let position = tables
        .iter()
        .position(|t| t.indicator_key == TREND_KEY)
        .unwrap_or(0);
    Ok((position < tables.len()).then(|| tables.swap_remove(position)))
}

async fn open_alerts(
    db: &Db,
    caller: &Caller,
    region: &RegionCode,
) -> Result<Vec<AlertView>, MonitoringError> {
    let query = AlertQuery {
        status: Some("open,acknowledged".to_owned()),
        region: Some(region.to_string()),
        ..AlertQuery::default()
    };
    let page = PageRequest {
        limit: ALERTS_SHOWN,
        after: None,
    };
    Ok(alerts::list(db, caller, query, page).await?.items)
}

#[cfg(test)]
mod tests {
    use hte_shared::auth::Role;
    use hte_shared::testing::caller;

    use super::*;

    fn codes(choices: &[Choice]) -> Vec<&str> {
        choices.iter().map(|c| c.code.as_str()).collect()
    }

    #[test]
    fn the_picker_offers_only_what_the_viewer_reads() {
        let province = choices(&caller(Role::Province, "320000"), &PROVINCE_CODE);
        assert_eq!(province.len(), 14, "the province and the 13 cities");
        assert!(province[0].selected && province[0].code == "320000");
        let suzhou = RegionCode::parse("320500").unwrap();
        let city = choices(&caller(Role::City, "320500"), &suzhou);
        assert!(
            codes(&city).iter().all(|c| c.starts_with("3205")),
            "{city:?}"
        );
        assert!(city.len() > 1 && city.iter().any(|c| c.code == "320583"));
        assert_eq!(city.iter().filter(|c| c.selected).count(), 1);
        let kunshan = RegionCode::parse("320583").unwrap();
        let county = choices(&caller(Role::County, "320583"), &kunshan);
        assert_eq!(codes(&county), ["320583"]);
    }
}
