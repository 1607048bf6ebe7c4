//! A Chinese reader gets Chinese problem texts (issue #13 item 3): the detail of a 404 and a
//! 412 is written for them (the 409 is in `alerts.rs`), and an English reader still gets
//! English.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{App, assert_problem, figure, input_path, put, spawn};

const RD: &str = "enterprise_rd_expense_yuan";

/// A PUT or GET as the province, from a browser that asks for Chinese.
async fn in_chinese(
    app: &App,
    (method, path): (Method, &str),
    if_match: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(app.province_token())
        .header("Accept-Language", "zh-CN,zh;q=0.9");
    if let Some(etag) = if_match {
        request = request.header("If-Match", etag);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap()
}

#[tokio::test]
async fn a_missing_figure_and_a_stale_correction_are_explained_in_chinese() {
    let app = spawn().await;
    let path = input_path(RD, "2019", "320000");

    let missing = in_chinese(&app, (Method::GET, &path), None, None).await;
    let problem = assert_problem(missing, 404).await;
    assert_eq!(problem["title"], "未找到");
    assert!(detail(&problem).starts_with("未找到统计输入"), "{problem}");

    let first = put(&app, &app.province_token(), &path, None, &figure("2779.5")).await;
    assert_eq!(first.status(), 201);
    let mut corrected = figure("2800");
    corrected["reason"] = "统计局发布正式数".into();
    let stale = in_chinese(&app, (Method::PUT, &path), Some("\"v7\""), Some(&corrected)).await;
    let problem = assert_problem(stale, 412).await;
    assert!(
        detail(&problem).starts_with("记录在读取之后已被修改"),
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
        detail(&problem).starts_with("the record changed"),
        "{problem}"
    );
}
