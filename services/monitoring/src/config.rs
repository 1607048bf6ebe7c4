//! Monitoring's configuration: what every service reads (`MONITORING_PORT`, default 8083;
//! `MONITORING_DATABASE_URL`, default `sqlite://DATA_DIR/monitoring.db`; …) and its own
//! settings, each variable with its default below.

use std::time::Duration;

use hte_shared::breaker::BreakerSettings;
use hte_shared::config::{ALLOCATION, ConfigError, Env, REGISTRY};

use crate::domain::alert::AlertRules;
use crate::domain::forecast::ConversionRate;
use crate::domain::period::PeriodKind;
use crate::domain::ratio::Ratio;
use crate::domain::webhook::retry::{PauseRule, RetryPolicy};
use crate::domain::webhook::target::{Network, TargetPolicy};

pub type MonitoringConfig = hte_shared::service::Config<crate::startup::Monitoring>;

/// Settings of monitoring alone.
#[derive(Debug, Clone)]
pub struct MonitoringSettings {
    /// `REGISTRY_URL`: base URL of the enterprise registry (default `http://127.0.0.1:8081/`).
    pub registry_url: url::Url,
    /// `ALLOCATION_URL`: base URL of target allocation (default `http://127.0.0.1:8082/`).
    pub allocation_url: url::Url,
    /// `UPSTREAM_RETRY_ATTEMPTS` (1–10, default 3): attempts per call, with doubling,
    /// jittered backoff from 100 ms.
    pub retry_attempts: u32,
    /// `UPSTREAM_BREAKER_FAILURES` (1–100, default 3) failed calls in a row open a service's
    /// circuit breaker for `UPSTREAM_BREAKER_OPEN_SECS` (1–3600, default 30) seconds.
    pub breaker: BreakerSettings,
    /// When snapshots are taken without being asked.
    pub schedule: Schedule,
    /// `MONITORING_ALERT_MARGIN` (default 0.05): tolerated lag behind 时序进度;
    /// `MONITORING_ALERT_CRITICAL_MARGIN` (default 0.15): lag, or forecast shortfall, that
    /// makes an alert critical; `MONITORING_ALERT_EXPIRING_DAYS` (1–730, default 90):
    /// certificates expiring within this many days raise an alert.
    pub alert_rules: AlertRules,
    /// `MONITORING_PIPELINE_CONVERSION_RATE` (0–1, default 0.5): the share of ready pool
    /// firms a forecast counts as certified by the plan's end.
    pub conversion_rate: ConversionRate,
    /// How webhook deliveries are made.
    pub webhooks: WebhookSettings,
}

/// Webhook deliveries (事件推送), all `MONITORING_WEBHOOK_…`.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `…_ALLOW_PRIVATE_TARGETS` (default false): also `http://` targets on loopback and
    /// private networks (127/8, ::1, 10/8, 172.16/12, 192.168/16, fc00::/7) — for tests and
    /// an intranet's receivers. Link-local and cloud metadata addresses stay refused.
    pub targets: TargetPolicy,
    /// `…_RETRY_BASE_MS` (default 30000) doubling up to `…_RETRY_MAX_DELAY_SECS` (3600),
    /// jittered down to `…_RETRY_MIN_DELAY_MS` (1000); at most `…_MAX_ATTEMPTS` (30)
    /// attempts within `…_RETRY_WINDOW_SECS` (86400) of the event.
    pub retry: RetryPolicy,
    /// Paused after `…_PAUSE_AFTER_FAILURES` (default 25) failed attempts in a row, or after
    /// failing every attempt for `…_PAUSE_AFTER_SECS` (default 86400).
    pub pause: PauseRule,
    /// `…_TICK_MS` (50–60000, default 1000): how often due deliveries are looked for.
    pub tick: Duration,
    /// `…_CLAIM_SECS` (5–3600, default 60): how long a replica holds deliveries it claimed;
    /// one that dies meanwhile leaves them due again after this.
    pub claim: Duration,
    /// `…_TIMEOUT_SECS` (1–60, default 10): how long one attempt may take.
    pub timeout: Duration,
    /// `…_BATCH` (1–1000, default 20): deliveries claimed per tick.
    pub batch: u32,
}

/// The networks `MONITORING_WEBHOOK_ALLOW_PRIVATE_TARGETS=true` opens.
const PRIVATE_NETWORKS: [&str; 6] = [
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
];

