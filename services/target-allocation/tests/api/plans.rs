use hte_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    AllocationFixtures, NOT_PROVINCE, SEEDED, TestApp, assert_problem, plan_body, problem_fields,
};

#[tokio::test]
async fn the_2019_2020_plan_is_seeded_with_its_indicators_and_target() {
    let app = TestApp::spawn().await;
    let auditor = app.token(Role::Auditor, "320000");
    let response = app
        .get_as(&auditor, &format!("/api/v1/plans/{SEEDED}"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let plan: Value = response.json().await.unwrap();
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["document_no"], "苏政办发〔2019〕57号");
    assert_eq!(plan["starts_on"], "2019-01-01");
    assert_eq!(plan["ends_on"], "2020-12-31");
    let keys: Vec<&str> = plan["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "hte_count",
            "rd_institution_rate",
            "hte_rd_share",
            "hte_invention_patents",
            "zone_hte_share",
            "hightech_output_share",
            "new_hte"
        ]
    );
    let hte = &plan["indicators"][0];
    assert_eq!(hte["target_value"], 30000.0);
    assert_eq!(hte["splittable"], true);
    assert_eq!(plan["indicators"][1]["target_value"], 1.0);
    assert_eq!(plan["indicators"][1]["unit"], "ratio");
    assert_eq!(plan["indicators"][2]["source"], "registry_and_external");
    assert_eq!(plan["indicators"][5]["source"], "external");
    assert_eq!(plan["indicators"][5]["splittable"], false);

    each_indicator_says_how_monitoring_evaluates_it(&plan);

    let tree: Value = app
        .get_json(&auditor, &format!("/api/v1/plans/{SEEDED}/targets"))
        .await;
    assert_eq!(tree["version"], 1);
    assert_eq!(tree["change"]["kind"], "seed");
    assert_eq!(tree["targets"].as_array().unwrap().len(), 1);
    let target = &tree["targets"][0];
    assert_eq!(target["plan_id"], SEEDED);
    assert_eq!(target["indicator"], "hte_count");
    assert_eq!(target["region_code"], "320000");
    assert_eq!(target["period"], "2020");
    assert_eq!(target["value"], 30000);
}

/// What monitoring evaluates: each indicator's formula, input period and pipeline.
fn each_indicator_says_how_monitoring_evaluates_it(plan: &Value) {
    let formulas: Vec<(&str, &Value, &Value, &Value)> = plan["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap(),
                &i["formula"],
                &i["input_period"],
                &i["pipeline"],
            )
        })
        .collect();
    let registry = |name: &str| json!({"registry": name});
    let input = |name: &str| json!({"input": name});
    let share = |n: Vec<Value>, d: Vec<Value>| json!({"share": {"numerator": n, "denominator": d}});
    let expected = [
        (
            "hte_count",
            json!({"quantity": [registry("hte")]}),
            "latest",
            true,
        ),
        (
            "rd_institution_rate",
            share(
                vec![registry("hte_above_scale_with_rd_institution")],
                vec![registry("hte_above_scale")],
            ),
            "latest",
            false,
        ),
        (
            "hte_rd_share",
            share(
                vec![registry("hte_rd_expense_yuan")],
                vec![input("enterprise_rd_expense_yuan")],
            ),
            "report_year",
            false,
        ),
        (
            "hte_invention_patents",
            json!({"quantity": [registry("hte_invention_patents")]}),
            "latest",
            false,
        ),
        (
            "zone_hte_share",
            share(
                vec![
                    registry("hte_in_provincial_zone"),
                    registry("hte_in_national_zone"),
                ],
                vec![registry("hte")],
            ),
            "latest",
            false,
        ),
        (
            "hightech_output_share",
            share(
                vec![input("hightech_industry_output_yuan")],
                vec![input("above_scale_industrial_output_yuan")],
            ),
            "latest",
            false,
        ),
        (
            "new_hte",
            json!({"quantity": [registry("new_certificates")]}),
            "latest",
            true,
        ),
    ];
    for ((key, formula, period, pipeline), (want_key, want, want_period, want_pipeline)) in
        formulas.iter().zip(expected)
    {
        assert_eq!(*key, want_key);
        assert_eq!(**formula, want, "{key}");
        assert_eq!(**period, want_period, "{key}");
        assert_eq!(**pipeline, want_pipeline, "{key}");
    }
}

