use std::collections::HashSet;

use hte_shared::auth::Role;
use hte_shared::testing::problem_fields;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn suzhou_with_its_counties() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::County, "320583");
    let response = app.get_as(&token, "/api/v1/regions/320500").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "苏州市");
    assert_eq!(body["level"], "city");
    assert_eq!(body["ancestors"][0]["code"], "320000");
    let children: Vec<&str> = body["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for county in [
        "昆山市",
        "张家港市",
        "常熟市",
        "太仓市",
        "吴江区",
        "苏州工业园区",
    ] {
        assert!(
            children.contains(&county),
            "{county} missing from {children:?}"
        );
    }
}

#[tokio::test]
async fn the_province_has_13_cities_and_every_county_has_a_city() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let cities: Value = app.get_json(&token, "/api/v1/regions?level=city").await;
    let cities = cities["items"].as_array().unwrap();
    assert_eq!(cities.len(), 13);
    let city_codes: HashSet<&str> = cities.iter().map(|c| c["code"].as_str().unwrap()).collect();

    let all: Value = app.get_json(&token, "/api/v1/regions").await;
    let all = all["items"].as_array().unwrap();
    let codes: HashSet<&str> = all.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), all.len(), "codes are unique");
    let counties: Vec<&Value> = all.iter().filter(|r| r["level"] == "county").collect();
    assert_eq!(counties.len(), 95 + 9);
    for county in &counties {
        let parent = county["parent_code"].as_str().unwrap();
        assert!(city_codes.contains(parent), "{county}");
    }

    let without_zones: Value = app
        .get_json(
            &token,
            "/api/v1/regions?level=county&include_functional_zones=false",
        )
        .await;
    assert_eq!(without_zones["items"].as_array().unwrap().len(), 95);

    let nanjing: Value = app.get_json(&token, "/api/v1/regions?parent=320100").await;
    assert_eq!(nanjing["items"].as_array().unwrap().len(), 11);
}

#[tokio::test]
async fn bad_codes_and_filters_are_named() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let body = assert_problem(app.get_as(&token, "/api/v1/regions/32050X").await, 400).await;
    assert_eq!(body["errors"][0]["field"], "code");
    let body = assert_problem(app.get_as(&token, "/api/v1/regions/110000").await, 404).await;
    assert!(body["detail"].as_str().unwrap().contains("110000"));
    let body = assert_problem(
        app.get_as(&token, "/api/v1/regions?level=town&parent=abc")
            .await,
        400,
    )
    .await;
    let fields = problem_fields(&body);
    assert_eq!(fields, ["level", "parent"]);
    let response = app
        .client
        .get(app.url("/api/v1/regions"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
}
