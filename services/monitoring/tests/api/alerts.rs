//! Alerts: listed with filters within the reader's region, acknowledged with a note and
//! If-Match by the region's officials, kept once resolved. The alerts are set up through
//! monitoring's storage as a snapshot would record them (the cross-service tests have
//! snapshots raise them).

use hte_shared::auth::Role;
use hte_shared::db::DbError;
use hte_shared::problem::types;
use hte_shared::regions::RegionCode;
use hte_shared::testing::problem_fields;
use monitoring::db::alerts::{self, AlertScope};
use monitoring::domain::alert::{AlertCondition, AlertKind, Severity};
use serde_json::{Value, json};

use reqwest::Method;

use crate::helpers::{App, assert_json, assert_problem, assert_problem_type, etag, spawn};

fn condition(kind: AlertKind, severity: Severity, region: &str) -> AlertCondition {
    let plan = matches!(
        kind,
        AlertKind::BehindSchedule | AlertKind::OffTrackForecast
    );
    AlertCondition {
        kind,
        severity,
        plan_id: plan.then(|| "jiangsu-2019-57".to_owned()),
        indicator: plan.then(|| "hte_count".to_owned()),
        region: RegionCode::parse(region).unwrap(),
        figures: json!({"completion": 0.4, "expected_completion": 0.75}),
        message_zh: format!("{region}落后于时序进度"),
        message_en: format!("{region} is behind schedule"),
    }
}

