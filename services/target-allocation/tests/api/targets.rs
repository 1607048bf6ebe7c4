use hte_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AllocationFixtures, CITIES, TestApp, assert_problem, problem_fields};

#[tokio::test]
async fn every_change_is_a_version_and_old_versions_stay_readable() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("versions").await;
    let first = app
        .put_target(&province, "versions", "320000", "hte_count", "2025", 1000)
        .await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["etag"], "\"v1\"");
    let target: Value = first.json().await.unwrap();
    assert_eq!(target["value"], 1000);
    assert_eq!(target["level"], "province");
    assert_eq!(target["set_in_version"], 1);
    let second = app
        .put_target(&province, "versions", "320000", "hte_count", "2025", 1200)
        .await;
    assert_eq!(second.headers()["etag"], "\"v2\"");
    // Setting the value it already has adds no empty version.
    let same = app
        .put_target(&province, "versions", "320000", "hte_count", "2025", 1200)
        .await;
    assert_eq!(same.status(), 200);
    assert_eq!(same.headers()["etag"], "\"v2\"");
    let same: Value = same.json().await.unwrap();
    assert_eq!(same["set_in_version"], 2);

    let tree: Value = app
        .get_json(&province, "/api/v1/plans/versions/targets?version=1")
        .await;
    assert_eq!(tree["version"], 1);
    assert_eq!(tree["current_version"], 2);
    assert_eq!(tree["targets"][0]["value"], 1000);
    assert_eq!(tree["change"]["reason"], "测试设定目标");
    assert_eq!(tree["change"]["actor_role"], "province");
    let current: Value = app
        .get_json(&province, "/api/v1/plans/versions/targets")
        .await;
    assert_eq!(current["targets"][0]["value"], 1200);
    let empty: Value = app
        .get_json(&province, "/api/v1/plans/versions/targets?version=0")
        .await;
    assert_eq!(empty["targets"], json!([]));
    assert_problem(
        app.get_as(&province, "/api/v1/plans/versions/targets?version=3")
            .await,
        422,
    )
    .await;

    let versions: Value = app
        .get_json(&province, "/api/v1/plans/versions/targets/versions")
        .await;
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["version"], 2);
    assert_eq!(items[0]["kind"], "set");
    assert_eq!(items[0]["actor"], "test-user");
}

#[tokio::test]
async fn target_writes_need_if_match_a_reason_and_a_splittable_indicator() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("rules").await;
    let path = "/api/v1/plans/rules/targets/320000";
    let body =
        json!({"indicator": "hte_count", "period": "2025", "value": 5, "reason": "理由充分"});
    assert_problem(
        app.send_with_etag(Method::PUT, &province, path, None, &body)
            .await,
        428,
    )
    .await;
    assert_problem(
        app.send_with_etag(Method::PUT, &province, path, Some("\"v7\""), &body)
            .await,
        412,
    )
    .await;
    let cases = [
        (
            json!({"indicator": "hightech_output_share", "period": "2025", "value": 5, "reason": "理由"}),
            "indicator",
            422,
        ),
        (
            json!({"indicator": "nope", "period": "2025", "value": 5, "reason": "理由"}),
            "indicator",
            422,
        ),
        (
            json!({"indicator": "hte_count", "period": "2030", "value": 5, "reason": "理由"}),
            "period",
            422,
        ),
        (
            json!({"indicator": "hte_count", "period": "2025", "value": -1, "reason": "理由"}),
            "value",
            400,
        ),
        (
            json!({"indicator": "hte_count", "period": "2025", "value": 5, "reason": " "}),
            "reason",
            400,
        ),
    ];
    for (body, field, status) in cases {
        let response = app
            .send_with_etag(Method::PUT, &province, path, Some("\"v0\""), &body)
            .await;
        let problem = assert_problem(response, status).await;
        assert_eq!(problem_fields(&problem), [field], "{body}");
    }
    let bad_region = app
        .send_with_etag(
            Method::PUT,
            &province,
            "/api/v1/plans/rules/targets/110000",
            Some("\"v0\""),
            &body,
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(bad_region, 400).await),
        ["region"]
    );
}

