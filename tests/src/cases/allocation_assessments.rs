//! Year-end assessments (考核) against the real registry: a two-indicator scoring scheme
//! with bands, a bonus, a deduction and the province's bonus/penalty items, scored on a
//! hand-worked example; drafts kept from the cities until published (hardening #19 item 13);
//! a county-level assessment after a city split its own targets; the XLSX download read back;
//! progress on a closed plan dated at its end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hte_shared::auth::Role;
use hte_shared::regions::{self, RegionCode};
use hte_shared::testing::{assert_json, read_csv, read_xlsx};
use monitoring::bulletin::AssessedLevel;
use monitoring::clients::allocation::PublishedAssessment;
use serde_json::{Value, json};

use crate::harness::Suite;

const PLAN: &str = "kaohe-2020";

impl Suite {
    /// POSTs as `token` to the allocation service and expects a 2xx; the JSON answer.
    async fn post_allocation_expecting_success(
        &self,
        token: &str,
        path: &str,
        body: &Value,
    ) -> Value {
        let response = self.allocation.post_as(token, path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Sets `parent`'s target to the sum of `shares` (the province's own, by PUT) and splits
    /// it among its children by hand, as `token`; children not named get 0.
    async fn split_by_hand(
        &self,
        token: &str,
        parent: &str,
        indicator: &str,
        shares: &[(&str, i64)],
    ) {
        if parent == "320000" {
            let etag = self
                .allocation
                .get_as(token, &format!("/api/v1/plans/{PLAN}/targets"))
                .await
                .headers()["etag"]
                .to_str()
                .unwrap()
                .to_owned();
            let total: i64 = shares.iter().map(|(_, v)| v).sum();
            let body = json!({"indicator": indicator, "period": "2020", "value": total, "reason": "年度目标"});
            let response = self
                .allocation
                .send_with_etag(
                    reqwest::Method::PUT,
                    token,
                    &format!("/api/v1/plans/{PLAN}/targets/320000"),
                    Some(&etag),
                    &body,
                )
                .await;
            assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        }
        let code = RegionCode::parse(parent).unwrap();
        let manual: serde_json::Map<String, Value> = regions::children(&code)
            .map(|r| {
                let code = r.code.to_string();
                let share = shares
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map_or(0, |(_, v)| *v);
                (code, json!(share))
            })
            .collect();
        let body = json!({"indicator": indicator, "period": "2020", "region_code": parent,
                          "method": "manual", "shares": manual});
        let path = format!("/api/v1/plans/{PLAN}/allocations");
        let proposal = self
            .post_allocation_expecting_success(token, &path, &body)
            .await;
        let accept = format!("{path}/{}/accept", proposal["id"].as_str().unwrap());
        self.post_allocation_expecting_success(token, &accept, &json!({"reason": "按表分解"}))
            .await;
    }

    /// The 2020 plan, its targets, its scheme and the registry's HTEs of the example.
    async fn kaohe(&self) {
        let province = self.province_token();
        let plan = json!({
            "id": PLAN, "name": "2020年度考核演练", "starts_on": "2020-01-01", "ends_on": "2020-12-31",
            "indicators": [
                {"key": "hte_count", "name_zh": "高新技术企业数", "name_en": "Valid HTEs",
                 "unit": "enterprises", "comparator": "at_least", "target_value": null,
                 "source": "registry", "splittable": true, "measure": "hte"},
                {"key": "new_hte", "name_zh": "新增高新技术企业数", "name_en": "New HTEs",
                 "unit": "enterprises", "comparator": "at_least", "target_value": null,
                 "source": "registry", "splittable": true, "measure": "new_certificates",
                 "aggregation": "annual"}
            ]
        });
        self.post_allocation_expecting_success(&province, "/api/v1/plans", &plan)
            .await;
        let others = |value: i64| {
            regions::cities()
                .map(|c| c.code.to_string())
                .filter(|c| c != "320500" && c != "320100")
                .map(move |c| (c, value))
                .collect::<Vec<_>>()
        };
        for (indicator, suzhou, nanjing) in [("new_hte", 2, 2), ("hte_count", 7, 2)] {
            let rest = others(1);
            let mut shares: Vec<(&str, i64)> = vec![("320500", suzhou), ("320100", nanjing)];
            shares.extend(rest.iter().map(|(c, v)| (c.as_str(), *v)));
            self.split_by_hand(&province, "320000", indicator, &shares)
                .await;
        }
        let scheme = json!({
            "reason": "2020年度考核办法",
            "items": [
                {"indicator": "new_hte", "weight": 60, "rule": {"kind": "linear", "cap": 1.2},
                 "bonus": {"points_per_percent": 0.5, "max_points": 5}},
                {"indicator": "hte_count", "weight": 40,
                 "rule": {"kind": "bands", "bands": [{"at_least": 1, "share": 1}, {"at_least": 0.8, "share": 0.6}]},
                 "deduction": {"points_per_percent": 0.2, "max_points": 3}}
            ],
            "max_bonus_points": 5, "max_penalty_points": 10
        });
        let path = format!("/api/v1/plans/{PLAN}/scoring-schemes");
        assert_eq!(
            self.post_allocation_expecting_success(&province, &path, &scheme)
                .await["version"],
            1
        );
        // Kunshan (Suzhou): 3 HTEs from 2019, 3 new in 2020; Xuanwu (Nanjing): 2 new in 2020.
        for serial in 101..=103 {
            self.add_hte("320583", serial, "2019-06-01").await;
        }
        for serial in 104..=106 {
            self.add_hte("320583", serial, "2020-05-01").await;
        }
        for serial in 201..=202 {
            self.add_hte("320102", serial, "2020-03-01").await;
        }
    }

    async fn assess(&self, body: &Value) -> reqwest::Response {
        self.post_allocation_as_province(&format!("/api/v1/plans/{PLAN}/assessments"), body)
            .await
    }
}

/// The assessment's line for the region `code`.
pub(crate) fn line<'a>(assessment: &'a Value, code: &str) -> &'a Value {
    assessment["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region_code"] == code)
        .unwrap_or_else(|| panic!("no line for {code} in {assessment}"))
}

