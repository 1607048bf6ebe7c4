//! A plan's and a proposal's life: a draft plan deleted, a published one archived, a
//! proposal withdrawn by its proposer or rejected by the province, rivals superseded with an
//! audit entry each (hardening #19 item 15), and the audit chain verified.

use chrono::Duration;
use hte_shared::auth::Role;
use hte_shared::regions::RegionCode;
use serde_json::{Value, json};

use crate::helpers::{
    AllocationFixtures, CITIES, NOT_PROVINCE, SUZHOU_COUNTIES, TestApp, assert_json,
    assert_problem, equal_city_weights,
};

#[tokio::test]
async fn a_draft_plan_is_deleted_with_everything_under_it() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("scratch").await;
    app.set_city_targets("scratch", "hte_count", "2025", &[("320500", 10)])
        .await;
    let path = "/api/v1/plans/scratch";
    for (role, region) in NOT_PROVINCE {
        let token = app.token(role, region);
        assert_problem(app.delete_as(&token, path, Some("\"v1\"")).await, 403).await;
    }
    assert_problem(app.delete_as(&province, path, None).await, 428).await;
    assert_problem(app.delete_as(&province, path, Some("\"v9\"")).await, 412).await;
    let response = app.delete_as(&province, path, Some("\"v1\"")).await;
    assert_eq!(response.status(), 204);
    assert_problem(app.get_as(&province, path).await, 404).await;
    assert_problem(app.get_as(&province, &format!("{path}/targets")).await, 404).await;
    assert_problem(app.delete_as(&province, path, Some("\"v1\"")).await, 404).await;
    let audit = app.audit_of("scratch").await;
    let last = audit.last().unwrap();
    assert_eq!(last["action"], "delete");
    assert_eq!(last["before"]["id"], "scratch");
    assert_eq!(last["after"], Value::Null);
    // The id is free again.
    app.create_plan("scratch").await;

    // A published plan is archived, not deleted.
    let published = app
        .post_as(
            &province,
            "/api/v1/plans/jiangsu-2019-57/publish",
            &json!({}),
        )
        .await;
    assert_eq!(published.status(), 200);
    let etag = published.headers()["etag"].to_str().unwrap().to_owned();
    let refused = app
        .delete_as(&province, "/api/v1/plans/jiangsu-2019-57", Some(&etag))
        .await;
    assert_problem(refused, 409).await;
}

fn listed_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_archived_plan_leaves_the_lists_until_asked_for() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("old-plan").await;
    let seeded = "/api/v1/plans/jiangsu-2019-57";
    // A draft is deleted, not archived.
    assert_problem(
        app.post_as(&province, "/api/v1/plans/old-plan/archive", &json!({}))
            .await,
        409,
    )
    .await;
    app.post_as(&province, &format!("{seeded}/publish"), &json!({}))
        .await;
    for (role, region) in NOT_PROVINCE {
        let token = app.token(role, region);
        let response = app
            .post_as(&token, &format!("{seeded}/archive"), &json!({}))
            .await;
        assert_problem(response, 403).await;
    }
    let archived = app
        .post_as(&province, &format!("{seeded}/archive"), &json!({}))
        .await;
    let archived = assert_json(archived, 200).await;
    assert!(archived["archived_at"].is_string());
    assert_problem(
        app.post_as(&province, &format!("{seeded}/archive"), &json!({}))
            .await,
        409,
    )
    .await;
    let list = app.get_json(&province, "/api/v1/plans").await;
    assert_eq!(listed_ids(&list), ["old-plan"]);
    let all = app
        .get_as(&province, "/api/v1/plans?include_archived=true")
        .await;
    assert_eq!(
        listed_ids(&assert_json(all, 200).await),
        ["jiangsu-2019-57", "old-plan"]
    );
    // Still readable by id; and it can come back.
    assert_eq!(app.get_as(&province, seeded).await.status(), 200);
    let back = app
        .post_as(&province, &format!("{seeded}/unarchive"), &json!({}))
        .await;
    assert_eq!(assert_json(back, 200).await["archived_at"], Value::Null);
    let list = app.get_json(&province, "/api/v1/plans").await;
    assert_eq!(listed_ids(&list).len(), 2);
    let actions: Vec<Value> = app
        .audit_of("jiangsu-2019-57")
        .await
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert!(actions.ends_with(&[json!("publish"), json!("archive"), json!("unarchive")]));
}

/// A city's split of its 2025 target among its counties, proposed by `token`.
async fn propose_county_split(app: &TestApp, token: &str) -> Value {
    let weights: serde_json::Map<String, Value> = SUZHOU_COUNTIES
        .iter()
        .map(|c| ((*c).to_owned(), json!(1)))
        .collect();
    let body = json!({"indicator": "hte_count", "period": "2025", "region_code": "320500",
                      "method": "proportional", "baseline": "weights", "weights": weights});
    let response = app
        .post_as(token, "/api/v1/plans/life/allocations", &body)
        .await;
    assert_json(response, 201).await
}

#[tokio::test]
async fn proposals_are_withdrawn_by_their_proposer_and_rejected_by_the_province() {
    let app = TestApp::spawn().await;
    app.create_plan("life").await;
    app.set_city_targets("life", "hte_count", "2025", &[("320500", 100)])
        .await;
    let region = RegionCode::parse("320500").unwrap();
    let suzhou = app
        .keys
        .sign("suzhou-planner", Role::City, &region, Duration::hours(1))
        .unwrap();
    let proposal = propose_county_split(&app, &suzhou).await;
    assert_eq!(proposal["created_by"], "suzhou-planner");
    only_its_proposer_withdraws_a_proposal(&app, &suzhou, &proposal).await;
    // Rejection is the province's.
    let second = propose_county_split(&app, &suzhou).await;
    only_the_province_rejects_a_proposal(&app, &second).await;
    let actions: Vec<Value> = app
        .audit_of("life")
        .await
        .iter()
        .filter(|e| e["entity_type"] == "allocation")
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "withdraw").count(), 1);
    assert_eq!(actions.iter().filter(|a| *a == "reject").count(), 1);
}

