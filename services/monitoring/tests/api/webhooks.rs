//! Webhooks end to end: subscriptions over HTTP, events recorded with the snapshots that
//! cause them, and deliveries made by the service's own worker to a real HTTP receiver on
//! port 0 — signed as documented, retried, recorded, never lost across a restart; loopback
//! and private targets refused by default.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use hte_shared::auth::Role;
use hte_shared::db::DbError;
use hte_shared::problem::types;
use hte_shared::testing::{TestDatabase, serve_stand_in};
use monitoring::db::webhooks;
use monitoring::domain::webhook::signature::{self, Secret};
use serde_json::{Value, json};

use crate::helpers::{App, assert_json, assert_problem, assert_problem_type, etag, problem_fields};
use crate::seed;

/// Fast retries, loopback receivers allowed.
const TEST_ENV: [(&str, &str); 5] = [
    ("MONITORING_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
    ("MONITORING_WEBHOOK_TICK_MS", "50"),
    ("MONITORING_WEBHOOK_RETRY_BASE_MS", "200"),
    ("MONITORING_WEBHOOK_RETRY_MIN_DELAY_MS", "100"),
    ("MONITORING_WEBHOOK_CLAIM_SECS", "5"),
];

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    event_id: String,
    signature: String,
    body: Vec<u8>,
    answered: u16,
}

type Answer = dyn Fn(usize) -> u16 + Send + Sync;

