//! Two monitoring replicas on one database, both running the schedule every second, take
//! exactly one snapshot of the due period: each holds the period's lease while it works, and
//! a complete scheduled snapshot ends the period's schedule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use monitoring::app::scheduler::due_period;
use monitoring::domain::period::PeriodKind;
use serde_json::{Value, json};

use crate::harness::Suite;

const PLAN: &str = "schedule-test";

async fn scheduled_snapshots(suite: &Suite, address: &str) -> Vec<Value> {
    let response = suite
        .client
        .get(format!("{address}/api/v1/snapshots?plan={PLAN}"))
        .bearer_auth(suite.province_token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn two_replicas_take_one_snapshot_per_period() {
    let mut suite = Suite::start_with(&[
        ("MONITORING_SCHEDULE_PLANS", PLAN),
        ("MONITORING_SCHEDULE_TICK_SECS", "1"),
    ])
    .await;
    let second = suite.second_monitoring().await;
    // A plan around today, so last month is due.
    let today = hte_shared::time::today();
    let year: i32 = today.to_string()[..4].parse().unwrap();
    let plan = json!({
        "id": PLAN, "name": "定期快照测试规划",
        "starts_on": format!("{}-01-01", year - 1),
        "ends_on": format!("{}-12-31", year + 1),
        "indicators": [{"key": "hte_count", "name_zh": "高新技术企业总数", "name_en": "Valid HTEs",
            "unit": "enterprises", "comparator": "at_least", "target_value": 100,
            "source": "registry", "splittable": true, "measure": "hte"}]
    });
    let response = suite
        .post_allocation_as_province("/api/v1/plans", &plan)
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let deadline = Instant::now() + Duration::from_secs(30);
    let first = suite.monitoring.address.clone();
    while scheduled_snapshots(&suite, &first).await.is_empty() {
        assert!(Instant::now() < deadline, "no scheduled snapshot was taken");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both replicas keep ticking: still one snapshot, seen alike by both.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let period = due_period(PeriodKind::Month, today).unwrap();
    for address in [&first, &second] {
        let items = scheduled_snapshots(&suite, address).await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["period"], period.to_string());
        assert_eq!(items[0]["as_of"], period.ends_on().to_string());
        assert_eq!(items[0]["triggered_by"], "scheduled");
        assert_eq!(items[0]["status"], "complete");
        assert_eq!(items[0]["taken_by"], "system:scheduler");
    }
}
