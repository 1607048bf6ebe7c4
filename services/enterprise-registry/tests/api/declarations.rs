//! Declared facts (申报与评审事实) over HTTP: recorded with source and who entered them,
//! validated at the edge, withdrawn with a reason, audited, and read by the assessment.

use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body, hte_condition,
    status_for_rule,
};

/// A firm meeting every HTE data condition whose innovation score is open: computed items
/// give 37 points (IP 7, conversions 25, net-asset growth 5, sales growth 0).
async fn firm(app: &TestApp, serial: u32) -> String {
    let code = credit_code("320583", serial);
    app.create_enterprise(&enterprise_body(&code, "320583", "申报事实测试有限公司"))
        .await;
    app.file_three_reports(&code, 2_000_000, 12).await;
    code
}

async fn declare(app: &TestApp, code: &str, body: Value) -> reqwest::Response {
    app.post_as(
        &app.province_token(),
        &format!("/api/v1/enterprises/{code}/declarations"),
        &body,
    )
    .await
}

async fn declarations(app: &TestApp, code: &str) -> Value {
    let path = format!("/api/v1/enterprises/{code}/declarations");
    let response = app.get_as(&app.province_token(), &path).await;
    response.json().await.unwrap()
}

async fn hte(app: &TestApp, code: &str) -> Value {
    let assessment: Value = app
        .get_json(
            &app.province_token(),
            &format!("/api/v1/enterprises/{code}/assessment?as_of=2026-06-01"),
        )
        .await;
    assessment["hte"].clone()
}

#[tokio::test]
async fn entered_scores_and_a_clean_record_make_a_firm_qualify() {
    let app = TestApp::spawn().await;
    let code = firm(&app, 31).await;
    let before = hte(&app, &code).await;
    // 37 computed + 25.2 assumed: no pass yet, but 100 possible.
    assert_eq!(before["outcome"], "undetermined", "{before}");
    assert_eq!(before["score_breakdown"]["floor"], 37.0);
    assert_eq!(hte_condition(&before, "clean_record")["outcome"], "unknown");

    the_experts_score_each_open_item(&app, &code).await;
    let after_review = hte(&app, &code).await;
    // IP 7 + 22 = 29, conversions 25, growth 5, R&D management 19.5: 78.5 on entered scores
    // alone (the standards bonus, not entered, assumed at 0 %).
    let score = &after_review["score_breakdown"];
    assert_eq!(score["floor"], 78.5, "{score}");
    assert_eq!(score["points_at_risk"], 0.0);
    assert_eq!(
        hte_condition(&after_review, "innovation_score")["kind"],
        "data"
    );
    // Only the clean record is open now.
    assert_eq!(after_review["outcome"], "likely_qualifies");

    let clean = declare(
        &app,
        &code,
        json!({"kind": "clean_record", "dated_on": "2026-05-01", "source": "企业信用承诺书"}),
    )
    .await;
    assert_eq!(clean.status(), 201);
    let clean: Value = clean.json().await.unwrap();
    assert_eq!(clean["holds"], true);
    assert_eq!(hte(&app, &code).await["outcome"], "qualifies");

    let id = clean["id"].as_str().unwrap();
    a_withdrawn_declaration_no_longer_counts(&app, &code, id).await;
    // An incident in the period makes the firm fail the condition.
    let incident = declare(
        &app,
        &code,
        json!({"kind": "clean_record", "holds": false, "dated_on": "2025-09-01",
               "source": "生态环境部门行政处罚决定书"}),
    )
    .await;
    assert_eq!(incident.status(), 201);
    assert_eq!(hte(&app, &code).await["outcome"], "does_not_qualify");

    every_write_is_in_the_history(&app, &code).await;
}

/// The expert review's scores of the seven open items, each entered with who entered it.
async fn the_experts_score_each_open_item(app: &TestApp, code: &str) {
    for (item, points) in [
        ("ip_advancement", 8.0),
        ("ip_core_support", 8.0),
        ("ip_acquisition", 6.0),
        ("rd_management_system", 6.0),
        ("rd_unit_and_cooperation", 5.5),
        ("conversion_incentives", 4.0),
        ("talent_system", 4.0),
    ] {
        let response = declare(
            app,
            code,
            json!({"kind": "expert_score", "dated_on": "2026-05-20", "score_item": item,
                   "points": points, "source": "2026年专家评审会"}),
        )
        .await;
        assert_eq!(response.status(), 201);
        let view: Value = response.json().await.unwrap();
        assert_eq!(view["entered_by"], "test-user");
        assert_eq!(view["points"], points);
    }
}

