//! What the OpenAPI document promises about refusals, kept over real HTTP: 400 for a request
//! the document refuses, 422 for a well-formed one that breaks a rule the document cannot
//! state (against the stored plan, another field or today), 405 for a method a literal path
//! lacks. Each case is a class schemathesis found.

use hte_shared::testing::problem_rules;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{AllocationFixtures, TestApp, assert_json, assert_problem, problem_fields};

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
        assert_eq!(problem_rules(&problem), [rule], "{path}");
    }
    let body = json!({"indicator": "hte_count", "period": "1999", "value": 1, "reason": "测试"});
    let response = app.put_target_body("contract", "320000", &body).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem_rules(&problem), ["plan_period"]);
    // The same field malformed breaks the document: 400.
    let body = json!({"indicator": "hte_count", "period": " 2025", "value": 1, "reason": "测试"});
    let response = app.put_target_body("contract", "320000", &body).await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem_rules(&problem), ["format"]);
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
    // With the list's own parameters too: they are not weighed against PUT …/{region}.
    for query in ["", "?limit=1&cursor=0"] {
        let response = app
            .client
            .put(app.url(&format!("/api/v1/plans/methods/targets/versions{query}")))
            .bearer_auth(&province)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], "GET");
        assert_problem(response, 405).await;
    }
}

#[tokio::test]
async fn whole_numbers_written_as_floats_are_integers() {
    let app = TestApp::spawn().await;
    app.create_plan("floats").await;
    let body =
        json!({"indicator": "hte_count", "period": "2025", "value": 17450.0, "reason": "测试"});
    let response = app.put_target_body("floats", "320000", &body).await;
    assert_eq!(assert_json(response, 200).await["value"], 17450);
    let body =
        json!({"indicator": "hte_count", "period": "2025", "value": 17450.5, "reason": "测试"});
    let response = app.put_target_body("floats", "320000", &body).await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["value"]
    );
}

/// PATCHes the plan `stale-body` with an ETag it never had.
async fn patch_with_a_stale_etag(app: &TestApp, body: &serde_json::Value) -> reqwest::Response {
    let path = "/api/v1/plans/stale-body";
    app.send_with_etag(
        Method::PATCH,
        &app.province_token(),
        path,
        Some("\"v99\""),
        body,
    )
    .await
}

#[tokio::test]
async fn a_body_the_document_refuses_is_400_even_with_a_stale_etag() {
    let app = TestApp::spawn().await;
    app.create_plan("stale-body").await;
    let long = "x".repeat(201);
    let response = patch_with_a_stale_etag(&app, &json!({"name_en": long})).await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["name_en"]
    );
    let response = patch_with_a_stale_etag(&app, &json!({"name": "新名称"})).await;
    assert_problem(response, 412).await;
}
