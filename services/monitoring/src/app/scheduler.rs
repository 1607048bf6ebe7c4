//! The snapshot schedule (定期快照): every tick, for each scheduled plan, the last period of
//! the configured kind that has ended is due, as of its last day, unless a complete
//! scheduled snapshot of it exists. A replica takes a due period only while it holds that
//! period's lease, and records it only if the lease still holds (its token fences out a
//! holder whose lease expired mid-job), so with several replicas on one database exactly
//! one snapshot is taken per period. A partial snapshot is retried at the next tick.

use chrono::NaiveDate;
use hte_shared::audit::Actor;
use hte_shared::db::Db;
use hte_shared::telemetry::RequestId;

use super::Monitor;
use super::gather::SnapshotOrder;
use super::snapshots::{self, Outcome};
use crate::db::{leases, snapshots as snapshot_queries};
use crate::domain::period::{Period, PeriodKind};
use crate::domain::snapshot::{SnapshotStatus, Trigger};
use crate::error::MonitoringError;

pub const SCHEDULER: &str = "system:scheduler";

/// The period of `kind` that ended last before `today`.
pub fn due_period(kind: PeriodKind, today: NaiveDate) -> Option<Period> {
    Period::containing(kind, today)?.previous()
}

/// What a tick did for one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickResult {
    /// Taken by this replica.
    Taken {
        snapshot_id: String,
        status: SnapshotStatus,
    },
    /// A complete scheduled snapshot of the period exists.
    AlreadyTaken,
    /// Another replica holds the period's lease.
    HeldElsewhere,
    /// The lease was lost before recording; nothing recorded.
    LeaseLost,
}

fn lease_name(plan_id: &str, period: Period) -> String {
    format!("snapshot:{plan_id}:{period}")
}

/// Takes the plan's period if it is due and this replica gets its lease.
pub async fn run_due(
    db: &Db,
    monitor: &Monitor,
    plan_id: &str,
    period: Period,
) -> Result<TickResult, MonitoringError> {
    let (plan, key) = (plan_id.to_owned(), period.to_string());
    let taken = db
        .read(move |conn| {
            snapshot_queries::has_complete_scheduled(conn, &plan, &key)
                .map_err(MonitoringError::from)
        })
        .await?;
    if taken {
        return Ok(TickResult::AlreadyTaken);
    }
    let lease = (lease_name(plan_id, period), monitor.instance.clone());
    let ttl = chrono::Duration::from_std(monitor.settings.schedule.lease)
        .unwrap_or(chrono::Duration::minutes(10));
    let taken = leases::run_leased(db, lease, ttl, |fence| async move {
        take(db, monitor, plan_id, period, &fence).await
    })
    .await?;
    Ok(taken.unwrap_or(TickResult::HeldElsewhere))
}

async fn take(
    db: &Db,
    monitor: &Monitor,
    plan_id: &str,
    period: Period,
    fence: &leases::Fence,
) -> Result<TickResult, MonitoringError> {
    // Another replica may have finished the period between the check and the lease.
    let (plan, key) = (plan_id.to_owned(), period.to_string());
    if db
        .read(move |conn| {
            snapshot_queries::has_complete_scheduled(conn, &plan, &key)
                .map_err(MonitoringError::from)
        })
        .await?
    {
        return Ok(TickResult::AlreadyTaken);
    }
    let order = SnapshotOrder {
        plan_id: plan_id.to_owned(),
        period,
        as_of: period.ends_on(),
        trigger: Trigger::Scheduled,
        taken_by: SCHEDULER.to_owned(),
    };
    let request_id = RequestId::generate();
    let prepared = snapshots::prepare(db, monitor, &order, &request_id).await?;
    let (monitor, fence) = (monitor.clone(), fence.clone());
    let actor = Actor::system("scheduler");
    let outcome = db
        .write(move |conn| snapshots::record(conn, &actor, &monitor, prepared, Some(&fence)))
        .await?;
    Ok(match outcome {
        Outcome::Taken(taken) => TickResult::Taken {
            snapshot_id: taken.snapshot.id,
            status: taken.snapshot.status,
        },
        Outcome::LeaseLost => TickResult::LeaseLost,
        Outcome::ScheduledExists => TickResult::AlreadyTaken,
    })
}

/// One pass over the scheduled plans on `today`.
pub async fn tick(db: &Db, monitor: &Monitor, today: NaiveDate) {
    let schedule = &monitor.settings.schedule;
    let Some(period) = due_period(schedule.period, today) else {
        return;
    };
    for plan_id in &schedule.plans {
        match run_due(db, monitor, plan_id, period).await {
            Ok(result) => tracing::info!(plan = %plan_id, %period, ?result, "scheduled snapshot"),
            // A period outside the plan, or an upstream down: the next tick tries again.
            Err(error) => {
                tracing::warn!(plan = %plan_id, %period, error = %error.to_problem(), "scheduled snapshot not taken");
            }
        }
    }
}

/// Runs the schedule until the process ends; nothing when no plan is scheduled.
pub fn spawn(db: Db, monitor: Monitor) -> Option<tokio::task::JoinHandle<()>> {
    if monitor.settings.schedule.plans.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut interval = tokio::time::interval(monitor.settings.schedule.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            tick(&db, &monitor, hte_shared::time::today()).await;
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_due_period_is_the_last_one_ended() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let p = |s: &str| Period::parse(s).unwrap();
        assert_eq!(
            due_period(PeriodKind::Month, d("2020-10-01")),
            Some(p("2020-09"))
        );
        assert_eq!(
            due_period(PeriodKind::Month, d("2021-01-15")),
            Some(p("2020-12"))
        );
        assert_eq!(
            due_period(PeriodKind::Quarter, d("2020-10-01")),
            Some(p("2020-Q3"))
        );
        assert_eq!(
            due_period(PeriodKind::Quarter, d("2020-09-30")),
            Some(p("2020-Q2"))
        );
        assert_eq!(
            lease_name("jiangsu-2019-57", p("2020-Q3")),
            "snapshot:jiangsu-2019-57:2020-Q3"
        );
    }
}
