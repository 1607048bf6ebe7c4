use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{
    AllocationFixtures, CITIES, SEEDED, SUZHOU_COUNTIES, TestApp, assert_problem,
    equal_city_weights, problem_fields,
};

fn shares(proposal: &Value) -> Vec<(String, i64)> {
    proposal["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["region_code"].as_str().unwrap().to_owned(),
                c["share"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_province_splits_the_seeded_target_among_the_cities() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    let path = format!("/api/v1/plans/{SEEDED}/allocations");
    let body = json!({
        "indicator": "hte_count", "period": "2020", "region_code": "320000",
        "method": "proportional", "baseline": "weights", "weights": equal_city_weights()
    });
    let response = app.post_as(&province, &path, &body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let proposal: Value = response.json().await.unwrap();
    assert_eq!(proposal["status"], "proposed");
    assert_eq!(proposal["parent_value"], 30000);
    assert_eq!(proposal["base_tree_version"], 1);
    let split = shares(&proposal);
    assert_eq!(split.len(), 13);
    assert_eq!(split.iter().map(|(_, s)| s).sum::<i64>(), 30000);
    // 30000 / 13 = 2307.69…: the 9 lowest codes get 2308, the rest 2307 (tie-break by code).
    assert_eq!(split[0], ("320100".to_owned(), 2308));
    assert_eq!(split[8].1, 2308);
    assert_eq!(split[9].1, 2307);
    assert!((proposal["children"][0]["quota"].as_f64().unwrap() - 30000.0 / 13.0).abs() < 1e-6);
    assert_eq!(app.get_as(&province, &location).await.status(), 200);

    // Nothing changed until it is accepted.
    let tree: Value = app
        .get_json(&province, &format!("/api/v1/plans/{SEEDED}/targets"))
        .await;
    assert_eq!(tree["targets"].as_array().unwrap().len(), 1);

    let id = proposal["id"].as_str().unwrap();
    let accept_path = format!("{path}/{id}/accept");
    assert_problem(
        app.post_as(&province, &accept_path, &json!({"reason": ""}))
            .await,
        400,
    )
    .await;
    let accepted = app
        .post_as(
            &province,
            &accept_path,
            &json!({"reason": "省厅批准分解方案"}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(accepted.headers()["etag"], "\"v2\"");
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["accepted_tree_version"], 2);
    assert_problem(
        app.post_as(&province, &accept_path, &json!({"reason": "再次"}))
            .await,
        409,
    )
    .await;

    let tree: Value = app
        .get_json(&province, &format!("/api/v1/plans/{SEEDED}/targets"))
        .await;
    assert_eq!(tree["balanced"], true);
    assert_eq!(tree["change"]["kind"], "allocation");
    assert_eq!(tree["change"]["allocation_id"], id);
    assert_eq!(tree["change"]["reason"], "省厅批准分解方案");
    let suzhou = tree["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["region_code"] == "320500")
        .unwrap();
    assert_eq!(suzhou["value"], 2308);
    assert_eq!(suzhou["parent_code"], "320000");

    // The balanced tree can be published.
    let published = app
        .post_as(
            &province,
            &format!("/api/v1/plans/{SEEDED}/publish"),
            &json!({}),
        )
        .await;
    assert_eq!(published.status(), 200);
}

#[tokio::test]
async fn a_city_splits_its_own_share_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("city-split").await;
    app.put_target(&province, "city-split", "320000", "hte_count", "2025", 1300)
        .await;
    let manual: serde_json::Map<String, Value> = CITIES
        .iter()
        .map(|c| ((*c).to_owned(), json!(100)))
        .collect();
    app.split(
        &province,
        "city-split",
        &json!({"indicator": "hte_count", "period": "2025", "region_code": "320000",
                "method": "manual", "shares": manual}),
    )
    .await;

    let suzhou = app.token(Role::City, "320500");
    let weights = suzhou_splits_its_share_with_minimums(&app, &suzhou).await;
    nobody_else_splits_suzhous_share(&app, &suzhou, &weights).await;
    let nanjing = app.token(Role::City, "320100");
    let proposal =
        the_provinces_proposal_for_suzhou_is_not_nanjings(&app, &nanjing, &weights).await;
    // Reads are scoped like writes: Nanjing sees neither Suzhou's targets nor its proposals.
    let proposal_path = format!("/api/v1/plans/city-split/allocations/{proposal}");
    assert_eq!(app.get_as(&suzhou, &proposal_path).await.status(), 200);
    assert_problem(app.get_as(&nanjing, &proposal_path).await, 404).await;
    nanjing_reads_only_its_own_targets(&app, &nanjing).await;
    each_sees_the_proposals_of_its_own_regions(&app, (&province, &suzhou, &nanjing)).await;
}

/// Suzhou splits its 100 among its counties by weights 1, 2, … with two minimums of 8.
/// Returns the weights.
async fn suzhou_splits_its_share_with_minimums(
    app: &TestApp,
    suzhou: &str,
) -> serde_json::Map<String, Value> {
    let weights: serde_json::Map<String, Value> = SUZHOU_COUNTIES
        .iter()
        .enumerate()
        .map(|(i, c)| ((*c).to_owned(), json!(i + 1)))
        .collect();
    let minimums = json!({"320505": 8, "320506": 8});
    let accepted = app
        .split(
            suzhou,
            "city-split",
            &json!({"indicator": "hte_count", "period": "2025", "region_code": "320500",
                    "method": "proportional_with_minimums", "baseline": "weights",
                    "weights": weights, "minimums": minimums}),
        )
        .await;
    let split = shares(&accepted);
    assert_eq!(split.len(), SUZHOU_COUNTIES.len());
    assert_eq!(split.iter().map(|(_, s)| s).sum::<i64>(), 100);
    assert!(split[0].1 >= 8 && split[1].1 >= 8);
    assert_eq!(accepted["children"][0]["forced_to_minimum"], true);
    // Each unforced share is its quota rounded down or up.
    for child in accepted["children"].as_array().unwrap() {
        if child["forced_to_minimum"] == false {
            let diff = (child["share"].as_f64().unwrap() - child["quota"].as_f64().unwrap()).abs();
            assert!(diff < 1.0, "{child}");
        }
    }
    let tree: Value = app
        .get_json(suzhou, "/api/v1/plans/city-split/targets?region=320500")
        .await;
    assert_eq!(
        tree["targets"].as_array().unwrap().len(),
        1 + SUZHOU_COUNTIES.len()
    );
    assert_eq!(tree["balanced"], true);
    assert_eq!(tree["change"]["actor_role"], "city");
    weights
}

/// Nanjing's share is not Suzhou's to split, nor the province's target; counties and
/// auditors read only.
async fn nobody_else_splits_suzhous_share(
    app: &TestApp,
    suzhou: &str,
    weights: &serde_json::Map<String, Value>,
) {
    for region in ["320100", "320000"] {
        let body = json!({"indicator": "hte_count", "period": "2025", "region_code": region,
                          "method": "proportional", "baseline": "weights", "weights": {}});
        let response = app
            .post_as(suzhou, "/api/v1/plans/city-split/allocations", &body)
            .await;
        assert_problem(response, 403).await;
    }
    // Counties and auditors read only.
    for (role, region) in [(Role::County, "320583"), (Role::Auditor, "320000")] {
        let token = app.token(role, region);
        let body = json!({"indicator": "hte_count", "period": "2025", "region_code": "320500",
                          "method": "proportional", "baseline": "weights", "weights": weights});
        assert_problem(
            app.post_as(&token, "/api/v1/plans/city-split/allocations", &body)
                .await,
            403,
        )
        .await;
        assert_eq!(
            app.get_as(&token, "/api/v1/plans/city-split/allocations")
                .await
                .status(),
            200
        );
    }
}

/// A proposal by the province for Suzhou cannot be accepted by Nanjing. Returns its id.
async fn the_provinces_proposal_for_suzhou_is_not_nanjings(
    app: &TestApp,
    nanjing: &str,
    weights: &serde_json::Map<String, Value>,
) -> String {
    let province = app.province_token();
    let proposal: Value = app
        .post_as(
            &province,
            "/api/v1/plans/city-split/allocations",
            &json!({"indicator": "hte_count", "period": "2025", "region_code": "320500",
                    "method": "proportional", "baseline": "weights", "weights": weights}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .post_as(
            nanjing,
            &format!(
                "/api/v1/plans/city-split/allocations/{}/accept",
                proposal["id"].as_str().unwrap()
            ),
            &json!({"reason": "越权"}),
        )
        .await;
    // Another region's proposal looks absent, as its other records do.
    assert_problem(response, 404).await;
    proposal["id"].as_str().unwrap().to_owned()
}

async fn nanjing_reads_only_its_own_targets(app: &TestApp, nanjing: &str) {
    assert_problem(
        app.get_as(nanjing, "/api/v1/plans/city-split/targets?region=320500")
            .await,
        404,
    )
    .await;
    let own: Value = app
        .get_json(nanjing, "/api/v1/plans/city-split/targets")
        .await;
    let own_targets = own["targets"].as_array().unwrap();
    assert!(!own_targets.is_empty());
    assert!(
        own_targets
            .iter()
            .all(|t| t["region_code"].as_str().unwrap().starts_with("3201")),
        "{own}"
    );
}

/// The regions whose proposals each caller sees: its own and those below.
async fn each_sees_the_proposals_of_its_own_regions(
    app: &TestApp,
    (province, suzhou, nanjing): (&str, &str, &str),
) {
    assert_eq!(
        parents_seen(app, province).await,
        ["320000", "320500"].map(str::to_owned).into()
    );
    assert_eq!(
        parents_seen(app, suzhou).await,
        ["320500"].map(str::to_owned).into()
    );
    assert!(parents_seen(app, nanjing).await.is_empty());
    assert!(
        parents_seen(app, &app.token(Role::County, "320583"))
            .await
            .is_empty()
    );
}

async fn parents_seen(app: &TestApp, token: &str) -> std::collections::BTreeSet<String> {
    let page: Value = app
        .get_json(token, "/api/v1/plans/city-split/allocations?limit=100")
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["region_code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn bad_splits_are_refused_naming_the_child() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    let path = format!("/api/v1/plans/{SEEDED}/allocations");
    let mut manual: serde_json::Map<String, Value> = CITIES
        .iter()
        .map(|c| ((*c).to_owned(), json!(2000)))
        .collect();
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "manual", "shares": manual});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 422).await;
    assert_eq!(problem_fields(&problem), ["shares"]);
    assert!(problem["detail"].as_str().unwrap().contains("4000 fewer"));

    manual.insert("320100".into(), json!(-1));
    manual.remove("321300");
    manual.insert("320583".into(), json!(1));
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "manual", "shares": manual});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 422).await;
    assert_eq!(problem_fields(&problem), ["shares.320583", "shares.321300"]);

    let mut weights = equal_city_weights();
    weights["320100"] = json!(-3);
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "proportional", "baseline": "weights", "weights": weights});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 400).await;
    assert_eq!(problem_fields(&problem), ["weights.320100"]);
    // Beyond int64 (and beyond any sane weight).
    weights["320100"] = json!(18_446_744_073_709_551_615u64);
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "proportional", "baseline": "weights", "weights": weights});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 400).await;
    assert_eq!(problem_fields(&problem), ["weights.320100"]);
    // An input the method does not use is refused, not ignored.
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "proportional", "baseline": "weights",
                      "weights": equal_city_weights(), "minimums": {"320100": 3000}});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 422).await;
    assert_eq!(problem_fields(&problem), ["minimums"]);
    // Registry figures from the future do not exist.
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "proportional", "baseline": "hte", "baseline_as_of": "2099-01-01"});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 422).await;
    assert_eq!(problem_fields(&problem), ["baseline_as_of"]);

    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "proportional_with_minimums", "baseline": "weights",
                      "weights": equal_city_weights(), "minimums": {"320100": 30001}});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 422).await;
    assert_eq!(problem_fields(&problem), ["minimums"]);

    let zero: serde_json::Map<String, Value> =
        CITIES.iter().map(|c| ((*c).to_owned(), json!(0))).collect();
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                      "method": "proportional", "baseline": "weights", "weights": zero});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 422).await;
    assert_eq!(problem_fields(&problem), ["baseline"]);

    // A region without a target cannot be split; a county has no children.
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320500",
                      "method": "proportional", "baseline": "weights", "weights": {}});
    assert_problem(app.post_as(&province, &path, &body).await, 409).await;
    let body = json!({"indicator": "hte_count", "period": "2020", "region_code": "320583",
                      "method": "manual", "shares": {}});
    let problem = assert_problem(app.post_as(&province, &path, &body).await, 422).await;
    assert_eq!(problem_fields(&problem), ["region_code"]);
}

