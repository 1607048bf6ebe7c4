//! Without the registry and without cached figures, progress and assessments say so (503
//! upstream-unavailable) instead of giving numbers. With the registry running, see
//! `tests/src/cases/allocation_progress.rs`.

use serde_json::json;

use crate::helpers::{AllocationFixtures, SEEDED, TestApp, assert_problem, problem_fields};

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

    // An assessment whose scheme's indicator has targets for every city needs the registry.
    app.set_city_targets(SEEDED, "new_hte", "2020", &[("320500", 5)])
        .await;
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
async fn an_assessment_without_targets_is_refused_before_the_registry_is_asked() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/plans/{SEEDED}/assessments");
    let response = app
        .post_as(&app.province_token(), &path, &json!({"period": "2020"}))
        .await;
    let problem = assert_problem(response, 422).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("13 target(s)"),
        "{problem}"
    );
    let fields = problem_fields(&problem);
    assert_eq!(fields.len(), 13);
    assert_eq!(fields[0], "targets.new_hte.2020.320100");
    // Counties as well: Suzhou's counties have no targets either.
    let county = json!({"period": "2020", "level": "county", "parent": "320500"});
    let problem = assert_problem(
        app.post_as(&app.province_token(), &path, &county).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem)[0], "targets.new_hte.2020.320505");
    // A county assessment names its city; a city one names none.
    for (body, field, status) in [
        (json!({"period": "2020", "level": "county"}), "parent", 422),
        (
            json!({"period": "2020", "level": "county", "parent": "320583"}),
            "parent",
            422,
        ),
        (json!({"period": "2020", "parent": "320500"}), "parent", 422),
        (
            json!({"period": "2020", "scheme_version": 9}),
            "scheme_version",
            422,
        ),
        (json!({"period": "2020", "cap": 1.2}), "cap", 400),
    ] {
        let problem = assert_problem(
            app.post_as(&app.province_token(), &path, &body).await,
            status,
        )
        .await;
        assert_eq!(problem_fields(&problem), [field], "{body}");
    }
}

#[tokio::test]
async fn dates_follow_the_plan() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    // A date after the plan's end is refused, saying so, before the registry is asked.
    let response = app
        .get_as(
            &token,
            &format!("/api/v1/plans/{SEEDED}/progress?as_of=2021-03-01"),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem["errors"][0]["field"], "as_of");
    assert_eq!(problem["errors"][0]["rule"], "plan_period");
    assert!(problem["detail"].as_str().unwrap().contains("2020-12-31"));
    app.set_city_targets(SEEDED, "new_hte", "2020", &[("320500", 5)])
        .await;
    let response = app
        .post_as(
            &token,
            &format!("/api/v1/plans/{SEEDED}/assessments"),
            &json!({"period": "2020", "as_of": "2021-01-05"}),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem["errors"][0]["rule"], "plan_period");
}

#[tokio::test]
async fn progress_parameters_are_checked_before_the_registry_is_asked() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    // 400: the document refuses it; 422: a rule against today, the plan or another field.
    for (query, field, status) in [
        ("level=town", "level", 400),
        ("as_of=2020-13-01", "as_of", 400),
        ("as_of=1980-01-01", "as_of", 422),
        ("as_of=2099-01-01", "as_of", 422),
        ("level=county&parent=320583", "parent", 422),
        ("indicator=hightech_output_share", "indicator", 422),
        ("period=2018", "period", 422),
    ] {
        let response = app
            .get_as(&token, &format!("/api/v1/plans/{SEEDED}/progress?{query}"))
            .await;
        let problem = assert_problem(response, status).await;
        assert_eq!(problem_fields(&problem), [field], "{query}");
    }
    let response = app
        .post_as(
            &token,
            &format!("/api/v1/plans/{SEEDED}/assessments"),
            &json!({"period": "2020", "as_of": "2099-01-01"}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 422).await),
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
        problem_fields(&assert_problem(response, 422).await),
        ["as_of"]
    );
}
