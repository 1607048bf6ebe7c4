//! When to try a failed delivery again, and when to stop trying a subscription.
//!
//! Retries back off exponentially with full jitter: after the n-th failed attempt the next
//! one waits a uniformly random time between `min_delay` and
//! `min(max_delay, base_delay × 2^(n−1))`, so receivers that recover are not hit by every
//! sender at once. A delivery is given up (`failed`) after `max_attempts` attempts, or when
//! the next attempt would fall more than `max_total` after the event was queued.
//!
//! A subscription whose deliveries keep failing is paused, with the reason, when it has
//! failed `after_failures` attempts in a row, or has failed every attempt (at least two) for
//! `after_failing_for`. A success resets both counts.

use chrono::{NaiveDateTime, TimeDelta};

/// Durations are whole milliseconds, at most 30 days.
const MAX_MILLIS: u64 = 30 * 24 * 3600 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    base_ms: u64,
    max_delay_ms: u64,
    min_delay_ms: u64,
    max_total_ms: u64,
    max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 30 s doubling to at most 1 h, at least 1 s; at most 30 attempts over 24 h.
    fn default() -> Self {
        Self {
            base_ms: 30_000,
            max_delay_ms: 3_600_000,
            min_delay_ms: 1_000,
            max_total_ms: 24 * 3_600_000,
            max_attempts: 30,
        }
    }
}

impl RetryPolicy {
    /// Checks `min ≤ base ≤ max delay ≤ max total ≤ 30 days` and 1–1000 attempts.
    pub fn new(
        base: std::time::Duration,
        max_delay: std::time::Duration,
        min_delay: std::time::Duration,
        max_total: std::time::Duration,
        max_attempts: u32,
    ) -> Result<Self, String> {
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let policy = Self {
            base_ms: ms(base),
            max_delay_ms: ms(max_delay),
            min_delay_ms: ms(min_delay),
            max_total_ms: ms(max_total),
            max_attempts,
        };
        let ordered = policy.min_delay_ms <= policy.base_ms
            && policy.base_ms > 0
            && policy.base_ms <= policy.max_delay_ms
            && policy.max_delay_ms <= policy.max_total_ms
            && policy.max_total_ms <= MAX_MILLIS;
        if !ordered {
            return Err(
                "retry delays must satisfy min ≤ base ≤ max delay ≤ max total ≤ 30 days, base > 0 \
                 (重试间隔设置不合理)"
                    .to_owned(),
            );
        }
        if !(1..=1000).contains(&max_attempts) {
            return Err("max attempts must be 1–1000 (最大重试次数须为1–1000)".to_owned());
        }
        Ok(policy)
    }

    pub fn max_total(&self) -> TimeDelta {
        millis(self.max_total_ms)
    }

    /// The longest wait after the `attempts`-th failed attempt: base × 2^(attempts−1),
    /// capped.
    pub fn ceiling(&self, attempts: u32) -> TimeDelta {
        let doubled = self
            .base_ms
            .checked_shl(attempts.saturating_sub(1))
            .filter(|v| *v >> attempts.saturating_sub(1) == self.base_ms)
            .unwrap_or(u64::MAX);
        millis(doubled.min(self.max_delay_ms).max(self.min_delay_ms))
    }

    /// When to try again after `attempts` attempts have failed (the latest at `now`), for a
    /// delivery queued at `queued_at`; `None` when it is given up.
    pub fn next_attempt(
        &self,
        attempts: u32,
        queued_at: NaiveDateTime,
        now: NaiveDateTime,
        rng: &mut impl Random,
    ) -> Option<NaiveDateTime> {
        if attempts >= self.max_attempts {
            return None;
        }
        let ceiling = u64::try_from(self.ceiling(attempts).num_milliseconds()).unwrap_or(0);
        let span = ceiling - self.min_delay_ms.min(ceiling);
        let delay = self.min_delay_ms + rng.below(span.saturating_add(1));
        let at = now.checked_add_signed(millis(delay))?;
        (at <= queued_at.checked_add_signed(self.max_total())?).then_some(at)
    }
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Failed; try again at this time.
    RetryAt(NaiveDateTime),
    /// Failed, and the retry budget is spent.
    GaveUp,
}

