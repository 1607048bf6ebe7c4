//! The size limits every body and parameter meets at the edge (hardening #19 item 7): an
//! oversized text, array, object or integer is refused with a short problem naming the
//! field, in Chinese when asked; a parameter longer than documented too.

use hte_shared::bounds::{MAX_ENTRIES, MAX_ITEMS, MAX_JSON_INTEGER, MAX_TEXT_CHARS};
use hte_shared::testing::assert_refused_field;
use serde_json::{Map, Value, json};

use crate::helpers::{RegistryFixtures, TestApp, credit_code, enterprise_body};

const KUNSHAN: &str = "320583";

#[tokio::test]
async fn a_megabyte_industry_code_is_refused_quoting_only_a_prefix() {
    let app = TestApp::spawn().await;
    let code = credit_code(KUNSHAN, 1);
    let mut body = enterprise_body(&code, KUNSHAN, "超长字段有限公司");
    body["industry_code"] = json!("C".repeat(1024 * 1024));
    let response = app
        .client
        .post(app.url("/api/v1/enterprises"))
        .bearer_auth(app.province_token())
        .header("Accept-Language", "zh-CN")
        .json(&body)
        .send()
        .await
        .unwrap();
    let problem = assert_refused_field(response, "industry_code", "max_length").await;
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("至多 {MAX_TEXT_CHARS} 个字符")),
        "{message}"
    );
    // Nothing was stored.
    let read = app
        .get_as(
            &app.province_token(),
            &format!("/api/v1/enterprises/{code}"),
        )
        .await;
    assert_eq!(read.status(), 404);
}

#[tokio::test]
async fn oversized_arrays_objects_integers_and_control_characters_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 2);
    let base = enterprise_body(&code, KUNSHAN, "边界测试有限公司");
    let post = |body: Value| {
        let (app, token) = (&app, &token);
        async move { app.post_as(token, "/api/v1/enterprises", &body).await }
    };

    let mut many = base.clone();
    many["name"] = json!(vec!["名"; MAX_ITEMS + 1]);
    assert_refused_field(post(many).await, "name", "max_items").await;

    let members: Map<String, Value> = (0..=MAX_ENTRIES)
        .map(|i| (format!("k{i}"), json!(i)))
        .collect();
    assert_refused_field(post(Value::Object(members)).await, "body", "max_properties").await;

    let mut bell = base.clone();
    bell["name"] = json!("边界\u{7}测试有限公司");
    assert_refused_field(post(bell).await, "name", "pattern").await;

    app.create_enterprise(&base).await;
    let mut report = json!({"employees": 80, "net_assets_yuan": MAX_JSON_INTEGER + 1});
    let path = format!("/api/v1/enterprises/{code}/annual-reports/2024");
    let refused = app.put_as(&token, &path, &report).await;
    assert_refused_field(refused, "net_assets_yuan", "range").await;
    report["net_assets_yuan"] = json!(-MAX_JSON_INTEGER - 1);
    let refused = app.put_as(&token, &path, &report).await;
    assert_refused_field(refused, "net_assets_yuan", "range").await;
}

#[tokio::test]
async fn parameters_longer_than_documented_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let long = "企".repeat(101);
    let query = app
        .get_as(&token, &format!("/api/v1/enterprises?q={long}"))
        .await;
    assert_refused_field(query, "q", "max_length").await;
    let path = app
        .get_as(&token, &format!("/api/v1/dictionaries/{}", "x".repeat(201)))
        .await;
    assert_refused_field(path, "name", "max_length").await;
    // Within the bound, the same parameters are served.
    let fits = app
        .get_as(
            &token,
            &format!("/api/v1/enterprises?q={}", "企".repeat(100)),
        )
        .await;
    assert_eq!(fits.status(), 200);
}
