//! The webhook queue on a real database: fan-out with the event, claims, retries, pauses,
//! and a restart between attempts.

use std::collections::BTreeSet;

use chrono::{NaiveDateTime, TimeDelta};
use hte_shared::db::{Backend, Db, DbError};
use serde_json::json;

use super::{Store, at};
use crate::db::events;
use crate::db::webhooks::{self, Attempt, Changed, Claimed, SubscriptionFilter, SubscriptionRow};
use crate::domain::event::EventKind;
use crate::domain::webhook::retry::{Outcome, PauseRule};

fn subscription(id: &str, region: &str, kinds: &str, status: &str) -> SubscriptionRow {
    let created = at("2020-09-01 00:00:00");
    SubscriptionRow {
        id: id.to_owned(),
        region_code: region.to_owned(),
        event_kinds: kinds.to_owned(),
        target_url: format!("https://hooks.example.gov.cn/{id}"),
        secret: format!("whsec_{id}"),
        description: None,
        created_by: "province-official".to_owned(),
        created_at: created,
        status: status.to_owned(),
        status_reason: None,
        status_changed_at: created,
        consecutive_failures: 0,
        failing_since: None,
        last_success_at: None,
        version: 1,
    }
}

const ALL: &str = "snapshot.taken,alert.opened,alert.escalated,alert.resolved";

async fn subscribe(store: &Store, rows: Vec<SubscriptionRow>) {
    store
        .write(move |c| {
            for row in &rows {
                webhooks::create(c, row)?;
            }
            Ok(())
        })
        .await;
}

async fn append(store: &Store, kind: EventKind, region: &str, now: NaiveDateTime) {
    let region = region.to_owned();
    store
        .write(move |c| events::append(c, kind, &region, "subject-1", &json!({}), now))
        .await;
}

async fn claim(db: &Db, worker: &str, now: NaiveDateTime, limit: i64) -> Vec<Claimed> {
    let worker = worker.to_owned();
    db.write(move |c| {
        webhooks::claim_due(c, &worker, now, TimeDelta::seconds(60), limit).map_err(DbError::from)
    })
    .await
    .unwrap()
}

fn attempt(started_at: NaiveDateTime, status: Option<i32>) -> Attempt {
    Attempt {
        started_at,
        status_code: status,
        latency_ms: 42,
        error: match status {
            Some(code) if (200..300).contains(&code) => None,
            Some(code) => Some(format!("HTTP {code}")),
            None => Some("timed out after 10 s".to_owned()),
        },
    }
}

async fn record(
    db: &Db,
    claimed: &Claimed,
    attempt: Attempt,
    outcome: Outcome,
    rule: PauseRule,
) -> webhooks::Recorded {
    let (id, token, now) = (
        claimed.delivery.id.clone(),
        claimed.token.clone(),
        attempt.started_at,
    );
    db.write(move |c| {
        webhooks::record_attempt(c, &id, &token, &attempt, outcome, &rule, now)
            .map_err(DbError::from)
    })
    .await
    .unwrap()
}

fn subscribers(claimed: &[Claimed]) -> BTreeSet<&str> {
    claimed.iter().map(|c| c.subscription.id.as_str()).collect()
}

