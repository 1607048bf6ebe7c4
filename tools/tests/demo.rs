//! The demo seed against a real registry over HTTP, on its own database (SQLite by default,
//! PostgreSQL with TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use enterprise_registry::startup::EnterpriseRegistry;
use serde_json::Value;

type TestApp = hte_shared::testing::TestApp<EnterpriseRegistry>;

#[tokio::test]
async fn demo_data_seeds_once_across_cities_with_every_kind_of_fact() {
    let app = TestApp::spawn().await;
    let seeded = hte_tools::demo::seed_if_empty(&app.db).await.unwrap();
    assert!(seeded >= 20);
    assert_eq!(
        hte_tools::demo::seed_if_empty(&app.db).await.unwrap(),
        0,
        "only into an empty registry"
    );

    let token = app.province_token();
    let all: Value = app
        .get_as(&token, "/api/v1/enterprises?limit=500")
        .await
        .json()
        .await
        .unwrap();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), seeded);
    let cities: std::collections::HashSet<&str> = items
        .iter()
        .map(|e| e["city_code"].as_str().unwrap())
        .collect();
    assert!(cities.len() >= 8, "{cities:?}");
    for status in ["hte", "pool", "registered"] {
        assert!(
            items.iter().any(|e| e["status"] == status),
            "no {status} firm"
        );
    }
    let gazelles: Value = app
        .get_as(&token, "/api/v1/enterprises?label=gazelle")
        .await
        .json()
        .await
        .unwrap();
    assert!(!gazelles["items"].as_array().unwrap().is_empty());
    let code = items[0]["credit_code"].as_str().unwrap();
    let reports: Value = app
        .get_as(
            &token,
            &format!("/api/v1/enterprises/{code}/annual-reports"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(reports["items"].as_array().unwrap().len() >= 2);
    let report: Value = app
        .get_as(
            &app.token(hte_shared::auth::Role::Auditor, "320000"),
            "/api/v1/audit/verification",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["valid"], true);
}
