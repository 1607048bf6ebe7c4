//! The registry's configuration: what every service reads (`REGISTRY_PORT`, default 8081;
//! `REGISTRY_DATABASE_URL`, default `sqlite://DATA_DIR/enterprise-registry.db`; …) and the
//! schedule of the daily readiness build.

use std::time::Duration;

use hte_shared::config::{ConfigError, Env};

pub type RegistryConfig = hte_shared::service::Config<crate::startup::EnterpriseRegistry>;

/// The registry's own settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrySettings {
    /// The daily readiness build; `None` when off.
    pub readiness_schedule: Option<ReadinessSchedule>,
    /// `REGISTRY_KEYED_CACHE_FIRMS` (0–10,000,000, default 250,000; 0 turns it off): how
    /// many firms the keyed read's cache holds (`app::keyed_read`), about 1 KiB each.
    pub keyed_cache_firms: usize,
}

/// The daily readiness build (每日遴选就绪度计算): the active rule set's readiness for today
/// and tomorrow is kept built, so reads for the day always find a finished build, including
/// just after midnight (tomorrow's is built the day before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessSchedule {
    /// `REGISTRY_READINESS_TICK_SECS` (1–86400, default 300): how often missing builds are
    /// looked for.
    pub tick: Duration,
    /// `REGISTRY_READINESS_LEASE_SECS` (60–86400, default 1800): how long one replica holds a
    /// day's build before another may take it over (longer than a full build takes); also how
    /// old an unfinished build must be to count as abandoned.
    pub lease: Duration,
}

impl RegistrySettings {
    /// `REGISTRY_READINESS_SCHEDULE`: `on` or `off` (default: off, so tests and tools that
    /// start a registry build nothing unasked; the deployments turn it on).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const SWITCH: &str = "REGISTRY_READINESS_SCHEDULE";
        let on = match env.get(SWITCH).as_deref().map(str::trim) {
            None | Some("off") => false,
            Some("on") => true,
            Some(other) => {
                return Err(ConfigError {
                    name: SWITCH.to_owned(),
                    message: format!("must be on or off; got {other:?}"),
                });
            }
        };
        let schedule = ReadinessSchedule {
            tick: Duration::from_secs(env.ranged(
                "REGISTRY_READINESS_TICK_SECS",
                300,
                (1, 86_400),
            )?),
            lease: Duration::from_secs(env.ranged(
                "REGISTRY_READINESS_LEASE_SECS",
                1_800,
                (60, 86_400),
            )?),
        };
        Ok(Self {
            readiness_schedule: on.then_some(schedule),
            keyed_cache_firms: env.ranged("REGISTRY_KEYED_CACHE_FIRMS", 250_000, (0, 10_000_000))?
                as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_off_unless_turned_on_and_its_bounds_are_checked() {
        let env = |pairs: &[(&str, &str)]| {
            RegistrySettings::from_env(&Env::from_pairs(pairs.iter().copied()))
        };
        assert_eq!(env(&[]).unwrap().readiness_schedule, None);
        let on = env(&[("REGISTRY_READINESS_SCHEDULE", "on")]).unwrap();
        assert_eq!(
            on.readiness_schedule,
            Some(ReadinessSchedule {
                tick: Duration::from_secs(300),
                lease: Duration::from_secs(1_800)
            })
        );
        assert!(env(&[("REGISTRY_READINESS_SCHEDULE", "yes")]).is_err());
        assert!(
            env(&[
                ("REGISTRY_READINESS_SCHEDULE", "on"),
                ("REGISTRY_READINESS_TICK_SECS", "0")
            ])
            .is_err()
        );
        assert!(
            env(&[
                ("REGISTRY_READINESS_SCHEDULE", "on"),
                ("REGISTRY_READINESS_LEASE_SECS", "59")
            ])
            .is_err()
        );
    }
}