/// Only a 2xx answer delivers. Anything else fails: another status, no answer (timeout,
/// refused connection, TLS error), and redirects, which are not followed (a redirect could
/// lead to an address the target checks refuse).
pub fn is_delivered(status: Option<u16>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

impl RetryPolicy {
    /// The outcome of the `attempts`-th attempt of a delivery queued at `queued_at`, made at
    /// `now`.
    pub fn outcome(
        &self,
        delivered: bool,
        attempts: u32,
        queued_at: NaiveDateTime,
        now: NaiveDateTime,
        rng: &mut impl Random,
    ) -> Outcome {
        if delivered {
            return Outcome::Delivered;
        }
        self.next_attempt(attempts, queued_at, now, rng)
            .map_or(Outcome::GaveUp, Outcome::RetryAt)
    }
}

fn millis(ms: u64) -> TimeDelta {
    TimeDelta::milliseconds(i64::try_from(ms.min(MAX_MILLIS)).unwrap_or(i64::MAX))
}

/// A source of uniform random numbers for jitter (not for secrets).
pub trait Random {
    /// A number in `0..bound` (0 when `bound` is 0).
    fn below(&mut self, bound: u64) -> u64;
}

/// SplitMix64 (Steele, Lea and Flood): small, fast, and statistically good enough to spread
/// retries; seeded once from the OS.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn from_os() -> Result<Self, getrandom::Error> {
        getrandom::u64().map(Self)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Random for SplitMix64 {
    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Multiply-shift maps 64 random bits onto 0..bound with negligible bias.
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as u64
    }
}

/// When a subscription that keeps failing is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseRule {
    /// Failed attempts in a row (default 25).
    pub after_failures: u32,
    /// Time since the first failure after the last success (default 24 h).
    pub after_failing_for: TimeDelta,
}

impl Default for PauseRule {
    fn default() -> Self {
        Self {
            after_failures: 25,
            after_failing_for: TimeDelta::hours(24),
        }
    }
}

/// A subscription's recent record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub consecutive_failures: u32,
    /// The first failure since the last success.
    pub failing_since: Option<NaiveDateTime>,
}

