//! The enterprise registry, as monitoring reads it: statistics by region
//! (`GET /api/v1/statistics`), the pool firms its assessment finds ready for recognition
//! (`GET /api/v1/candidates/summary`; the ranking as CSV for dates it has not built) and its
//! compliance alerts
//! (`GET /api/v1/compliance-alerts`).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::breaker::BreakerStatus;
use hte_shared::http_client::{ClientError, ServiceClient, UpstreamError};
use hte_shared::regions::{PROVINCE_CODE, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::CallSettings;
use crate::domain::alert::{AlertKind, ComplianceFinding, Severity};

pub const SERVICE: &str = "enterprise-registry";

/// One region's row of the statistics, as named integer fields: `hte`, `labels.gazelle`, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticsRow {
    pub region_code: String,
    pub figures: BTreeMap<String, i64>,
}

/// The registry's statistics at one level, and where and when they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryStatistics {
    pub as_of: NaiveDate,
    pub report_year: i32,
    pub rows: Vec<StatisticsRow>,
    /// The rows added up (the province, for the whole province).
    pub totals: StatisticsRow,
    /// The route read, with its query.
    pub route: String,
    pub fetched_at: NaiveDateTime,
}

/// What to ask: every city, or every county, of the province on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatisticsRequest {
    pub level: RegionLevel,
    pub as_of: NaiveDate,
    /// Year of the annual reports summed.
    pub report_year: i32,
    /// Window of new certificates.
    pub new_from: NaiveDate,
    pub new_to: NaiveDate,
}

impl StatisticsRequest {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let level = if self.level == RegionLevel::County {
            "county"
        } else {
            "city"
        };
        vec![
            ("level", level.to_owned()),
            ("as_of", self.as_of.to_string()),
            ("report_year", self.report_year.to_string()),
            ("new_from", self.new_from.to_string()),
            ("new_to", self.new_to.to_string()),
        ]
    }
}

/// Pool firms ready for recognition (可认定的入库企业), counted per county, city and for the
/// province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyFirms {
    pub by_region: BTreeMap<String, i64>,
    pub route: String,
    pub fetched_at: NaiveDateTime,
}

#[derive(Deserialize)]
struct RawStatistics {
    as_of: NaiveDate,
    report_year: i32,
    items: Vec<Map<String, Value>>,
    totals: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawAlert {
    kind: String,
    severity: Severity,
    credit_code: String,
    region_code: String,
    expires_on: Option<NaiveDate>,
    #[serde(default)]
    missing_years: Vec<i32>,
}

#[derive(Deserialize)]
struct RawAlertPage {
    items: Vec<RawAlert>,
    next_cursor: Option<String>,
}

/// Pages of compliance alerts read at most (500 each): a bound on a runaway cursor.
const MAX_ALERT_PAGES: usize = 2_000;

/// Client of the registry, shared by requests and the scheduler.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    inner: ServiceClient,
}

fn decode_error(message: impl Into<String>) -> UpstreamError {
    UpstreamError::Decode {
        service: SERVICE.to_owned(),
        message: message.into(),
    }
}