impl WebhookSettings {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const P: &str = "MONITORING_WEBHOOK_";
        let name = |n: &str| format!("{P}{n}");
        let allow_private: bool = env.parse_or(&name("ALLOW_PRIVATE_TARGETS"), false)?;
        let targets = if allow_private {
            TargetPolicy {
                allow_http: true,
                allowed_networks: PRIVATE_NETWORKS
                    .iter()
                    .map(|n| Network::parse(n))
                    .collect::<Result<_, _>>()
                    .map_err(|m| invalid(&name("ALLOW_PRIVATE_TARGETS"), m))?,
            }
        } else {
            TargetPolicy::default()
        };
        let ms = |n: &str, default, range| {
            env.ranged(&name(n), default, range)
                .map(Duration::from_millis)
        };
        let secs = |n: &str, default, range| {
            env.ranged(&name(n), default, range)
                .map(Duration::from_secs)
        };
        let attempts = env.ranged(&name("MAX_ATTEMPTS"), 30, (1, 1000))?;
        let retry = RetryPolicy::new(
            ms("RETRY_BASE_MS", 30_000, (1, 86_400_000))?,
            secs("RETRY_MAX_DELAY_SECS", 3600, (1, 2_592_000))?,
            ms("RETRY_MIN_DELAY_MS", 1000, (0, 86_400_000))?,
            secs("RETRY_WINDOW_SECS", 86_400, (1, 2_592_000))?,
            u32::try_from(attempts).unwrap_or(30),
        )
        .map_err(|m| invalid(&name("RETRY_BASE_MS"), m))?;
        let failures = env.ranged(&name("PAUSE_AFTER_FAILURES"), 25, (1, 10_000))?;
        let failing_for = env.ranged(&name("PAUSE_AFTER_SECS"), 86_400, (1, 2_592_000))?;
        Ok(Self {
            targets,
            retry,
            pause: PauseRule {
                after_failures: u32::try_from(failures).unwrap_or(25),
                after_failing_for: chrono::TimeDelta::seconds(
                    i64::try_from(failing_for).unwrap_or(86_400),
                ),
            },
            tick: ms("TICK_MS", 1000, (50, 60_000))?,
            claim: secs("CLAIM_SECS", 60, (5, 3600))?,
            timeout: secs("TIMEOUT_SECS", 10, (1, 60))?,
            batch: u32::try_from(env.ranged(&name("BATCH"), 20, (1, 1000))?).unwrap_or(20),
        })
    }
}

/// The snapshot schedule (定期快照).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// `MONITORING_SCHEDULE_PLANS`: comma-separated plan ids snapshotted on schedule; empty
    /// (the default) turns the scheduler off.
    pub plans: Vec<String>,
    /// `MONITORING_SCHEDULE_PERIOD`: `month` (default) or `quarter`; each period is taken
    /// once it has ended, as of its last day.
    pub period: PeriodKind,
    /// `MONITORING_SCHEDULE_TICK_SECS` (1–86400, default 300): how often due periods are
    /// looked for.
    pub tick: Duration,
    /// `MONITORING_SCHEDULE_LEASE_SECS` (10–86400, default 600): how long one replica holds
    /// a period's snapshot job before another may take it over.
    pub lease: Duration,
}

fn share(env: &Env, name: &str, default: &str) -> Result<Ratio, ConfigError> {
    let raw = env.get(name).unwrap_or_else(|| default.to_owned());
    Ratio::parse_decimal(&raw)
        .ok()
        .filter(|r| !r.is_negative() && *r <= Ratio::ONE)
        .ok_or_else(|| ConfigError {
            name: name.to_owned(),
            message: format!("must be a decimal between 0 and 1; got {raw:?}"),
        })
}

fn invalid(name: &str, message: String) -> ConfigError {
    ConfigError {
        name: name.to_owned(),
        message,
    }
}

impl Schedule {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let plans: Vec<String> = env
            .get("MONITORING_SCHEDULE_PLANS")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let period = match env
            .get("MONITORING_SCHEDULE_PERIOD")
            .as_deref()
            .map(str::trim)
        {
            None | Some("month") => PeriodKind::Month,
            Some("quarter") => PeriodKind::Quarter,
            Some(other) => {
                return Err(invalid(
                    "MONITORING_SCHEDULE_PERIOD",
                    format!("must be month or quarter; got {other:?}"),
                ));
            }
        };
        Ok(Self {
            plans,
            period,
            tick: Duration::from_secs(env.ranged(
                "MONITORING_SCHEDULE_TICK_SECS",
                300,
                (1, 86_400),
            )?),
            lease: Duration::from_secs(env.ranged(
                "MONITORING_SCHEDULE_LEASE_SECS",
                600,
                (10, 86_400),
            )?),
        })
    }
}

