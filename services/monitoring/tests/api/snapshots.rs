//! Snapshots and the board with no other service running: requests are checked, a snapshot
//! whose sources cannot answer is not taken (503, nothing recorded), and the board without a
//! snapshot is a 404. The cross-service tests take real snapshots.

use hte_shared::auth::Role;
use hte_shared::problem::types;
use serde_json::json;

use crate::helpers::{assert_problem, assert_problem_type, problem_fields, spawn};

#[tokio::test]
async fn a_snapshot_is_not_taken_when_its_sources_cannot_answer() {
    let app = spawn().await;
    let province = app.province_token();
    let body = json!({"plan": "jiangsu-2019-57", "period": "2020-09"});
    let response = app.post_as(&province, "/api/v1/snapshots", &body).await;
    let problem = assert_problem_type(response, 503, types::UPSTREAM_UNAVAILABLE).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was recorded"),
        "{problem}"
    );
    let list = app.get_json(&province, "/api/v1/snapshots").await;
    assert_eq!(list["items"], json!([]));
    let response = app
        .get_as(&province, "/api/v1/indicators?plan=jiangsu-2019-57")
        .await;
    assert_problem_type(response, 404, types::NOT_FOUND).await;
    let response = app
        .get_as(
            &province,
            "/api/v1/indicators/hte_count/series?plan=jiangsu-2019-57",
        )
        .await;
    assert_problem_type(response, 404, types::NOT_FOUND).await;
    let response = app.get_as(&province, "/api/v1/snapshots/no-such-id").await;
    assert_problem_type(response, 404, types::NOT_FOUND).await;
}

#[tokio::test]
async fn snapshot_requests_are_checked_before_any_call() {
    let app = spawn().await;
    let province = app.province_token();
    // 400 breaks the document; 422 (as_of against the period or today) only a rule it
    // cannot state.
    for (body, fields, status) in [
        (
            json!({"plan": "Jiangsu 57", "period": "2020-09"}),
            vec!["plan"],
            400,
        ),
        (
            json!({"plan": "jiangsu-2019-57", "period": "2020-9"}),
            vec!["period"],
            400,
        ),
        (
            json!({"plan": "jiangsu-2019-57", "period": "2020-09", "as_of": "2020-10-01"}),
            vec!["as_of"],
            422,
        ),
        (
            json!({"plan": "jiangsu-2019-57", "period": "2099-09", "as_of": "2099-09-30"}),
            vec!["as_of"],
            422,
        ),
        (json!({"plan": "jiangsu-2019-57"}), vec!["period"], 400),
    ] {
        let response = app.post_as(&province, "/api/v1/snapshots", &body).await;
        let problem = assert_problem(response, status).await;
        assert_eq!(problem_fields(&problem), fields, "{body}");
    }
    let body = json!({"plan": "jiangsu-2019-57", "period": "2020-09"});
    for token in [
        app.token(Role::City, "320500"),
        app.token(Role::Auditor, "320000"),
        app.token(Role::Service, "320000"),
    ] {
        let response = app.post_as(&token, "/api/v1/snapshots", &body).await;
        assert_problem_type(response, 403, types::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn the_board_is_asked_for_a_plan_and_a_region_in_reach() {
    let app = spawn().await;
    let suzhou = app.token(Role::City, "320500");
    let response = app.get_as(&suzhou, "/api/v1/indicators").await;
    assert_problem(response, 400).await;
    let response = app
        .get_as(
            &suzhou,
            "/api/v1/indicators?plan=x&region=3205&period=2020-13",
        )
        .await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem_fields(&problem), ["plan", "region", "period"]);
    let response = app
        .get_as(
            &suzhou,
            "/api/v1/indicators?plan=jiangsu-2019-57&region=320100",
        )
        .await;
    assert_problem_type(response, 403, types::FORBIDDEN).await;
    let response = app
        .get_as(
            &suzhou,
            "/api/v1/snapshots?plan=jiangsu-2019-57&period=2020-Q5",
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["period"]
    );
}
