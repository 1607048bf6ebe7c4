//! Webhook subscriptions (事件订阅): another system asks for a region's snapshot and alert
//! events at a URL; its deliveries and their attempts are kept for inspection.
//!
//! Who manages which: the province any region's; a city official its own city's subtree
//! (both create and delete); everyone else reads within their region (auditors all) and
//! writes none. A subscription outside the caller's region is a 404, as alerts are.

use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::RegionCode;
use hte_shared::telemetry::RequestId;
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{list_scope, parse_region, record_change, region_name, subtree_codes};
use crate::db::events;
use crate::db::webhooks::{
    self as queries, AttemptRow, Changed, DeliveryRow, SubscriptionFilter, SubscriptionRow,
};
use crate::domain::event::EventKind;
use crate::domain::inputs::bounded_text;
use crate::domain::webhook::signature::Secret;
use crate::domain::webhook::target::{self, TargetPolicy};
use crate::domain::webhook::{DeliveryStatus, EventKinds, SubscriptionStatus};
use crate::error::MonitoringError;

/// A new subscription, as sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// Events in this region and below it are delivered (snapshots, province-wide, always).
    #[schema(schema_with = hte_shared::openapi::jiangsu_region_code)]
    pub region: String,
    /// What to deliver: at least one of `snapshot.taken`, `alert.opened`,
    /// `alert.escalated`, `alert.resolved`.
    #[schema(min_items = 1)]
    pub events: Vec<EventKind>,
    /// Where to POST: `https` to a public address (private and loopback ones only where
    /// the service is configured for them), no user name, password or fragment.
    #[schema(
        example = "https://receiver.example.cn/hte-events",
        format = "uri",
        max_length = 2048
    )]
    pub url: String,
    /// What the subscription is for (用途), 1–200 characters (leading and trailing spaces
    /// not counted).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub description: Option<String>,
}

/// A subscription (密钥 not included: it is shown once, when created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub region_code: String,
    pub region_name: String,
    /// The kinds delivered, each once (four kinds exist).
    #[schema(max_items = 4)]
    pub events: Vec<EventKind>,
    pub url: String,
    pub description: Option<String>,
    pub status: SubscriptionStatus,
    /// Why it was paused (暂停原因) or deleted.
    pub status_reason: Option<String>,
    #[serde(with = "hte_shared::time::utc")]
    pub status_changed_at: NaiveDateTime,
    /// Failed attempts since the last success.
    pub consecutive_failures: i32,
    #[serde(with = "hte_shared::time::utc::option")]
    pub last_success_at: Option<NaiveDateTime>,
    pub created_by: String,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    /// Grows with every change; the ETag.
    pub version: i32,
}

/// The answer to a new subscription: the view and, this once, the signing secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionCreated {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    /// The HMAC-SHA256 key of `X-HTE-Signature` (`whsec_` and 64 hex digits). Shown only
    /// now: keep it.
    #[schema(example = "whsec_9f2c…")]
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionList {
    /// At most [`MAX_SUBSCRIPTIONS`].
    #[schema(max_items = 1000)]
    pub items: Vec<SubscriptionView>,
}

/// One attempt of a delivery (推送尝试).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    /// 1 for the first.
    pub attempt: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub started_at: NaiveDateTime,
    /// The receiver's status code; absent when no answer came.
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub succeeded: bool,
}

/// One event's delivery to the subscription (推送记录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    /// The id receivers de-duplicate by (`X-HTE-Event-Id`).
    pub event_id: String,
    pub event_kind: EventKind,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due, while pending.
    #[serde(with = "hte_shared::time::utc::option")]
    pub next_attempt_at: Option<NaiveDateTime>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc::option")]
    pub finished_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
    /// Every attempt, in order: at most `MONITORING_WEBHOOK_MAX_ATTEMPTS`, itself at most 1,000.
    #[schema(max_items = 1000)]
    pub attempt_log: Vec<AttemptView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    /// The newest deliveries first, at most [`MAX_DELIVERIES`].
    #[schema(max_items = 100)]
    pub items: Vec<DeliveryView>,
}

/// How many deliveries a list shows (the newest).
pub const MAX_DELIVERIES: i64 = 100;
/// How many subscriptions a list shows (the newest); far more than a region keeps.
const MAX_SUBSCRIPTIONS: i64 = 1_000;

