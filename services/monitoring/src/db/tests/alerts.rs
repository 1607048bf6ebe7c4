use hte_shared::regions::{self, RegionCode};
use serde_json::json;

use super::{Store, at};
use crate::db::alerts::{self, Acknowledged, AlertFilter, AlertScope, Seen};
use crate::db::events;
use crate::domain::alert::{AlertCondition, AlertKind, Severity};

fn condition(
    kind: AlertKind,
    severity: Severity,
    region: &str,
    indicator: Option<&str>,
    count: i64,
) -> AlertCondition {
    AlertCondition {
        kind,
        severity,
        plan_id: indicator.map(|_| "jiangsu-2019-57".to_owned()),
        indicator: indicator.map(str::to_owned),
        region: RegionCode::parse(region).unwrap(),
        figures: json!({"count": count}),
        message_zh: format!("预警{count}"),
        message_en: format!("alert {count}"),
    }
}

fn behind(region: &str, severity: Severity) -> AlertCondition {
    condition(
        AlertKind::BehindSchedule,
        severity,
        region,
        Some("hte_count"),
        0,
    )
}

fn expiring(region: &str, count: i64) -> AlertCondition {
    condition(
        AlertKind::CertificatesExpiring,
        Severity::Warning,
        region,
        None,
        count,
    )
}

fn event_kinds(rows: &[events::EventRow]) -> Vec<&str> {
    rows.iter().map(|e| e.kind.as_str()).collect()
}

#[tokio::test]
async fn the_same_condition_updates_its_open_alert() {
    let store = Store::new();
    let (t1, t2, t3) = (
        at("2020-10-01 01:00:00"),
        at("2020-11-01 01:00:00"),
        at("2020-12-01 01:00:00"),
    );
    let first = expiring("320505", 3);
    let opened = store
        .write(move |c| alerts::record_seen(c, &first, Some("s1"), t1))
        .await;
    let Seen::Opened { id } = opened else {
        panic!("{opened:?}")
    };
    let again = expiring("320505", 5);
    let seen = store
        .write(move |c| alerts::record_seen(c, &again, None, t2))
        .await;
    assert_eq!(
        seen,
        Seen::Updated {
            id: id.clone(),
            escalated: false
        }
    );
    let mut worse = expiring("320505", 9);
    worse.severity = Severity::Critical;
    let seen = store
        .write(move |c| alerts::record_seen(c, &worse, Some("s3"), t3))
        .await;
    assert_eq!(
        seen,
        Seen::Updated {
            id: id.clone(),
            escalated: true
        }
    );

    let i = id.clone();
    let row = store.read(move |c| alerts::find(c, &i)).await.unwrap();
    assert_eq!((row.first_seen, row.last_seen), (t1, t3));
    assert_eq!(row.severity, "critical");
    assert_eq!(row.figures_json, r#"{"count":9}"#);
    assert_eq!(row.last_snapshot_id.as_deref(), Some("s3"));
    assert_eq!(row.version, 3);
    assert_eq!(row.fingerprint, "certificates_expiring|-|-|320505");
    let events = store.read(|c| events::after(c, 0, 10)).await;
    assert_eq!(event_kinds(&events), ["alert.opened", "alert.escalated"]);
    assert!(
        events
            .iter()
            .all(|e| e.subject_id == id && e.region_code == "320505")
    );
}

#[tokio::test]
async fn conditions_gone_from_an_evaluation_resolve_only_within_its_scope() {
    let store = Store::new();
    let (t1, t2, t3) = (
        at("2020-10-01 01:00:00"),
        at("2020-11-01 01:00:00"),
        at("2020-12-01 01:00:00"),
    );
    let initial = vec![
        behind("320500", Severity::Warning),
        behind("320100", Severity::Warning),
        condition(
            AlertKind::BehindSchedule,
            Severity::Warning,
            "320200",
            Some("new_hte"),
            0,
        ),
        expiring("320505", 2),
    ];
    store
        .write(move |c| {
            for cond in &initial {
                alerts::record_seen(c, cond, None, t1)?;
            }
            Ok(())
        })
        .await;

    // An evaluation of hte_count that sees Suzhou behind but not Nanjing.
    let scope = AlertScope {
        kinds: vec!["behind_schedule".to_owned()],
        plan_id: Some("jiangsu-2019-57".to_owned()),
        indicators: Some(vec!["hte_count".to_owned()]),
        regions: None,
    };
    let still = vec![behind("320500", Severity::Warning)];
    let (s, st) = (scope.clone(), still.clone());
    let resolved = store
        .write(move |c| {
            for cond in &st {
                alerts::record_seen(c, cond, None, t2)?;
            }
            alerts::resolve_missing(c, &s, &st, t2)
        })
        .await;
    assert_eq!(resolved.len(), 1);
    let r = resolved[0].clone();
    let nanjing = store.read(move |c| alerts::find(c, &r)).await.unwrap();
    assert_eq!(
        (nanjing.region_code.as_str(), nanjing.resolved_at),
        ("320100", Some(t2))
    );

    let open = AlertFilter {
        open: Some(true),
        ..Default::default()
    };
    let o = open.clone();
    let regions: Vec<String> = store
        .read(move |c| alerts::list(c, &o, None, 50))
        .await
        .into_iter()
        .map(|a| a.region_code)
        .collect();
    assert_eq!(
        regions.len(),
        3,
        "new_hte and the certificates are outside the scope: {regions:?}"
    );

    nanjing_behind_again_opens_a_new_alert(&store, &nanjing.id, t3).await;
}

/// Nanjing falls behind again: a new alert, the resolved one kept.
async fn nanjing_behind_again_opens_a_new_alert(
    store: &Store,
    resolved: &str,
    t3: chrono::NaiveDateTime,
) {
    let back = behind("320100", Severity::Critical);
    let seen = store
        .write(move |c| alerts::record_seen(c, &back, None, t3))
        .await;
    let Seen::Opened { id } = seen else {
        panic!("{seen:?}")
    };
    assert_ne!(id, resolved);
    let resolved_only = AlertFilter {
        open: Some(false),
        ..Default::default()
    };
    let kept = store
        .read(move |c| alerts::list(c, &resolved_only, None, 50))
        .await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, resolved);
    let events = store.read(|c| events::after(c, 0, 50)).await;
    assert_eq!(
        event_kinds(&events),
        [
            "alert.opened",
            "alert.opened",
            "alert.opened",
            "alert.opened",
            "alert.resolved",
            "alert.opened"
        ]
    );
}