/// Opens the alerts, then resolves every open one of `resolve_kind` not among them.
async fn record(app: &App, conditions: Vec<AlertCondition>, resolve_kind: Option<AlertKind>) {
    app.db
        .write(move |conn| {
            let now = hte_shared::time::now();
            for c in &conditions {
                alerts::record_seen(conn, c, None, now)?;
            }
            if let Some(kind) = resolve_kind {
                let scope = AlertScope {
                    kinds: vec![kind.key().to_owned()],
                    ..AlertScope::default()
                };
                alerts::resolve_missing(conn, &scope, &conditions, now)?;
            }
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
}

fn regions_of(page: &Value) -> Vec<String> {
    let mut codes: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["region_code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

async fn seeded() -> App {
    let app = spawn().await;
    record(
        &app,
        vec![
            condition(AlertKind::BehindSchedule, Severity::Critical, "320500"),
            condition(AlertKind::BehindSchedule, Severity::Warning, "320100"),
            condition(AlertKind::CertificatesExpiring, Severity::Warning, "320583"),
            condition(
                AlertKind::AnnualReportsMissing,
                Severity::Critical,
                "320102",
            ),
        ],
        None,
    )
    .await;
    // Nanjing catches up: its schedule alert is resolved, and kept.
    record(
        &app,
        vec![condition(
            AlertKind::BehindSchedule,
            Severity::Critical,
            "320500",
        )],
        Some(AlertKind::BehindSchedule),
    )
    .await;
    app
}

#[tokio::test]
async fn alerts_are_listed_by_kind_severity_status_and_region_subtree() {
    let app = seeded().await;
    let province = app.province_token();
    let list = |query: &str| {
        let app = &app;
        let path = format!("/api/v1/alerts{query}");
        let token = province.clone();
        async move { app.get_json(&token, &path).await }
    };
    assert_eq!(
        regions_of(&list("").await),
        ["320100", "320102", "320500", "320583"]
    );
    assert_eq!(regions_of(&list("?status=resolved").await), ["320100"]);
    assert_eq!(
        regions_of(&list("?status=open").await),
        ["320102", "320500", "320583"]
    );
    assert_eq!(
        regions_of(&list("?severity=critical").await),
        ["320102", "320500"]
    );
    assert_eq!(
        regions_of(&list("?kind=certificates_expiring,annual_reports_missing").await),
        ["320102", "320583"]
    );
    assert_eq!(
        regions_of(&list("?region=320500").await),
        ["320500", "320583"]
    );
    assert_eq!(
        regions_of(&list("?plan=jiangsu-2019-57&status=open,resolved").await),
        ["320100", "320500"]
    );
    let first = list("?limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = list(&format!("?limit=1&cursor={cursor}")).await;
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);

    // A city sees its own subtree only.
    let suzhou = app.token(Role::City, "320500");
    let page = app.get_json(&suzhou, "/api/v1/alerts").await;
    assert_eq!(regions_of(&page), ["320500", "320583"]);
    let response = app.get_as(&suzhou, "/api/v1/alerts?region=320100").await;
    assert_problem_type(response, 403, types::FORBIDDEN).await;
    let response = app
        .get_as(
            &province,
            "/api/v1/alerts?kind=late&severity=dire&status=gone",
        )
        .await;
    let problem = assert_problem(response, 400).await;
    let fields = problem_fields(&problem);
    assert_eq!(fields, ["kind", "severity", "status"]);
    let alert = &list("?region=320583").await["items"][0];
    assert_eq!(alert["kind_name_zh"], "高企证书即将到期");
    assert_eq!(alert["severity_name_zh"], "警告");
    assert_eq!(alert["region_name"], "昆山市");
}

#[tokio::test]
async fn officials_acknowledge_their_alerts_with_a_note_and_if_match() {
    let app = seeded().await;
    let province = app.province_token();
    let page = app
        .get_json(
            &province,
            "/api/v1/alerts?region=320500&kind=behind_schedule",
        )
        .await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/alerts/{id}");
    let ack = format!("{path}/acknowledgement");
    let note = json!({"note": "已约谈苏州市，督促加快培育"});

    let suzhou = app.token(Role::City, "320500");
    let response = app.get_as(&suzhou, &path).await;
    let tag = etag(&response);
    assert_eq!(assert_json(response, 200).await["status"], "open");
    refused_without_a_current_etag_a_note_or_the_right(&app, (&suzhou, &ack), &tag, &note).await;
    let response = app
        .send_with_etag(Method::POST, &suzhou, &ack, Some(&tag), &note)
        .await;
    assert_ne!(etag(&response), tag);
    let done = assert_json(response, 200).await;
    assert_eq!(done["status"], "acknowledged");
    assert_eq!(done["acknowledgement"]["by"], "test-user");
    assert_eq!(
        done["acknowledgement"]["note"],
        "已约谈苏州市，督促加快培育"
    );
    let listed = app
        .get_json(&province, "/api/v1/alerts?status=acknowledged")
        .await;
    assert_eq!(regions_of(&listed), ["320500"]);
    let audit = app.get_json(&province, "/api/v1/audit/verification").await;
    assert_eq!(
        (audit["valid"].as_bool(), audit["entries_checked"].as_i64()),
        (Some(true), Some(1))
    );

    a_resolved_alert_is_kept_as_it_was(&app, &note).await;
}

/// Without If-Match (428), with a stale one (412), with an empty note (400), by a
/// read-only role (403) or another region (404): refused.
async fn refused_without_a_current_etag_a_note_or_the_right(
    app: &App,
    (suzhou, ack): (&str, &str),
    tag: &str,
    note: &Value,
) {
    let response = app
        .send_with_etag(Method::POST, suzhou, ack, None, note)
        .await;
    assert_problem_type(response, 428, types::PRECONDITION_REQUIRED).await;
    let response = app
        .send_with_etag(Method::POST, suzhou, ack, Some("\"v9\""), note)
        .await;
    assert_problem_type(response, 412, types::PRECONDITION_FAILED).await;
    let response = app
        .send_with_etag(Method::POST, suzhou, ack, Some(tag), &json!({"note": "  "}))
        .await;
    assert_eq!(
        assert_problem(response, 400).await["errors"][0]["field"],
        "note"
    );
    for (token, status) in [
        (app.token(Role::Auditor, "320000"), 403),
        (app.token(Role::City, "320100"), 404),
        (app.token(Role::County, "320583"), 404),
    ] {
        let response = app
            .send_with_etag(Method::POST, &token, ack, Some(tag), note)
            .await;
        assert_problem(response, status).await;
    }
}

/// A resolved alert is kept as it was; asked in Chinese, the refusal is explained in Chinese.
async fn a_resolved_alert_is_kept_as_it_was(app: &App, note: &Value) {
    let province = app.province_token();
    let resolved = app
        .get_json(&province, "/api/v1/alerts?status=resolved")
        .await;
    let id = resolved["items"][0]["id"].as_str().unwrap();
    let response = app.get_as(&province, &format!("/api/v1/alerts/{id}")).await;
    let tag = etag(&response);
    let ack = format!("/api/v1/alerts/{id}/acknowledgement");
    let response = app
        .send_in_chinese((Method::POST, &ack), Some(&tag), Some(note))
        .await;
    let problem = assert_problem_type(response, 409, types::CONFLICT).await;
    assert_eq!(problem["detail"], "预警已解除，保持原状，不能再确认");
}
