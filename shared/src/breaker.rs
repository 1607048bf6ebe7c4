//! A circuit breaker for calls to another service (熔断): after a run of failed calls it
//! opens, and calls fail at once instead of waiting out timeouts against a service that is
//! down; once the open time has passed, calls go through again (half open) and the first
//! success closes it. It also remembers the last failure and the last success, so a caller
//! can tell whether what it serves is current (e.g. a board marking its figures stale).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

/// When to open and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failed calls that open the breaker (at least 1).
    pub failures_to_open: u32,
    /// How long it stays open before letting calls through again.
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failures_to_open: 3,
            open_for: Duration::from_secs(30),
        }
    }
}

/// 熔断状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// 正常: calls go through.
    Closed,
    /// 熔断: calls fail at once until the open time has passed.
    Open,
    /// 试探: the open time has passed; the next call decides.
    HalfOpen,
}

/// What the breaker knows, for health reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BreakerStatus {
    pub state: BreakerState,
    /// Failed calls since the last success.
    pub consecutive_failures: u32,
    /// When the last call failed (UTC), and why.
    #[serde(with = "crate::time::utc::option")]
    pub last_failure_at: Option<NaiveDateTime>,
    pub last_failure: Option<String>,
    /// When the last call succeeded (UTC).
    #[serde(with = "crate::time::utc::option")]
    pub last_success_at: Option<NaiveDateTime>,
}

impl BreakerStatus {
    /// True when the service is taken to be down: the breaker is not closed, or the latest
    /// call failed.
    pub fn is_down(&self) -> bool {
        self.state != BreakerState::Closed
            || match (self.last_failure_at, self.last_success_at) {
                (Some(failed), Some(succeeded)) => failed > succeeded,
                (Some(_), None) => true,
                (None, _) => false,
            }
    }
}

#[derive(Debug, Default)]
struct Inner {
    consecutive_failures: u32,
    opened_at: Option<Instant>,
    last_failure_at: Option<NaiveDateTime>,
    last_failure: Option<String>,
    last_success_at: Option<NaiveDateTime>,
}

/// Shared by every caller of one service (put it in an `Arc`).
#[derive(Debug)]
pub struct CircuitBreaker {
    settings: BreakerSettings,
    inner: Mutex<Inner>,
}

/// The breaker is open: the call was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Until calls go through again.
    pub retry_after: Duration,
}

impl CircuitBreaker {
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings: BreakerSettings {
                failures_to_open: settings.failures_to_open.max(1),
                ..settings
            },
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock holds counters only; they stay usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state_of(&self, inner: &Inner, now: Instant) -> BreakerState {
        match inner.opened_at {
            None => BreakerState::Closed,
            Some(at) if now.duration_since(at) < self.settings.open_for => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Whether a call may be made now.
    pub fn check(&self) -> Result<(), Rejected> {
        let inner = self.lock();
        let now = Instant::now();
        match (self.state_of(&inner, now), inner.opened_at) {
            (BreakerState::Open, Some(at)) => Err(Rejected {
                retry_after: self
                    .settings
                    .open_for
                    .saturating_sub(now.duration_since(at)),
            }),
            _ => Ok(()),
        }
    }

    pub fn record_success(&self) {
        let mut inner = self.lock();
        inner.consecutive_failures = 0;
        inner.opened_at = None;
        inner.last_success_at = Some(crate::time::now());
    }

    /// Records a failed call; the run of failures (or a failed probe while half open) opens
    /// the breaker.
    pub fn record_failure(&self, message: &str) {
        let mut inner = self.lock();
        let now = Instant::now();
        let probing = self.state_of(&inner, now) == BreakerState::HalfOpen;
        inner.consecutive_failures = inner.consecutive_failures.saturating_add(1);
        inner.last_failure_at = Some(crate::time::now());
        inner.last_failure = Some(message.chars().take(500).collect());
        if probing || inner.consecutive_failures >= self.settings.failures_to_open {
            inner.opened_at = Some(now);
        }
    }

    pub fn status(&self) -> BreakerStatus {
        let inner = self.lock();
        BreakerStatus {
            state: self.state_of(&inner, Instant::now()),
            consecutive_failures: inner.consecutive_failures,
            last_failure_at: inner.last_failure_at,
            last_failure: inner.last_failure.clone(),
            last_success_at: inner.last_success_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(open_for_ms: u64) -> CircuitBreaker {
        CircuitBreaker::new(BreakerSettings {
            failures_to_open: 2,
            open_for: Duration::from_millis(open_for_ms),
        })
    }

    #[test]
    fn a_run_of_failures_opens_it_and_a_success_closes_it() {
        let b = breaker(60_000);
        assert_eq!(b.status().state, BreakerState::Closed);
        assert!(!b.status().is_down());
        b.record_failure("refused");
        assert_eq!(b.status().state, BreakerState::Closed);
        assert!(b.status().is_down(), "the latest call failed");
        assert!(b.check().is_ok());
        b.record_failure("refused again");
        let status = b.status();
        assert_eq!(status.state, BreakerState::Open);
        assert_eq!(status.consecutive_failures, 2);
        assert_eq!(status.last_failure.as_deref(), Some("refused again"));
        assert!(b.check().unwrap_err().retry_after <= Duration::from_secs(60));
        b.record_success();
        assert_eq!(b.status().state, BreakerState::Closed);
        assert!(!b.status().is_down());
        assert!(b.check().is_ok());
    }

    #[test]
    fn after_the_open_time_one_failed_probe_opens_it_again() {
        let b = breaker(20);
        b.record_failure("a");
        b.record_failure("b");
        assert!(b.check().is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(b.status().state, BreakerState::HalfOpen);
        assert!(b.check().is_ok());
        b.record_failure("probe failed");
        assert_eq!(b.status().state, BreakerState::Open);
        std::thread::sleep(Duration::from_millis(30));
        b.record_success();
        assert_eq!(b.status().state, BreakerState::Closed);
    }
}
