//! Progress and assessments of target allocation against the real registry over HTTP:
//! figures follow the registry's certificates; with the registry stopped, the last good
//! figures come back marked stale, and a question never answered before is a 503.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hte_shared::auth::Role;
use hte_shared::testing::assert_json;
use reqwest::Method;
use serde_json::{Value, json};

use super::monitoring_setup::Firm;
use crate::harness::Suite;

const PLAN: &str = "jiangsu-2019-57";

impl Suite {
    /// Registers an HTE in `county` with a certificate issued on `issued_on`.
    pub(crate) async fn add_hte(&self, county: &str, serial: u32, issued_on: &str) {
        self.register(&Firm::hte(county, serial, issued_on)).await;
    }

    pub(crate) async fn propose_and_accept(&self, body: &Value) -> Value {
        let response = self
            .post_allocation_as_province(&format!("/api/v1/plans/{PLAN}/allocations"), body)
            .await;
        let proposal = assert_json(response, 201).await;
        let id = proposal["id"].as_str().unwrap();
        let response = self
            .post_allocation_as_province(
                &format!("/api/v1/plans/{PLAN}/allocations/{id}/accept"),
                &json!({"reason": "按基数分解"}),
            )
            .await;
        assert_json(response, 200).await
    }

    async fn progress(&self, query: &str) -> reqwest::Response {
        self.allocation
            .get_as(
                &self.province_token(),
                &format!("/api/v1/plans/{PLAN}/progress?{query}"),
            )
            .await
    }
}

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region_code"] == code)
        .unwrap_or_else(|| panic!("no row for {code} in {report}"))
}

