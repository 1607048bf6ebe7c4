//! Events other systems may subscribe to (issue #15's webhooks), recorded in the outbox in
//! the same transaction as the change they report.

use super::vocabulary::closed_vocabulary;

closed_vocabulary! {
    EventKind {
        SnapshotTaken = "snapshot.taken" => "快照已生成",
        AlertOpened = "alert.opened" => "新预警",
        AlertEscalated = "alert.escalated" => "预警升级",
        AlertResolved = "alert.resolved" => "预警解除",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_have_dotted_keys_and_chinese_names() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_key(kind.key()), Some(*kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.key());
            assert!(kind.key().contains('.') && !kind.name_zh().is_empty());
        }
    }
}