impl MonitoringSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let retry_attempts = env.ranged("UPSTREAM_RETRY_ATTEMPTS", 3, (1, 10))?;
        let failures = env.ranged("UPSTREAM_BREAKER_FAILURES", 3, (1, 100))?;
        let open_for = env.ranged("UPSTREAM_BREAKER_OPEN_SECS", 30, (1, 3600))?;
        let expiring = env.ranged("MONITORING_ALERT_EXPIRING_DAYS", 90, (1, 730))?;
        let alert_rules = AlertRules::new(
            share(env, "MONITORING_ALERT_MARGIN", "0.05")?,
            share(env, "MONITORING_ALERT_CRITICAL_MARGIN", "0.15")?,
            u32::try_from(expiring).unwrap_or(90),
        )
        .map_err(|message| invalid("MONITORING_ALERT_CRITICAL_MARGIN", message))?;
        let rate = share(env, "MONITORING_PIPELINE_CONVERSION_RATE", "0.5")?;
        Ok(Self {
            registry_url: REGISTRY.url(env)?,
            allocation_url: ALLOCATION.url(env)?,
            retry_attempts: u32::try_from(retry_attempts).unwrap_or(3),
            breaker: BreakerSettings {
                failures_to_open: u32::try_from(failures).unwrap_or(3),
                open_for: Duration::from_secs(open_for),
            },
            schedule: Schedule::from_env(env)?,
            alert_rules,
            conversion_rate: ConversionRate::new(rate)
                .map_err(|m| invalid("MONITORING_PIPELINE_CONVERSION_RATE", m))?,
            webhooks: WebhookSettings::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refusals_name_the_variable() {
        let settings = MonitoringSettings::from_env(&Env::from_pairs([])).unwrap();
        assert!(
            settings.schedule.plans.is_empty(),
            "the scheduler is off by default"
        );
        assert_eq!(settings.schedule.period, PeriodKind::Month);
        assert_eq!(settings.breaker.failures_to_open, 3);
        assert_eq!(settings.alert_rules, AlertRules::default());
        let on = MonitoringSettings::from_env(&Env::from_pairs([
            ("MONITORING_SCHEDULE_PLANS", "jiangsu-2019-57, other-plan"),
            ("MONITORING_SCHEDULE_PERIOD", "quarter"),
        ]))
        .unwrap();
        assert_eq!(on.schedule.plans, ["jiangsu-2019-57", "other-plan"]);
        assert_eq!(on.schedule.period, PeriodKind::Quarter);
        for (name, value) in [
            ("MONITORING_SCHEDULE_PERIOD", "week"),
            ("MONITORING_SCHEDULE_TICK_SECS", "0"),
            ("UPSTREAM_BREAKER_FAILURES", "0"),
            ("MONITORING_ALERT_MARGIN", "1.5"),
            ("MONITORING_PIPELINE_CONVERSION_RATE", "half"),
            ("MONITORING_ALERT_EXPIRING_DAYS", "1000"),
            ("MONITORING_WEBHOOK_ALLOW_PRIVATE_TARGETS", "yes"),
            ("MONITORING_WEBHOOK_TICK_MS", "10"),
            ("MONITORING_WEBHOOK_MAX_ATTEMPTS", "0"),
        ] {
            let error =
                MonitoringSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(error.name, name, "{value}");
        }
        let error = MonitoringSettings::from_env(&Env::from_pairs([
            ("MONITORING_ALERT_MARGIN", "0.2"),
            ("MONITORING_ALERT_CRITICAL_MARGIN", "0.1"),
        ]))
        .unwrap_err();
        assert_eq!(error.name, "MONITORING_ALERT_CRITICAL_MARGIN");
    }

    #[test]
    fn webhook_targets_are_public_unless_private_ones_are_allowed() {
        let strict = MonitoringSettings::from_env(&Env::from_pairs([])).unwrap();
        assert_eq!(strict.webhooks.targets, TargetPolicy::default());
        let open = MonitoringSettings::from_env(&Env::from_pairs([(
            "MONITORING_WEBHOOK_ALLOW_PRIVATE_TARGETS",
            "true",
        )]))
        .unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let allowed =
            |s: &str| crate::domain::webhook::target::check_address(ip(s), &open.webhooks.targets);
        assert!(open.webhooks.targets.allow_http);
        assert!(allowed("127.0.0.1").is_ok() && allowed("10.2.3.4").is_ok());
        assert!(
            allowed("169.254.169.254").is_err(),
            "metadata stays refused"
        );
        assert!(allowed("169.254.1.1").is_err(), "link-local stays refused");
        // A floor above the base is refused, naming the base.
        let error = MonitoringSettings::from_env(&Env::from_pairs([
            ("MONITORING_WEBHOOK_RETRY_BASE_MS", "100"),
            ("MONITORING_WEBHOOK_RETRY_MIN_DELAY_MS", "500"),
        ]))
        .unwrap_err();
        assert_eq!(error.name, "MONITORING_WEBHOOK_RETRY_BASE_MS");
    }
}