/// The hand-worked example (see `domain::scoring` in target allocation):
/// Suzhou new HTEs 3 of 2: 60 × min(1.5, 1.2) = 72, bonus min(50 × 0.5, 5) = 5 → 77;
/// its HTEs 6 of 7 (0.857143): band 0.8 → 40 × 0.6 = 24, deduction (1 − 6/7) × 100 × 0.2 =
/// 2.857143 → 21.142857; a penalty of 2 → 96.142857, rank 2.
/// Nanjing 2 of 2 and 2 of 2: 60 + 40, a bonus item of 1.5 → 101.5, rank 1.
/// Every other city 0 of 1 on both: 0 (the deduction cannot take it below 0), rank 3.
fn assert_hand_worked(a: &Value) {
    let suzhou = line(a, "320500");
    let new = &suzhou["items"][0];
    assert_eq!(
        (
            new["target"].clone(),
            new["achieved"].clone(),
            new["completion_rate"].clone()
        ),
        (json!(2), json!(3), json!(1.5))
    );
    assert_eq!(
        (
            new["base_points"].clone(),
            new["bonus_points"].clone(),
            new["score"].clone()
        ),
        (json!(72.0), json!(5.0), json!(77.0))
    );
    let stock = &suzhou["items"][1];
    assert_eq!(stock["completion_rate"], 0.857143);
    assert_eq!(stock["expected_completion"], 1.0);
    assert_eq!(stock["base_points"], 24.0);
    assert_eq!(stock["deduction_points"], 2.857143);
    assert_eq!(stock["score"], 21.142857);
    assert_eq!(suzhou["adjustment_points"], -2.0);
    assert_eq!(suzhou["adjustments"][0]["reason"], "发生较大生产安全事故");
    assert_eq!(suzhou["total"], 96.142857);
    assert_eq!(suzhou["rank"], 2);
    let nanjing = line(a, "320100");
    assert_eq!(nanjing["total"], 101.5);
    assert_eq!(nanjing["rank"], 1);
    let xuzhou = line(a, "320300");
    assert_eq!(xuzhou["items"][1]["deduction_points"], 3.0);
    assert_eq!(xuzhou["total"], 0.0);
    assert_eq!(xuzhou["rank"], 3);
}

