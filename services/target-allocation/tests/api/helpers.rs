//! Target allocation's own test fixtures; starting it and talking to it is the shared test
//! client ([`hte_shared::testing::TestApp`]).

use hte_shared::auth::Role;
use hte_shared::db::DbError;
use serde_json::{Value, json};
use target_allocation::startup::TargetAllocation;

pub use hte_shared::testing::{assert_json, assert_problem, problem_fields};

pub const SEEDED: &str = "jiangsu-2019-57";

pub const CITIES: [&str; 13] = [
    "320100", "320200", "320300", "320400", "320500", "320600", "320700", "320800", "320900",
    "321000", "321100", "321200", "321300",
];

/// Suzhou's county-level children (incl. the Suzhou Industrial Park functional zone).
pub const SUZHOU_COUNTIES: [&str; 10] = [
    "320505", "320506", "320507", "320508", "320509", "320576", "320581", "320582", "320583",
    "320585",
];

/// Every role but the province, as (role, region): the callers a province-only write refuses.
pub const NOT_PROVINCE: [(Role, &str); 4] = [
    (Role::City, "320500"),
    (Role::County, "320583"),
    (Role::Auditor, "320000"),
    (Role::Service, "320000"),
];

/// Target allocation on a fresh database, on port 0, with no registry listening.
pub type TestApp = hte_shared::testing::TestApp<TargetAllocation>;

/// Requests only target allocation's tests make, on [`Self::app`].
pub trait AllocationFixtures {
    fn app(&self) -> &TestApp;

    /// The tree's current ETag.
    async fn tree_etag(&self, plan: &str) -> String {
        let app = self.app();
        let path = format!("/api/v1/plans/{plan}/targets");
        let response = app.get_as(&app.province_token(), &path).await;
        assert_eq!(response.status(), 200);
        response.headers()["etag"].to_str().unwrap().to_owned()
    }

    /// PUTs a target with the current ETag and returns the response.
    async fn put_target(
        &self,
        token: &str,
        plan: &str,
        region: &str,
        indicator: &str,
        period: &str,
        value: i64,
    ) -> reqwest::Response {
        let body = json!({"indicator": indicator, "period": period, "value": value, "reason": "测试设定目标"});
        put_target_with(self.app(), token, plan, region, &body).await
    }

    /// PUTs `body` as a region's target, as the province with the current ETag.
    async fn put_target_body(&self, plan: &str, region: &str, body: &Value) -> reqwest::Response {
        let app = self.app();
        put_target_with(app, &app.province_token(), plan, region, body).await
    }

    /// Creates a small draft plan `id` (2024–2025) with two splittable indicators.
    async fn create_plan(&self, id: &str) -> Value {
        let app = self.app();
        let response = app
            .post_as(&app.province_token(), "/api/v1/plans", &plan_body(id))
            .await;
        assert_json(response, 201).await
    }

    /// Proposes and accepts a split; returns the accepted proposal.
    async fn split(&self, token: &str, plan: &str, body: &Value) -> Value {
        let response = self
            .app()
            .post_as(token, &format!("/api/v1/plans/{plan}/allocations"), body)
            .await;
        let proposal = assert_json(response, 201).await;
        let id = proposal["id"].as_str().unwrap();
        let response = self
            .app()
            .post_as(
                token,
                &format!("/api/v1/plans/{plan}/allocations/{id}/accept"),
                &json!({"reason": "同意"}),
            )
            .await;
        assert_json(response, 200).await
    }

    /// Sets `indicator`'s provincial target for `period` to the sum of `shares` and splits it
    /// among the 13 cities by hand (a city not named gets 0).
    async fn set_city_targets(
        &self,
        plan: &str,
        indicator: &str,
        period: &str,
        shares: &[(&str, i64)],
    ) {
        let province = self.app().province_token();
        let total: i64 = shares.iter().map(|(_, v)| v).sum();
        let response = self
            .put_target(&province, plan, "320000", indicator, period, total)
            .await;
        assert_json(response, 200).await;
        let manual: serde_json::Map<String, Value> = CITIES
            .iter()
            .map(|c| {
                let share = shares
                    .iter()
                    .find(|(code, _)| code == c)
                    .map_or(0, |(_, v)| *v);
                ((*c).to_owned(), json!(share))
            })
            .collect();
        let body = json!({"indicator": indicator, "period": period, "region_code": "320000",
                          "method": "manual", "shares": manual});
        self.split(&province, plan, &body).await;
    }

    /// `DELETE path` with `If-Match: etag` when given.
    async fn delete_as(&self, token: &str, path: &str, etag: Option<&str>) -> reqwest::Response {
        let app = self.app();
        let mut request = app.client.delete(app.url(path)).bearer_auth(token);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.send().await.unwrap()
    }

    /// The audit entries filed under `key`, oldest first, read behind the API.
    async fn audit_of(&self, key: &str) -> Vec<Value> {
        let key = key.to_owned();
        let entries = self
            .app()
            .db
            .read(move |conn| {
                hte_shared::audit::history(conn, &key, None, 1000).map_err(DbError::from)
            })
            .await
            .unwrap();
        entries
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect()
    }
}

impl AllocationFixtures for TestApp {
    fn app(&self) -> &TestApp {
        self
    }
}

/// PUTs `body` as a region's target with the tree's current ETag.
async fn put_target_with(
    app: &TestApp,
    token: &str,
    plan: &str,
    region: &str,
    body: &Value,
) -> reqwest::Response {
    let etag = app.tree_etag(plan).await;
    let path = format!("/api/v1/plans/{plan}/targets/{region}");
    app.send_with_etag(reqwest::Method::PUT, token, &path, Some(&etag), body)
        .await
}

pub fn plan_body(id: &str) -> Value {
    json!({
        "id": id,
        "name": "测试规划(2024-2025年)",
        "name_en": "Test plan",
        "starts_on": "2024-01-01",
        "ends_on": "2025-12-31",
        "indicators": [
            {"key": "hte_count", "name_zh": "高新技术企业总数", "name_en": "Valid HTEs",
             "unit": "enterprises", "comparator": "at_least", "target_value": 1300,
             "source": "registry", "splittable": true, "measure": "hte"},
            {"key": "new_hte", "name_zh": "新增高新技术企业数", "name_en": "New HTEs",
             "unit": "enterprises", "comparator": "at_least", "target_value": null,
             "source": "registry", "splittable": true, "measure": "new_certificates",
             "aggregation": "annual"},
            {"key": "hightech_output_share", "name_zh": "高新技术产业产值占比",
             "name_en": "High-tech output share", "unit": "ratio", "comparator": "at_least",
             "target_value": 0.45, "source": "external", "splittable": false}
        ]
    })
}

/// Equal weights for the 13 cities.
pub fn equal_city_weights() -> Value {
    let map: serde_json::Map<String, Value> =
        CITIES.iter().map(|c| ((*c).to_owned(), json!(1))).collect();
    Value::Object(map)
}
