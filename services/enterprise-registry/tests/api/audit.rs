use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body, run_sql,
};

const KUNSHAN: &str = "320583";

async fn verify(app: &TestApp) -> Value {
    let response = app
        .get_as(
            &app.token(Role::Auditor, "320000"),
            "/api/v1/audit/verification",
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn history_records_who_when_why_and_the_chain_detects_tampering() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 1);
    let path = format!("/api/v1/enterprises/{code}");
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "审计测试有限公司"))
        .await;
    let patched = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"v1\"")
        .header("X-Request-Id", "audit-trail-1")
        .json(&json!({"name": "审计测试二有限公司"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    app.put_as(
        &token,
        &format!("{path}/annual-reports/2024"),
        &json!({"employees": 10}),
    )
    .await;
    app.post_as(
        &token,
        &format!("{path}/deregister"),
        &json!({"deregistered_on": "2025-01-02", "reason": "迁出江苏省"}),
    )
    .await;

    let history: Value = app.get_json(&token, &format!("{path}/history")).await;
    let items = history["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "create", "deregister"]);
    assert_eq!(items[1]["request_id"], "audit-trail-1");
    assert_eq!(items[1]["actor"], "test-user");
    assert_eq!(items[1]["actor_role"], "province");
    assert_eq!(items[1]["before"]["name"], "审计测试有限公司");
    assert_eq!(items[1]["after"]["name"], "审计测试二有限公司");
    assert_eq!(items[2]["entity_type"], "annual_report");
    assert_eq!(items[3]["reason"], "迁出江苏省");

    let page: Value = app
        .get_json(&token, &format!("{path}/history?limit=3"))
        .await;
    let next = page["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_json(&token, &format!("{path}/history?limit=3&cursor={next}"))
        .await;
    assert_eq!(rest["items"][0]["action"], "deregister");

    let report = verify(&app).await;
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["entries_checked"], 4);
    assert_eq!(report["head_hash"], items[3]["hash"]);

    let city = app.token(Role::City, "320500");
    assert_problem(app.get_as(&city, "/api/v1/audit/verification").await, 403).await;

    let tampered = "UPDATE audit_log SET after_json = REPLACE(after_json, '审计测试二', '篡改') \
                    WHERE id = 2";
    run_sql(&app, [tampered]).await;
    let report = verify(&app).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_invalid_id"], 2);
    assert!(
        report["problem"].as_str().unwrap().contains("altered"),
        "{report}"
    );
}

#[tokio::test]
async fn a_removed_entry_breaks_the_chain() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.create_enterprise(&enterprise_body(
            &credit_code(KUNSHAN, i),
            KUNSHAN,
            "删除测试有限公司",
        ))
        .await;
    }
    assert_eq!(verify(&app).await["valid"], true);
    run_sql(&app, ["DELETE FROM audit_log WHERE id = 2"]).await;
    let report = verify(&app).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_invalid_id"], 3);
    assert!(
        report["problem"].as_str().unwrap().contains("removed"),
        "{report}"
    );
}
