//! A Chinese reader gets Chinese problem texts (issue #13 item 3): the detail of a 404 and a
//! 412 is written for them (the 409 is in `alerts.rs`), and an English reader still gets
//! English.

use hte_shared::testing::problem_detail;
use reqwest::Method;

use crate::helpers::{assert_problem, figure, input_path, put, spawn};

const RD: &str = "enterprise_rd_expense_yuan";

#[tokio::test]
async fn a_missing_figure_and_a_stale_correction_are_explained_in_chinese() {
    let app = spawn().await;
    let path = input_path(RD, "2019", "320000");

    let missing = app.send_in_chinese((Method::GET, &path), None, None).await;
    let problem = assert_problem(missing, 404).await;
    assert_eq!(problem["title"], "未找到");
    assert!(
        problem_detail(&problem).starts_with("未找到统计输入"),
        "{problem}"
    );

    let first = put(&app, &app.province_token(), &path, None, &figure("2779.5")).await;
    assert_eq!(first.status(), 201);
    let mut corrected = figure("2800");
    corrected["reason"] = "统计局发布正式数".into();
    let stale = app
        .send_in_chinese((Method::PUT, &path), Some("\"v7\""), Some(&corrected))
        .await;
    let problem = assert_problem(stale, 412).await;
    assert!(
        problem_detail(&problem).starts_with("记录在读取之后已被修改"),
        "{problem}"
    );

    // Without Accept-Language the same refusal stays in English.
    let english = put(
        &app,
        &app.province_token(),
        &path,
        Some("\"v7\""),
        &corrected,
    )
    .await;
    let problem = assert_problem(english, 412).await;
    assert!(
        problem_detail(&problem).starts_with("the record changed"),
        "{problem}"
    );
}