fn share_of(proposal: &Value, code: &str) -> i64 {
    proposal["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["region_code"] == code)
        .unwrap()["share"]
        .as_i64()
        .unwrap()
}

/// The cities' progress on the 2020 HTE count, on the day of the split.
const CITIES: &str = "level=city&as_of=2020-06-30";

#[tokio::test]
async fn progress_follows_the_registry_and_degrades_to_stale_figures() {
    let suite = Suite::start().await;
    // Two HTEs in Kunshan (Suzhou), one in Xuanwu (Nanjing).
    suite.add_hte("320583", 1, "2019-11-20").await;
    suite.add_hte("320583", 2, "2020-03-10").await;
    suite.add_hte("320102", 3, "2020-02-01").await;
    the_split_follows_the_registry(&suite).await;
    cities_rank_by_completion(&suite).await;
    let fresh_at = a_new_certificate_in_nanjing_shows_up(&suite).await;
    a_county_sees_its_own_row_among_its_citys(&suite).await;

    // New HTEs per year: set and split the 2020 figure, assess the cities, publish.
    set_and_split_the_new_hte_target(&suite).await;
    let assessment = the_cities_are_assessed(&suite).await;
    let id = assessment["id"].as_str().unwrap();
    let published = published_once_the_plan_is(&suite, id).await;
    // Later registry changes do not rewrite the published assessment.
    suite.add_hte("320583", 5, "2020-09-09").await;
    the_published_assessment_stays(&suite, id, &published).await;

    without_the_registry_figures_are_stale_or_refused(&suite, &fresh_at).await;
}

/// The province splits the seeded 30,000 proportionally to the registry's current HTEs
/// (2 : 1, others 0) on 2020-06-30.
async fn the_split_follows_the_registry(suite: &Suite) {
    let split = suite
        .propose_and_accept(&json!({
            "indicator": "hte_count", "period": "2020", "region_code": "320000",
            "method": "proportional", "baseline": "hte", "baseline_as_of": "2020-06-30"
        }))
        .await;
    assert_eq!(split["baseline"], "hte");
    assert_eq!(share_of(&split, "320500"), 20000);
    assert_eq!(share_of(&split, "320100"), 10000);
    assert_eq!(share_of(&split, "320300"), 0);
}

async fn cities_rank_by_completion(suite: &Suite) {
    let response = suite.progress(CITIES).await;
    let report = assert_json(response, 200).await;
    assert_eq!(report["stale"], false);
    assert_eq!(report["period"], "2020");
    assert_eq!(report["items"].as_array().unwrap().len(), 13);
    // 2019-01-01 … 2020-06-30 is 547 of the plan's 731 days.
    assert_eq!(report["expected_completion"], 0.748290);
    let suzhou = row(&report, "320500");
    assert_eq!(suzhou["target"], 20000);
    assert_eq!(suzhou["actual"], 2);
    assert_eq!(suzhou["completion_rate"], 0.0001);
    assert_eq!(suzhou["on_track"], false);
    assert_eq!(suzhou["rank"], 1);
    let nanjing = row(&report, "320100");
    assert_eq!(nanjing["actual"], 1);
    assert_eq!(
        nanjing["rank"], 1,
        "1/10000 = 2/20000: same rate, same rank"
    );
    assert_eq!(
        row(&report, "320300")["rank"],
        Value::Null,
        "no positive target, no rank"
    );
    assert_eq!(report["parent"]["target"], 30000);
    assert_eq!(report["parent"]["actual"], 3);
}

/// A new certificate in Nanjing shows up. Returns when the figures were fetched.
async fn a_new_certificate_in_nanjing_shows_up(suite: &Suite) -> Value {
    suite.add_hte("320102", 4, "2020-05-05").await;
    let report: Value = suite.progress(CITIES).await.json().await.unwrap();
    assert_eq!(row(&report, "320100")["actual"], 2);
    assert_eq!(row(&report, "320100")["completion_rate"], 0.0002);
    assert_eq!(row(&report, "320100")["rank"], 1);
    assert_eq!(row(&report, "320500")["rank"], 2);
    report["fetched_at"].clone()
}

/// Counties of Suzhou; the county token defaults to its own city and sees its own row,
/// ranked among all of Suzhou's counties. A neighbour's counties are not Nanjing's to see.
async fn a_county_sees_its_own_row_among_its_citys(suite: &Suite) {
    let progress_path = format!("/api/v1/plans/{PLAN}/progress?level=county&as_of=2020-06-30");
    let counties: Value = suite
        .allocation
        .get_json(&suite.token(Role::County, "320583"), &progress_path)
        .await;
    assert_eq!(counties["parent_code"], "320500");
    assert_eq!(counties["items"].as_array().unwrap().len(), 1, "{counties}");
    assert_eq!(row(&counties, "320583")["actual"], 2);
    assert_eq!(row(&counties, "320583")["target"], Value::Null);
    let neighbour = suite
        .allocation
        .get_as(
            &suite.token(Role::City, "320100"),
            &format!("{progress_path}&parent=320500"),
        )
        .await;
    assert_eq!(neighbour.status(), 404);
}

pub(crate) async fn set_and_split_the_new_hte_target(suite: &Suite) {
    let etag = suite
        .allocation
        .get_as(
            &suite.province_token(),
            &format!("/api/v1/plans/{PLAN}/targets"),
        )
        .await
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let response = suite
        .allocation
        .send_with_etag(
            Method::PUT,
            &suite.province_token(),
            &format!("/api/v1/plans/{PLAN}/targets/320000"),
            Some(&etag),
            &json!({"indicator": "new_hte", "period": "2020", "value": 4, "reason": "2020年新增目标"}),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let manual: serde_json::Map<String, Value> = hte_shared::regions::cities()
        .map(|c| {
            let share = match c.code.to_string().as_str() {
                "320500" => 2,
                "320100" => 2,
                _ => 0,
            };
            (c.code.to_string(), json!(share))
        })
        .collect();
    suite
        .propose_and_accept(&json!({
            "indicator": "new_hte", "period": "2020", "region_code": "320000",
            "method": "manual", "shares": manual
        }))
        .await;
}

/// The draft assessment of the cities for 2020 that the province makes (201).
pub(crate) async fn assess_the_cities_in_2020(suite: &Suite) -> Value {
    let response = suite
        .post_allocation_as_province(
            &format!("/api/v1/plans/{PLAN}/assessments"),
            &json!({"period": "2020"}),
        )
        .await;
    assert_json(response, 201).await
}

/// The cities' assessment of 2020 under the seeded scheme.
async fn the_cities_are_assessed(suite: &Suite) -> Value {
    let assessment = assess_the_cities_in_2020(suite).await;
    assert_eq!(assessment["as_of"], "2020-12-31");
    // The seeded scheme: min(completion rate, 1.2) × 100 on new HTEs.
    assert_eq!(assessment["scheme"]["version"], 1);
    assert_eq!(assessment["scheme"]["items"][0]["rule"]["cap"], 1.2);
    // Issued in 2020: Kunshan 1 (the 2019 one does not count), Nanjing 2.
    assert_eq!(line(&assessment, "320500")["items"][0]["achieved"], 1);
    assert_eq!(line(&assessment, "320500")["total"], 50.0);
    assert_eq!(line(&assessment, "320500")["rank"], 13);
    assert_eq!(line(&assessment, "320100")["items"][0]["achieved"], 2);
    assert_eq!(line(&assessment, "320100")["total"], 100.0);
    assert_eq!(line(&assessment, "320100")["rank"], 1);
    // A city asked for nothing (target 0) counts as having met it.
    assert_eq!(
        line(&assessment, "320300")["items"][0]["completion_rate"],
        1.0
    );
    assert_eq!(line(&assessment, "320300")["rank"], 1);
    assessment
}

/// A draft plan's assessment is a preview: it is published once the plan is.
pub(crate) async fn published_once_the_plan_is(suite: &Suite, id: &str) -> Value {
    let publish_path = format!("/api/v1/plans/{PLAN}/assessments/{id}/publish");
    let early = suite
        .post_allocation_as_province(&publish_path, &json!({}))
        .await;
    assert_eq!(early.status(), 409);
    let plan_published = suite
        .post_allocation_as_province(&format!("/api/v1/plans/{PLAN}/publish"), &json!({}))
        .await;
    assert_eq!(
        plan_published.status(),
        200,
        "{}",
        plan_published.text().await.unwrap()
    );
    let published = suite
        .post_allocation_as_province(
            &format!("/api/v1/plans/{PLAN}/assessments/{id}/publish"),
            &json!({}),
        )
        .await;
    assert_eq!(published.status(), 200);
    let published: Value = published.json().await.unwrap();
    assert_eq!(published["status"], "published");
    published
}

async fn the_published_assessment_stays(suite: &Suite, id: &str, published: &Value) {
    let again: Value = suite
        .allocation
        .get_json(
            &suite.province_token(),
            &format!("/api/v1/plans/{PLAN}/assessments/{id}"),
        )
        .await;
    assert_eq!(again["rows"], published["rows"]);
    assert_eq!(line(&again, "320500")["items"][0]["achieved"], 1);
}

/// Registry down: the question asked before gets its last good figures, marked stale; a
/// question never answered is a clear 503, not a guess; new assessments need live figures.
async fn without_the_registry_figures_are_stale_or_refused(suite: &Suite, fresh_at: &Value) {
    suite.stop_registry().await;
    let response = suite.progress(CITIES).await;
    let stale = assert_json(response, 200).await;
    assert_eq!(stale["stale"], true);
    assert_eq!(&stale["fetched_at"], fresh_at);
    assert_eq!(row(&stale, "320100")["actual"], 2);
    assert_eq!(row(&stale, "320500")["target"], 20000);

    // A question never answered is a clear 503, not a guess.
    let response = suite.progress("level=city&as_of=2020-07-01").await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:jiangsu-hte:problem:upstream-unavailable"
    );

    // New assessments need live figures.
    let response = suite
        .post_allocation_as_province(
            &format!("/api/v1/plans/{PLAN}/assessments"),
            &json!({"period": "2020"}),
        )
        .await;
    assert_eq!(response.status(), 503);
}

/// An assessment's row of a region.
fn line(assessment: &Value, code: &str) -> Value {
    assessment["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region_code"] == code)
        .unwrap()
        .clone()
}