/// The province publishes the plan.
async fn publish_the_plan(suite: &Suite) {
    let path = format!("/api/v1/plans/{PLAN}/publish");
    suite
        .post_allocation_expecting_success(&suite.province_token(), &path, &json!({}))
        .await;
}

#[tokio::test]
async fn a_two_indicator_scheme_is_scored_as_worked_by_hand_and_kept_from_the_cities_until_published()
 {
    let suite = Suite::start().await;
    suite.kaohe().await;
    // Items beyond the scheme's limits are refused, naming the region.
    let too_much = json!({"period": "2020", "adjustments": [
        {"region_code": "320500", "points": -6, "reason": "事故一"},
        {"region_code": "320500", "points": -5, "reason": "事故二"}]});
    let response = suite.assess(&too_much).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "adjustments.320500");

    let body = json!({"period": "2020", "adjustments": [
        {"region_code": "320500", "points": -2, "reason": "发生较大生产安全事故"},
        {"region_code": "320100", "points": 1.5, "reason": "获国家级创新奖励"}]});
    let response = suite.assess(&body).await;
    let draft = assert_json(response, 201).await;
    assert_eq!(draft["as_of"], "2020-12-31");
    assert_eq!(draft["scheme"]["version"], 1);
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["rows"].as_array().unwrap().len(), 13);
    assert_hand_worked(&draft);

    let path = format!("/api/v1/plans/{PLAN}/assessments");
    let by_id = format!("{path}/{}", draft["id"].as_str().unwrap());
    a_draft_is_the_provinces_alone(&suite, (&path, &by_id)).await;
    // Published (the plan first), each city sees its own line, ranked among all.
    let province = suite.province_token();
    publish_the_plan(&suite).await;
    let published = suite
        .post_allocation_expecting_success(&province, &format!("{by_id}/publish"), &json!({}))
        .await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["version"], 2);
    let nanjing: Value = suite
        .allocation
        .get_json(&suite.token(Role::City, "320100"), &by_id)
        .await;
    assert_eq!(nanjing["rows"].as_array().unwrap().len(), 1);
    assert_eq!(nanjing["rows"][0]["rank"], 1);
    let auditor: Value = suite
        .allocation
        .get_json(&suite.token(Role::Auditor, "320000"), &path)
        .await;
    assert_eq!(auditor["items"][0]["rows"].as_array().unwrap().len(), 13);

    the_download_holds_the_same_numbers(&suite, &by_id).await;
}

/// A draft is the province's: no city, county or auditor sees it, listed or by id.
async fn a_draft_is_the_provinces_alone(suite: &Suite, (path, by_id): (&str, &str)) {
    for (role, region) in [
        (Role::City, "320100"),
        (Role::County, "320102"),
        (Role::Auditor, "320000"),
        (Role::Service, "320000"),
    ] {
        let token = suite.token(role, region);
        let list: Value = suite.allocation.get_json(&token, path).await;
        assert_eq!(list["items"], json!([]), "{role:?}");
        assert_eq!(suite.allocation.get_as(&token, by_id).await.status(), 404);
        let file = suite
            .allocation
            .get_as(&token, &format!("{by_id}?format=xlsx"))
            .await;
        assert_eq!(file.status(), 404);
    }
}