/// Another Suzhou official, the province, read-only roles: not the proposer (403); Nanjing
/// and a Suzhou county do not see Suzhou's split at all (404). Its proposer withdraws it
/// with a reason and the current ETag, once.
async fn only_its_proposer_withdraws_a_proposal(app: &TestApp, suzhou: &str, proposal: &Value) {
    let path = format!(
        "/api/v1/plans/life/allocations/{}",
        proposal["id"].as_str().unwrap()
    );
    let reason = json!({"reason": "基数有误, 撤回重报"});
    for (token, status) in [
        (app.token(Role::City, "320500"), 403),
        (app.province_token(), 403),
        (app.token(Role::Auditor, "320000"), 403),
        (app.token(Role::Service, "320000"), 403),
        (app.token(Role::City, "320100"), 404),
        (app.token(Role::County, "320583"), 404),
    ] {
        let response = app
            .post_as(&token, &format!("{path}/withdraw"), &reason)
            .await;
        assert_problem(response, status).await;
    }
    assert_problem(
        app.post_as(suzhou, &format!("{path}/withdraw"), &json!({"reason": ""}))
            .await,
        400,
    )
    .await;
    let stale = app
        .send_with_etag(
            reqwest::Method::POST,
            suzhou,
            &format!("{path}/withdraw"),
            Some("\"v7\""),
            &reason,
        )
        .await;
    assert_problem(stale, 412).await;
    let withdrawn = app
        .post_as(suzhou, &format!("{path}/withdraw"), &reason)
        .await;
    assert_eq!(withdrawn.headers()["etag"], "\"v2\"");
    let withdrawn = assert_json(withdrawn, 200).await;
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(withdrawn["decision_reason"], "基数有误, 撤回重报");
    assert_problem(
        app.post_as(suzhou, &format!("{path}/accept"), &reason)
            .await,
        409,
    )
    .await;
}

async fn only_the_province_rejects_a_proposal(app: &TestApp, proposal: &Value) {
    let province = app.province_token();
    let path = format!(
        "/api/v1/plans/life/allocations/{}",
        proposal["id"].as_str().unwrap()
    );
    let why = json!({"reason": "与省定分解原则不符"});
    for (role, region, status) in [
        (Role::City, "320500", 403),
        (Role::Auditor, "320000", 403),
        (Role::Service, "320000", 403),
        (Role::County, "320583", 404),
    ] {
        let token = app.token(role, region);
        let response = app.post_as(&token, &format!("{path}/reject"), &why).await;
        assert_problem(response, status).await;
    }
    let rejected = assert_json(
        app.post_as(&province, &format!("{path}/reject"), &why)
            .await,
        200,
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decided_by"], "test-user");
    assert_problem(
        app.post_as(&province, &format!("{path}/reject"), &why)
            .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn accepting_one_proposal_supersedes_the_others_each_with_an_audit_entry() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    app.create_plan("rivals").await;
    app.put_target(&province, "rivals", "320000", "hte_count", "2025", 1300)
        .await;
    let body = json!({"indicator": "hte_count", "period": "2025", "region_code": "320000",
                      "method": "proportional", "baseline": "weights", "weights": equal_city_weights()});
    let path = "/api/v1/plans/rivals/allocations";
    let mut ids = Vec::new();
    for _ in 0..3 {
        let proposal = assert_json(app.post_as(&province, path, &body).await, 201).await;
        ids.push(proposal["id"].as_str().unwrap().to_owned());
    }
    let accepted = app
        .post_as(
            &province,
            &format!("{path}/{}/accept", ids[0]),
            &json!({"reason": "采用第一方案"}),
        )
        .await;
    assert_json(accepted, 200).await;
    for id in &ids[1..] {
        let rival = app.get_json(&province, &format!("{path}/{id}")).await;
        assert_eq!(rival["status"], "superseded");
        assert_eq!(rival["version"], 2);
        assert!(rival["decision_reason"].as_str().unwrap().contains(&ids[0]));
    }
    let superseded: Vec<Value> = app
        .audit_of("rivals")
        .await
        .into_iter()
        .filter(|e| e["action"] == "supersede")
        .collect();
    assert_eq!(superseded.len(), 2);
    for entry in &superseded {
        assert_eq!(entry["before"]["status"], "proposed");
        assert_eq!(entry["after"]["status"], "superseded");
    }
    assert_eq!(CITIES.len(), 13);

    // The chain holds, as the auditors and the province can check; nobody else may.
    for token in [app.province_token(), app.token(Role::Auditor, "320000")] {
        let report = app.get_json(&token, "/api/v1/audit/verification").await;
        assert_eq!(report["valid"], true);
        assert!(report["entries_checked"].as_u64().unwrap() >= 8);
    }
    for (role, region) in [
        (Role::City, "320500"),
        (Role::County, "320583"),
        (Role::Service, "320000"),
    ] {
        let token = app.token(role, region);
        assert_problem(app.get_as(&token, "/api/v1/audit/verification").await, 403).await;
    }
}
