//! A year-end assessment published in target allocation reaches monitoring's bulletin with
//! its figures: monitoring reads allocation's assessments as allocation shows them (scheme,
//! per-indicator scores, total, rank), lists the published one in the JSON bulletin, keeps
//! a city's bulletin to the city's own line, and prints the table in the HTML bulletin.
//!
//! The data set (seeded plan, seeded scheme: min(completion rate, 1.2) × 100 on new HTEs):
//! new-HTE targets for 2020 苏州 2, 南京 2, the other cities 0. Certified in 2020: one firm in
//! 昆山 (苏州) and two in 玄武 (南京). 苏州 1 of 2: completion 0.5, 50 points, rank 13;
//! 南京 2 of 2 and every city asked for nothing: 100 points, rank 1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hte_shared::auth::Role;
use serde_json::{Value, json};

use super::allocation_assessments::line;
use super::allocation_progress::{
    assess_the_cities_in_2020, published_once_the_plan_is, set_and_split_the_new_hte_target,
};
use super::monitoring_setup::PLAN;
use crate::harness::Suite;

/// The 2020 assessment of the cities, made and published in allocation; returns its id.
async fn publish_the_cities_assessment(suite: &Suite) -> String {
    suite.add_hte("320583", 1, "2020-03-10").await;
    suite.add_hte("320102", 2, "2020-02-01").await;
    suite.add_hte("320102", 3, "2020-04-01").await;
    set_and_split_the_new_hte_target(suite).await;
    let draft = assess_the_cities_in_2020(suite).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    published_once_the_plan_is(suite, &id).await;
    id
}

async fn bulletin_as(suite: &Suite, token: &str, query: &str) -> reqwest::Response {
    let path = format!("/api/v1/bulletins/{PLAN}/2020-09{query}");
    let response = suite.monitoring.get_as(token, &path).await;
    assert_eq!(response.status(), 200, "{path}");
    response
}

#[tokio::test]
async fn a_published_assessment_shows_in_monitorings_bulletin_with_its_figures() {
    let suite = Suite::start().await;
    let id = publish_the_cities_assessment(&suite).await;
    suite.snapshot_id("2020-09").await;

    let province = suite.province_token();
    let bulletin: Value = bulletin_as(&suite, &province, "")
        .await
        .json()
        .await
        .unwrap();
    let notes = bulletin["notes"].to_string();
    assert!(!notes.contains("考核结果暂无法"), "{notes}");
    let assessments = bulletin["assessments"].as_array().unwrap();
    assert_eq!(assessments.len(), 1, "{bulletin}");
    let a = &assessments[0];
    assert_eq!(
        (&a["id"], &a["period"], &a["level"], &a["parent_code"]),
        (&json!(id), &json!("2020"), &json!("city"), &json!("320000"))
    );
    assert_eq!(
        (&a["as_of"], &a["scheme_version"]),
        (&json!("2020-12-31"), &json!(1))
    );
    assert_eq!(a["indicators"], json!(["new_hte"]));
    assert!(a["published_at"].is_string(), "{a}");
    assert_eq!(a["rows"].as_array().unwrap().len(), 13);
    let suzhou = line(a, "320500");
    assert_eq!(suzhou["name"], "苏州市");
    assert_eq!(
        suzhou["scores"],
        json!([{"indicator": "new_hte", "target": 2, "achieved": 1,
                "completion_rate": 0.5, "score": 50.0}])
    );
    assert_eq!(
        (
            &suzhou["adjustment_points"],
            &suzhou["total"],
            &suzhou["rank"]
        ),
        (&json!(0.0), &json!(50.0), &json!(13))
    );
    let nanjing = line(a, "320100");
    assert_eq!(
        (&nanjing["total"], &nanjing["rank"]),
        (&json!(100.0), &json!(1))
    );
    assert_eq!(nanjing["scores"][0]["achieved"], 2);

    // Suzhou's own bulletin holds Suzhou's line alone, still ranked among all cities.
    let suzhou_official = suite.token(Role::City, "320500");
    let city: Value = bulletin_as(&suite, &suzhou_official, "")
        .await
        .json()
        .await
        .unwrap();
    let rows = city["assessments"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{city}");
    assert_eq!(
        (&rows[0]["region_code"], &rows[0]["rank"]),
        (&json!("320500"), &json!(13))
    );

    the_html_bulletin_prints_the_assessment(&suite, &province).await;
}

/// The HTML bulletin has the assessment's section and table with the same figures.
async fn the_html_bulletin_prints_the_assessment(suite: &Suite, token: &str) {
    let html = bulletin_as(suite, token, "?format=html")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("2020年度考核结果已于") && html.contains("按考核办法第1版计分"),
        "{html}"
    );
    let table = &html[html.find("2020年度设区市考核结果</caption>").expect(&html)..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains("<th scope=\"col\">新增高新技术企业数(年度)得分</th>"),
        "{table}"
    );
    let suzhou = "<tr><td class=\"num\" data-value=\"13\">13</td><td>苏州市</td>\
        <td class=\"num\" data-value=\"0.5\">50.00%</td>\
        <td class=\"num\" data-value=\"50\">50</td>";
    assert!(table.contains(suzhou), "{table}");
}
