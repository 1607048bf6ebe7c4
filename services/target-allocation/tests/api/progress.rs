//! Without the registry and without cached figures, progress and assessments say so (503
//! upstream-unavailable) instead of giving numbers. With the registry running, see
//! `tests/src/allocation_progress.rs`.

use serde_json::json;

use crate::helpers::{SEEDED, TestApp, assert_problem, problem_fields};

#[tokio::test]
async fn without_the_registry_progress_is_a_clear_503() {
    let app = TestApp::spawn().await;
    let response = app
        .get_as(
            &app.province_token(),
            &format!("/api/v1/plans/{SEEDED}/progress?level=city&as_of=2020-06-30"),
        )
        .await;
    let problem = assert_problem(response, 503).await;
    assert_eq!(
        problem["type"],
        "urn:jiangsu-hte:problem:upstream-unavailable"
    );
    assert!(problem["detail"].as_str().unwrap().contains("registry"));

    let response = app
        .post_as(
            &app.province_token(),
            &format!("/api/v1/plans/{SEEDED}/assessments"),
            &json!({"period": "2020"}),
        )
        .await;
    let problem = assert_problem(response, 503).await;
    assert_eq!(
        problem["type"],
        "urn:jiangsu-hte:problem:upstream-unavailable"
    );
}

#[tokio::test]
async fn progress_parameters_are_checked_before_the_registry_is_asked() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    for (query, field) in [
        ("level=town", "level"),
        ("as_of=2020-13-01", "as_of"),
        ("as_of=1980-01-01", "as_of"),
        ("as_of=2099-01-01", "as_of"),
        ("level=county&parent=320583", "parent"),
        ("indicator=hightech_output_share", "indicator"),
        ("period=2018", "period"),
    ] {
        let response = app
            .get_as(&token, &format!("/api/v1/plans/{SEEDED}/progress?{query}"))
            .await;
        let problem = assert_problem(response, 400).await;
        assert_eq!(problem_fields(&problem), [field], "{query}");
    }
    let response = app
        .post_as(
            &token,
            &format!("/api/v1/plans/{SEEDED}/assessments"),
            &json!({"period": "2020", "cap": 0}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["cap"]
    );
    let response = app
        .post_as(
            &token,
            &format!("/api/v1/plans/{SEEDED}/assessments"),
            &json!({"period": "2020", "as_of": "2099-01-01"}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["as_of"]
    );
    // Figures of another year do not assess this one.
    let response = app
        .post_as(
            &token,
            &format!("/api/v1/plans/{SEEDED}/assessments"),
            &json!({"period": "2020", "as_of": "2019-12-31"}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["as_of"]
    );
}
