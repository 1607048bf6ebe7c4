//! The allocation service, as monitoring reads it: a plan with its indicator definitions
//! (`GET /api/v1/plans/{id}`), its target tree (`GET /api/v1/plans/{id}/targets`) and its
//! published assessments for bulletins (`GET /api/v1/plans/{id}/assessments`).

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::breaker::BreakerStatus;
use hte_shared::http_client::{ClientError, ServiceClient, UpstreamError};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::CallSettings;
use crate::bulletin::{AssessedLevel, Assessment, AssessmentLine, IndicatorScore};
use crate::domain::indicator::{
    Aggregation, Comparator, Formula, IndicatorDefinition, InputPeriod,
};
use crate::domain::limits::MAX_PUBLISHED_ASSESSMENTS;
use crate::domain::ratio::Ratio;

pub const SERVICE: &str = "target-allocation";

/// An indicator as the allocation service defines it (the fields monitoring reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanIndicator {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub comparator: Comparator,
    pub aggregation: Aggregation,
    pub target_value: Option<f64>,
    pub splittable: bool,
    /// Absent: the plan does not say how to compute it, so it is not monitored.
    #[serde(default)]
    pub formula: Option<Formula>,
    #[serde(default)]
    pub input_period: InputPeriod,
    #[serde(default)]
    pub pipeline: bool,
}

impl PlanIndicator {
    /// Monitoring's definition of it; `None` without a formula.
    pub fn definition(&self) -> Option<Result<IndicatorDefinition, String>> {
        let formula = self.formula.clone()?;
        let target_value = match self.target_value {
            None => None,
            Some(v) => match Ratio::from_f64_decimal(v) {
                Some(r) => Some(r),
                None => return Some(Err(format!("target_value {v} is not a number"))),
            },
        };
        Some(Ok(IndicatorDefinition {
            key: self.key.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            unit: self.unit.clone(),
            comparator: self.comparator,
            aggregation: self.aggregation,
            target_value,
            formula,
            input_period: self.input_period,
            pipeline: self.pipeline,
        }))
    }
}

/// A plan (规划) with its indicators.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanDoc {
    pub id: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: String,
    pub tree_version: i32,
    pub indicators: Vec<PlanIndicator>,
}

/// One target of the tree (目标值).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Target {
    pub indicator: String,
    pub region_code: String,
    /// A year, e.g. `2020`.
    pub period: String,
    pub value: i64,
}

/// The plan's current target tree, and where and when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTree {
    pub version: i32,
    pub targets: Vec<Target>,
    pub route: String,
    pub fetched_at: NaiveDateTime,
}

#[derive(Deserialize)]
struct RawTree {
    version: i32,
    targets: Vec<Target>,
}

/// An assessment (考核) as the allocation service shows it (its `AssessmentView`; the
/// fields monitoring reads, the others ignored).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublishedAssessment {
    pub id: String,
    pub plan_id: String,
    pub period: String,
    pub level: AssessedLevel,
    pub parent_code: String,
    pub as_of: NaiveDate,
    pub scheme: AssessedScheme,
    pub status: AssessmentStatus,
    #[serde(default, with = "hte_shared::time::utc::option")]
    pub published_at: Option<NaiveDateTime>,
    pub rows: Vec<AssessedRegion>,
}

/// The scoring scheme an assessment was scored by (考核办法).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssessedScheme {
    pub version: i32,
    pub items: Vec<SchemeItem>,
}

/// One assessed indicator of the scheme.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SchemeItem {
    pub indicator: String,
}

/// `draft` (the province's alone; never shown to a service) or `published`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentStatus {
    Draft,
    Published,
}

/// One region's line of an assessment (allocation's `AssessmentLine`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssessedRegion {
    pub region_code: String,
    pub name: String,
    pub items: Vec<IndicatorScore>,
    pub adjustment_points: f64,
    pub total: f64,
    pub rank: u32,
}