impl PauseRule {
    /// Why the subscription is to be paused at `now`, if it is; `last_error` is quoted.
    pub fn reason(&self, health: &Health, now: NaiveDateTime, last_error: &str) -> Option<String> {
        let failures = health.consecutive_failures;
        let since = health.failing_since?;
        let too_many = failures >= self.after_failures;
        let too_long = failures >= 2 && now - since >= self.after_failing_for;
        (too_many || too_long).then(|| {
            format!(
                "连续{failures}次推送失败（自{since} UTC起），已暂停推送；最后一次错误：{last_error} \
                 (paused after {failures} failed attempts in a row since {since} UTC; last error: \
                 {last_error})",
                since = since.format("%Y-%m-%d %H:%M:%S")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// Always the given fraction of the range: 0 (shortest) … 1 (longest).
    struct Fixed(f64);

    impl Random for Fixed {
        fn below(&mut self, bound: u64) -> u64 {
            ((bound.saturating_sub(1)) as f64 * self.0).round() as u64
        }
    }

    #[test]
    fn waits_double_up_to_the_cap_with_jitter_below_the_ceiling() {
        let p = RetryPolicy::default();
        let queued = t("2020-10-01 00:00:00");
        let ceilings: Vec<i64> = (1..=9).map(|n| p.ceiling(n).num_seconds()).collect();
        assert_eq!(ceilings, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(p.ceiling(200).num_seconds(), 3600, "no overflow");
        // The longest wait is the ceiling, the shortest the floor of 1 s.
        let now = t("2020-10-01 00:10:00");
        assert_eq!(
            p.next_attempt(3, queued, now, &mut Fixed(1.0)),
            Some(t("2020-10-01 00:12:00"))
        );
        assert_eq!(
            p.next_attempt(3, queued, now, &mut Fixed(0.0)),
            Some(t("2020-10-01 00:10:01"))
        );
        // Random waits stay within [1 s, ceiling] and spread over it.
        let mut rng = SplitMix64::new(7);
        let waits: Vec<i64> = (0..2000)
            .map(|_| (p.next_attempt(4, queued, now, &mut rng).unwrap() - now).num_milliseconds())
            .collect();
        assert!(waits.iter().all(|w| (1_000..=240_000).contains(w)));
        let mean = waits.iter().sum::<i64>() as f64 / waits.len() as f64;
        assert!((mean - 120_500.0).abs() < 6_000.0, "mean {mean}");
    }

    #[test]
    fn deliveries_are_given_up_after_the_attempts_or_the_time() {
        let p = RetryPolicy::new(
            Duration::from_secs(10),
            Duration::from_secs(60),
            Duration::from_secs(1),
            Duration::from_secs(300),
            5,
        )
        .unwrap();
        let queued = t("2020-10-01 00:00:00");
        let mut rng = Fixed(1.0);
        assert_eq!(
            p.next_attempt(5, queued, queued, &mut rng),
            None,
            "five attempts made"
        );
        assert_eq!(
            p.next_attempt(4, queued, t("2020-10-01 00:03:00"), &mut rng),
            Some(t("2020-10-01 00:04:00"))
        );
        // A minute after 00:04:01 would pass the five minutes since queuing.
        assert_eq!(
            p.next_attempt(4, queued, t("2020-10-01 00:04:01"), &mut rng),
            None
        );
        // A whole retry history under the policy: bounded in count and in time.
        let (mut now, mut attempts) = (queued, 1);
        let mut rng = SplitMix64::new(42);
        while let Some(next) = p.next_attempt(attempts, queued, now, &mut rng) {
            assert!(next > now && next <= queued + TimeDelta::seconds(300));
            (now, attempts) = (next, attempts + 1);
        }
        assert!(attempts <= 5);
    }

    #[test]
    fn only_a_2xx_answer_delivers() {
        for (status, delivered) in [
            (Some(200), true),
            (Some(204), true),
            (Some(299), true),
            (Some(301), false),
            (Some(410), false),
            (Some(500), false),
            (None, false),
        ] {
            assert_eq!(is_delivered(status), delivered, "{status:?}");
        }
        let p = RetryPolicy::default();
        let at = t("2020-10-01 00:00:00");
        assert_eq!(
            p.outcome(true, 30, at, at, &mut Fixed(0.0)),
            Outcome::Delivered
        );
        assert_eq!(
            p.outcome(false, 30, at, at, &mut Fixed(0.0)),
            Outcome::GaveUp
        );
        assert_eq!(
            p.outcome(false, 1, at, at, &mut Fixed(0.0)),
            Outcome::RetryAt(t("2020-10-01 00:00:01"))
        );
    }

    #[test]
    fn policies_must_be_ordered() {
        let s = Duration::from_secs;
        assert!(
            RetryPolicy::new(s(10), s(5), s(1), s(60), 3).is_err(),
            "cap below base"
        );
        assert!(
            RetryPolicy::new(s(10), s(60), s(20), s(600), 3).is_err(),
            "floor above base"
        );
        assert!(
            RetryPolicy::new(s(0), s(60), s(0), s(600), 3).is_err(),
            "no base"
        );
        assert!(
            RetryPolicy::new(s(10), s(60), s(1), s(40 * 86_400), 3).is_err(),
            "over 30 days"
        );
        assert!(
            RetryPolicy::new(s(10), s(60), s(1), s(600), 0).is_err(),
            "no attempt"
        );
        assert!(RetryPolicy::new(s(10), s(60), s(1), s(600), 3).is_ok());
    }

    #[test]
    fn a_subscription_is_paused_after_many_failures_or_a_long_failing_spell() {
        let rule = PauseRule::default();
        let since = t("2020-10-01 00:00:00");
        let health = |n, s| Health {
            consecutive_failures: n,
            failing_since: s,
        };
        let soon = t("2020-10-01 01:00:00");
        assert_eq!(rule.reason(&health(24, Some(since)), soon, "502"), None);
        let reason = rule
            .reason(&health(25, Some(since)), soon, "HTTP 502")
            .unwrap();
        assert!(reason.starts_with("连续25次推送失败（自2020-10-01 00:00:00 UTC起），已暂停推送"));
        assert!(reason.contains("last error: HTTP 502"));
        let day_later = t("2020-10-02 00:00:00");
        assert!(
            rule.reason(&health(2, Some(since)), day_later, "timeout")
                .is_some()
        );
        assert_eq!(
            rule.reason(&health(1, Some(since)), day_later, "timeout"),
            None,
            "one failure is not a spell"
        );
        assert_eq!(rule.reason(&health(0, None), day_later, ""), None);
    }
}
