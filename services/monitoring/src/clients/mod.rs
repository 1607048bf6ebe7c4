//! Typed clients of the services monitoring reads, each with its service credentials, a
//! timeout, jittered retries and its own circuit breaker. The breakers' state tells readers
//! of stored figures whether the services behind them are up ([`Upstreams::status`]).

pub mod allocation;
pub mod registry;

use std::sync::Arc;
use std::time::Duration;

use hte_shared::auth::AuthKeys;
use hte_shared::breaker::{BreakerStatus, CircuitBreaker};
use hte_shared::http_client::{ClientError, RetryPolicy, ServiceClient};
use serde::Serialize;
use utoipa::ToSchema;

use self::allocation::AllocationClient;
use self::registry::RegistryClient;
use crate::config::MonitoringSettings;

/// The services monitoring calls.
#[derive(Debug, Clone)]
pub struct Upstreams {
    pub registry: RegistryClient,
    pub allocation: AllocationClient,
}

/// How a service monitoring reads is doing, as its circuit breaker saw it (上游服务状态).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UpstreamStatus {
    /// `enterprise-registry` or `target-allocation`.
    pub service: String,
    /// True when the service is taken to be down: its breaker is open, or its latest call
    /// failed.
    pub down: bool,
    pub breaker: BreakerStatus,
}

/// How a client calls its service: credentials, timeout, retries and its breaker.
#[derive(Debug, Clone)]
pub struct CallSettings {
    pub keys: AuthKeys,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub breaker: Arc<CircuitBreaker>,
}

impl CallSettings {
    /// A client of `service` at `base`, calling as monitoring.
    pub fn client(self, service: &str, base: url::Url) -> Result<ServiceClient, ClientError> {
        let caller = <crate::startup::Monitoring as hte_shared::service::Service>::NAME;
        Ok(
            ServiceClient::new(service, base, self.keys, caller, self.timeout)?
                .with_retry(self.retry)
                .with_breaker(self.breaker),
        )
    }
}

impl Upstreams {
    pub fn new(
        settings: &MonitoringSettings,
        keys: &AuthKeys,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let retry = RetryPolicy {
            attempts: settings.retry_attempts,
            ..RetryPolicy::default()
        };
        let calls = || CallSettings {
            keys: keys.clone(),
            timeout,
            retry: retry.clone(),
            breaker: Arc::new(CircuitBreaker::new(settings.breaker)),
        };
        Ok(Self {
            registry: RegistryClient::new(settings.registry_url.clone(), calls())?,
            allocation: AllocationClient::new(settings.allocation_url.clone(), calls())?,
        })
    }

    pub fn status(&self) -> Vec<UpstreamStatus> {
        [
            (registry::SERVICE, self.registry.breaker_status()),
            (allocation::SERVICE, self.allocation.breaker_status()),
        ]
        .into_iter()
        .filter_map(|(service, status)| {
            status.map(|breaker| UpstreamStatus {
                service: service.to_owned(),
                down: breaker.is_down(),
                breaker,
            })
        })
        .collect()
    }
}