fn corrupt(what: &str, detail: &str) -> MonitoringError {
    hte_shared::stored::corrupt(what, detail).into()
}

pub fn view(row: &SubscriptionRow) -> Result<SubscriptionView, MonitoringError> {
    let kinds = EventKinds::parse_stored(&row.event_kinds)
        .map_err(|e| corrupt("subscription event kinds", &e))?;
    Ok(SubscriptionView {
        id: row.id.clone(),
        region_code: row.region_code.clone(),
        region_name: region_name(&row.region_code),
        events: kinds.iter().collect(),
        url: row.target_url.clone(),
        description: row.description.clone(),
        status: SubscriptionStatus::from_key(&row.status)
            .ok_or_else(|| corrupt("subscription status", &row.status))?,
        status_reason: row.status_reason.clone(),
        status_changed_at: row.status_changed_at,
        consecutive_failures: row.consecutive_failures,
        last_success_at: row.last_success_at,
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        version: row.version,
    })
}

/// 403 unless the caller may manage subscriptions of `region`.
fn require_manager(caller: &Caller, region: &RegionCode) -> Result<(), Problem> {
    caller.require_writer()?;
    if matches!(caller.role, Role::Province | Role::City) && caller.may_write(region) {
        Ok(())
    } else {
        Err(Problem::forbidden(text!(
            "the province manages every subscription, a city those of its own subtree; {region} \
             is not yours",
            "省级用户可管理全部订阅，设区市仅可管理本市范围内的订阅；{region} 不在您的管理范围"
        )))
    }
}

/// Checks a new subscription; every field wrong is named.
fn check_new(
    caller: &Caller,
    input: &NewSubscription,
    policy: &TargetPolicy,
) -> Result<(RegionCode, EventKinds, String, Option<String>), Problem> {
    let mut errors: Vec<FieldError> = Vec::new();
    let region = parse_region("region", &input.region)
        .map_err(|p| errors.extend(p.errors))
        .ok();
    let kinds = EventKinds::new(input.events.iter().copied())
        .map_err(|m| errors.push(FieldError::new("events", "min_items", m)))
        .ok();
    let url = target::check_url(&input.url, policy)
        .map_err(|refusal| {
            errors.push(FieldError::new("url", refusal.rule(), refusal.text()));
        })
        .ok();
    let description = match input.description.as_deref() {
        Some(raw) => bounded_text("description", raw, 1, 200)
            .map_err(|e| errors.push(FieldError::new("description", e.rule(), e.text())))
            .ok(),
        None => None,
    };
    match (region, kinds, url) {
        (Some(region), Some(kinds), Some(url)) if errors.is_empty() => {
            require_manager(caller, &region)?;
            Ok((region, kinds, url.as_str().to_owned(), description))
        }
        _ => Err(Problem::validation(errors)),
    }
}

/// Subscribes; the answer carries the secret, this once. The creation is audited (without
/// the secret).
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    caller: &Caller,
    input: &NewSubscription,
    policy: &TargetPolicy,
) -> Result<SubscriptionCreated, MonitoringError> {
    let (region, kinds, url, description) = check_new(caller, input, policy)?;
    let secret = Secret::generate().map_err(|error| {
        tracing::error!(%error, "no random source for a webhook secret");
        Problem::internal()
    })?;
    let now = hte_shared::time::now();
    let row = SubscriptionRow {
        id: uuid::Uuid::new_v4().to_string(),
        region_code: region.to_string(),
        event_kinds: kinds.to_stored(),
        target_url: url,
        secret: secret.expose().to_owned(),
        description,
        created_by: actor.subject.clone(),
        created_at: now,
        status: SubscriptionStatus::Active.key().to_owned(),
        status_reason: None,
        status_changed_at: now,
        consecutive_failures: 0,
        failing_since: None,
        last_success_at: None,
        version: 1,
    };
    queries::create(conn, &row)?;
    let view = view(&row)?;
    record_change(
        conn,
        actor,
        ("subscription", &row.id),
        ("create", None),
        None,
        &view,
    )?;
    Ok(SubscriptionCreated {
        subscription: view,
        secret: secret.expose().to_owned(),
    })
}

fn visible(
    caller: &Caller,
    row: Option<SubscriptionRow>,
    id: &str,
) -> Result<SubscriptionRow, MonitoringError> {
    row.filter(|r| RegionCode::parse(&r.region_code).is_ok_and(|code| caller.may_read(&code)))
        .ok_or_else(|| Problem::not_found(text!("no subscription {id}", "无此订阅：{id}")).into())
}