#[tokio::test]
async fn officials_acknowledge_the_version_they_saw() {
    let store = Store::new();
    let t1 = at("2020-10-01 01:00:00");
    let cond = expiring("320505", 2);
    let Seen::Opened { id } = store
        .write(move |c| alerts::record_seen(c, &cond, None, t1))
        .await
    else {
        panic!()
    };
    let (i, t2) = (id.clone(), at("2020-10-02 09:30:00"));
    let stale = store
        .write(move |c| alerts::acknowledge(c, &i, 7, "city-official", "已督促企业申报", t2))
        .await;
    assert_eq!(stale, Acknowledged::Stale { current: 1 });
    let i = id.clone();
    let done = store
        .write(move |c| alerts::acknowledge(c, &i, 1, "city-official", "已督促企业申报", t2))
        .await;
    let Acknowledged::Done(row) = done else {
        panic!("{done:?}")
    };
    assert_eq!(row.acknowledged_by.as_deref(), Some("city-official"));
    assert_eq!(row.acknowledged_at, Some(t2));
    assert_eq!(row.acknowledgement_note.as_deref(), Some("已督促企业申报"));
    assert_eq!(row.version, 2);
    let missing = store
        .write(move |c| alerts::acknowledge(c, "no-such-alert", 1, "x", "y", t2))
        .await;
    assert_eq!(missing, Acknowledged::NotFound);

    let acknowledged = AlertFilter {
        acknowledged: Some(true),
        ..Default::default()
    };
    assert_eq!(
        store
            .read(move |c| alerts::list(c, &acknowledged, None, 10))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn alerts_list_newest_first_by_filter_and_page() {
    let store = Store::new();
    let conditions = vec![
        (expiring("320505", 1), "2020-10-01 01:00:00"),
        (expiring("320106", 1), "2020-10-02 01:00:00"),
        (behind("320500", Severity::Critical), "2020-10-03 01:00:00"),
        (behind("320100", Severity::Warning), "2020-10-03 01:00:00"),
        (expiring("320506", 1), "2020-10-04 01:00:00"),
    ];
    store
        .write(move |c| {
            for (cond, when) in &conditions {
                alerts::record_seen(c, cond, None, at(when))?;
            }
            Ok(())
        })
        .await;
    let suzhou: Vec<String> = regions::subtree(&RegionCode::parse("320500").unwrap())
        .map(|r| r.code.to_string())
        .collect();
    let filter = AlertFilter {
        regions: Some(suzhou),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let (f, a) = (filter.clone(), after.clone());
        let page = store.read(move |c| alerts::list(c, &f, a, 2)).await;
        let Some(last) = page.last() else { break };
        after = Some((last.first_seen, last.id.clone()));
        seen.extend(page.into_iter().map(|a| a.region_code));
    }
    assert_eq!(seen, ["320506", "320500", "320505"]);

    let critical = AlertFilter {
        severities: Some(vec!["critical".to_owned()]),
        kinds: Some(vec!["behind_schedule".to_owned()]),
        plan_id: Some("jiangsu-2019-57".to_owned()),
        indicator_key: Some("hte_count".to_owned()),
        ..Default::default()
    };
    let rows = store
        .read(move |c| alerts::list(c, &critical, None, 10))
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].region_code, "320500");
}

#[tokio::test]
async fn replicas_seeing_a_new_condition_at_once_open_one_alert() {
    let store = Store::new();
    let t1 = at("2020-10-01 01:00:00");
    let (a, b) = (expiring("320505", 1), expiring("320505", 2));
    let (x, y) = tokio::join!(
        store.write(move |c| alerts::record_seen(c, &a, None, t1)),
        store.write(move |c| alerts::record_seen(c, &b, None, t1)),
    );
    let opened = [&x, &y]
        .iter()
        .filter(|s| matches!(s, Seen::Opened { .. }))
        .count();
    assert_eq!(opened, 1, "{x:?} {y:?}");
    let all = store
        .read(|c| alerts::list(c, &AlertFilter::default(), None, 10))
        .await;
    assert_eq!(all.len(), 1);
}
