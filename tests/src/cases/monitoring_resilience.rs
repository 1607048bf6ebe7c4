//! Monitoring against the real registry and allocation service over HTTP: certificates added
//! in the registry show in the next snapshot against the allocated targets; with the
//! registry stopped no snapshot is taken and the board answers the last figures marked
//! stale with their time (never a 500); with the registry started again, fresh figures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hte_shared::auth::Role;
use hte_shared::testing::assert_json;
use serde_json::{Value, json};

use super::monitoring_setup::{Firm, PLAN, item, value_of};
use crate::harness::Suite;

/// Splits the seeded 30,000 among the cities in proportion to their HTEs on 2020-06-30.
async fn allocate(suite: &Suite) {
    let province = suite.province_token();
    let response = suite
        .allocation
        .post_as(
            &province,
            &format!("/api/v1/plans/{PLAN}/allocations"),
            &json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                    "method": "proportional", "baseline": "hte", "baseline_as_of": "2020-06-30"}),
        )
        .await;
    let proposal = assert_json(response, 201).await;
    let id = proposal["id"].as_str().unwrap();
    let response = suite
        .allocation
        .post_as(
            &province,
            &format!("/api/v1/plans/{PLAN}/allocations/{id}/accept"),
            &json!({"reason": "按有效高企数分解"}),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn suzhou_board(suite: &Suite) -> Value {
    let response = suite
        .monitoring
        .get_as(
            &suite.token(Role::City, "320500"),
            &format!("/api/v1/indicators?plan={PLAN}"),
        )
        .await;
    assert_eq!(
        response.status(),
        200,
        "the board never fails for an upstream"
    );
    response.json().await.unwrap()
}

/// Builds the registry's screening readiness for `day` and waits until it is finished.
async fn build_readiness(suite: &Suite, day: &str) {
    let province = suite.province_token();
    let started = suite
        .registry
        .post_as(
            &province,
            &format!("/api/v1/candidates/readiness?as_of={day}"),
            &json!(null),
        )
        .await;
    assert_eq!(started.status(), 202);
    for _ in 0..200 {
        let builds: Value = suite
            .registry
            .get_json(&province, "/api/v1/candidates/readiness")
            .await;
        let finished = builds["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["screened_on"] == day && b["finished_at"].is_string());
        if finished {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the readiness build of {day} did not finish");
}

/// How many times the registry answered `GET /api/v1/candidates/summary` with 200.
async fn summary_reads(suite: &Suite) -> u64 {
    let metrics = suite.registry.metrics_text().await;
    metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total") || l.contains("_requests_total{"))
        .filter(|l| {
            l.contains("route=\"/api/v1/candidates/summary\"") && l.contains("status=\"200\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|n| n as u64)
        .sum()
}

#[tokio::test]
async fn snapshots_follow_the_registry_and_the_board_degrades_to_stale_figures() {
    let mut suite = Suite::start_with(&[
        ("UPSTREAM_BREAKER_OPEN_SECS", "1"),
        ("UPSTREAM_RETRY_ATTEMPTS", "2"),
    ])
    .await;
    // Two HTEs in Kunshan (Suzhou), one in Xuanwu (Nanjing): the split is 20,000 : 10,000.
    suite.register(&Firm::hte("320583", 1, "2019-11-20")).await;
    suite.register(&Firm::hte("320583", 2, "2020-03-10")).await;
    suite.register(&Firm::hte("320102", 3, "2020-02-01")).await;
    allocate(&suite).await;

    june_counts_the_three_against_the_split(&suite).await;
    let july = a_firm_certified_in_july_counts_in_july(&suite).await;
    a_retake_reads_the_ready_pool_from_the_summary(&suite, &july).await;
    let taken_at = suzhou_board_shows_progress_change_and_forecast(&suite).await;
    without_the_registry_the_board_answers_stale_figures(&suite, &taken_at).await;
    // Started again (after the breaker's open second), the next snapshot is fresh.
    suite.restart_registry().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let august = suite.snapshot_id("2020-08").await;
    let board = suzhou_board(&suite).await;
    assert_eq!(board["stale"], false);
    assert_eq!(board["snapshot"]["id"], august.as_str());
    assert_eq!(board["snapshot"]["period"], "2020-08");
    assert_ne!(board["figures_taken_at"], taken_at);
    assert_eq!(item(&board, "hte_count")["value"], 3.0);
}

/// (count, target) of hte_count for a region in a snapshot.
fn count(snapshot: &Value, region: &str) -> (i64, Option<f64>) {
    let v = value_of(snapshot, "hte_count", region);
    (v["numerator"].as_i64().unwrap(), v["target"].as_f64())
}

async fn june_counts_the_three_against_the_split(suite: &Suite) {
    let june = suite.snapshot_id("2020-06").await;
    let snapshot = suite
        .monitoring_get(&format!("/api/v1/snapshots/{june}"))
        .await;
    assert_eq!(count(&snapshot, "320500"), (2, Some(20000.0)));
    assert_eq!(count(&snapshot, "320100"), (1, Some(10000.0)));
    assert_eq!(count(&snapshot, "320000"), (3, Some(30000.0)));
    assert_eq!(
        snapshot["snapshot"]["plan_tree_version"], 2,
        "the accepted split"
    );
}

/// A firm certified in July shows in July's snapshot, against the same targets. Returns the
/// July snapshot's id.
async fn a_firm_certified_in_july_counts_in_july(suite: &Suite) -> String {
    let code = suite
        .register(&Firm {
            certified_on: None,
            ..Firm::hte("320583", 4, "")
        })
        .await;
    suite.certify(&code, 4, "2020-07-15").await;
    let july = suite.snapshot_id("2020-07").await;
    let snapshot = suite
        .monitoring_get(&format!("/api/v1/snapshots/{july}"))
        .await;
    assert_eq!(count(&snapshot, "320500"), (3, Some(20000.0)));
    assert_eq!(count(&snapshot, "320583"), (3, None));
    assert_eq!(count(&snapshot, "320000"), (4, Some(30000.0)));
    assert_eq!(value_of(&snapshot, "new_hte", "320500")["numerator"], 2);
    july
}

/// With the registry's readiness built for July's last day, July retaken reads the ready
/// pool firms from its counts (one indexed query), not from the whole ranking as CSV.
async fn a_retake_reads_the_ready_pool_from_the_summary(suite: &Suite, july: &str) {
    build_readiness(suite, "2020-07-31").await;
    let before = summary_reads(suite).await;
    let retaken = suite.snapshot_id("2020-07").await;
    assert_ne!(retaken, july, "a new revision");
    assert_eq!(
        summary_reads(suite).await,
        before + 1,
        "read from the summary"
    );
}

/// Suzhou's board: 3 of 20,000; 环比 +1 on June's 2 (+50%); a trend through (06-30, 2) and
/// (07-31, 3) reaches 3 + 153/31 ≈ 7.94 by 2020-12-31, and no firm is ready in the pool.
/// Returns when its figures were taken.
async fn suzhou_board_shows_progress_change_and_forecast(suite: &Suite) -> Value {
    let board = suzhou_board(suite).await;
    assert_eq!(board["stale"], false);
    let hte_count = item(&board, "hte_count");
    assert_eq!(
        (hte_count["value"].as_f64(), hte_count["target"].as_f64()),
        (Some(3.0), Some(20000.0))
    );
    assert_eq!(hte_count["previous"]["period"], "2020-06");
    assert_eq!(
        (
            hte_count["previous"]["delta"].as_f64(),
            hte_count["previous"]["relative"].as_f64()
        ),
        (Some(1.0), Some(0.5))
    );
    let forecast = &hte_count["forecast"];
    assert_eq!(forecast["status"], "projected");
    assert!(
        (forecast["value"].as_f64().unwrap() - (3.0 + 153.0 / 31.0)).abs() < 1e-9,
        "{forecast}"
    );
    assert_eq!(
        (
            forecast["ready_firms"].as_i64(),
            forecast["misses_target"].as_bool()
        ),
        (Some(0), Some(true))
    );
    board["figures_taken_at"].clone()
}

/// The registry stops: no August snapshot (503, nothing recorded); the board answers July's
/// figures, stale, with their time.
async fn without_the_registry_the_board_answers_stale_figures(suite: &Suite, taken_at: &Value) {
    suite.stop_registry().await;
    let response = suite.snapshot("2020-08").await;
    assert_eq!(response.status(), 503);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:jiangsu-hte:problem:upstream-unavailable"
    );
    let board = suzhou_board(suite).await;
    assert_eq!(board["stale"], true);
    assert_eq!(
        (
            board["snapshot"]["period"].as_str(),
            &board["figures_taken_at"]
        ),
        (Some("2020-07"), taken_at)
    );
    let registry = board["upstreams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["service"] == "enterprise-registry")
        .unwrap();
    assert_eq!(registry["down"], true);
    assert!(registry["breaker"]["last_failure"].is_string());
    assert_eq!(item(&board, "hte_count")["value"], 3.0);
    let listed = suite
        .monitoring_get(&format!("/api/v1/snapshots?plan={PLAN}"))
        .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        3,
        "June, July and July's revision"
    );
}