#[tokio::test]
async fn an_event_is_queued_for_every_matching_active_subscription_in_its_transaction() {
    let store = Store::new();
    subscribe(
        &store,
        vec![
            subscription("province", "320000", ALL, "active"),
            subscription("suzhou", "320500", "alert.opened", "active"),
            subscription("nanjing", "320100", "alert.opened", "active"),
            subscription("paused", "320000", ALL, "paused"),
            subscription("deleted", "320000", ALL, "deleted"),
        ],
    )
    .await;
    let now = at("2020-10-01 08:00:00");
    append(&store, EventKind::AlertOpened, "320505", now).await;
    let due = claim(&store.db, "w1", now, 10).await;
    assert_eq!(subscribers(&due), BTreeSet::from(["province", "suzhou"]));
    assert!(
        due.iter()
            .all(|c| c.event.kind == "alert.opened" && c.delivery.attempts == 0)
    );
    assert_eq!(
        due[0].subscription.secret,
        format!("whsec_{}", due[0].subscription.id)
    );

    // A snapshot reaches the subscriptions that asked for snapshots, whatever their region.
    append(&store, EventKind::SnapshotTaken, "320000", now).await;
    let due = claim(&store.db, "w1", now, 10).await;
    assert_eq!(subscribers(&due), BTreeSet::from(["province"]));

    // A change that rolls back leaves neither its event nor its deliveries.
    let failed: Result<(), DbError> = store
        .db
        .write(move |c| {
            events::append(c, EventKind::AlertOpened, "320505", "s", &json!({}), now)?;
            Err(DbError::Task("the change failed".to_owned()))
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(store.read(|c| events::after(c, 0, 10)).await.len(), 2);
    assert!(
        // Within the earlier claims' lease: only new deliveries could be due.
        claim(&store.db, "w1", at("2020-10-01 08:00:30"), 10)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_receiver_that_fails_twice_then_succeeds_gets_one_delivery_and_two_failures() {
    let store = Store::new();
    subscribe(&store, vec![subscription("s", "320500", ALL, "active")]).await;
    let t0 = at("2020-10-01 08:00:00");
    append(&store, EventKind::AlertOpened, "320505", t0).await;
    let rule = PauseRule::default();

    let first = claim(&store.db, "w1", t0, 10).await.remove(0);
    let t1 = t0 + TimeDelta::seconds(20);
    let r = record(
        &store.db,
        &first,
        attempt(t0, Some(500)),
        Outcome::RetryAt(t1),
        rule,
    )
    .await;
    assert_eq!((r.held, r.paused), (true, None));
    assert!(
        claim(&store.db, "w1", t1 - TimeDelta::seconds(1), 10)
            .await
            .is_empty(),
        "not yet due"
    );

    let second = claim(&store.db, "w1", t1, 10).await.remove(0);
    assert_eq!(
        (second.delivery.id.as_str(), second.delivery.attempts),
        (first.delivery.id.as_str(), 1)
    );
    let t2 = t1 + TimeDelta::seconds(50);
    record(
        &store.db,
        &second,
        attempt(t1, None),
        Outcome::RetryAt(t2),
        rule,
    )
    .await;
    let sub = store.read(|c| webhooks::find(c, "s")).await.unwrap();
    assert_eq!((sub.consecutive_failures, sub.failing_since), (2, Some(t0)));

    let third = claim(&store.db, "w1", t2, 10).await.remove(0);
    record(
        &store.db,
        &third,
        attempt(t2, Some(204)),
        Outcome::Delivered,
        rule,
    )
    .await;
    assert!(
        claim(&store.db, "w1", t2 + TimeDelta::days(1), 10)
            .await
            .is_empty()
    );

    let id = first.delivery.id.clone();
    let delivery = store
        .read(move |c| webhooks::find_delivery(c, &id))
        .await
        .unwrap();
    assert_eq!(delivery.status, "delivered");
    assert_eq!(
        (delivery.attempts, delivery.last_status_code),
        (3, Some(204))
    );
    assert_eq!(
        (delivery.finished_at, delivery.next_attempt_at),
        (Some(t2), None)
    );
    let id = first.delivery.id.clone();
    let attempts = store.read(move |c| webhooks::attempts_of(c, &id)).await;
    let seen: Vec<(i32, Option<i32>, bool, Option<&str>)> = attempts
        .iter()
        .map(|a| (a.attempt, a.status_code, a.succeeded, a.error.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (1, Some(500), false, Some("HTTP 500")),
            (2, None, false, Some("timed out after 10 s")),
            (3, Some(204), true, None),
        ]
    );
    assert!(attempts.iter().all(|a| a.latency_ms == 42));
    let sub = store.read(|c| webhooks::find(c, "s")).await.unwrap();
    assert_eq!((sub.consecutive_failures, sub.failing_since), (0, None));
    assert_eq!(sub.last_success_at, Some(t2));
}

#[tokio::test]
async fn a_restart_between_attempts_loses_nothing() {
    let store = Store::new();
    subscribe(&store, vec![subscription("s", "320000", ALL, "active")]).await;
    let t0 = at("2020-10-01 08:00:00");
    append(&store, EventKind::SnapshotTaken, "320000", t0).await;

    // A first process claims the delivery and dies before recording anything.
    let crashed = store.reopen();
    let lost = claim(&crashed, "replica-a", t0, 10).await.remove(0);
    drop(crashed);

    // Restarted, the service finds it again once the claim has run out, not before.
    let restarted = store.reopen();
    assert!(
        claim(&restarted, "replica-b", t0 + TimeDelta::seconds(59), 10)
            .await
            .is_empty()
    );
    let later = t0 + TimeDelta::seconds(61);
    let again = claim(&restarted, "replica-b", later, 10).await.remove(0);
    assert_eq!(again.delivery.id, lost.delivery.id);
    assert_ne!(again.token, lost.token);
    let rule = PauseRule::default();
    let r = record(
        &restarted,
        &again,
        attempt(later, Some(200)),
        Outcome::Delivered,
        rule,
    )
    .await;
    assert!(r.held);
    // The first process's late report is kept as an attempt but moves nothing.
    let late = record(
        &restarted,
        &lost,
        attempt(t0, Some(200)),
        Outcome::Delivered,
        rule,
    )
    .await;
    assert!(!late.held);
    let id = lost.delivery.id.clone();
    let delivery = restarted
        .read(move |c| webhooks::find_delivery(c, &id).map_err(DbError::from))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (delivery.status.as_str(), delivery.attempts),
        ("delivered", 1)
    );
}

#[tokio::test]
async fn concurrent_claimers_never_get_the_same_delivery() {
    let store = Store::new();
    subscribe(
        &store,
        (0..4)
            .map(|i| subscription(&format!("s{i}"), "320000", ALL, "active"))
            .collect(),
    )
    .await;
    let now = at("2020-10-01 08:00:00");
    for _ in 0..5 {
        append(&store, EventKind::SnapshotTaken, "320000", now).await;
    }
    // Replicas on PostgreSQL; one process's workers on SQLite (one writer at a time).
    let handles: Vec<Db> = (0..4)
        .map(|_| match store.db.backend() {
            Backend::Postgres => store.reopen(),
            Backend::Sqlite => store.db.clone(),
        })
        .collect();
    let tasks: Vec<_> = handles
        .into_iter()
        .enumerate()
        .map(|(i, db)| tokio::spawn(async move { claim(&db, &format!("w{i}"), now, 7).await }))
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.unwrap().into_iter().map(|c| c.delivery.id));
    }
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), distinct.len()), (20, 20));
}