/// A real HTTP receiver: answers each event's n-th request (0-based) as `answer(n)` says.
struct Receiver {
    url: String,
    log: Arc<Mutex<Vec<Received>>>,
    server: actix_web::dev::ServerHandle,
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    log: web::Data<Arc<Mutex<Vec<Received>>>>,
    answer: web::Data<Arc<Answer>>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let event_id = header(signature::EVENT_ID_HEADER);
    let mut log = log.lock().unwrap();
    let seen = log.iter().filter(|r| r.event_id == event_id).count();
    let answered = answer(seen);
    log.push(Received {
        event_id,
        signature: header(signature::SIGNATURE_HEADER),
        body: body.to_vec(),
        answered,
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(answered).unwrap()).finish()
}

impl Receiver {
    fn start(answer: Arc<Answer>) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared_log = log.clone();
        let (port, server) = serve_stand_in(move |cfg| {
            cfg.app_data(web::Data::new(shared_log.clone()))
                .app_data(web::Data::new(answer.clone()))
                .default_service(web::to(receive));
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hte-events"),
            log,
            server,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

async fn subscribe(app: &App, token: &str, region: &str, events: Value, url: &str) -> Value {
    let body = json!({"region": region, "events": events, "url": url, "description": "测试接收端"});
    assert_json(
        app.post_as(token, "/api/v1/subscriptions", &body).await,
        201,
    )
    .await
}

async fn deliveries(app: &App, id: &str) -> Vec<Value> {
    let path = format!("/api/v1/subscriptions/{id}/deliveries");
    let list = app.get_json(&app.province_token(), &path).await;
    list["items"].as_array().unwrap().clone()
}

/// Waits (at most 30 s) until every delivery of the subscription is `status`.
async fn settled(app: &App, id: &str, status: &str, count: usize) -> Vec<Value> {
    for _ in 0..300 {
        let items = deliveries(app, id).await;
        if items.len() == count && items.iter().all(|d| d["status"] == status) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "deliveries of {id} not {status}: {:?}",
        deliveries(app, id).await
    );
}

fn failing_twice() -> Arc<Answer> {
    Arc::new(|seen| if seen < 2 { 503 } else { 204 })
}

/// The province subscribes `url` to snapshots of the whole province; returns the id.
async fn province_subscription(app: &App, url: &str) -> String {
    let token = app.province_token();
    let events = json!(["snapshot.taken"]);
    let created = subscribe(app, &token, "320000", events, url).await;
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_one_signed_delivery_after_two_recorded_failures() {
    let app = App::spawn_with(&TEST_ENV).await;
    let receiver = Receiver::start(failing_twice());
    let province = app.province_token();
    let created = subscribe(
        &app,
        &province,
        "320000",
        json!(["snapshot.taken"]),
        &receiver.url,
    )
    .await;
    let secret = Secret::from_stored(created["secret"].as_str().unwrap().to_owned());
    assert!(secret.expose().starts_with("whsec_"));
    let id = created["id"].as_str().unwrap().to_owned();
    // The secret is shown once: not in reads.
    let read = app
        .get_json(&province, &format!("/api/v1/subscriptions/{id}"))
        .await;
    assert!(
        read.get("secret").is_none() && read["status"] == "active",
        "{read}"
    );

    seed::snapshots(&app).await; // August and September: two snapshot.taken events.
    let items = settled(&app, &id, "delivered", 2).await;
    let received = receiver.received();
    for delivery in &items {
        let event_id = delivery["event_id"].as_str().unwrap();
        let attempts = delivery["attempt_log"].as_array().unwrap();
        let outcomes: Vec<(bool, Option<i64>)> = attempts
            .iter()
            .map(|a| (a["succeeded"].as_bool().unwrap(), a["status_code"].as_i64()))
            .collect();
        assert_eq!(
            outcomes,
            [(false, Some(503)), (false, Some(503)), (true, Some(204))]
        );
        assert_eq!(delivery["attempts"], 3);
        assert!(
            attempts
                .iter()
                .all(|a| a["latency_ms"].as_i64().unwrap() >= 0)
        );
        let mine: Vec<&Received> = received.iter().filter(|r| r.event_id == event_id).collect();
        assert_eq!(mine.len(), 3, "{event_id}");
        assert_eq!(mine.iter().filter(|r| r.answered == 204).count(), 1);
        for request in mine {
            // The documented scheme: HMAC-SHA256 of "<t>.<body>" keyed with the secret.
            let now = chrono::Utc::now().timestamp();
            signature::verify(&secret, &request.signature, &request.body, now, 300).unwrap();
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(
                (body["id"].as_str(), body["kind"].as_str()),
                (Some(event_id), Some("snapshot.taken"))
            );
            assert_eq!(body["data"]["plan_id"], seed::PLAN);
        }
    }
    // A signature over another body does not verify.
    let first = &received[0];
    let now = chrono::Utc::now().timestamp();
    assert!(signature::verify(&secret, &first.signature, b"{}", now, 300).is_err());
}

#[tokio::test]
async fn a_restart_between_attempts_loses_nothing() {
    let database = TestDatabase::create();
    let mut env: Vec<(&str, &str)> = TEST_ENV.to_vec();
    env.push(("MONITORING_DATABASE_URL", database.url()));
    let up = Arc::new(AtomicBool::new(false));
    let is_up = up.clone();
    let receiver = Receiver::start(Arc::new(move |_| {
        if is_up.load(Ordering::SeqCst) {
            200
        } else {
            500
        }
    }));
    let first = App::spawn_with(&env).await;
    let id = province_subscription(&first, &receiver.url).await;
    seed::snapshots(&first).await;
    // Wait for a failed attempt of each, then stop the service.
    for _ in 0..300 {
        let items = deliveries(&first, &id).await;
        if items.len() == 2 && items.iter().all(|d| d["attempts"].as_i64().unwrap() >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.stop().await;
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let failed_before = receiver.received().len();
    assert!(failed_before >= 2, "{failed_before}");
    up.store(true, Ordering::SeqCst);

    let second = App::spawn_with(&env).await;
    let items = settled(&second, &id, "delivered", 2).await;
    let received = receiver.received();
    for delivery in &items {
        let event_id = delivery["event_id"].as_str().unwrap();
        let mine: Vec<&Received> = received.iter().filter(|r| r.event_id == event_id).collect();
        assert_eq!(
            mine.iter().filter(|r| r.answered == 200).count(),
            1,
            "{event_id}"
        );
        assert!(mine.iter().any(|r| r.answered == 500), "{event_id}");
        let log = delivery["attempt_log"].as_array().unwrap();
        assert_eq!(log.len(), mine.len(), "every attempt recorded");
        assert!(log.last().unwrap()["succeeded"].as_bool().unwrap());
        // The restarted service delivered it: the stopped one's worker stopped with it.
        let delivery_id = delivery["id"].as_str().unwrap().to_owned();
        let attempts = second
            .db
            .read(move |conn| webhooks::attempts_of(conn, &delivery_id).map_err(DbError::from))
            .await
            .unwrap();
        let worker = |claim: &str| claim.split('/').next().unwrap().to_owned();
        let (last, earlier) = attempts.split_last().unwrap();
        assert!(
            earlier
                .iter()
                .all(|a| worker(&a.claimed_by) != worker(&last.claimed_by))
        );
    }
}

#[tokio::test]
async fn a_subscription_that_keeps_failing_is_paused_with_the_reason() {
    let mut env: Vec<(&str, &str)> = TEST_ENV.to_vec();
    env.push(("MONITORING_WEBHOOK_PAUSE_AFTER_FAILURES", "3"));
    let app = App::spawn_with(&env).await;
    let receiver = Receiver::start(Arc::new(|_| 502));
    let province = app.province_token();
    let created = subscribe(
        &app,
        &province,
        "320500",
        json!(["snapshot.taken"]),
        &receiver.url,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    seed::snapshots(&app).await;
    let path = format!("/api/v1/subscriptions/{id}");
    let mut view = Value::Null;
    for _ in 0..300 {
        view = app.get_json(&province, &path).await;
        if view["status"] == "paused" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(view["status"], "paused", "{view}");
    let reason = view["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("HTTP 502") && reason.contains("已暂停"),
        "{reason}"
    );
    // Paused: nothing more is sent.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = receiver.received().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), sent);
    assert!(
        deliveries(&app, &id)
            .await
            .iter()
            .all(|d| d["status"] == "pending")
    );
}

#[tokio::test]
async fn loopback_private_and_metadata_targets_are_refused_by_default() {
    let app = App::spawn().await;
    let province = app.province_token();
    for url in [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.20/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
    ] {
        let body = json!({"region": "320000", "events": ["alert.opened"], "url": url});
        let response = app.post_as(&province, "/api/v1/subscriptions", &body).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem_fields(&problem), ["url"], "{url}");
        assert_eq!(problem["errors"][0]["rule"], "public_address", "{url}");
    }
    let body = json!({"region": "320000", "events": ["alert.opened"], "url": "http://receiver.example.cn/hook"});
    let problem = assert_problem(
        app.post_as(&province, "/api/v1/subscriptions", &body).await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["rule"], "scheme");
    let body = json!({"region": "3205", "events": [], "url": "https://receiver.example.cn/hook"});
    let problem = assert_problem(
        app.post_as(&province, "/api/v1/subscriptions", &body).await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["region", "events"]);
    let list = app.get_json(&province, "/api/v1/subscriptions").await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn a_city_manages_only_its_own_subtree() {
    let app = App::spawn().await;
    let url = "https://receiver.example.cn/hook";
    let suzhou = app.token(Role::City, "320500");
    let nanjing = app.token(Role::City, "320100");
    let created = subscribe(
        &app,
        &suzhou,
        "320505",
        json!(["alert.opened", "alert.resolved"]),
        url,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["events"], json!(["alert.opened", "alert.resolved"]));
    let body = json!({"region": "320100", "events": ["alert.opened"], "url": url});
    assert_problem_type(
        app.post_as(&suzhou, "/api/v1/subscriptions", &body).await,
        403,
        types::FORBIDDEN,
    )
    .await;
    let county = app.token(Role::County, "320505");
    let body = json!({"region": "320505", "events": ["alert.opened"], "url": url});
    assert_problem_type(
        app.post_as(&county, "/api/v1/subscriptions", &body).await,
        403,
        types::FORBIDDEN,
    )
    .await;
    let theirs = app.get_json(&nanjing, "/api/v1/subscriptions").await;
    assert_eq!(theirs["items"], json!([]));
    let path = format!("/api/v1/subscriptions/{id}");
    assert_problem_type(app.get_as(&nanjing, &path).await, 404, types::NOT_FOUND).await;
    let ours = app.get_json(&suzhou, "/api/v1/subscriptions").await;
    assert_eq!(ours["items"][0]["id"], id.as_str());

    // Deleting needs the ETag; the subscription is kept, marked deleted, and listed no more.
    let read = app.get_as(&suzhou, &path).await;
    let tag = etag(&read);
    let response = app
        .send_with_etag(reqwest::Method::DELETE, &suzhou, &path, None, &Value::Null)
        .await;
    assert_problem(response, 428).await;
    let response = app
        .send_with_etag(
            reqwest::Method::DELETE,
            &suzhou,
            &path,
            Some(&tag),
            &Value::Null,
        )
        .await;
    let deleted = assert_json(response, 200).await;
    assert_eq!(deleted["status"], "deleted");
    let ours = app.get_json(&suzhou, "/api/v1/subscriptions").await;
    assert_eq!(ours["items"], json!([]));
}

#[tokio::test]
async fn targets_are_checked_again_at_delivery() {
    // Subscribed while private targets were allowed; delivered by a service that refuses them.
    let database = TestDatabase::create();
    let mut open: Vec<(&str, &str)> = TEST_ENV.to_vec();
    open.push(("MONITORING_DATABASE_URL", database.url()));
    let receiver = Receiver::start(Arc::new(|_| 204));
    let first = App::spawn_with(&open).await;
    let id = province_subscription(&first, &receiver.url).await;
    first.stop().await;
    drop(first);

    let strict: Vec<(&str, &str)> = open
        .iter()
        .copied()
        .filter(|(name, _)| *name != "MONITORING_WEBHOOK_ALLOW_PRIVATE_TARGETS")
        .collect();
    let second = App::spawn_with(&strict).await;
    seed::snapshots(&second).await;
    for _ in 0..300 {
        let items = deliveries(&second, &id).await;
        if items.len() == 2 && items.iter().all(|d| d["attempts"].as_i64().unwrap() >= 1) {
            for delivery in &items {
                let error = delivery["last_error"].as_str().unwrap();
                assert!(error.contains("https"), "{error}");
                assert!(delivery["last_status_code"].is_null());
            }
            assert!(
                receiver.received().is_empty(),
                "nothing reached the receiver"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no attempt recorded: {:?}", deliveries(&second, &id).await);
}