#[tokio::test]
async fn plans_are_created_once_listed_and_read() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    let send = |key: &'static str, body: Value| {
        let app = &app;
        let province = province.clone();
        async move {
            app.client
                .post(app.url("/api/v1/plans"))
                .bearer_auth(province)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("k1", plan_body("test-2024")).await;
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["location"], "/api/v1/plans/test-2024");
    let created: Value = first.json().await.unwrap();
    assert_eq!(created["status"], "draft");
    assert_eq!(created["tree_version"], 0);
    assert_eq!(created["indicators"][1]["aggregation"], "annual");
    // A replay gets the first answer; the same key with another body is a 422.
    let replay = send("k1", plan_body("test-2024")).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.json::<Value>().await.unwrap(), created);
    assert_problem(send("k1", plan_body("test-other")).await, 422).await;
    // Without the key, the same id is a conflict.
    let again = app
        .post_as(&province, "/api/v1/plans", &plan_body("test-2024"))
        .await;
    assert_problem(again, 409).await;

    let list: Value = app
        .get_json(&app.token(Role::County, "320583"), "/api/v1/plans?limit=1")
        .await;
    assert_eq!(list["items"][0]["id"], "jiangsu-2019-57");
    let cursor = list["next_cursor"].as_str().unwrap();
    let next: Value = app
        .get_json(&province, &format!("/api/v1/plans?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(next["items"][0]["id"], "test-2024");
    assert!(next.get("next_cursor").is_none());

    assert_problem(app.get_as(&province, "/api/v1/plans/nope-nope").await, 404).await;
}

#[tokio::test]
async fn bad_plans_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let mut body = plan_body("Bad Id");
    body["ends_on"] = json!("2023-01-01");
    body["indicators"][2]["splittable"] = json!(true);
    body["indicators"][1]["key"] = json!("hte_count");
    let problem = assert_problem(
        app.post_as(&app.province_token(), "/api/v1/plans", &body)
            .await,
        400,
    )
    .await;
    let named = problem_fields(&problem);
    for expected in [
        "id",
        "ends_on",
        "indicators[2].splittable",
        "indicators[1].key",
    ] {
        assert!(
            named.contains(&expected.to_owned()),
            "{expected} in {named:?}"
        );
    }
    let mut body = plan_body("good-id");
    body["indicators"][0]["colour"] = json!("red");
    let problem = assert_problem(
        app.post_as(&app.province_token(), "/api/v1/plans", &body)
            .await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["indicators[0].colour"]);
}

