//! The daily readiness build (每日遴选就绪度计算): every tick, the active rule set's readiness
//! for today and for tomorrow is built unless a build of it is finished or running. Tomorrow's
//! is built the day before, so at midnight reads for the new day find a finished build and
//! never fall back to assessing every firm live. A replica builds a day only while it holds
//! that day's lease, so with several replicas on one database each day is built once.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::db::Db;
use hte_shared::time::now;

use super::assessment::resolve_rule_set;
use super::readiness;
use crate::config::ReadinessSchedule;
use crate::db::leases;
use crate::db::readiness::{self as queries, BuildRow};
use crate::error::RegistryError;

/// What a tick did for one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickResult {
    /// Built by this replica.
    Built,
    /// A finished build, or one started within the lease, exists.
    AlreadyThere,
    /// Another replica holds the day's lease.
    HeldElsewhere,
}

/// The scheduler of one replica.
#[derive(Debug, Clone)]
pub struct Scheduler {
    pub db: Db,
    pub schedule: ReadinessSchedule,
    /// Names this replica as a lease holder.
    pub instance: String,
}

fn lease_name(version: &str, day: NaiveDate) -> String {
    format!("readiness:{version}:{day}")
}

/// Whether `(version, day)` needs building at `at`: no build of it, or an unfinished one
/// started more than `abandoned_after` ago (its builder stopped).
pub fn needs_build(
    builds: &[BuildRow],
    (version, day): (&str, NaiveDate),
    at: NaiveDateTime,
    abandoned_after: chrono::Duration,
) -> bool {
    match builds
        .iter()
        .find(|b| b.rule_set_version == version && b.screened_on == day)
    {
        None => true,
        Some(build) => build.finished_at.is_none() && build.started_at + abandoned_after < at,
    }
}

impl Scheduler {
    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.schedule.lease).unwrap_or(chrono::Duration::minutes(30))
    }

    async fn needed(&self, version: &str, day: NaiveDate) -> Result<bool, RegistryError> {
        let builds = self
            .db
            .read(|conn| queries::builds(conn).map_err(RegistryError::from))
            .await?;
        Ok(needs_build(&builds, (version, day), now(), self.lease()))
    }

    /// Builds `(version, day)` if it is needed and this replica gets its lease.
    pub async fn ensure_built(
        &self,
        version: &str,
        day: NaiveDate,
    ) -> Result<TickResult, RegistryError> {
        if !self.needed(version, day).await? {
            return Ok(TickResult::AlreadyThere);
        }
        let lease = (lease_name(version, day), self.instance.clone());
        let built = leases::run_leased(&self.db, lease, self.lease(), |_fence| {
            self.build(version, day)
        })
        .await?;
        Ok(built.unwrap_or(TickResult::HeldElsewhere))
    }

    async fn build(&self, version: &str, day: NaiveDate) -> Result<TickResult, RegistryError> {
        // Another replica may have built the day between the check and the lease.
        if !self.needed(version, day).await? {
            return Ok(TickResult::AlreadyThere);
        }
        let key = version.to_owned();
        self.db
            .write(move |conn| readiness::start_build(conn, &key, day))
            .await?;
        readiness::run_build(&self.db, version, day).await?;
        Ok(TickResult::Built)
    }

    /// One pass on `today`: today's build first (reads need it now), then tomorrow's.
    pub async fn tick(&self, today: NaiveDate) {
        let active = self.db.read(|conn| resolve_rule_set(conn, None)).await;
        let version = match active {
            Ok(rules) => rules.version,
            Err(error) => {
                tracing::warn!(?error, "no active rule set: readiness not scheduled");
                return;
            }
        };
        for day in [Some(today), today.succ_opt()].into_iter().flatten() {
            match self.ensure_built(&version, day).await {
                Ok(result) => tracing::info!(%version, %day, ?result, "scheduled readiness build"),
                // The next tick tries again; reads use the previous build meanwhile.
                Err(error) => {
                    tracing::warn!(%version, %day, ?error, "scheduled readiness build failed");
                }
            }
        }
    }

    /// Runs the schedule until the process ends.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(self.schedule.tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                self.tick(hte_shared::time::today()).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_needs_a_build_when_it_has_none_or_an_abandoned_one() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let build = |day: &str, started: &str, finished: Option<&str>| BuildRow {
            rule_set_version: "2016".into(),
            screened_on: d(day),
            started_at: t(started),
            finished_at: finished.map(t),
            firms_done: 0,
            firms_total: 0,
        };
        let lease = chrono::Duration::minutes(30);
        let at = t("2026-12-03 12:00");
        let builds = [
            build("2026-12-03", "2026-12-03 00:00", Some("2026-12-03 00:01")),
            build("2026-12-04", "2026-12-03 11:45", None),
            build("2026-12-05", "2026-12-03 11:00", None),
        ];
        let day = |s: &str| ("2016", d(s));
        assert!(
            !needs_build(&builds, day("2026-12-03"), at, lease),
            "finished"
        );
        assert!(
            !needs_build(&builds, day("2026-12-04"), at, lease),
            "running"
        );
        assert!(
            needs_build(&builds, day("2026-12-05"), at, lease),
            "abandoned"
        );
        assert!(needs_build(&builds, day("2026-12-06"), at, lease), "none");
        assert!(
            needs_build(&builds, ("2017", d("2026-12-03")), at, lease),
            "other rules"
        );
        assert_eq!(
            lease_name("2016", d("2026-12-04")),
            "readiness:2016:2026-12-04"
        );
    }
}
