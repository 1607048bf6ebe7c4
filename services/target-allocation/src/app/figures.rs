//! Figures from the enterprise registry (baselines, actual values), and the last good answer
//! kept per plan and question so progress can still be shown, marked stale, when the
//! registry cannot answer.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use hte_shared::db::Db;
use hte_shared::http_client::UpstreamError;
use hte_shared::problem::Problem;
use hte_shared::stored;
use hte_shared::telemetry::RequestId;
use hte_shared::time::{now, today};

use crate::clients::registry::{RegistryClient, Statistics, StatisticsQuery};
use crate::db::cache;
use crate::db::plans::{IndicatorRow, PlanRow};
use crate::domain::plan::Measure;
use crate::domain::progress::actual_window;
use crate::error::AllocationError;

/// Registry figures and where they came from.
pub struct Figures {
    pub stats: Statistics,
    pub stale: bool,
    pub fetched_at: NaiveDateTime,
}

/// Asks the registry; on success keeps the answer as the last good one for (plan, query).
/// When the registry is unreachable or failing (5xx) and `allow_stale`, serves the last
/// good answer marked stale; otherwise the upstream error (503 upstream-unavailable).
pub async fn fetch(
    db: &Db,
    registry: &RegistryClient,
    plan_id: &str,
    query: &StatisticsQuery,
    request_id: &RequestId,
    allow_stale: bool,
) -> Result<Figures, AllocationError> {
    let key = query.cache_key();
    let error = match registry.statistics(query, request_id).await {
        Ok(stats) => return keep(db, plan_id, key, stats).await,
        Err(error) => error,
    };
    let unavailable = match &error {
        UpstreamError::Unreachable { .. } | UpstreamError::Decode { .. } => true,
        UpstreamError::Status { status, .. } => *status >= 500,
        // Our own fault: nothing was asked, so no older answer stands in for it.
        UpstreamError::Token { .. } => return Err(error.into()),
    };
    if !allow_stale {
        return Err(error.into());
    }
    if unavailable && let Some(figures) = last_good(db, plan_id, key).await? {
        tracing::warn!(%error, fetched_at = %figures.fetched_at, "registry unavailable; serving cached figures");
        return Ok(figures);
    }
    tracing::warn!(%error, "registry unavailable and no cached figures");
    Err(Problem::upstream_unavailable(hte_shared::text!(
        "the enterprise registry could not answer ({error}) and no earlier figures are kept \
         for this question, so none are given rather than wrong ones; retry later",
        "企业库服务暂时无法应答（{error}），且没有保存此前的数据；为避免给出错误数据，\
         本次不提供数据，请稍后重试"
    ))
    .into())
}

/// Keeps a fresh answer as the last good one.
async fn keep(
    db: &Db,
    plan_id: &str,
    key: String,
    stats: Statistics,
) -> Result<Figures, AllocationError> {
    let fetched_at = now();
    let body = stored::to_text(&stats)?;
    let plan_id = plan_id.to_owned();
    db.write(move |conn| {
        cache::put(conn, &plan_id, &key, &body, fetched_at).map_err(AllocationError::from)
    })
    .await?;
    Ok(Figures {
        stats,
        stale: false,
        fetched_at,
    })
}

/// The last good answer to the same question, marked stale.
async fn last_good(
    db: &Db,
    plan_id: &str,
    key: String,
) -> Result<Option<Figures>, AllocationError> {
    let plan_id = plan_id.to_owned();
    let cached = db
        .read(move |conn| cache::get(conn, &plan_id, &key).map_err(AllocationError::from))
        .await?;
    let Some((body, fetched_at)) = cached else {
        return Ok(None);
    };
    Ok(Some(Figures {
        stats: stored::parse("cached registry figures", &body)?,
        stale: true,
        fetched_at,
    }))
}

/// Registry figures exist from 2000 up to today, not for dates still to come.
pub fn check_figures_date(field: &str, date: NaiveDate) -> Result<(), Problem> {
    let today = today();
    if date.year() >= 2000 && date <= today {
        Ok(())
    } else {
        Err(Problem::invalid_field(
            field,
            "figures_date",
            hte_shared::text!(
                "{field} must lie between 2000-01-01 and today ({today}); got {date}",
                "{field} 须在 2000-01-01 至今天（{today}）之间，现为 {date}"
            ),
        ))
    }
}

/// The date of figures for `year` of `plan`: as sent, or by default the year's last day,
/// the plan's last day or today, whichever comes first, so a closed plan or a past year is
/// looked at on its end, not today. A date after the plan's end is refused: the plan says
/// nothing about it.
pub fn figures_date(
    plan: &PlanRow,
    year: i32,
    sent: Option<NaiveDate>,
) -> Result<NaiveDate, Problem> {
    let as_of = match sent {
        Some(date) if date > plan.ends_on => {
            return Err(Problem::invalid_field(
                "as_of",
                "plan_period",
                hte_shared::text!(
                    "as_of {date} is after the plan's end {}; the plan sets no targets for it",
                    "数据日期 {date} 晚于规划截止日期 {}；规划没有为该日期设定目标",
                    plan.ends_on
                ),
            ));
        }
        Some(date) => date,
        None => NaiveDate::from_ymd_opt(year, 12, 31)
            .unwrap_or(plan.ends_on)
            .min(plan.ends_on)
            .min(today()),
    };
    check_figures_date("as_of", as_of)?;
    Ok(as_of)
}

/// The registry statistic and window that give `indicator`'s actual value on `as_of` for the
/// period `period_year`; a 400 for an indicator without a registry measure.
pub fn measure_and_window(
    indicator: &IndicatorRow,
    period_year: i32,
    as_of: NaiveDate,
) -> Result<(Measure, NaiveDate, NaiveDate), AllocationError> {
    let measure = indicator.measure()?.ok_or_else(|| {
        Problem::invalid_field(
            "indicator",
            "measure",
            hte_shared::text!(
                "indicator {} has no registry measure, so its actual value is not computed here",
                "指标 {} 没有企业库计量口径，因此此处不计算其实际值",
                indicator.indicator_key
            ),
        )
    })?;
    let (from, to) = actual_window(measure, period_year, as_of);
    Ok((measure, from, to))
}
