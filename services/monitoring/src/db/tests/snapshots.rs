use chrono::{Duration, NaiveDateTime};

use super::{Store, at, d};
use crate::db::events;
use crate::db::leases;
use crate::db::snapshots::{
    self, NewSnapshot, Recorded, SnapshotFilter, SnapshotIndicatorRow, SnapshotRow,
    SnapshotValueRow,
};

const PLAN: &str = "jiangsu-2019-57";

fn snapshot(
    period: &str,
    as_of: &str,
    triggered_by: &str,
    status: &str,
    taken_at: &str,
) -> SnapshotRow {
    SnapshotRow {
        id: uuid::Uuid::new_v4().to_string(),
        plan_id: PLAN.to_owned(),
        period: period.to_owned(),
        revision: 0,
        as_of: d(as_of),
        report_year: 2019,
        triggered_by: triggered_by.to_owned(),
        status: status.to_owned(),
        partial_reason: (status == "partial").then(|| "enterprise-registry unreachable".to_owned()),
        plan_tree_version: Some(3),
        taken_by: "scheduler".to_owned(),
        taken_at: at(taken_at),
    }
}

/// A snapshot of September 2020 taken on 1 October.
fn september(triggered_by: &str, status: &str) -> SnapshotRow {
    snapshot(
        "2020-09",
        "2020-09-30",
        triggered_by,
        status,
        "2020-10-01 01:00:00",
    )
}

fn value(
    indicator: &str,
    region: &str,
    numerator: i64,
    denominator: Option<i64>,
) -> SnapshotValueRow {
    SnapshotValueRow {
        snapshot_id: String::new(),
        indicator_key: indicator.to_owned(),
        region_code: region.to_owned(),
        numerator: Some(numerator),
        denominator,
        value: Some(denominator.map_or(numerator as f64, |d| numerator as f64 / d as f64)),
        missing_reason: None,
        target: Some("30000".to_owned()),
        sources_json: r#"[{"service":"enterprise-registry"}]"#.to_owned(),
    }
}