#[tokio::test]
async fn a_proposal_goes_stale_when_its_parent_changes() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("stale").await;
    app.put_target(&province, "stale", "320000", "hte_count", "2025", 1300)
        .await;
    let body = json!({"indicator": "hte_count", "period": "2025", "region_code": "320000",
                      "method": "proportional", "baseline": "weights", "weights": equal_city_weights()});
    let first = propose(&app, &body).await;
    let second = propose(&app, &body).await;
    assert_eq!(shares(&first), shares(&second), "deterministic");
    // Accepting the second supersedes the first.
    let accept = |id: &str| format!("/api/v1/plans/stale/allocations/{id}/accept");
    let ok = app
        .post_as(
            &province,
            &accept(second["id"].as_str().unwrap()),
            &json!({"reason": "同意"}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let first_now: Value = app
        .get_json(
            &province,
            &format!(
                "/api/v1/plans/stale/allocations/{}",
                first["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(first_now["status"], "superseded");

    let third = propose(&app, &body).await;
    app.put_target(&province, "stale", "320000", "hte_count", "2025", 1400)
        .await;
    let problem = assert_problem(
        app.post_as(
            &province,
            &accept(third["id"].as_str().unwrap()),
            &json!({"reason": "同意"}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("propose again")
    );

    the_list_pages_by_cursor_within_its_plan(&app, &third).await;
}

/// The province proposes `body` in the plan `stale`.
async fn propose(app: &TestApp, body: &Value) -> Value {
    let response = app
        .post_as(
            &app.province_token(),
            "/api/v1/plans/stale/allocations",
            body,
        )
        .await;
    response.json().await.unwrap()
}

/// Newest first, two a page; a cursor from this plan's list means nothing in another plan's.
async fn the_list_pages_by_cursor_within_its_plan(app: &TestApp, newest: &Value) {
    let province = app.province_token();
    let list: Value = app
        .get_json(&province, "/api/v1/plans/stale/allocations?limit=2")
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["items"][0]["id"], newest["id"]);
    let cursor = list["next_cursor"].as_str().unwrap().to_owned();
    let rest: Value = app
        .get_json(
            &province,
            &format!("/api/v1/plans/stale/allocations?limit=2&cursor={cursor}"),
        )
        .await;
    assert!(!rest["items"].as_array().unwrap().is_empty());
    assert_ne!(rest["items"][0]["id"], list["items"][0]["id"]);
    app.create_plan("other").await;
    let problem = assert_problem(
        app.get_as(
            &province,
            &format!("/api/v1/plans/other/allocations?cursor={cursor}"),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["cursor"]);
}