#[tokio::test]
async fn a_subscription_that_keeps_failing_is_paused_and_can_resume() {
    let store = Store::new();
    subscribe(&store, vec![subscription("s", "320500", ALL, "active")]).await;
    let rule = PauseRule {
        after_failures: 3,
        after_failing_for: TimeDelta::days(1),
    };
    let mut now = at("2020-10-01 08:00:00");
    append(&store, EventKind::AlertOpened, "320505", now).await;
    let mut paused = None;
    for _ in 0..3 {
        let c = claim(&store.db, "w", now, 1).await.remove(0);
        let next = now + TimeDelta::minutes(1);
        paused = record(
            &store.db,
            &c,
            attempt(now, Some(503)),
            Outcome::RetryAt(next),
            rule,
        )
        .await
        .paused;
        now = next;
    }
    let reason = paused.unwrap();
    assert!(reason.starts_with("连续3次推送失败（自2020-10-01 08:00:00 UTC起），已暂停推送"));
    assert!(reason.ends_with("last error: HTTP 503)"));
    let sub = store.read(|c| webhooks::find(c, "s")).await.unwrap();
    assert_eq!((sub.status.as_str(), sub.version), ("paused", 2));
    assert_eq!(sub.status_reason.as_deref(), Some(reason.as_str()));
    // Paused: its pending delivery waits, and new events are not queued for it.
    assert!(claim(&store.db, "w", now, 10).await.is_empty());
    append(&store, EventKind::AlertOpened, "320505", now).await;
    let resumed = store.write(move |c| webhooks::resume(c, "s", 2, now)).await;
    let Changed::Done(row) = resumed else {
        panic!("not resumed: {resumed:?}")
    };
    assert_eq!(
        (row.status.as_str(), row.consecutive_failures, row.version),
        ("active", 0, 3)
    );
    let due = claim(&store.db, "w", now, 10).await;
    assert_eq!(
        due.len(),
        1,
        "the waiting delivery, not the event seen while paused"
    );
    assert_eq!(due[0].delivery.attempts, 3);
    assert_eq!(
        store.write(move |c| webhooks::resume(c, "s", 3, now)).await,
        Changed::Stale { current: 3 },
        "only a paused subscription resumes"
    );
}