/// Subscriptions within the caller's region (or the region asked for), deleted ones left
/// out, newest first.
pub async fn list(
    db: &Db,
    caller: &Caller,
    region: Option<String>,
) -> Result<SubscriptionList, MonitoringError> {
    let scope = list_scope(caller, region.as_deref())?;
    let filter = SubscriptionFilter {
        regions: scope.as_ref().map(subtree_codes),
        include_deleted: false,
    };
    db.read(move |conn| {
        let rows = queries::list(conn, &filter, None, MAX_SUBSCRIPTIONS)?;
        let items = rows.iter().map(view).collect::<Result<_, _>>()?;
        Ok(SubscriptionList { items })
    })
    .await
}

pub async fn get(
    db: &Db,
    caller: &Caller,
    id: String,
) -> Result<SubscriptionView, MonitoringError> {
    let caller = caller.clone();
    db.read(move |conn| view(&visible(&caller, queries::find(conn, &id)?, &id)?))
        .await
}

/// Deletes (kept, marked deleted; pending deliveries cancelled) at the ETag sent.
pub async fn delete(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    id: String,
    if_match: IfMatch,
) -> Result<SubscriptionView, MonitoringError> {
    let actor = Actor::new(caller, request_id);
    let caller = caller.clone();
    db.write(move |conn| {
        let before = visible(&caller, queries::find(conn, &id)?, &id)?;
        let region = RegionCode::parse(&before.region_code)
            .map_err(|e| corrupt("subscription region", &e.0))?;
        require_manager(&caller, &region)?;
        if_match.check(before.version)?;
        let reason = format!("由 {} 删除 (deleted by {})", actor.subject, actor.subject);
        let now = hte_shared::time::now();
        let after = match queries::delete(conn, &id, before.version, &reason, now)? {
            Changed::Done(row) => *row,
            Changed::NotFound => {
                return Err(
                    Problem::not_found(text!("no subscription {id}", "无此订阅：{id}")).into(),
                );
            }
            Changed::Stale { current } => {
                return Err(Problem::precondition_failed(text!(
                    "the subscription changed meanwhile (now \"v{current}\"); read it again",
                    "订阅已被修改（当前 \"v{current}\"），请重新读取"
                ))
                .into());
            }
        };
        let (before, after) = (view(&before)?, view(&after)?);
        record_change(
            conn,
            &actor,
            ("subscription", &id),
            ("delete", None),
            Some(&before),
            &after,
        )?;
        Ok(after)
    })
    .await
}

fn delivery_view(
    conn: &mut DbConnection,
    row: DeliveryRow,
) -> Result<DeliveryView, MonitoringError> {
    let event = events::find(conn, &row.event_id)?
        .ok_or_else(|| corrupt("delivery event", &row.event_id))?;
    let attempts: Vec<AttemptRow> = queries::attempts_of(conn, &row.id)?;
    Ok(DeliveryView {
        event_kind: EventKind::from_key(&event.kind)
            .ok_or_else(|| corrupt("event kind", &event.kind))?,
        status: DeliveryStatus::from_key(&row.status)
            .ok_or_else(|| corrupt("delivery status", &row.status))?,
        attempt_log: attempts
            .into_iter()
            .map(|a| AttemptView {
                attempt: a.attempt,
                started_at: a.started_at,
                status_code: a.status_code,
                latency_ms: a.latency_ms,
                error: a.error,
                succeeded: a.succeeded,
            })
            .collect(),
        id: row.id,
        event_id: row.event_id,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        created_at: row.created_at,
        finished_at: row.finished_at,
        last_status_code: row.last_status_code,
        last_latency_ms: row.last_latency_ms,
        last_error: row.last_error,
    })
}

/// A subscription's newest deliveries with every attempt.
pub async fn deliveries(
    db: &Db,
    caller: &Caller,
    id: String,
) -> Result<DeliveryList, MonitoringError> {
    let caller = caller.clone();
    db.read(move |conn| {
        let subscription = visible(&caller, queries::find(conn, &id)?, &id)?;
        let rows = queries::deliveries_of(conn, &subscription.id, MAX_DELIVERIES)?;
        let items = rows
            .into_iter()
            .map(|row| delivery_view(conn, row))
            .collect::<Result<_, _>>()?;
        Ok(DeliveryList { items })
    })
    .await
}
