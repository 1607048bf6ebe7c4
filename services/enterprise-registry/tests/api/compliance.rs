use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body};

async fn alerts(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app
        .get_as(token, &format!("/api/v1/compliance-alerts?{query}"))
        .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn expiring_certificates_missing_reports_and_pool_overstays() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let certified = credit_code("320583", 1);
    let pooled = credit_code("320106", 2);
    app.create_enterprise(&enterprise_body(&certified, "320583", "合规甲有限公司"))
        .await;
    app.create_enterprise(&enterprise_body(&pooled, "320106", "合规乙有限公司"))
        .await;
    let base = format!("/api/v1/enterprises/{certified}");
    app.post_as(
        &token,
        &format!("{base}/certificates"),
        &json!({"certificate_no": "GR202232000001", "issued_on": "2022-12-12"}),
    )
    .await;
    app.put_as(
        &token,
        &format!("{base}/annual-reports/2022"),
        &json!({"employees": 50}),
    )
    .await;
    app.post_as(
        &token,
        &format!("/api/v1/enterprises/{pooled}/pool-entries"),
        &json!({"year": 2021, "batch": 2, "source": "自主申报", "entered_on": "2021-06-01"}),
    )
    .await;

    // The certificate runs to 2025-12-11.
    let expiring = alerts(
        &app,
        &token,
        "kind=certificate_expiring&as_of=2025-11-20&within_days=30",
    )
    .await;
    assert_eq!(expiring.len(), 1);
    assert_eq!(expiring[0]["credit_code"], certified.as_str());
    assert_eq!(expiring[0]["severity"], "critical");
    assert!(
        expiring[0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("2025-12-11")
    );
    assert!(
        alerts(
            &app,
            &token,
            "kind=certificate_expiring&as_of=2025-06-01&within_days=90"
        )
        .await
        .is_empty()
    );

    // 2023 was due by 2024-05-31; 2024 by 2025-05-31.
    let one = alerts(&app, &token, "kind=missing_annual_report&as_of=2024-07-01").await;
    assert_eq!(one[0]["missing_years"], json!([2023]));
    assert_eq!(one[0]["severity"], "warning");
    let two = alerts(&app, &token, "kind=missing_annual_report&as_of=2025-07-01").await;
    assert_eq!(two[0]["missing_years"], json!([2023, 2024]));
    assert_eq!(two[0]["severity"], "critical");

    let overstay = alerts(&app, &token, "kind=pool_overstay&as_of=2025-01-01").await;
    assert_eq!(overstay.len(), 1);
    assert_eq!(overstay[0]["pool_year"], 2021);
    assert!(
        alerts(
            &app,
            &token,
            "kind=pool_overstay&as_of=2025-01-01&max_pool_years=4"
        )
        .await
        .is_empty()
    );

    // A city sees only its own subtree.
    let suzhou = app.token(Role::City, "320500");
    assert!(
        alerts(&app, &suzhou, "kind=pool_overstay&as_of=2025-01-01")
            .await
            .is_empty()
    );
    let service = app.token(Role::Service, "320000");
    assert_eq!(
        alerts(&app, &service, "kind=pool_overstay&as_of=2025-01-01")
            .await
            .len(),
        1
    );

    let problem = assert_problem(
        app.get_as(&token, "/api/v1/compliance-alerts?kind=late&within_days=0")
            .await,
        400,
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
}