#[tokio::test]
async fn only_the_province_writes_plans() {
    let app = TestApp::spawn().await;
    for (role, region) in NOT_PROVINCE {
        let token = app.token(role, region);
        let response = app
            .post_as(&token, "/api/v1/plans", &plan_body("city-plan"))
            .await;
        assert_problem(response, 403).await;
        let response = app
            .post_as(
                &token,
                &format!("/api/v1/plans/{SEEDED}/publish"),
                &json!({}),
            )
            .await;
        assert_problem(response, 403).await;
    }
    let response = app
        .client
        .get(app.url("/api/v1/plans"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn drafts_are_edited_with_if_match_and_frozen_once_published() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("edit-me").await;
    let path = "/api/v1/plans/edit-me";
    let patch = json!({"name": "改名后的规划", "document_no": "苏科高发〔2024〕1号"});
    let missing = app
        .send_with_etag(Method::PATCH, &province, path, None, &patch)
        .await;
    assert_problem(missing, 428).await;
    let stale = app
        .send_with_etag(Method::PATCH, &province, path, Some("\"v9\""), &patch)
        .await;
    assert_problem(stale, 412).await;
    let ok = app
        .send_with_etag(Method::PATCH, &province, path, Some("\"v1\""), &patch)
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"v2\"");
    let plan: Value = ok.json().await.unwrap();
    assert_eq!(plan["name"], "改名后的规划");
    assert_eq!(plan["version"], 2);

    a_patch_keeps_or_clears_as_it_says(&app, &patch).await;
    // An indicator with targets cannot be dropped.
    let put = app
        .put_target(&province, "edit-me", "320000", "hte_count", "2025", 1300)
        .await;
    assert_eq!(put.status(), 200);
    let drop_it = json!({"indicators": [plan_body("x")["indicators"][1]]});
    let conflict = app
        .send_with_etag(Method::PATCH, &province, path, Some("\"v4\""), &drop_it)
        .await;
    assert_problem(conflict, 409).await;
    published_plans_are_frozen_and_closed_ones_read_only(&app, &patch).await;
}

/// A patch that changes nothing keeps the version; null clears an optional field and is
/// refused for a required one. Leaves the plan at v4.
async fn a_patch_keeps_or_clears_as_it_says(app: &TestApp, patch: &Value) {
    let province = app.province_token();
    let path = "/api/v1/plans/edit-me";
    let same = app
        .send_with_etag(Method::PATCH, &province, path, Some("\"v2\""), patch)
        .await;
    assert_eq!(same.headers()["etag"], "\"v2\"");
    let refused = app
        .send_with_etag(
            Method::PATCH,
            &province,
            path,
            Some("\"v2\""),
            &json!({"name": null}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(refused, 400).await),
        ["name"]
    );
    let cleared = app
        .send_with_etag(
            Method::PATCH,
            &province,
            path,
            Some("\"v2\""),
            &json!({"document_no": null}),
        )
        .await;
    assert_eq!(cleared.headers()["etag"], "\"v3\"");
    let plan: Value = cleared.json().await.unwrap();
    assert_eq!(plan["document_no"], Value::Null);
    let restored = app
        .send_with_etag(Method::PATCH, &province, path, Some("\"v3\""), patch)
        .await;
    assert_eq!(restored.headers()["etag"], "\"v4\"");
}

/// Publish (an If-Match, when sent, must be current), then the plan is frozen; publishing
/// again is a conflict; close ends it.
async fn published_plans_are_frozen_and_closed_ones_read_only(app: &TestApp, patch: &Value) {
    let province = app.province_token();
    let path = "/api/v1/plans/edit-me";
    let stale_publish = app
        .send_with_etag(
            Method::POST,
            &province,
            &format!("{path}/publish"),
            Some("\"v2\""),
            &json!({}),
        )
        .await;
    assert_problem(stale_publish, 412).await;
    let published = app
        .post_as(&province, &format!("{path}/publish"), &json!({}))
        .await;
    assert_eq!(published.status(), 200);
    let plan: Value = published.json().await.unwrap();
    assert_eq!(plan["status"], "published");
    assert!(plan["published_at"].is_string());
    let frozen = app
        .send_with_etag(Method::PATCH, &province, path, Some("\"v5\""), patch)
        .await;
    assert_problem(frozen, 409).await;
    assert_problem(
        app.post_as(&province, &format!("{path}/publish"), &json!({}))
            .await,
        409,
    )
    .await;
    let closed: Value = app
        .post_as(&province, &format!("{path}/close"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(closed["status"], "closed");
    let after_close = app
        .put_target(&province, "edit-me", "320000", "hte_count", "2025", 1400)
        .await;
    assert_problem(after_close, 409).await;
    let assessment = app
        .post_as(
            &province,
            &format!("{path}/assessments"),
            &json!({"period": "2025", "as_of": "2025-12-31"}),
        )
        .await;
    assert_problem(assessment, 409).await;
}

#[tokio::test]
async fn formulas_default_from_the_measure_and_are_checked() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    // The plan body names measures but no formulas: counts get a one-term quantity; the
    // external share has no formula until one is given.
    let response = app
        .post_as(&province, "/api/v1/plans", &plan_body("formula-plan"))
        .await;
    let plan = hte_shared::testing::assert_json(response, 201).await;
    assert_eq!(
        plan["indicators"][0]["formula"],
        json!({"quantity": [{"registry": "hte"}]})
    );
    assert_eq!(plan["indicators"][0]["input_period"], "latest");
    assert_eq!(plan["indicators"][0]["pipeline"], false);
    assert_eq!(plan["indicators"][2]["formula"], Value::Null);

    let mut bad = plan_body("formula-bad");
    bad["indicators"][0]["formula"] = json!({"share": {
        "numerator": [{"registry": "hte"}, {"registry": "hte"}],
        "denominator": [{"input": "enterprise_rd_expense_yuan"}]}});
    bad["indicators"][0]["pipeline"] = json!(true);
    bad["indicators"][2]["formula"] = json!({"quantity": [{"registry": "hte"}]});
    bad["indicators"][2]["input_period"] = json!("report_year");
    let response = app.post_as(&province, "/api/v1/plans", &bad).await;
    let problem = assert_problem(response, 422).await;
    let mut fields = problem_fields(&problem);
    fields.sort();
    assert_eq!(
        fields,
        [
            "indicators[0].formula",
            "indicators[0].formula.share.numerator",
            "indicators[0].pipeline",
            "indicators[0].unit",
            "indicators[2].formula",
            "indicators[2].input_period",
            "indicators[2].unit",
        ]
    );

    let mut unknown = plan_body("formula-unknown");
    unknown["indicators"][2]["formula"] = json!({"quantity": [{"input": "gdp_yuan"}]});
    let response = app.post_as(&province, "/api/v1/plans", &unknown).await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(
        problem_fields(&problem),
        ["indicators[2].formula.quantity[0].input"]
    );
}
