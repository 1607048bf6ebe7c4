//! What each region sees: the tree's versions (hardening #19 item 13), the cities' own
//! splits of their targets (#18.6), and misspelled query parameters refused by name.

use hte_shared::auth::Role;
use hte_shared::regions::{self, RegionCode};
use serde_json::{Value, json};

use crate::helpers::{
    AllocationFixtures, SEEDED, TestApp, assert_json, assert_problem, equal_city_weights,
};

/// Equal weights for the counties of `city`.
fn county_weights(city: &str) -> Value {
    let code = RegionCode::parse(city).unwrap();
    let map: serde_json::Map<String, Value> = regions::children(&code)
        .map(|r| (r.code.to_string(), json!(1)))
        .collect();
    Value::Object(map)
}

fn split_body(city: &str) -> Value {
    json!({"indicator": "hte_count", "period": "2025", "region_code": city,
           "method": "proportional", "baseline": "weights", "weights": county_weights(city)})
}

/// A plan whose province split 1300 among the cities, Suzhou and Nanjing then splitting
/// theirs among their counties, each city itself; Wuxi has only proposed.
async fn plan_with_city_splits(app: &TestApp) {
    app.create_plan("vis").await;
    app.put_target(
        &app.province_token(),
        "vis",
        "320000",
        "hte_count",
        "2025",
        1300,
    )
    .await;
    let body = json!({"indicator": "hte_count", "period": "2025", "region_code": "320000",
                      "method": "proportional", "baseline": "weights", "weights": equal_city_weights()});
    app.split(&app.province_token(), "vis", &body).await;
    for city in ["320500", "320100"] {
        let accepted = app
            .split(&app.token(Role::City, city), "vis", &split_body(city))
            .await;
        assert_eq!(accepted["status"], "accepted");
    }
    let wuxi = app.token(Role::City, "320200");
    let response = app
        .post_as(
            &wuxi,
            "/api/v1/plans/vis/allocations",
            &split_body("320200"),
        )
        .await;
    assert_json(response, 201).await;
}

#[tokio::test]
async fn tree_versions_show_each_region_its_own_changes() {
    let app = TestApp::spawn().await;
    plan_with_city_splits(&app).await;
    let versions = |token: String| {
        let app = &app;
        async move {
            let list = app
                .get_json(&token, "/api/v1/plans/vis/targets/versions")
                .await;
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["version"].as_i64().unwrap(),
                        v["actor_region"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    // 1: the province's target; 2: the cities'; 3: Suzhou's counties; 4: Nanjing's.
    let all = versions(app.province_token()).await;
    assert_eq!(all.iter().map(|v| v.0).collect::<Vec<_>>(), [4, 3, 2, 1]);
    assert_eq!(versions(app.token(Role::Auditor, "320000")).await, all);
    let nanjing = versions(app.token(Role::City, "320100")).await;
    assert_eq!(
        nanjing,
        [(4, "320100".to_owned()), (2, "320000".to_owned())]
    );
    let kunshan = versions(app.token(Role::County, "320583")).await;
    assert_eq!(kunshan, [(3, "320500".to_owned())]);
    // An old version's change is shown only to those it concerns.
    let nanjing = app.token(Role::City, "320100");
    let tree = app
        .get_json(&nanjing, "/api/v1/plans/vis/targets?version=3")
        .await;
    assert_eq!(tree["change"], Value::Null);
    let tree = app
        .get_json(&nanjing, "/api/v1/plans/vis/targets?version=4")
        .await;
    assert_eq!(tree["change"]["actor_region"], "320100");
}

#[tokio::test]
async fn cities_split_their_own_targets_and_the_province_sees_every_split() {
    let app = TestApp::spawn().await;
    plan_with_city_splits(&app).await;
    let splits = |token: String| {
        let app = &app;
        async move {
            let path = "/api/v1/plans/vis/splits?indicator=hte_count&period=2025";
            app.get_json(&token, path).await["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let all = splits(app.province_token()).await;
    assert_eq!(all.len(), 13);
    let row = |code: &str| {
        all.iter()
            .find(|r| r["region_code"] == code)
            .unwrap()
            .clone()
    };
    let suzhou = row("320500");
    assert_eq!(suzhou["state"], "split");
    assert_eq!(suzhou["target"], 100);
    assert_eq!(suzhou["children_sum"], 100);
    assert_eq!(suzhou["counties"], 10);
    assert_eq!(suzhou["counties_with_targets"], 10);
    assert_eq!(suzhou["latest_proposal"]["status"], "accepted");
    let wuxi = row("320200");
    assert_eq!(wuxi["state"], "not_split");
    assert_eq!(wuxi["latest_proposal"]["status"], "proposed");
    let xuzhou = row("320300");
    assert_eq!(xuzhou["state"], "not_split");
    assert_eq!(xuzhou["latest_proposal"], Value::Null);
    assert_eq!(splits(app.token(Role::Auditor, "320000")).await.len(), 13);
    assert_eq!(splits(app.token(Role::Service, "320000")).await.len(), 13);
    let own = splits(app.token(Role::City, "320500")).await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["region_code"], "320500");
    assert!(splits(app.token(Role::County, "320583")).await.is_empty());
    // A county changed by hand afterwards leaves Suzhou unbalanced, visibly.
    let kunshan = app
        .put_target(
            &app.token(Role::City, "320500"),
            "vis",
            "320583",
            "hte_count",
            "2025",
            99,
        )
        .await;
    assert_eq!(kunshan.status(), 200);
    let suzhou = splits(app.token(Role::City, "320500")).await;
    assert_eq!(suzhou[0]["state"], "unbalanced");
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let plan = format!("/api/v1/plans/{SEEDED}");
    for (path, name) in [
        ("/api/v1/plans?limt=5".to_owned(), "limt"),
        (format!("{plan}?verbose=1"), "verbose"),
        (format!("{plan}/targets?regoin=320500"), "regoin"),
        (format!("{plan}/targets/versions?region=320500"), "region"),
        (format!("{plan}/allocations?limt=5"), "limt"),
        (format!("{plan}/allocations/none?formt=csv"), "formt"),
        (format!("{plan}/progress?indicatr=hte_count"), "indicatr"),
        (format!("{plan}/assessments?status=draft"), "status"),
        (format!("{plan}/assessments/none?fmt=xlsx"), "fmt"),
        (format!("{plan}/scoring-schemes?latest=1"), "latest"),
        (format!("{plan}/scoring-schemes/1?x=1"), "x"),
        (format!("{plan}/splits?indcator=hte_count"), "indcator"),
    ] {
        let problem = assert_problem(app.get_as(&token, &path).await, 400).await;
        assert_eq!(problem["errors"][0]["field"], name, "{path}: {problem}");
        assert_eq!(problem["errors"][0]["rule"], "unknown_parameter");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("unknown query parameter")
        );
    }
}