impl PublishedAssessment {
    /// The assessment as the bulletin lists it; `None` for a draft.
    pub fn into_bulletin(self) -> Option<Assessment> {
        (self.status == AssessmentStatus::Published).then(|| Assessment {
            id: self.id,
            plan_id: self.plan_id,
            period: self.period,
            level: self.level,
            parent_code: self.parent_code,
            as_of: self.as_of,
            scheme_version: self.scheme.version,
            indicators: self.scheme.items.into_iter().map(|i| i.indicator).collect(),
            published_at: self.published_at,
            rows: self
                .rows
                .into_iter()
                .map(|line| AssessmentLine {
                    region_code: line.region_code,
                    name: line.name,
                    scores: line.items,
                    adjustment_points: line.adjustment_points,
                    total: line.total,
                    rank: line.rank,
                })
                .collect(),
        })
    }
}

/// A page of a list of the allocation service.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct ListPage<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

/// Items read per page of a list (the allocation service's largest page).
const PAGE_SIZE: u32 = 500;

#[derive(Debug, Clone)]
pub struct AllocationClient {
    inner: ServiceClient,
}

impl AllocationClient {
    pub fn new(base: url::Url, calls: CallSettings) -> Result<Self, ClientError> {
        Ok(Self {
            inner: calls.client(SERVICE, base)?,
        })
    }

    pub fn breaker_status(&self) -> Option<BreakerStatus> {
        self.inner.breaker().map(|b| b.status())
    }

    /// The plan, or `None` when the allocation service has no such plan. `plan_id` must be
    /// a checked plan id (it goes into the path).
    pub async fn plan(
        &self,
        plan_id: &str,
        request_id: &RequestId,
    ) -> Result<Option<PlanDoc>, UpstreamError> {
        let path = format!("api/v1/plans/{plan_id}");
        match self.inner.get_json(&path, &[], request_id).await {
            Ok(plan) => Ok(Some(plan)),
            Err(UpstreamError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn targets(
        &self,
        plan_id: &str,
        request_id: &RequestId,
    ) -> Result<TargetTree, UpstreamError> {
        let path = format!("api/v1/plans/{plan_id}/targets");
        let raw: RawTree = self.inner.get_json(&path, &[], request_id).await?;
        Ok(TargetTree {
            version: raw.version,
            targets: raw.targets,
            route: format!("GET /{path}"),
            fetched_at: hte_shared::time::now(),
        })
    }

    /// The plan's assessments (考核) as the allocation service shows them to this service:
    /// published ones with every line (drafts stay with the province), every page of them.
    /// More than a plan can publish (`MAX_PUBLISHED_ASSESSMENTS`) is an error, never cut.
    pub async fn assessments(
        &self,
        plan_id: &str,
        request_id: &RequestId,
    ) -> Result<Vec<Assessment>, UpstreamError> {
        let path = format!("api/v1/plans/{plan_id}/assessments");
        let bound = MAX_PUBLISHED_ASSESSMENTS;
        let shown: Vec<PublishedAssessment> =
            match self.every_page(&path, PAGE_SIZE, bound, request_id).await {
                Err(UpstreamError::Status { status: 404, .. }) => return Ok(Vec::new()),
                other => other?,
            };
        Ok(shown
            .into_iter()
            .filter_map(PublishedAssessment::into_bulletin)
            .collect())
    }

    /// Every item of the paged list at `path`, following `next_cursor` with pages of
    /// `page_size` (1–500). More than `bound` items, or an empty page that points on (a
    /// runaway cursor), is an error: a list is read whole or not at all, never cut.
    pub async fn every_page<T: DeserializeOwned>(
        &self,
        path: &str,
        page_size: u32,
        bound: usize,
        request_id: &RequestId,
    ) -> Result<Vec<T>, UpstreamError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", page_size.to_string())];
            query.extend(cursor.take().map(|c| ("cursor", c)));
            let page: ListPage<T> = self.inner.get_json(path, &query, request_id).await?;
            let stalled = page.items.is_empty() && page.next_cursor.is_some();
            all.extend(page.items);
            if stalled || all.len() > bound {
                return Err(UpstreamError::Decode {
                    service: SERVICE.to_owned(),
                    message: format!(
                        "{path}: more than {bound} items, or an empty page that points on"
                    ),
                });
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }
}