#[tokio::test]
async fn deleting_cancels_pending_deliveries_and_hides_the_subscription() {
    let store = Store::new();
    let mut older = subscription("old", "320500", ALL, "active");
    older.created_at = at("2020-08-01 00:00:00");
    subscribe(
        &store,
        vec![
            older,
            subscription("new", "320500", ALL, "active"),
            subscription("nj", "320100", ALL, "active"),
        ],
    )
    .await;
    let now = at("2020-10-01 08:00:00");
    append(&store, EventKind::AlertOpened, "320505", now).await;
    assert_eq!(
        store
            .write(move |c| webhooks::delete(c, "new", 7, "no longer needed", now))
            .await,
        Changed::Stale { current: 1 }
    );
    let Changed::Done(row) = store
        .write(move |c| webhooks::delete(c, "new", 1, "no longer needed", now))
        .await
    else {
        panic!("not deleted")
    };
    assert_eq!(
        (row.status.as_str(), row.status_reason.as_deref()),
        ("deleted", Some("no longer needed"))
    );
    let left = store.read(|c| webhooks::deliveries_of(c, "new", 10)).await;
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].status.as_str(), left[0].next_attempt_at),
        ("cancelled", None)
    );
    assert_eq!(
        subscribers(&claim(&store.db, "w", now, 10).await),
        BTreeSet::from(["old"])
    );

    // Listing: the caller's regions, newest first, a page at a time; deleted ones hidden.
    let suzhou = SubscriptionFilter {
        regions: Some(vec!["320500".to_owned()]),
        include_deleted: false,
    };
    let ids: Vec<String> = store
        .read(move |c| webhooks::list(c, &suzhou, None, 10))
        .await
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, ["old"]);
    let everything = SubscriptionFilter {
        regions: None,
        include_deleted: true,
    };
    let page = store
        .read(move |c| webhooks::list(c, &everything, None, 2))
        .await;
    let ids: Vec<&str> = page.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["nj", "new"]);
    let cursor = Some((page[1].created_at, page[1].id.clone()));
    let all = SubscriptionFilter {
        regions: None,
        include_deleted: true,
    };
    let rest = store
        .read(move |c| webhooks::list(c, &all, cursor, 2))
        .await;
    assert_eq!(
        rest.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["old"]
    );
}

#[tokio::test]
async fn a_delivery_given_up_is_failed_and_no_longer_due() {
    let store = Store::new();
    subscribe(&store, vec![subscription("s", "320000", ALL, "active")]).await;
    let now = at("2020-10-01 08:00:00");
    append(&store, EventKind::SnapshotTaken, "320000", now).await;
    let c = claim(&store.db, "w", now, 10).await.remove(0);
    record(
        &store.db,
        &c,
        attempt(now, Some(410)),
        Outcome::GaveUp,
        PauseRule::default(),
    )
    .await;
    let id = c.delivery.id.clone();
    let d = store
        .read(move |c| webhooks::find_delivery(c, &id))
        .await
        .unwrap();
    assert_eq!(
        (d.status.as_str(), d.finished_at, d.last_error.as_deref()),
        ("failed", Some(now), Some("HTTP 410"))
    );
    assert!(
        claim(&store.db, "w", now + TimeDelta::days(2), 10)
            .await
            .is_empty()
    );
    let event_id = d.event_id.clone();
    let event = store.read(move |c| events::find(c, &event_id)).await;
    assert_eq!(event.unwrap().kind, "snapshot.taken");
}
