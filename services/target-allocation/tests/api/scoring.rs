//! Scoring schemes (考核办法) as versioned data: the seeded one, new versions by the province
//! only, bounds on every number (hardening #19 item 9), replays and stale writes.

use hte_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    AllocationFixtures, NOT_PROVINCE, SEEDED, TestApp, assert_json, assert_problem, problem_fields,
};

fn two_indicators() -> Value {
    json!({
        "reason": "2025年度考核办法",
        "items": [
            {"indicator": "new_hte", "weight": 60,
             "rule": {"kind": "linear", "cap": 1.2},
             "bonus": {"points_per_percent": 0.5, "max_points": 5}},
            {"indicator": "hte_count", "weight": 40,
             "rule": {"kind": "bands", "bands": [
                {"at_least": 0.8, "share": 0.6}, {"at_least": 1, "share": 1}]},
             "deduction": {"points_per_percent": 0.2, "max_points": 3}}
        ],
        "max_bonus_points": 5,
        "max_penalty_points": 10
    })
}

#[tokio::test]
async fn the_2019_2020_plan_is_seeded_with_todays_formula() {
    let app = TestApp::spawn().await;
    let county = app.token(Role::County, "320583");
    let path = format!("/api/v1/plans/{SEEDED}/scoring-schemes");
    let response = app.get_as(&county, &path).await;
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let list = assert_json(response, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let scheme = &list["items"][0];
    assert_eq!(scheme["version"], 1);
    assert_eq!(scheme["created_by"], "system:seed");
    assert_eq!(
        scheme["items"],
        json!([{"indicator": "new_hte", "weight": 100.0,
                "rule": {"kind": "linear", "cap": 1.2}, "bonus": null, "deduction": null}])
    );
    assert_eq!(scheme["max_bonus_points"], 0.0);
    let one = app.get_json(&county, &format!("{path}/1")).await;
    assert_eq!(&one, scheme);
    assert_problem(app.get_as(&county, &format!("{path}/2")).await, 404).await;
}

#[tokio::test]
async fn the_province_sets_new_versions_and_nobody_else() {
    let app = TestApp::spawn().await;
    app.create_plan("kaohe").await;
    let path = "/api/v1/plans/kaohe/scoring-schemes";
    for (role, region) in NOT_PROVINCE {
        let token = app.token(role, region);
        assert_problem(app.post_as(&token, path, &two_indicators()).await, 403).await;
        assert_eq!(
            app.get_as(&token, path).await.status(),
            200,
            "everyone reads"
        );
    }
    let province = app.province_token();
    let empty = app.get_as(&province, path).await;
    assert_eq!(empty.headers()["etag"], "\"v0\"");
    // Created once: a replay with the same key returns the same version.
    let send = |key: &'static str, body: Value, etag: Option<&'static str>| {
        let (app, province) = (&app, province.clone());
        async move {
            let mut request = app
                .client
                .post(app.url(path))
                .bearer_auth(province)
                .header("Idempotency-Key", key)
                .json(&body);
            if let Some(etag) = etag {
                request = request.header("If-Match", etag);
            }
            request.send().await.unwrap()
        }
    };
    let first = send("k-1", two_indicators(), Some("\"v0\"")).await;
    assert_eq!(
        first.headers()["location"],
        "/api/v1/plans/kaohe/scoring-schemes/1"
    );
    let first = assert_json(first, 201).await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["items"][1]["rule"]["bands"][0]["at_least"], 0.8);
    let replay = assert_json(send("k-1", two_indicators(), None).await, 201).await;
    assert_eq!(replay, first);
    // A second version from a stale read is refused; from a fresh one it is version 2.
    let stale = send("k-2", two_indicators(), Some("\"v0\"")).await;
    assert_problem(stale, 412).await;
    let second = assert_json(send("k-3", two_indicators(), Some("\"v1\"")).await, 201).await;
    assert_eq!(second["version"], 2);
    let list = app.get_json(&province, path).await;
    assert_eq!(list["items"][0]["version"], 2);
    let audit = app.audit_of("kaohe").await;
    let created: Vec<&Value> = audit
        .iter()
        .filter(|e| e["entity_type"] == "scoring_scheme")
        .collect();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["reason"], "2025年度考核办法");
}

