//! The demo seed against a real registry over HTTP, on its own database (SQLite by default,
//! PostgreSQL with TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use enterprise_registry::startup::EnterpriseRegistry;
use hte_shared::auth::Role;
use hte_shared::testing::assert_json;
use serde_json::Value;

type TestApp = hte_shared::testing::TestApp<EnterpriseRegistry>;

/// The body of a GET that must answer 200.
async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    assert_json(app.get_as(token, path).await, 200).await
}

/// Every item of a paged list, following `next_cursor` to the last page.
async fn every_item(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let join = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut url = format!("{path}{join}limit=500");
    loop {
        let page = get(app, token, &url).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => url = format!("{path}{join}limit=500&cursor={next}"),
            None => return items,
        }
    }
}

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
    let items = every_item(&app, &token, "/api/v1/enterprises").await;
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
    let gazelles = get(&app, &token, "/api/v1/enterprises?label=gazelle").await;
    assert!(!gazelles["items"].as_array().unwrap().is_empty());
    let code = items[0]["credit_code"].as_str().unwrap();
    let path = format!("/api/v1/enterprises/{code}/annual-reports");
    assert!(every_item(&app, &token, &path).await.len() >= 2);

    // Zones and carriers: a provincial zone beside the national ones, and carriers with
    // incubated firms that show in their performance.
    let zones = every_item(&app, &token, "/api/v1/zones").await;
    assert!(zones.iter().any(|z| z["level"] == "provincial"));
    assert!(every_item(&app, &token, "/api/v1/carriers").await.len() >= 2);
    let year = chrono::Datelike::year(&hte_shared::time::today());
    let path = format!(
        "/api/v1/carriers/sip-bio-incubator/performance?from={}-01-01&to={year}-12-31",
        year - 3
    );
    let performance = get(&app, &token, &path).await;
    assert!(
        performance["firms_incubated"].as_i64().unwrap() >= 2,
        "{performance}"
    );

    let auditor = app.token(Role::Auditor, "320000");
    let verification = get(&app, &auditor, "/api/v1/audit/verification").await;
    assert_eq!(verification["valid"], true);
}
