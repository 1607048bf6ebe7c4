//! Rate limiting per caller: a request with a valid token spends its subject's budget; one
//! without spends its client address's budget; a refused token spends the address's much
//! smaller budget for failed sign-ins instead. Over budget, the answer is 429 problem+json
//! with `Retry-After`. Every response the limiter governs says where the caller stands
//! (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, after the IETF httpapi
//! draft), so a well-behaved client can slow down before it is refused.
//!
//! Budgets are GCRA token buckets held in this process: with several replicas behind a load
//! balancer each replica keeps its own, so a caller's effective budget is the per-replica
//! budget times the number of replicas it reaches. Calls between the services of the suite
//! (the `service` role) are not limited: one snapshot makes many of them. Behind a reverse
//! proxy, callers without a valid token share the proxy's address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::auth::{Role, authenticate_request};
use crate::config::RateLimits;
use crate::problem::Problem;
use crate::text;

/// Keys held before idle ones (whose bucket is full again) are dropped.
const PRUNE_ABOVE: usize = 10_000;
/// Keys held at most; beyond it, new callers share one budget until idle keys are dropped.
const MAX_KEYS: usize = 100_000;
const OVERFLOW_KEY: &str = "~overflow";
/// Least time between two sweeps for idle keys.
const PRUNE_EVERY: Duration = Duration::from_secs(1);

/// One kind of budget: `per_minute` requests a minute, `burst` at once.
struct Gcra {
    /// Time one request costs.
    interval: Duration,
    /// How far ahead of now a caller's schedule may run (the burst).
    tolerance: Duration,
    origin: Instant,
    state: Mutex<State>,
}

struct State {
    /// Each key's theoretical arrival time, since `origin`.
    schedule: HashMap<String, Duration>,
    pruned_at: Duration,
}

impl Gcra {
    fn new(per_minute: u32, burst: u32) -> Self {
        let interval = Duration::from_secs(60) / per_minute.max(1);
        Self {
            interval,
            tolerance: interval * burst.saturating_sub(1),
            origin: Instant::now(),
            state: Mutex::new(State {
                schedule: HashMap::new(),
                pruned_at: Duration::ZERO,
            }),
        }
    }

    /// Spends one request of `key`'s budget and says what is left, or says how long until
    /// one is available.
    fn spend(&self, key: &str) -> Result<Standing, Duration> {
        let now = self.origin.elapsed();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State {
            schedule,
            pruned_at,
        } = &mut *state;
        if schedule.len() > PRUNE_ABOVE && now.saturating_sub(*pruned_at) >= PRUNE_EVERY {
            // A key whose schedule is not ahead of now has its whole budget: same as absent.
            schedule.retain(|_, at| *at > now);
            *pruned_at = now;
        }
        let key = if schedule.len() >= MAX_KEYS && !schedule.contains_key(key) {
            OVERFLOW_KEY
        } else {
            key
        };
        let arrival = schedule.get(key).copied().unwrap_or(now).max(now);
        let allowed_from = arrival.saturating_sub(self.tolerance);
        if now < allowed_from {
            return Err(allowed_from - now);
        }
        let next = arrival + self.interval;
        schedule.insert(key.to_owned(), next);
        Ok(self.standing(now, next))
    }

    /// What a caller whose schedule runs to `next` may still do at `now`.
    fn standing(&self, now: Duration, next: Duration) -> Standing {
        let ahead = next.saturating_sub(now);
        // Requests still allowed at once: the tolerance not yet used, in whole intervals.
        let slack = (now + self.tolerance).saturating_sub(next.saturating_sub(self.interval));
        let remaining = slack.as_nanos() / self.interval.as_nanos().max(1);
        Standing {
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset: ceil_secs(ahead),
        }
    }
}

/// Where a caller stands after a request: requests left at once, seconds until the whole
/// burst is available again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Standing {
    remaining: u32,
    reset: u64,
}

fn ceil_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The budgets of one service instance.
pub struct RateLimiter {
    limits: RateLimits,
    callers: Gcra,
    failures: Gcra,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            callers: Gcra::new(limits.per_minute, limits.burst),
            failures: Gcra::new(limits.auth_failures_per_minute, limits.auth_failures_burst),
        }
    }

    fn enabled(&self) -> bool {
        self.limits.per_minute > 0
    }
}

/// Who is asking, as far as the budget is concerned.
enum Spender {
    Subject(String),
    Address(String),
    FailedSignIn(String),
    Unlimited,
}

