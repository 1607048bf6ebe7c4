//! The enterprise registry's statistics (GET /api/v1/statistics), as far as target allocation
//! needs them: baselines for apportionment and actual values for progress and assessments.

use std::time::Duration;

use chrono::NaiveDate;
use hte_shared::auth::AuthKeys;
use hte_shared::http_client::{ClientError, ServiceClient, UpstreamError};
use hte_shared::regions::{RegionCode, RegionLevel};
use hte_shared::service::Service;
use hte_shared::telemetry::RequestId;
use serde::{Deserialize, Serialize};

use crate::domain::plan::Measure;
use crate::startup::TargetAllocation;

/// One region's figures (the fields this service reads; the registry sends more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionFigures {
    pub region_code: String,
    pub name: String,
    pub tech_sme: i64,
    pub pool: i64,
    pub hte: i64,
    pub hte_invention_patents: i64,
    pub new_certificates: i64,
}

impl RegionFigures {
    pub fn get(&self, measure: Measure) -> i64 {
        match measure {
            Measure::Hte => self.hte,
            Measure::NewCertificates => self.new_certificates,
            Measure::HteInventionPatents => self.hte_invention_patents,
            Measure::Pool => self.pool,
            Measure::TechSme => self.tech_sme,
        }
    }
}

/// The registry's answer: one item per region at the level, ordered by code, and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statistics {
    pub as_of: NaiveDate,
    pub new_from: NaiveDate,
    pub new_to: NaiveDate,
    pub items: Vec<RegionFigures>,
    pub totals: RegionFigures,
}

/// What to ask: the cities of the province, or the counties of one city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticsQuery {
    pub level: RegionLevel,
    /// The city whose counties are wanted (level county).
    pub parent: Option<RegionCode>,
    pub as_of: NaiveDate,
    pub new_from: NaiveDate,
    pub new_to: NaiveDate,
}

impl StatisticsQuery {
    /// The children of `parent` (the province's cities or a city's counties).
    pub fn children_of(
        parent: RegionCode,
        as_of: NaiveDate,
        new_from: NaiveDate,
        new_to: NaiveDate,
    ) -> Self {
        let is_province = parent == hte_shared::regions::PROVINCE_CODE;
        Self {
            level: if is_province {
                RegionLevel::City
            } else {
                RegionLevel::County
            },
            parent: (!is_province).then_some(parent),
            as_of,
            new_from,
            new_to,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            (
                "level",
                match self.level {
                    RegionLevel::County => "county",
                    _ => "city",
                }
                .to_owned(),
            ),
            ("as_of", self.as_of.to_string()),
            ("new_from", self.new_from.to_string()),
            ("new_to", self.new_to.to_string()),
        ];
        if let Some(parent) = self.parent {
            pairs.push(("parent", parent.to_string()));
        }
        pairs
    }

    /// A stable text key for caching the answer.
    pub fn cache_key(&self) -> String {
        self.pairs()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Client of the registry, shared by all requests.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    inner: ServiceClient,
}

impl RegistryClient {
    pub fn new(base: url::Url, keys: AuthKeys, timeout: Duration) -> Result<Self, ClientError> {
        Ok(Self {
            inner: ServiceClient::new(
                "enterprise-registry",
                base,
                keys,
                <TargetAllocation as Service>::NAME,
                timeout,
            )?,
        })
    }

    pub async fn statistics(
        &self,
        query: &StatisticsQuery,
        request_id: &RequestId,
    ) -> Result<Statistics, UpstreamError> {
        self.inner
            .get_json("api/v1/statistics", &query.pairs(), request_id)
            .await
    }
}