/// The download holds the same numbers, under Chinese headers.
async fn the_download_holds_the_same_numbers(suite: &Suite, by_id: &str) {
    let file = suite
        .allocation
        .get_as(&suite.province_token(), &format!("{by_id}?format=xlsx"))
        .await;
    assert_eq!(file.status(), 200);
    let sheet = read_xlsx(&file.bytes().await.unwrap());
    assert!(sheet.header_frozen);
    let header = &sheet.rows[0];
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name}: {header:?}"))
    };
    let suzhou = sheet.rows.iter().find(|r| r[0] == "320500").unwrap();
    assert_eq!(suzhou[1], "苏州市");
    assert_eq!(suzhou[column("新增高新技术企业数 得分")], 77.0);
    assert_eq!(suzhou[column("高新技术企业数 扣分")], 2.857143);
    assert_eq!(suzhou[column("加减分")], -2.0);
    assert_eq!(suzhou[column("总分")], 96.142857);
    assert_eq!(suzhou[column("排名")], 2.0);
    assert_eq!(suzhou[column("考核办法版本")], 1.0);
    assert_eq!(sheet.rows.len(), 14);
}

#[tokio::test]
async fn counties_are_assessed_after_their_city_splits_its_own_targets() {
    let suite = Suite::start().await;
    suite.kaohe().await;
    // Suzhou splits its own targets among its counties: all to Kunshan.
    let suzhou = suite.token(Role::City, "320500");
    suite
        .split_by_hand(&suzhou, "320500", "new_hte", &[("320583", 2)])
        .await;
    suite
        .split_by_hand(&suzhou, "320500", "hte_count", &[("320583", 7)])
        .await;
    let splits: Value = suite
        .allocation
        .get_json(
            &suite.province_token(),
            &format!("/api/v1/plans/{PLAN}/splits?period=2020"),
        )
        .await;
    let suzhou_rows: Vec<&Value> = splits["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["region_code"] == "320500")
        .collect();
    assert_eq!(suzhou_rows.len(), 2);
    assert!(
        suzhou_rows
            .iter()
            .all(|r| r["state"] == "split" && r["latest_proposal"]["status"] == "accepted")
    );

    let response = suite
        .assess(&json!({"period": "2020", "level": "county", "parent": "320500"}))
        .await;
    let counties = assert_json(response, 201).await;
    assert_eq!(counties["level"], "county");
    assert_eq!(counties["parent_code"], "320500");
    assert_eq!(counties["rows"].as_array().unwrap().len(), 10);
    let kunshan = line(&counties, "320583");
    assert_eq!(kunshan["total"], 98.142857);
    assert_eq!(kunshan["rank"], 10);
    // A county asked for nothing on either indicator (targets 0) counts as having met both.
    assert_eq!(line(&counties, "320505")["total"], 100.0);
    assert_eq!(line(&counties, "320505")["rank"], 1);

    // A closed plan's progress is dated at its end, not today; as CSV by Accept.
    let province = suite.province_token();
    publish_the_plan(&suite).await;
    monitoring_reads_every_page_of_published_assessments(&suite, &counties).await;
    suite
        .post_allocation_expecting_success(
            &province,
            &format!("/api/v1/plans/{PLAN}/close"),
            &json!({}),
        )
        .await;
    let report: Value = suite
        .allocation
        .get_json(&province, &format!("/api/v1/plans/{PLAN}/progress"))
        .await;
    assert_eq!(report["as_of"], "2020-12-31", "{report}");
    assert_eq!(report["period"], "2020");
    let csv = suite
        .client
        .get(
            suite
                .allocation
                .url(&format!("/api/v1/plans/{PLAN}/progress?indicator=new_hte")),
        )
        .bearer_auth(&province)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let rows = read_csv(&csv.bytes().await.unwrap());
    assert_eq!(rows[0][..4], ["地区代码", "地区名称", "目标值", "实际完成"]);
    let suzhou_row = rows.iter().find(|r| r[0] == "320500").unwrap();
    assert_eq!(suzhou_row[2..4], ["2", "3"]);
}

/// With the county assessment and a city one published (and a draft left), the list pages
/// newest first for the province, and monitoring's allocation client follows `next_cursor`
/// to read both published ones, however small its pages, and decodes them as allocation
/// shows them.
async fn monitoring_reads_every_page_of_published_assessments(suite: &Suite, counties: &Value) {
    let path = format!("/api/v1/plans/{PLAN}/assessments");
    let (cities, draft) = publish_a_city_assessment_beside(suite, counties).await;
    let newest_first = [&draft, &cities, counties].map(|a| a["id"].clone());
    assert_eq!(ids_one_page_at_a_time(suite, &path).await, newest_first);

    // Monitoring, as a service, reads the published two through pages of one.
    let client = monitorings_allocation_client(suite);
    let request_id = hte_shared::telemetry::RequestId::generate();
    let read: Vec<PublishedAssessment> = client
        .every_page(&path[1..], 1, 10, &request_id)
        .await
        .unwrap();
    let read: Vec<&str> = read.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        read,
        [&cities["id"], &counties["id"]].map(|id| id.as_str().unwrap())
    );
    // As the bulletin lists them: each region's total and rank as allocation published them.
    let listed = client.assessments(PLAN, &request_id).await.unwrap();
    assert_eq!(listed.len(), 2);
    let county = listed.iter().find(|a| a.id == counties["id"]).unwrap();
    assert_eq!(county.level, AssessedLevel::County);
    assert_eq!(
        (county.parent_code.as_str(), county.rows.len()),
        ("320500", 10)
    );
    let kunshan = county
        .rows
        .iter()
        .find(|l| l.region_code == "320583")
        .unwrap();
    assert_eq!((kunshan.total, kunshan.rank), (98.142857, 10));
    assert_eq!(kunshan.scores.len(), 2);
    // A bound below the list's length is an error, not a cut list.
    assert!(
        client
            .every_page::<PublishedAssessment>(&path[1..], 1, 1, &request_id)
            .await
            .is_err()
    );
}

