//! What the OpenAPI document promises about refusals, kept over real HTTP: 400 for a request
//! the document refuses, 422 for a well-formed one that breaks a rule the document cannot
//! state (against the stored plan, another field or today), 405 for a method a literal path
//! lacks. Each case is a class schemathesis found.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{AllocationFixtures, TestApp, assert_json, assert_problem, problem_fields};

fn rules(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn rules_against_the_stored_plan_are_422_and_document_rules_400() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("contract").await;
    // Well-formed, but the plan has no such indicator, period or version.
    for (path, field, rule) in [
        (
            "/api/v1/plans/contract/progress?indicator=no_such",
            "indicator",
            "indicator",
        ),
        (
            "/api/v1/plans/contract/targets?version=99",
            "version",
            "current_version",
        ),
        ("/api/v1/plans?cursor=AAAA", "cursor", "not_issued"),
    ] {
        let problem = assert_problem(app.get_as(&province, path).await, 422).await;
        assert_eq!(problem_fields(&problem), [field], "{path}");
        assert_eq!(rules(&problem), [rule], "{path}");
    }
    let body = json!({"indicator": "hte_count", "period": "1999", "value": 1, "reason": "测试"});
    let etag = app.tree_etag("contract").await;
    let response = app
        .send_with_etag(
            Method::PUT,
            &province,
            "/api/v1/plans/contract/targets/320000",
            Some(&etag),
            &body,
        )
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(rules(&problem), ["plan_period"]);
    // The same field malformed breaks the document: 400.
    let body = json!({"indicator": "hte_count", "period": " 2025", "value": 1, "reason": "测试"});
    let response = app
        .send_with_etag(
            Method::PUT,
            &province,
            "/api/v1/plans/contract/targets/320000",
            Some(&etag),
            &body,
        )
        .await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(rules(&problem), ["format"]);
}

#[tokio::test]
async fn an_empty_filter_or_cursor_is_refused_not_read_as_absent() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("filters").await;
    for (path, field) in [
        ("/api/v1/plans?cursor=", "cursor"),
        ("/api/v1/plans/filters/allocations?cursor=", "cursor"),
        ("/api/v1/plans/filters/splits?period=", "period"),
        ("/api/v1/plans/filters/targets?period=", "period"),
        ("/api/v1/plans/filters/targets?indicator=", "indicator"),
    ] {
        let problem = assert_problem(app.get_as(&province, path).await, 400).await;
        assert_eq!(problem_fields(&problem), [field], "{path}");
    }
}

#[tokio::test]
async fn a_method_the_literal_path_lacks_is_405_not_the_neighbouring_template() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("methods").await;
    let response = app
        .client
        .put(app.url("/api/v1/plans/methods/targets/versions"))
        .bearer_auth(&province)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405).await;
}

#[tokio::test]
async fn whole_numbers_written_as_floats_are_integers() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("floats").await;
    let etag = app.tree_etag("floats").await;
    let body =
        json!({"indicator": "hte_count", "period": "2025", "value": 17450.0, "reason": "测试"});
    let response = app
        .send_with_etag(
            Method::PUT,
            &province,
            "/api/v1/plans/floats/targets/320000",
            Some(&etag),
            &body,
        )
        .await;
    assert_eq!(assert_json(response, 200).await["value"], 17450);
    let body =
        json!({"indicator": "hte_count", "period": "2025", "value": 17450.5, "reason": "测试"});
    let etag = app.tree_etag("floats").await;
    let response = app
        .send_with_etag(
            Method::PUT,
            &province,
            "/api/v1/plans/floats/targets/320000",
            Some(&etag),
            &body,
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["value"]
    );
}

#[tokio::test]
async fn a_body_the_document_refuses_is_400_even_with_a_stale_etag() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("stale-body").await;
    let long = "x".repeat(201);
    let response = app
        .send_with_etag(
            Method::PATCH,
            &province,
            "/api/v1/plans/stale-body",
            Some("\"v99\""),
            &json!({"name_en": long}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["name_en"]
    );
    let response = app
        .send_with_etag(
            Method::PATCH,
            &province,
            "/api/v1/plans/stale-body",
            Some("\"v99\""),
            &json!({"name": "新名称"}),
        )
        .await;
    assert_problem(response, 412).await;
}
