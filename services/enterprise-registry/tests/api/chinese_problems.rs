//! A Chinese reader gets Chinese problem texts (issue #13 item 3): the detail of a 404, a 409
//! and a 412 is written for them, and an English reader still gets English.

use hte_shared::testing::problem_detail;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body};

const KUNSHAN: &str = "320583";

#[tokio::test]
async fn not_found_conflict_and_stale_update_are_explained_in_chinese() {
    let app = TestApp::spawn().await;
    let code = credit_code(KUNSHAN, 31);
    let path = format!("/api/v1/enterprises/{code}");

    let missing = app.send_in_chinese((Method::GET, &path), None, None).await;
    let problem = assert_problem(missing, 404).await;
    assert_eq!(problem["title"], "未找到");
    assert_eq!(
        problem_detail(&problem),
        format!("您的辖区内未找到统一社会信用代码为 {code} 的企业")
    );

    let body = enterprise_body(&code, KUNSHAN, "中文提示科技有限公司");
    app.create_enterprise(&body).await;
    let twice = app
        .send_in_chinese((Method::POST, "/api/v1/enterprises"), None, Some(&body))
        .await;
    let problem = assert_problem(twice, 409).await;
    assert_eq!(
        problem_detail(&problem),
        format!("统一社会信用代码为 {code} 的企业已存在")
    );

    let change = json!({"above_scale": false});
    let updated = app
        .send_in_chinese((Method::PATCH, &path), Some("\"v1\""), Some(&change))
        .await;
    assert_eq!(updated.status(), 200);
    let stale = app
        .send_in_chinese((Method::PATCH, &path), Some("\"v1\""), Some(&change))
        .await;
    let problem = assert_problem(stale, 412).await;
    assert!(
        problem_detail(&problem).starts_with("记录在读取之后已被修改"),
        "{problem}"
    );

    // Without Accept-Language the same refusal stays in English.
    let unknown = format!("/api/v1/enterprises/{}", credit_code(KUNSHAN, 32));
    let english = app.get_as(&app.province_token(), &unknown).await;
    let problem = assert_problem(english, 404).await;
    assert!(
        problem_detail(&problem).starts_with("no enterprise with credit code"),
        "{problem}"
    );
}
