//! Webhooks (事件推送): another system subscribes to snapshot and alert events of a region
//! and receives each as a signed `POST`.
//!
//! - Which events reach which subscription: [`concerns`].
//! - The body: [`WebhookEvent`]; the headers and their signature: [`signature`].
//! - When to retry and when to pause a failing subscription: [`retry`].
//! - Which target URLs and addresses are allowed (SSRF): [`target`].
//!
//! Deliveries are at least once: a receiver may see an event twice (after a timeout, or a
//! restart between sending and recording) and de-duplicates by `X-HTE-Event-Id`. The queue
//! lives in the database (`db::webhooks`), written in the same transaction as the event, so
//! a restart loses nothing.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use hte_shared::regions::RegionCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::event::EventKind;
use super::vocabulary::closed_vocabulary;

pub mod retry;
pub mod signature;
pub mod target;

closed_vocabulary! {
    SubscriptionStatus {
        /// 推送中
        Active = "active",
        /// 已暂停: failing; the reason says why. Events are not queued while paused.
        Paused = "paused",
        /// 已删除: kept for the record of its deliveries.
        Deleted = "deleted",
    }
}

closed_vocabulary! {
    DeliveryStatus {
        /// 待推送: queued or waiting for a retry.
        Pending = "pending",
        /// 已送达: the receiver answered 2xx.
        Delivered = "delivered",
        /// 推送失败: given up after the retry budget.
        Failed = "failed",
        /// 已取消: the subscription was deleted first.
        Cancelled = "cancelled",
    }
}

/// The event kinds a subscription asks for: at least one, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventKinds(BTreeSet<EventKind>);

impl EventKinds {
    pub fn new(kinds: impl IntoIterator<Item = EventKind>) -> Result<Self, hte_shared::i18n::Text> {
        let set: BTreeSet<EventKind> = kinds.into_iter().collect();
        if set.is_empty() {
            return Err(hte_shared::text!(
                "subscribe to at least one event kind: {}",
                "至少订阅一种事件：{}",
                EventKind::keys()
            ));
        }
        Ok(Self(set))
    }

    /// Reads the stored form, keys joined by commas.
    pub fn parse_stored(text: &str) -> Result<Self, String> {
        let kinds = text
            .split(',')
            .map(|key| {
                EventKind::from_key(key.trim()).ok_or_else(|| format!("unknown event kind {key:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Stored data, read back: its faults are logged in English, never shown to a person.
        Self::new(kinds).map_err(String::from)
    }

    /// The stored form: keys in a fixed order, joined by commas.
    pub fn to_stored(&self) -> String {
        self.0.iter().map(|k| k.key()).collect::<Vec<_>>().join(",")
    }

    pub fn contains(&self, kind: EventKind) -> bool {
        self.0.contains(&kind)
    }

    pub fn iter(&self) -> impl Iterator<Item = EventKind> + '_ {
        self.0.iter().copied()
    }
}

/// Whether an event of `kind` about `event_region` goes to a subscription for `scope` that
/// asked for `kinds`. An alert reaches subscriptions of its region and every region above
/// it; a snapshot, which covers the whole province, reaches every subscription (its body
/// names the snapshot, not another region's figures).
pub fn concerns(
    scope: &RegionCode,
    kinds: &EventKinds,
    kind: EventKind,
    event_region: &RegionCode,
) -> bool {
    kinds.contains(kind)
        && (event_region.is_within(scope)
            || (kind == EventKind::SnapshotTaken && scope.is_within(event_region)))
}

/// The JSON body of a delivery (推送内容).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookEvent {
    /// The event's id, also in `X-HTE-Event-Id`: the same on every retry.
    pub id: String,
    pub kind: EventKind,
    /// The kind in Chinese, e.g. 新预警.
    pub kind_zh: String,
    /// The region the event is about (`320000` for a snapshot).
    #[schema(example = "320500")]
    pub region_code: String,
    /// The snapshot or alert concerned.
    pub subject_id: String,
    /// When it happened (UTC).
    #[serde(with = "hte_shared::time::utc")]
    pub occurred_at: NaiveDateTime,
    /// What happened: for a snapshot its plan, period, revision, as-of date and status; for
    /// an alert its kind, severity, plan, indicator and region.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl WebhookEvent {
    /// The exact bytes sent and signed.
    pub fn body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn events_reach_subscriptions_of_their_region_and_above() {
        let alerts = EventKinds::new([EventKind::AlertOpened, EventKind::AlertResolved]).unwrap();
        let all = EventKinds::new(EventKind::ALL.iter().copied()).unwrap();
        let cases = [
            // (subscription scope, kinds, event kind, event region, delivered)
            ("320000", &alerts, EventKind::AlertOpened, "320505", true),
            ("320500", &alerts, EventKind::AlertOpened, "320505", true),
            ("320500", &alerts, EventKind::AlertOpened, "320500", true),
            ("320505", &alerts, EventKind::AlertOpened, "320500", false),
            ("320100", &alerts, EventKind::AlertOpened, "320505", false),
            (
                "320500",
                &alerts,
                EventKind::AlertEscalated,
                "320505",
                false,
            ),
            ("320500", &alerts, EventKind::SnapshotTaken, "320000", false),
            ("320500", &all, EventKind::SnapshotTaken, "320000", true),
            ("320505", &all, EventKind::SnapshotTaken, "320000", true),
            ("320100", &all, EventKind::AlertOpened, "320000", false),
        ];
        for (scope, kinds, kind, region, expected) in cases {
            assert_eq!(
                concerns(&code(scope), kinds, kind, &code(region)),
                expected,
                "{scope} {kind:?} {region}"
            );
        }
    }

    #[test]
    fn event_kinds_are_stored_as_sorted_keys() {
        let kinds =
            EventKinds::parse_stored("alert.resolved, snapshot.taken,alert.resolved").unwrap();
        assert_eq!(kinds.to_stored(), "snapshot.taken,alert.resolved");
        assert!(EventKinds::parse_stored("alert.opened,nope").is_err());
        assert!(EventKinds::new([]).is_err());
    }

    #[test]
    fn the_body_is_the_documented_json() {
        let event = WebhookEvent {
            id: "e1".to_owned(),
            kind: EventKind::AlertOpened,
            kind_zh: EventKind::AlertOpened.name_zh().to_owned(),
            region_code: "320500".to_owned(),
            subject_id: "a1".to_owned(),
            occurred_at: chrono::NaiveDate::from_ymd_opt(2020, 10, 1)
                .unwrap()
                .and_hms_opt(8, 0, 0)
                .unwrap(),
            data: serde_json::json!({"severity": "warning"}),
        };
        let body = String::from_utf8(event.body().unwrap()).unwrap();
        assert_eq!(
            body,
            r#"{"id":"e1","kind":"alert.opened","kind_zh":"新预警","region_code":"320500","subject_id":"a1","occurred_at":"2020-10-01T08:00:00.000000Z","data":{"severity":"warning"}}"#
        );
        assert_eq!(serde_json::from_str::<WebhookEvent>(&body).unwrap(), event);
    }
}