#[tokio::test]
async fn publishing_an_unbalanced_tree_is_refused_naming_the_region() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("unbalanced").await;
    app.put_target(&province, "unbalanced", "320000", "hte_count", "2025", 100)
        .await;
    app.put_target(&province, "unbalanced", "320100", "hte_count", "2025", 60)
        .await;
    app.put_target(&province, "unbalanced", "320500", "hte_count", "2025", 30)
        .await;
    // A county target under a city without one.
    let suzhou = app.token(Role::City, "320500");
    let county = app
        .put_target(&suzhou, "unbalanced", "320583", "new_hte", "2024", 7)
        .await;
    assert_eq!(county.status(), 200);

    let tree: Value = app
        .get_json(
            &province,
            "/api/v1/plans/unbalanced/targets?indicator=hte_count",
        )
        .await;
    assert_eq!(tree["balanced"], false);
    let root = tree["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["region_code"] == "320000")
        .unwrap();
    assert_eq!(root["children_sum"], 90);
    assert_eq!(root["balanced"], false);

    let problem = assert_problem(
        app.post_as(&province, "/api/v1/plans/unbalanced/publish", &json!({}))
            .await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&problem),
        [
            "targets.hte_count.2025.320000",
            "targets.new_hte.2024.320500"
        ]
    );
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("10 too few")
    );
    let plan: Value = app.get_json(&province, "/api/v1/plans/unbalanced").await;
    assert_eq!(plan["status"], "draft");

    // Balance it and publish.
    app.put_target(&province, "unbalanced", "320500", "hte_count", "2025", 40)
        .await;
    app.put_target(&province, "unbalanced", "320500", "new_hte", "2024", 7)
        .await;
    app.put_target(&province, "unbalanced", "320000", "new_hte", "2024", 7)
        .await;
    let published = app
        .post_as(&province, "/api/v1/plans/unbalanced/publish", &json!({}))
        .await;
    assert_eq!(
        published.status(),
        200,
        "{}",
        published.text().await.unwrap()
    );
}

#[tokio::test]
async fn a_published_tree_changes_only_by_balanced_adjustments() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("adjust").await;
    app.put_target(&province, "adjust", "320000", "hte_count", "2025", 100)
        .await;
    app.put_target(&province, "adjust", "320100", "hte_count", "2025", 100)
        .await;
    assert_eq!(
        app.post_as(&province, "/api/v1/plans/adjust/publish", &json!({}))
            .await
            .status(),
        200
    );
    // One value alone would unbalance the tree.
    let alone = app
        .put_target(&province, "adjust", "320000", "hte_count", "2025", 120)
        .await;
    let problem = assert_problem(alone, 409).await;
    assert_eq!(problem_fields(&problem), ["targets.hte_count.2025.320000"]);

    let etag = app.tree_etag("adjust").await;
    let adjustment = json!({
        "reason": "年中调整:省目标提高到120",
        "changes": [
            {"indicator": "hte_count", "region_code": "320000", "period": "2025", "value": 120},
            {"indicator": "hte_count", "region_code": "320100", "period": "2025", "value": 100},
            {"indicator": "hte_count", "region_code": "320200", "period": "2025", "value": 20}
        ]
    });
    let response = app
        .send_with_etag(
            Method::POST,
            &province,
            "/api/v1/plans/adjust/adjustments",
            Some(&etag),
            &adjustment,
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let version: Value = response.json().await.unwrap();
    assert_eq!(version["kind"], "adjustment");
    assert_eq!(version["changes"], 2, "the unchanged value is not counted");
    assert_eq!(version["reason"], "年中调整:省目标提高到120");

    // A city cannot adjust the provincial figures.
    let city = app.token(Role::City, "320100");
    let etag = app.tree_etag("adjust").await;
    let response = app
        .send_with_etag(
            Method::POST,
            &city,
            "/api/v1/plans/adjust/adjustments",
            Some(&etag),
            &adjustment,
        )
        .await;
    assert_problem(response, 403).await;
}

#[tokio::test]
async fn who_may_set_which_target() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("rights").await;
    app.put_target(&province, "rights", "320000", "hte_count", "2025", 1300)
        .await;
    for city in CITIES {
        let r = app
            .put_target(&province, "rights", city, "hte_count", "2025", 100)
            .await;
        assert_eq!(r.status(), 200);
    }
    let suzhou = app.token(Role::City, "320500");
    // A city sets its counties' targets, not its own and not another city's counties.
    assert_eq!(
        app.put_target(&suzhou, "rights", "320583", "hte_count", "2025", 50)
            .await
            .status(),
        200
    );
    assert_problem(
        app.put_target(&suzhou, "rights", "320500", "hte_count", "2025", 101)
            .await,
        403,
    )
    .await;
    assert_problem(
        app.put_target(&suzhou, "rights", "320102", "hte_count", "2025", 1)
            .await,
        403,
    )
    .await;
    assert_problem(
        app.put_target(&suzhou, "rights", "320000", "hte_count", "2025", 1)
            .await,
        403,
    )
    .await;
    for (role, region) in [
        (Role::County, "320583"),
        (Role::Auditor, "320000"),
        (Role::Service, "320000"),
    ] {
        let token = app.token(role, region);
        assert_problem(
            app.put_target(&token, "rights", "320583", "hte_count", "2025", 1)
                .await,
            403,
        )
        .await;
        // Everyone reads.
        assert_eq!(
            app.get_as(&token, "/api/v1/plans/rights/targets")
                .await
                .status(),
            200
        );
    }
}