/// A statistics row's integer fields, nested objects flattened with dots.
fn flatten(object: &Map<String, Value>) -> Result<StatisticsRow, UpstreamError> {
    let region_code = object
        .get("region_code")
        .and_then(Value::as_str)
        .ok_or_else(|| decode_error("a statistics row has no region_code"))?
        .to_owned();
    let mut figures = BTreeMap::new();
    for (name, value) in object {
        match value {
            Value::Number(n) => {
                if let Some(n) = n.as_i64() {
                    figures.insert(name.clone(), n);
                }
            }
            Value::Object(inner) => {
                for (sub, value) in inner {
                    if let Some(n) = value.as_i64() {
                        figures.insert(format!("{name}.{sub}"), n);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(StatisticsRow {
        region_code,
        figures,
    })
}

fn route_of(path: &str, query: &[(&str, String)]) -> String {
    let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("GET /{path}?{}", pairs.join("&"))
}

impl RegistryClient {
    pub fn new(base: url::Url, calls: CallSettings) -> Result<Self, ClientError> {
        Ok(Self {
            inner: calls.client(SERVICE, base)?,
        })
    }

    pub fn breaker_status(&self) -> Option<BreakerStatus> {
        self.inner.breaker().map(|b| b.status())
    }

    pub async fn statistics(
        &self,
        request: &StatisticsRequest,
        request_id: &RequestId,
    ) -> Result<RegistryStatistics, UpstreamError> {
        let path = "api/v1/statistics";
        let query = request.pairs();
        let raw: RawStatistics = self.inner.get_json(path, &query, request_id).await?;
        Ok(RegistryStatistics {
            as_of: raw.as_of,
            report_year: raw.report_year,
            rows: raw.items.iter().map(flatten).collect::<Result<_, _>>()?,
            totals: flatten(&raw.totals)?,
            route: route_of(path, &query),
            fetched_at: hte_shared::time::now(),
        })
    }

    /// The pool firms whose HTE assessment on `as_of` qualifies or likely qualifies, counted
    /// by region. Read from the registry's readiness counts (`/candidates/summary`, one
    /// indexed query); for a date no readiness build covers (404) the registry must assess the
    /// pool live, so the whole ranking is read once as CSV instead.
    pub async fn ready_pool_firms(
        &self,
        as_of: NaiveDate,
        request_id: &RequestId,
    ) -> Result<ReadyFirms, UpstreamError> {
        let path = "api/v1/candidates/summary";
        let query = vec![("scope", "pool".to_owned()), ("as_of", as_of.to_string())];
        match self
            .inner
            .get_json::<RawSummary>(path, &query, request_id)
            .await
        {
            Ok(summary) => Ok(ReadyFirms {
                by_region: count_summary(&summary, as_of)?,
                route: route_of(path, &query),
                fetched_at: hte_shared::time::now(),
            }),
            Err(UpstreamError::Status { status: 404, .. }) => {
                self.ready_pool_firms_live(as_of, request_id).await
            }
            Err(other) => Err(other),
        }
    }

    /// [`Self::ready_pool_firms`] from the whole ranking as one CSV file, so the registry
    /// screens the pool once (its JSON pages would screen it again for every page).
    async fn ready_pool_firms_live(
        &self,
        as_of: NaiveDate,
        request_id: &RequestId,
    ) -> Result<ReadyFirms, UpstreamError> {
        let path = "api/v1/candidates";
        let query = vec![
            ("scope", "pool".to_owned()),
            ("max_failing", "0".to_owned()),
            ("as_of", as_of.to_string()),
            ("format", "csv".to_owned()),
            ("lang", "en".to_owned()),
        ];
        let bytes = self.inner.get_bytes(path, &query, request_id).await?;
        Ok(ReadyFirms {
            by_region: count_ready(&bytes)?,
            route: route_of(path, &query),
            fetched_at: hte_shared::time::now(),
        })
    }

    /// Every compliance alert of `kind` in the province on `as_of`, page after page.
    pub async fn compliance(
        &self,
        kind: AlertKind,
        as_of: NaiveDate,
        within_days: u32,
        request_id: &RequestId,
    ) -> Result<Vec<ComplianceFinding>, UpstreamError> {
        let registry_kind = match kind {
            AlertKind::CertificatesExpiring => "certificate_expiring",
            AlertKind::AnnualReportsMissing => "missing_annual_report",
            other => {
                return Err(decode_error(format!(
                    "{} is not a compliance kind",
                    other.key()
                )));
            }
        };
        let mut findings = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_ALERT_PAGES {
            let mut query = vec![
                ("kind", registry_kind.to_owned()),
                ("as_of", as_of.to_string()),
                ("within_days", within_days.to_string()),
                ("limit", "500".to_owned()),
            ];
            if let Some(cursor) = cursor.take() {
                query.push(("cursor", cursor));
            }
            let page: RawAlertPage = self
                .inner
                .get_json("api/v1/compliance-alerts", &query, request_id)
                .await?;
            for raw in page.items {
                let region =
                    RegionCode::parse(&raw.region_code).map_err(|e| decode_error(e.to_string()))?;
                if raw.kind != registry_kind {
                    return Err(decode_error(format!(
                        "asked for {registry_kind}, got {}",
                        raw.kind
                    )));
                }
                findings.push(ComplianceFinding {
                    kind,
                    severity: raw.severity,
                    region,
                    credit_code: raw.credit_code,
                    expires_on: raw.expires_on,
                    missing_years: raw.missing_years,
                });
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(findings),
            }
        }
        Err(decode_error(format!(
            "more than {MAX_ALERT_PAGES} pages of {registry_kind} alerts"
        )))
    }
}

/// The registry's readiness counts: eligible firms by city, county and verdict.
#[derive(Debug, Deserialize)]
struct RawSummary {
    as_of: NaiveDate,
    items: Vec<RawSummaryRow>,
}

#[derive(Debug, Deserialize)]
struct RawSummaryRow {
    city_code: String,
    region_code: String,
    outcome: String,
    firms: i64,
}

/// Whether a verdict counts a firm as ready (a failing condition never gives these).
fn is_ready(outcome: &str) -> bool {
    matches!(outcome, "qualifies" | "likely_qualifies")
}

/// Counts the summary's ready firms by county, city and province.
fn count_summary(
    summary: &RawSummary,
    as_of: NaiveDate,
) -> Result<BTreeMap<String, i64>, UpstreamError> {
    if summary.as_of != as_of {
        return Err(decode_error(format!(
            "asked for the readiness of {as_of}, got {}",
            summary.as_of
        )));
    }
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for row in summary.items.iter().filter(|r| is_ready(&r.outcome)) {
        for code in [&row.region_code, &row.city_code] {
            *counts.entry(code.clone()).or_default() += row.firms;
        }
        *counts.entry(PROVINCE_CODE.to_string()).or_default() += row.firms;
    }
    Ok(counts)
}

/// Counts the ranking's ready firms (outcome qualifies or likely_qualifies) by county, city
/// and province. The file has English headers (`lang=en`) and may start with a BOM.
fn count_ready(bytes: &[u8]) -> Result<BTreeMap<String, i64>, UpstreamError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(text);
    let header = reader
        .headers()
        .map_err(|e| decode_error(format!("the candidates CSV has no header: {e}")))?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| decode_error(format!("the candidates CSV has no {name} column")))
    };
    let (county, city, outcome) = (
        column("region_code")?,
        column("city_code")?,
        column("outcome")?,
    );
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| decode_error(format!("the candidates CSV: {e}")))?;
        if !record.get(outcome).is_some_and(is_ready) {
            continue;
        }
        for code in [record.get(county), record.get(city)].into_iter().flatten() {
            *counts.entry(code.to_owned()).or_default() += 1;
        }
        *counts.entry(PROVINCE_CODE.to_string()).or_default() += 1;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_flatten_nested_counts_and_keep_integers_only() {
        let row: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "region_code": "320500", "name": "苏州市", "hte": 12,
            "labels": {"gazelle": 3, "top100": 1}, "hte_rd_expense_yuan": 6_000_000_000_i64
        }))
        .unwrap();
        let flat = flatten(&row).unwrap();
        assert_eq!(flat.region_code, "320500");
        let names: Vec<&str> = flat.figures.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "hte",
                "hte_rd_expense_yuan",
                "labels.gazelle",
                "labels.top100"
            ]
        );
        assert!(flatten(&Map::new()).is_err());
    }

    #[test]
    fn ready_firms_are_counted_by_county_city_and_province() {
        let csv = "\u{feff}rank,credit_code,name,region_code,city_code,outcome,failing\n\
                   1,A,甲,320583,320500,qualifies,0\n\
                   2,B,乙,320583,320500,likely_qualifies,0\n\
                   3,C,丙,320102,320100,undetermined,0\n\
                   4,D,丁,320102,320100,qualifies,0\n";
        let counts = count_ready(csv.as_bytes()).unwrap();
        let expected: BTreeMap<String, i64> = [
            ("320000", 3),
            ("320100", 1),
            ("320102", 1),
            ("320500", 2),
            ("320583", 2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(counts, expected);
        assert!(count_ready(b"rank,credit_code\n1,A\n").is_err());
    }

    #[test]
    fn the_summary_counts_the_same_ready_firms_as_the_ranking() {
        let day: NaiveDate = "2026-06-01".parse().unwrap();
        let summary: RawSummary = serde_json::from_value(serde_json::json!({
            "rule_set_version": "2016", "as_of": "2026-06-01",
            "items": [
                {"city_code": "320100", "region_code": "320102", "outcome": "qualifies", "firms": 1},
                {"city_code": "320100", "region_code": "320102", "outcome": "undetermined", "firms": 1},
                {"city_code": "320500", "region_code": "320583", "outcome": "likely_qualifies", "firms": 1},
                {"city_code": "320500", "region_code": "320583", "outcome": "qualifies", "firms": 1},
                {"city_code": "320500", "region_code": "320583", "outcome": "does_not_qualify", "firms": 4},
            ],
        }))
        .unwrap();
        let csv = "rank,credit_code,name,region_code,city_code,outcome,failing\n\
                   1,A,甲,320583,320500,qualifies,0\n\
                   2,B,乙,320583,320500,likely_qualifies,0\n\
                   3,C,丙,320102,320100,undetermined,0\n\
                   4,D,丁,320102,320100,qualifies,0\n";
        assert_eq!(
            count_summary(&summary, day).unwrap(),
            count_ready(csv.as_bytes()).unwrap()
        );
        let other_day = "2026-06-02".parse().unwrap();
        assert!(
            count_summary(&summary, other_day).is_err(),
            "another date's counts"
        );
    }
}
