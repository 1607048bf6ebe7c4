//! A Chinese reader gets Chinese problem texts (issue #13 item 3): the detail of a 404, a 409
//! and a 412 is written for them, and an English reader still gets English.

use hte_shared::testing::problem_detail;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{AllocationFixtures, TestApp, assert_problem, plan_body};

#[tokio::test]
async fn not_found_conflict_and_stale_update_are_explained_in_chinese() {
    let app = TestApp::spawn().await;
    let missing = app
        .send_in_chinese((Method::GET, "/api/v1/plans/no-such-plan"), None, None)
        .await;
    let problem = assert_problem(missing, 404).await;
    assert_eq!(problem["title"], "未找到");
    assert_eq!(
        problem_detail(&problem),
        "未找到编号为 \"no-such-plan\" 的规划"
    );

    app.create_plan("zh-plan").await;
    let again = app
        .send_in_chinese(
            (Method::POST, "/api/v1/plans"),
            None,
            Some(&plan_body("zh-plan")),
        )
        .await;
    let problem = assert_problem(again, 409).await;
    assert_eq!(problem_detail(&problem), "编号为 \"zh-plan\" 的规划已存在");

    let patch = json!({"name": "改名后的规划"});
    let path = "/api/v1/plans/zh-plan";
    let stale = app
        .send_in_chinese((Method::PATCH, path), Some("\"v9\""), Some(&patch))
        .await;
    let problem = assert_problem(stale, 412).await;
    assert!(
        problem_detail(&problem).starts_with("记录在读取之后已被修改"),
        "{problem}"
    );

    let published = app
        .send_in_chinese((Method::POST, &format!("{path}/publish")), None, None)
        .await;
    assert_eq!(published.status(), 200);
    let frozen = app
        .send_in_chinese((Method::PATCH, path), Some("\"v2\""), Some(&patch))
        .await;
    let problem = assert_problem(frozen, 409).await;
    assert!(
        problem_detail(&problem).starts_with("规划 zh-plan 的状态为已发布；仅草案可以修改"),
        "{problem}"
    );

    // Without Accept-Language the same refusal stays in English.
    let english = app
        .get_as(&app.province_token(), "/api/v1/plans/no-such-plan")
        .await;
    let problem = assert_problem(english, 404).await;
    assert_eq!(problem_detail(&problem), "no plan with id \"no-such-plan\"");
}