fn indicator(key: &str, position: i32) -> SnapshotIndicatorRow {
    SnapshotIndicatorRow {
        snapshot_id: String::new(),
        indicator_key: key.to_owned(),
        position,
        definition_json: format!(r#"{{"key":"{key}"}}"#),
        window_starts_on: d("2019-01-01"),
        window_ends_on: d("2020-12-31"),
        expected_completion: 0.75,
    }
}

fn new(row: SnapshotRow, values: Vec<SnapshotValueRow>) -> NewSnapshot {
    NewSnapshot {
        snapshot: row,
        indicators: vec![indicator("zone_hte_share", 2), indicator("hte_count", 1)],
        values,
    }
}

fn inserted(recorded: Recorded) -> SnapshotRow {
    match recorded {
        Recorded::Inserted(row) => row,
        other => panic!("expected a recorded snapshot, got {other:?}"),
    }
}

/// Records `snapshot` at `now` without a lease: the row it was inserted as.
async fn recorded(store: &Store, snapshot: NewSnapshot, now: NaiveDateTime) -> SnapshotRow {
    inserted(
        store
            .write(move |c| snapshots::record(c, snapshot, None, now))
            .await,
    )
}

#[tokio::test]
async fn retaking_a_period_adds_a_revision_and_keeps_the_first() {
    let store = Store::new();
    let now = at("2020-10-01 01:00:00");
    let first = new(
        snapshot(
            "2020-Q3",
            "2020-09-30",
            "scheduled",
            "complete",
            "2020-10-01 01:00:00",
        ),
        vec![
            value("hte_count", "320500", 1000, None),
            value("hte_count", "320100", 900, None),
            value("zone_hte_share", "320500", 550, Some(1000)),
        ],
    );
    let second = new(
        snapshot(
            "2020-Q3",
            "2020-09-30",
            "on_demand",
            "complete",
            "2020-10-02 01:00:00",
        ),
        vec![value("hte_count", "320500", 1001, None)],
    );
    let one = recorded(&store, first, now).await;
    let two = recorded(&store, second, now).await;
    assert_eq!((one.revision, two.revision), (1, 2));

    let latest = store
        .read(|c| snapshots::latest(c, PLAN, "2020-Q3"))
        .await
        .unwrap();
    assert_eq!(latest, two);
    let id = one.id.clone();
    assert_eq!(
        store.read(move |c| snapshots::find(c, &id)).await,
        Some(one.clone())
    );
    its_indicators_and_values_are_read_back(&store, &one).await;
    the_list_pages_newest_first(&store, (&one, &two)).await;
    each_revision_is_an_event_fanned_out_with_it(&store, &one).await;
}

/// A snapshot's indicators in the plan's order, its values by indicator and region, all or
/// some.
async fn its_indicators_and_values_are_read_back(store: &Store, one: &SnapshotRow) {
    let id = one.id.clone();
    let keys: Vec<String> = store
        .read(move |c| snapshots::indicators_of(c, &id))
        .await
        .into_iter()
        .map(|i| i.indicator_key)
        .collect();
    assert_eq!(keys, ["hte_count", "zone_hte_share"], "in the plan's order");

    let id = one.id.clone();
    let all = store
        .read(move |c| snapshots::values_of(c, &id, None, None))
        .await;
    let seen: Vec<(&str, &str, Option<i64>)> = all
        .iter()
        .map(|v| {
            (
                v.indicator_key.as_str(),
                v.region_code.as_str(),
                v.numerator,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("hte_count", "320100", Some(900)),
            ("hte_count", "320500", Some(1000)),
            ("zone_hte_share", "320500", Some(550)),
        ]
    );
    assert!(all.iter().all(|v| v.snapshot_id == one.id));
    let id = one.id.clone();
    let suzhou = store
        .read(move |c| {
            snapshots::values_of(c, &id, Some("hte_count"), Some(&["320500".to_owned()]))
        })
        .await;
    assert_eq!(suzhou.len(), 1);
    assert_eq!(suzhou[0].numerator, Some(1000));
}

/// Newest first, one page at a time.
async fn the_list_pages_newest_first(store: &Store, (one, two): (&SnapshotRow, &SnapshotRow)) {
    let filter = SnapshotFilter {
        plan_id: Some(PLAN.to_owned()),
        period: Some("2020-Q3".to_owned()),
    };
    let f = filter.clone();
    let page = store.read(move |c| snapshots::list(c, &f, None, 1)).await;
    assert_eq!(page, vec![two.clone()]);
    let cursor = Some((two.taken_at, two.id.clone()));
    let page = store
        .read(move |c| snapshots::list(c, &filter, cursor, 1))
        .await;
    assert_eq!(page, vec![one.clone()]);
}

/// Each revision is a `snapshot.taken` event, fanned out (to no subscription here) in the
/// transaction that recorded it.
async fn each_revision_is_an_event_fanned_out_with_it(store: &Store, one: &SnapshotRow) {
    let events = store.read(|c| events::after(c, 0, 10)).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["snapshot.taken", "snapshot.taken"]);
    assert_eq!(events[0].subject_id, one.id);
    let payload: serde_json::Value = serde_json::from_str(&events[1].payload_json).unwrap();
    assert_eq!(payload["revision"], 2);
    assert!(events.iter().all(|e| e.dispatched_at == Some(e.created_at)));
    let first = events[0].seq;
    let later = store.read(move |c| events::after(c, first, 10)).await;
    assert_eq!(later, events[1..]);
}

#[tokio::test]
async fn one_complete_scheduled_snapshot_per_period() {
    let store = Store::new();
    let now = at("2020-10-01 01:00:00");
    let take = |triggered_by, status| new(september(triggered_by, status), vec![]);
    let partial = take("scheduled", "partial");
    let complete = take("scheduled", "complete");
    let again = take("scheduled", "complete");
    let on_demand = take("on_demand", "complete");
    let partial = recorded(&store, partial, now).await;
    assert!(
        !store
            .read(|c| snapshots::has_complete_scheduled(c, PLAN, "2020-09"))
            .await
    );
    let complete = recorded(&store, complete, now).await;
    assert_eq!((partial.revision, complete.revision), (1, 2));
    assert!(
        store
            .read(|c| snapshots::has_complete_scheduled(c, PLAN, "2020-09"))
            .await
    );
    let outcome = store
        .write(move |c| snapshots::record(c, again, None, now))
        .await;
    assert_eq!(outcome, Recorded::ScheduledExists);
    let retaken = recorded(&store, on_demand, now).await;
    assert_eq!(retaken.revision, 3, "officials may still retake the period");
}

#[tokio::test]
async fn a_holder_whose_lease_was_taken_over_records_nothing() {
    let store = Store::new();
    let t0 = at("2020-10-01 01:00:00");
    let ttl = Duration::minutes(10);
    let lease = "snapshot:jiangsu-2019-57:2020-09";
    let slow = store
        .write(move |c| leases::acquire(c, lease, "replica-a", t0, ttl))
        .await
        .unwrap();
    let later = t0 + Duration::minutes(11);
    let fast = store
        .write(move |c| leases::acquire(c, lease, "replica-b", later, ttl))
        .await
        .unwrap();
    assert!(fast.token > slow.token);
    let late = new(september("scheduled", "complete"), vec![]);
    let outcome = store
        .write(move |c| snapshots::record(c, late, Some(&slow), later + Duration::minutes(1)))
        .await;
    assert_eq!(outcome, Recorded::LeaseLost);
    let on_time = new(september("scheduled", "complete"), vec![]);
    let row = inserted(
        store
            .write(move |c| {
                snapshots::record(c, on_time, Some(&fast), later + Duration::minutes(1))
            })
            .await,
    );
    assert_eq!(row.revision, 1, "the lost holder left no revision behind");
}

#[tokio::test]
async fn a_snapshot_lands_whole_or_not_at_all() {
    let store = Store::new();
    let now = at("2020-10-01 01:00:00");
    // 1,200 values (more than two INSERT chunks), the last one breaking a constraint: a
    // value with neither a figure nor a missing reason.
    let many = || -> Vec<SnapshotValueRow> {
        (0..1200)
            .map(|i| value("hte_count", &format!("{:06}", 320000 + i), i, None))
            .collect()
    };
    let mut values = many();
    values[1199].numerator = None;
    let broken = new(september("on_demand", "complete"), values);
    let failed = store
        .db
        .write(move |c| {
            snapshots::record(c, broken, None, now).map_err(hte_shared::db::DbError::from)
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(
        store.read(|c| snapshots::latest(c, PLAN, "2020-09")).await,
        None
    );
    assert!(store.read(|c| events::after(c, 0, 10)).await.is_empty());

    let values = many();
    let whole = new(september("on_demand", "complete"), values);
    let row = recorded(&store, whole, now).await;
    let id = row.id.clone();
    assert_eq!(
        store
            .read(move |c| snapshots::values_of(c, &id, None, None))
            .await
            .len(),
        1200
    );
}

#[tokio::test]
async fn concurrent_retakes_get_distinct_revisions() {
    let store = Store::new();
    let now = at("2020-10-01 01:00:00");
    let a = new(september("on_demand", "complete"), vec![]);
    let b = new(september("on_demand", "complete"), vec![]);
    let (x, y) = tokio::join!(recorded(&store, a, now), recorded(&store, b, now));
    let mut revisions = vec![x.revision, y.revision];
    revisions.sort();
    assert_eq!(revisions, [1, 2]);
}

#[tokio::test]
async fn a_series_takes_the_latest_revision_of_each_period() {
    let store = Store::new();
    let now = at("2020-10-01 01:00:00");
    let takes = vec![
        ("2020-Q1", "2020-03-31", 800, "2020-04-01 01:00:00"),
        ("2020-Q2", "2020-06-30", 850, "2020-07-01 01:00:00"),
        ("2020-Q2", "2020-06-30", 870, "2020-07-05 01:00:00"),
        ("2020-Q3", "2020-09-30", 900, "2020-10-01 01:00:00"),
    ];
    for (period, as_of, n, taken_at) in takes {
        let snap = new(
            snapshot(period, as_of, "on_demand", "complete", taken_at),
            vec![
                value("hte_count", "320500", n, None),
                value("hte_count", "320100", n * 2, None),
                value("zone_hte_share", "320500", n / 2, Some(n)),
            ],
        );
        recorded(&store, snap, now).await;
    }
    let series = store
        .read(|c| snapshots::series(c, PLAN, "hte_count", "320500"))
        .await;
    let points: Vec<(&str, i32, Option<i64>)> = series
        .iter()
        .map(|(s, v)| (s.period.as_str(), s.revision, v.numerator))
        .collect();
    assert_eq!(
        points,
        [
            ("2020-Q1", 1, Some(800)),
            ("2020-Q2", 2, Some(870)),
            ("2020-Q3", 1, Some(900))
        ]
    );
    let other_plan = store
        .read(|c| snapshots::series(c, "jiangsu-2021-2025", "hte_count", "320500"))
        .await;
    assert!(other_plan.is_empty());
}