/// Publishes the county assessment, then assesses the cities and publishes that too, then
/// leaves one more draft; returns (the cities' published one, the draft).
async fn publish_a_city_assessment_beside(suite: &Suite, counties: &Value) -> (Value, Value) {
    let province = suite.province_token();
    let publish = |a: &Value| {
        let id = a["id"].as_str().unwrap();
        format!("/api/v1/plans/{PLAN}/assessments/{id}/publish")
    };
    suite
        .post_allocation_expecting_success(&province, &publish(counties), &json!({}))
        .await;
    let response = suite.assess(&json!({"period": "2020"})).await;
    let cities = assert_json(response, 201).await;
    suite
        .post_allocation_expecting_success(&province, &publish(&cities), &json!({}))
        .await;
    let draft: Value = suite
        .assess(&json!({"period": "2020"}))
        .await
        .json()
        .await
        .unwrap();
    (cities, draft)
}

/// The ids of the list at `path` as the province reads it, one item a page.
async fn ids_one_page_at_a_time(suite: &Suite, path: &str) -> Vec<Value> {
    let province = suite.province_token();
    let (mut ids, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let query = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
        let page: Value = suite
            .allocation
            .get_json(&province, &format!("{path}?limit=1{query}"))
            .await;
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

/// Monitoring's allocation client, calling with the suite's service keys.
fn monitorings_allocation_client(
    suite: &Suite,
) -> monitoring::clients::allocation::AllocationClient {
    let calls = monitoring::clients::CallSettings {
        keys: suite.allocation.keys.clone(),
        timeout: std::time::Duration::from_secs(10),
        retry: hte_shared::http_client::RetryPolicy::default(),
        breaker: std::sync::Arc::new(hte_shared::breaker::CircuitBreaker::new(
            hte_shared::breaker::BreakerSettings::default(),
        )),
    };
    let base = reqwest::Url::parse(&suite.allocation.address).unwrap();
    monitoring::clients::allocation::AllocationClient::new(base, calls).unwrap()
}