/// Withdrawn, a declaration no longer counts, once; the list keeps it with the reason.
async fn a_withdrawn_declaration_no_longer_counts(app: &TestApp, code: &str, id: &str) {
    let path = format!("/api/v1/enterprises/{code}/declarations/{id}/withdraw");
    let body = json!({"withdrawn_on": "2026-05-15", "reason": "承诺书未盖章"});
    let withdrawn = app.post_as(&app.province_token(), &path, &body).await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(hte(app, code).await["outcome"], "likely_qualifies");
    let again = app.post_as(&app.province_token(), &path, &body).await;
    assert_problem(again, 409).await;
    let list = declarations(app, code).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    assert!(items.iter().any(|d| d["withdraw_reason"] == "承诺书未盖章"));
}

/// Every write is in the enterprise's audit history.
async fn every_write_is_in_the_history(app: &TestApp, code: &str) {
    let history: Value = app
        .get_json(
            &app.province_token(),
            &format!("/api/v1/enterprises/{code}/history?limit=100"),
        )
        .await;
    let declarations: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_type"] == "declaration")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(declarations.len(), 10, "{declarations:?}");
    assert_eq!(declarations.iter().filter(|a| **a == "withdraw").count(), 1);
}

#[tokio::test]
async fn declarations_are_parsed_at_the_edge() {
    let app = TestApp::spawn().await;
    let code = firm(&app, 32).await;
    // (body, field, rule)
    let cases = [
        (
            json!({"kind": "expert_score", "dated_on": "2026-05-20", "score_item": "ip_quantity",
                   "points": 5, "source": "评审会"}),
            "score_item",
            "expert_item",
        ),
        (
            json!({"kind": "expert_score", "dated_on": "2026-05-20", "score_item": "talent_system",
                   "points": 4.5, "source": "评审会"}),
            "points",
            "maximum",
        ),
        (
            json!({"kind": "expert_score", "dated_on": "2026-05-20", "score_item": "talent_system",
                   "points": 1.005, "source": "评审会"}),
            "points",
            "range",
        ),
        (
            json!({"kind": "expert_score", "dated_on": "2026-05-20", "score_item": "Talent",
                   "points": 1, "source": "评审会"}),
            "score_item",
            "pattern",
        ),
        (
            json!({"kind": "clean_record", "dated_on": "2026-05-01", "title": "x", "source": "承诺书"}),
            "title",
            "not_applicable",
        ),
        (
            json!({"kind": "national_award", "dated_on": "2024-01-01", "title": "国家技术发明奖二等奖",
                   "source": "公告"}),
            "completer_rank",
            "required_for_kind",
        ),
        (
            json!({"kind": "national_award", "dated_on": "2024-01-01", "title": "国家技术发明奖二等奖",
                   "completer_rank": 0, "source": "公告"}),
            "completer_rank",
            "range",
        ),
        (
            json!({"kind": "led_standard", "dated_on": "2024-01-01", "title": "GB/T 1-2024",
                   "source": "国家标准公告"}),
            "standard_level",
            "required_for_kind",
        ),
        (
            json!({"kind": "clean_record", "dated_on": "2999-01-01", "source": "承诺书"}),
            "dated_on",
            "not_in_future",
        ),
    ];
    for (body, field, rule) in cases {
        let status = status_for_rule(rule);
        let problem = assert_problem(declare(&app, &code, body.clone()).await, status).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["rule"], rule, "{body}: {problem}");
    }
    let unknown_kind = declare(
        &app,
        &code,
        json!({"kind": "rumour", "dated_on": "2026-05-01", "source": "传闻"}),
    )
    .await;
    assert_eq!(unknown_kind.status().as_u16() / 100, 4);

    // A county outside the firm's region cannot write or read its declarations.
    let elsewhere = app.token(Role::County, "320106");
    let body = json!({"kind": "led_standard", "dated_on": "2024-01-01", "title": "GB/T 1-2024",
                      "standard_level": "national", "source": "国家标准公告"});
    let denied = app
        .post_as(
            &elsewhere,
            &format!("/api/v1/enterprises/{code}/declarations"),
            &body,
        )
        .await;
    assert!(matches!(denied.status().as_u16(), 403 | 404));
    let local = app.token(Role::County, "320583");
    let ok = app
        .post_as(
            &local,
            &format!("/api/v1/enterprises/{code}/declarations"),
            &body,
        )
        .await;
    assert_eq!(ok.status(), 201);
    let view: Value = ok.json().await.unwrap();
    assert_eq!(
        (view["standard_level"].as_str(), view["title"].as_str()),
        (Some("national"), Some("GB/T 1-2024"))
    );
}

#[tokio::test]
async fn a_retried_declaration_is_recorded_once() {
    let app = TestApp::spawn().await;
    let code = firm(&app, 33).await;
    let body = json!({"kind": "national_award", "dated_on": "2024-01-09", "completer_rank": 2,
                      "title": "国家科学技术进步奖二等奖", "source": "国务院公告"});
    let send = || {
        app.client
            .post(app.url(&format!("/api/v1/enterprises/{code}/declarations")))
            .bearer_auth(app.province_token())
            .header("Idempotency-Key", "award-2024-retry")
            .json(&body)
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), 201);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(first["id"], replay["id"]);
    let list = declarations(&app, &code).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