#[tokio::test]
async fn absurd_numbers_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    app.create_plan("bounds").await;
    let province = app.province_token();
    let path = "/api/v1/plans/bounds/scoring-schemes";
    let with = |pointer: &str, value: Value| {
        let mut body = two_indicators();
        *body.pointer_mut(pointer).unwrap() = value;
        body
    };
    // 400: outside the document's bounds; 422: a rule it cannot state (decimals, the
    // weights' total, duplicates, which indicators can be assessed).
    for (body, field, status) in [
        (
            with("/items/0/weight", json!(1e-308)),
            "items[0].weight",
            400,
        ),
        (
            with("/items/0/rule/cap", json!(1e-308)),
            "items[0].rule.cap",
            400,
        ),
        (
            with("/items/0/rule/cap", json!(1e308)),
            "items[0].rule.cap",
            400,
        ),
        (
            with("/items/0/weight", json!(60.00001)),
            "items[0].weight",
            422,
        ),
        (with("/items/1/weight", json!(30)), "items", 422),
        (
            with("/items/0/bonus/max_points", json!(-1)),
            "items[0].bonus.max_points",
            400,
        ),
        (
            with("/items/1/rule/bands/1/at_least", json!(0.8)),
            "items[1].rule.bands[1].at_least",
            422,
        ),
        (
            with("/items/1/rule/bands/0/share", json!(3)),
            "items[1].rule.bands[0].share",
            400,
        ),
        (
            with("/items/1/indicator", json!("new_hte")),
            "items[1].indicator",
            422,
        ),
        (
            with("/items/1/indicator", json!("hightech_output_share")),
            "items[1].indicator",
            422,
        ),
        (
            with("/max_penalty_points", json!(1000)),
            "max_penalty_points",
            400,
        ),
        (with("/reason", json!("")), "reason", 400),
    ] {
        let response = app.post_as(&province, path, &body).await;
        let problem = assert_problem(response, status).await;
        assert!(
            problem_fields(&problem).contains(&field.to_owned()),
            "{field}: {problem}"
        );
    }
    let unknown = with(
        "/items/0/rule",
        json!({"kind": "linear", "cap": 1, "floor": 0}),
    );
    assert_problem(app.post_as(&province, path, &unknown).await, 400).await;
    a_closed_plans_scheme_is_final(&app).await;
}

/// A closed plan's scheme is final (409).
async fn a_closed_plans_scheme_is_final(app: &TestApp) {
    let province = app.province_token();
    let response = app
        .send_with_etag(
            Method::POST,
            &province,
            "/api/v1/plans/jiangsu-2019-57/publish",
            None,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.post_as(&province, "/api/v1/plans/jiangsu-2019-57/close", &json!({}))
        .await;
    let seeded = json!({"reason": "结束后修改", "items": [
        {"indicator": "new_hte", "weight": 100, "rule": {"kind": "linear", "cap": 1}}]});
    let response = app
        .post_as(
            &province,
            "/api/v1/plans/jiangsu-2019-57/scoring-schemes",
            &seeded,
        )
        .await;
    assert_problem(response, 409).await;
}

/// Hardening #19 item 9 and the contract issue's "nothing panics": numbers at the edges of
/// their types are refused with a field error, never a 500 or a dropped connection.
#[tokio::test]
async fn numbers_at_the_edges_are_refused_not_panicked_on() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    let mut plan = crate::helpers::plan_body("edges");
    plan["indicators"][0]["target_value"] = json!(1e308);
    let problem = assert_problem(app.post_as(&province, "/api/v1/plans", &plan).await, 400).await;
    assert_eq!(problem_fields(&problem), ["indicators[0].target_value"]);
    assert!(problem["detail"].as_str().unwrap().contains("10^12"));

    app.create_plan("edges").await;
    app.put_target(&province, "edges", "320000", "hte_count", "2025", 1300)
        .await;
    let path = "/api/v1/plans/edges/allocations";
    let every_city = |value: Value| -> Value {
        crate::helpers::CITIES
            .iter()
            .map(|c| ((*c).to_owned(), value.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    for (method, extra) in [
        ("manual", json!({"shares": every_city(json!(i64::MAX))})),
        ("manual", json!({"shares": every_city(json!(i64::MIN))})),
        (
            "proportional_with_minimums",
            json!({"baseline": "weights", "weights": every_city(json!(1)), "minimums": every_city(json!(i64::MAX))}),
        ),
        (
            "proportional",
            json!({"baseline": "weights", "weights": every_city(json!(u64::MAX))}),
        ),
    ] {
        let mut body = json!({"indicator": "hte_count", "period": "2025", "region_code": "320000",
                              "method": method});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let response = app.post_as(&province, path, &body).await;
        // Refused, never panicked on: a bound the document states (400) or a sum no schema
        // can (422).
        let status = response.status().as_u16();
        assert!([400, 422].contains(&status), "{method}: {status}");
        assert_problem(response, status).await;
    }
    let scheme = |weight: Value| {
        json!({"reason": "边界", "items": [
            {"indicator": "new_hte", "weight": weight, "rule": {"kind": "linear", "cap": 1}}]})
    };
    for weight in [
        json!(i64::MAX),
        json!(i64::MIN),
        json!(2_147_483_648_i64),
        json!(-1),
        json!(0),
    ] {
        let response = app
            .post_as(
                &province,
                "/api/v1/plans/edges/scoring-schemes",
                &scheme(weight),
            )
            .await;
        let problem = assert_problem(response, 400).await;
        assert_eq!(problem_fields(&problem), ["items[0].weight"]);
    }
}