/// Refuses requests over their caller's budget with 429 and `Retry-After`.
pub async fn rate_limit_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
    let Some(limiter) = limiter.filter(|l| l.enabled()) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if matches!(req.path(), "/livez" | "/readyz" | "/metrics") {
        // Probes and the metrics scraper come often and from few addresses.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let address = client_address(&req);
    // Every token is checked, even from an address that has used up its failures: behind a
    // proxy many callers share an address, and one guessing tokens must not lock out the
    // others, whose valid tokens spend their own budgets.
    let spender = match req.headers().contains_key(header::AUTHORIZATION) {
        false => Spender::Address(address),
        true => match authenticate_request(req.request()).await {
            Ok(caller) if caller.role == Role::Service => Spender::Unlimited,
            Ok(caller) => Spender::Subject(caller.subject),
            Err(problem) if problem.status == 401 => Spender::FailedSignIn(address),
            // The identity platform's keys could not be had: not the caller's failure.
            Err(_) => Spender::Address(address),
        },
    };
    let (spent, failure, burst) = match &spender {
        Spender::Subject(subject) => (
            limiter.callers.spend(&format!("sub:{subject}")),
            false,
            limiter.limits.burst,
        ),
        Spender::Address(address) => (limiter.callers.spend(address), false, limiter.limits.burst),
        Spender::FailedSignIn(address) => (
            limiter.failures.spend(address),
            true,
            limiter.limits.auth_failures_burst,
        ),
        Spender::Unlimited => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body);
        }
    };
    let (mut response, standing) = match spent {
        Ok(standing) => (
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)?,
            standing,
        ),
        Err(wait) => {
            let standing = Standing {
                remaining: 0,
                reset: ceil_secs(wait),
            };
            (refuse(req, wait, &limiter, failure), standing)
        }
    };
    announce(response.headers_mut(), burst, standing);
    Ok(response)
}

/// The headers every governed response carries, as the documents name them.
pub const RATE_LIMIT_HEADERS: [&str; 3] =
    ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];
/// `RateLimit-Reset` says at most a day (only an odd configuration's burst takes longer to
/// refill; a client need not plan further ahead).
pub const MAX_RESET_SECS: u32 = 86_400;

/// Tells the caller its budget: the burst, what is left of it, seconds until it is whole.
fn announce(headers: &mut header::HeaderMap, burst: u32, standing: Standing) {
    let reset = standing.reset.min(u64::from(MAX_RESET_SECS));
    // The same names, lowercase as `HeaderName::from_static` wants them.
    const WIRE: [&str; 3] = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"];
    for (name, value) in
        WIRE.into_iter()
            .zip([u64::from(burst), u64::from(standing.remaining), reset])
    {
        headers.insert(
            header::HeaderName::from_static(name),
            header::HeaderValue::from(value),
        );
    }
}

/// The address budgets are kept by: the peer's IP address (`addr:…`).
fn client_address(req: &ServiceRequest) -> String {
    let ip = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    format!("addr:{ip}")
}

fn refuse(
    req: ServiceRequest,
    wait: Duration,
    limiter: &RateLimiter,
    failure: bool,
) -> ServiceResponse<BoxBody> {
    let seconds = ceil_secs(wait);
    let problem = if failure {
        let n = limiter.limits.auth_failures_per_minute;
        tracing::warn!(
            retry_after = seconds,
            "too many refused tokens from one address"
        );
        Problem::too_many_requests(
            seconds,
            text!(
                "too many refused bearer tokens from this address (at most {n} a minute); \
                 retry after {seconds} s",
                "来自此地址的无效令牌过多（每分钟至多 {n} 次）；请 {seconds} 秒后重试"
            ),
        )
    } else {
        let n = limiter.limits.per_minute;
        tracing::info!(retry_after = seconds, "caller over its request budget");
        Problem::too_many_requests(
            seconds,
            text!(
                "too many requests from this caller (at most {n} a minute); retry after \
                 {seconds} s",
                "此调用方请求过于频繁（每分钟至多 {n} 次）；请 {seconds} 秒后重试"
            ),
        )
    };
    let (request, _) = req.into_parts();
    ServiceResponse::new(request, problem.error_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_steady_rate() {
        let gcra = Gcra::new(60, 3);
        let left: Vec<u32> = (0..3).map(|_| gcra.spend("a").unwrap().remaining).collect();
        assert_eq!(left, [2, 1, 0]);
        let wait = gcra.spend("a").unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // Another key has its own budget.
        for _ in 0..3 {
            assert!(gcra.spend("b").is_ok());
        }
        assert!(gcra.spend("b").is_err());
    }

    #[test]
    fn idle_keys_are_dropped_and_the_map_is_bounded() {
        let gcra = Gcra::new(60_000, 1);
        for i in 0..(MAX_KEYS + 10) {
            let _ = gcra.spend(&format!("k{i}"));
        }
        let held = gcra.state.lock().unwrap().schedule.len();
        assert!(held <= MAX_KEYS + 1, "{held}");
    }
}
