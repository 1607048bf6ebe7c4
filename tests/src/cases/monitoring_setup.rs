//! What the monitoring tests set up in the other services: firms in the registry (with a
//! certificate, a zone and a 2019 annual report as each test needs), targets in the
//! allocation service, statistics inputs and snapshots in monitoring.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use enterprise_registry::domain::credit_code::check_character;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::Suite;

pub const PLAN: &str = "jiangsu-2019-57";

/// A firm to register: where, how big, in which zone, certified when, and what it reported
/// for 2019.
pub struct Firm<'a> {
    pub county: &'a str,
    pub serial: u32,
    pub above_scale: bool,
    /// (zone level, zone id), e.g. ("national", "kunshan-hz").
    pub zone: Option<(&'a str, &'a str)>,
    pub certified_on: Option<&'a str>,
    /// The 2019 annual report (年报), if filed.
    pub report_2019: Option<Value>,
}

impl<'a> Firm<'a> {
    /// An above-scale firm of `county`, outside any zone, certified as an HTE on
    /// `certified_on`, with no annual report.
    pub fn hte(county: &'a str, serial: u32, certified_on: &'a str) -> Self {
        Firm {
            county,
            serial,
            above_scale: true,
            zone: None,
            certified_on: Some(certified_on),
            report_2019: None,
        }
    }
}

/// A valid credit code (统一社会信用代码) for a firm of `county`.
pub(crate) fn credit_code(county: &str, serial: u32) -> String {
    let first17 = format!("91{county}{serial:08}M");
    let check = check_character(&first17).unwrap();
    format!("{first17}{check}")
}

fn expect(response_status: reqwest::StatusCode, text: &str, want: u16) {
    assert_eq!(response_status.as_u16(), want, "{text}");
}

impl Suite {
    /// Registers the firm with its certificate and report; returns its credit code.
    pub async fn register(&self, firm: &Firm<'_>) -> String {
        let code = credit_code(firm.county, firm.serial);
        let (zone_level, zone_id) = match firm.zone {
            Some((level, id)) => (json!(level), json!(id)),
            None => (json!("none"), Value::Null),
        };
        let body = json!({
            "credit_code": code, "name": format!("监测测试{}号科技有限公司", firm.serial),
            "region_code": firm.county, "registered_on": "2015-03-01", "industry_code": "C3990",
            "tech_domain": "electronic_information", "above_scale": firm.above_scale,
            "zone_level": zone_level, "zone_id": zone_id,
        });
        let province = self.province_token();
        let response = self
            .registry
            .post_as(&province, "/api/v1/enterprises", &body)
            .await;
        let status = response.status();
        expect(status, &response.text().await.unwrap(), 201);
        if let Some(report) = &firm.report_2019 {
            let path = format!("/api/v1/enterprises/{code}/annual-reports/2019");
            let response = self.registry.put_as(&province, &path, report).await;
            let status = response.status();
            expect(status, &response.text().await.unwrap(), 201);
        }
        if let Some(issued_on) = firm.certified_on {
            self.certify(&code, firm.serial, issued_on).await;
        }
        code
    }

    pub async fn certify(&self, code: &str, serial: u32, issued_on: &str) {
        let number = format!("GR{}32{serial:06}", &issued_on[..4]);
        let response = self
            .registry
            .post_as(
                &self.province_token(),
                &format!("/api/v1/enterprises/{code}/certificates"),
                &json!({"certificate_no": number, "issued_on": issued_on}),
            )
            .await;
        let status = response.status();
        expect(status, &response.text().await.unwrap(), 201);
    }

    /// Sets a region's target of the plan (a draft: the tree may be unbalanced).
    pub async fn set_target(&self, indicator: &str, region: &str, value: i64) {
        let tree = self
            .allocation
            .get_as(
                &self.province_token(),
                &format!("/api/v1/plans/{PLAN}/targets"),
            )
            .await;
        let etag = tree.headers()["etag"].to_str().unwrap().to_owned();
        let body =
            json!({"indicator": indicator, "period": "2020", "value": value, "reason": "测试分解"});
        let response = self
            .allocation
            .send_with_etag(
                Method::PUT,
                &self.province_token(),
                &format!("/api/v1/plans/{PLAN}/targets/{region}"),
                Some(&etag),
                &body,
            )
            .await;
        let status = response.status();
        expect(status, &response.text().await.unwrap(), 200);
    }

    /// Enters or corrects a statistics input; returns its new ETag.
    pub async fn put_input(
        &self,
        (measure, period, region): (&str, &str, &str),
        body: Value,
        etag: Option<&str>,
    ) -> String {
        let path = format!("/api/v1/statistics-inputs/{measure}/{period}/{region}");
        let response = self
            .monitoring
            .send_with_etag(Method::PUT, &self.province_token(), &path, etag, &body)
            .await;
        let status = response.status();
        let tag = response
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{status} {text}");
        tag.unwrap()
    }

    /// Takes a snapshot of the plan's period; returns the answer.
    pub async fn snapshot(&self, period: &str) -> reqwest::Response {
        self.monitoring
            .post_as(
                &self.province_token(),
                "/api/v1/snapshots",
                &json!({"plan": PLAN, "period": period}),
            )
            .await
    }

    /// Takes a snapshot that must succeed; returns its id.
    pub async fn snapshot_id(&self, period: &str) -> String {
        let response = self.snapshot(period).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "{text}");
        let taken: Value = serde_json::from_str(&text).unwrap();
        taken["snapshot"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn monitoring_get(&self, path: &str) -> Value {
        let response = self.monitoring.get_as(&self.province_token(), path).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// The value row of `indicator` for `region` in a snapshot view.
pub fn value_of<'a>(snapshot: &'a Value, indicator: &str, region: &str) -> &'a Value {
    snapshot["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"]["key"] == indicator)
        .unwrap_or_else(|| panic!("no indicator {indicator}"))["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["region_code"] == region)
        .unwrap_or_else(|| panic!("no value of {indicator} for {region}"))
}

/// The board item of `indicator`.
pub fn item<'a>(board: &'a Value, indicator: &str) -> &'a Value {
    board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"]["key"] == indicator)
        .unwrap_or_else(|| panic!("no board item {indicator} in {board}"))
}
