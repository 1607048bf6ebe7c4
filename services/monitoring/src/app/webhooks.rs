//! The delivery worker (推送): runs in every replica, claims due deliveries from the queue in
//! the database for a while (`db::webhooks::claim_due`: replicas take different rows, and a
//! claim that runs out — a replica that died mid-send — makes the row due again), posts each
//! signed event, and records every attempt with its outcome: delivered, retried later with
//! exponential backoff and jitter, or given up; a subscription that keeps failing is paused.
//!
//! The target URL is checked again before each attempt, its host resolved, every address
//! checked, and the connection pinned to those addresses (no second lookup).

use std::net::IpAddr;
use std::sync::{Arc, Weak};
use std::time::Instant;

use chrono::TimeDelta;
use hte_shared::db::{Db, DbError};
use url::Host;

use super::Monitor;
use crate::config::WebhookSettings;
use crate::db::webhooks::{self as queries, Attempt, Claimed};
use crate::domain::event::EventKind;
use crate::domain::webhook::WebhookEvent;
use crate::domain::webhook::retry::{Random, SplitMix64, is_delivered};
use crate::domain::webhook::signature::{
    DELIVERY_ID_HEADER, EVENT_ID_HEADER, EVENT_KIND_HEADER, SIGNATURE_HEADER, Secret,
    signature_header,
};
use crate::domain::webhook::target::{check_resolved, check_url};

/// Keeps the worker running: the service holds it in its app data, so the worker stops once
/// the server that owns it is gone (a restarted service in the same process starts anew).
#[derive(Debug)]
pub struct WorkerLife(#[allow(dead_code)] Arc<()>);

/// Starts the worker; it runs while the returned [`WorkerLife`] is kept.
pub fn spawn(db: Db, monitor: Monitor) -> Result<WorkerLife, getrandom::Error> {
    let life = Arc::new(());
    let alive = Arc::downgrade(&life);
    let mut rng = SplitMix64::from_os()?;
    hte_shared::http_client::install_crypto_provider();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(monitor.settings.webhooks.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if Weak::upgrade(&alive).is_none() {
                tracing::info!("webhook delivery worker stopped");
                return;
            }
            if let Err(error) = pass(&db, &monitor, &mut rng).await {
                tracing::warn!(%error, "webhook deliveries not made this time");
            }
        }
    });
    Ok(WorkerLife(life))
}

/// Claims due deliveries and makes one attempt at each.
pub async fn pass(db: &Db, monitor: &Monitor, rng: &mut SplitMix64) -> Result<usize, DbError> {
    let settings = &monitor.settings.webhooks;
    let worker = monitor.instance.clone();
    let claim = TimeDelta::from_std(settings.claim).unwrap_or(TimeDelta::seconds(60));
    let batch = i64::from(settings.batch);
    let claimed = db
        .write(move |conn| {
            let now = hte_shared::time::now();
            queries::claim_due(conn, &worker, now, claim, batch).map_err(DbError::from)
        })
        .await?;
    let count = claimed.len();
    for delivery in claimed {
        attempt(db, settings, delivery, rng).await?;
    }
    Ok(count)
}

async fn attempt(
    db: &Db,
    settings: &WebhookSettings,
    claimed: Claimed,
    rng: &mut impl Random,
) -> Result<(), DbError> {
    let started_at = hte_shared::time::now();
    let clock = Instant::now();
    let answer = send(settings, &claimed).await;
    let latency_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    let status = answer.as_ref().ok().copied();
    let delivered = is_delivered(status);
    let error = match answer {
        Ok(_) if delivered => None,
        Ok(code) => Some(format!("HTTP {code}")),
        Err(error) => Some(error),
    };
    let attempts = u32::try_from(claimed.delivery.attempts + 1).unwrap_or(u32::MAX);
    let now = hte_shared::time::now();
    let outcome =
        settings
            .retry
            .outcome(delivered, attempts, claimed.delivery.created_at, now, rng);
    let attempt = Attempt {
        started_at,
        status_code: status.map(i32::from),
        latency_ms,
        error,
    };
    let rule = settings.pause;
    let recorded = db
        .write(move |conn| {
            queries::record_attempt(
                conn,
                &claimed.delivery.id,
                &claimed.token,
                &attempt,
                outcome,
                &rule,
                now,
            )
            .map_err(DbError::from)
        })
        .await?;
    if let Some(reason) = recorded.paused {
        tracing::warn!(%reason, "webhook subscription paused");
    }
    Ok(())
}

/// The event as receivers get it, from its stored row.
fn event_of(claimed: &Claimed) -> Result<WebhookEvent, String> {
    let row = &claimed.event;
    let kind = EventKind::from_key(&row.kind)
        .ok_or_else(|| format!("stored event kind {:?}", row.kind))?;
    let data = serde_json::from_str(&row.payload_json)
        .map_err(|e| format!("stored event {} cannot be read: {e}", row.id))?;
    Ok(WebhookEvent {
        id: row.id.clone(),
        kind,
        kind_zh: kind.name_zh().to_owned(),
        region_code: row.region_code.clone(),
        subject_id: row.subject_id.clone(),
        occurred_at: row.created_at,
        data,
    })
}

/// Makes one attempt: checks and resolves the target, posts the signed event; the answer's
/// status, or why there was none.
async fn send(settings: &WebhookSettings, claimed: &Claimed) -> Result<u16, String> {
    let policy = &settings.targets;
    let target = check_url(&claimed.subscription.target_url, policy).map_err(|e| e.to_string())?;
    let url = target.as_url();
    let port = url.port_or_known_default().unwrap_or(443);
    let (host, addresses): (String, Vec<IpAddr>) = match url.host() {
        Some(Host::Ipv4(ip)) => (ip.to_string(), vec![IpAddr::V4(ip)]),
        Some(Host::Ipv6(ip)) => (ip.to_string(), vec![IpAddr::V6(ip)]),
        Some(Host::Domain(name)) => {
            let found = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| format!("cannot resolve {name}: {e} (域名无法解析)"))?;
            (name.to_owned(), found.map(|a| a.ip()).collect())
        }
        None => return Err("the target has no host".to_owned()),
    };
    let pinned = check_resolved(&target, &addresses, policy).map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .resolve_to_addrs(&host, &pinned)
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let event = event_of(claimed)?;
    let body = event.body().map_err(|e| e.to_string())?;
    let secret = Secret::from_stored(claimed.subscription.secret.clone());
    let signature = signature_header(&secret, chrono::Utc::now().timestamp(), &body)
        .map_err(|e| e.to_string())?;
    let response = client
        .post(url.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_ID_HEADER, &event.id)
        .header(EVENT_KIND_HEADER, event.kind.key())
        .header(DELIVERY_ID_HEADER, &claimed.delivery.id)
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(&e, settings))?;
    Ok(response.status().as_u16())
}

fn describe(error: &reqwest::Error, settings: &WebhookSettings) -> String {
    if error.is_timeout() {
        format!(
            "timed out after {} s (推送超时)",
            settings.timeout.as_secs()
        )
    } else if error.is_connect() {
        "cannot connect to the target (无法连接推送地址)".to_owned()
    } else {
        format!("no answer: {error} (推送无应答)")
    }
}
