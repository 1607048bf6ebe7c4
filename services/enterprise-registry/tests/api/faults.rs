//! The database restarted under a running registry (issue #12): requests answer 503 problems
//! within the configured wait, never hang or leak internals, and succeed again once the
//! database is back, without restarting the service. PostgreSQL only: an embedded SQLite
//! file has no server to restart.

use std::time::{Duration, Instant};

use hte_shared::problem::types::SERVICE_UNAVAILABLE;
use hte_shared::testing::{DbLink, TestDatabase, assert_problem_type};
use reqwest::Response;

use crate::helpers::{RegistryFixtures, TestApp, credit_code, enterprise_body};

const KUNSHAN: &str = "320583";
/// `DB_CONNECT_TIMEOUT_SECS` in this test: how long a request may wait for a connection.
const CONNECT_WAIT: Duration = Duration::from_secs(2);
/// The wait plus room for a loaded machine: any answer later than this is a hang.
const ANSWER_BOUND: Duration = Duration::from_secs(CONNECT_WAIT.as_secs() + 3);

/// Sends a request and fails the test if no answer comes within [`ANSWER_BOUND`].
async fn within_bound(request: reqwest::RequestBuilder, what: &str) -> Response {
    let started = Instant::now();
    let response = tokio::time::timeout(ANSWER_BOUND, request.send())
        .await
        .unwrap_or_else(|_| panic!("{what} hung past {ANSWER_BOUND:?}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    eprintln!("{what}: {} in {:?}", response.status(), started.elapsed());
    response
}

#[tokio::test]
async fn a_database_restart_answers_503_and_the_service_recovers_on_its_own() {
    let database = TestDatabase::create();
    let Some(server) = database.server_address() else {
        eprintln!(
            "not applicable on SQLite (no database server to restart); set TEST_DATABASE_URL"
        );
        return;
    };
    let link = DbLink::open(&server).await;
    let url = database.url_through(link.port());
    let wait = CONNECT_WAIT.as_secs().to_string();
    let app = TestApp::spawn_through(database, &url, &[("DB_CONNECT_TIMEOUT_SECS", &wait)]).await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 1);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "重启前"))
        .await;
    let keyed = format!("/api/v1/enterprises/{code}");
    app.get_json(&token, &keyed).await;

    link.cut().await;
    outage_answers_503(&app, &keyed).await;
    link.restore().await;
    back_in_service(&app, &keyed, 3).await;

    // A server that accepts connections but never answers must not hang a request either.
    link.stall().await;
    outage_answers_503(&app, &keyed).await;
    link.restore().await;
    back_in_service(&app, &keyed, 4).await;
}

/// Reads, lists, writes and readiness answer 503 problems within the bound; liveness stays up.
async fn outage_answers_503(app: &TestApp, keyed: &str) {
    let token = app.province_token();
    cache_lets_go(app, keyed).await;
    let during = [
        ("keyed read", app.client.get(app.url(keyed))),
        (
            "list",
            app.client.get(app.url("/api/v1/enterprises?limit=5")),
        ),
        (
            "registration",
            app.client
                .post(app.url("/api/v1/enterprises"))
                .json(&enterprise_body(
                    &credit_code(KUNSHAN, 2),
                    KUNSHAN,
                    "停机中",
                )),
        ),
    ];
    for (what, request) in during {
        let request = request.bearer_auth(&token).header("Accept-Language", "zh");
        let response = within_bound(request, what).await;
        let body = assert_problem_type(response, 503, SERVICE_UNAVAILABLE).await;
        assert!(
            body["detail"].as_str().unwrap().contains("数据库"),
            "{body}"
        );
    }
    let ready = within_bound(app.client.get(app.url("/readyz")), "readiness").await;
    assert_eq!(ready.headers()["retry-after"], "5");
    assert_problem_type(ready, 503, SERVICE_UNAVAILABLE).await;
    // Liveness does not depend on the database: an orchestrator must not kill the service.
    let live = within_bound(app.client.get(app.url("/livez")), "liveness").await;
    assert_eq!(live.status(), 200);
}

/// The firm read before the outage is held by the keyed read's cache, which serves it only
/// while the database's change feed answers: once the feed is found gone (at its next poll
/// when the connection drops, within the lease when it hangs) the read goes to the database
/// and answers 503. Until then the answer is the firm as it was, never anything else.
async fn cache_lets_go(app: &TestApp, keyed: &str) {
    let started = Instant::now();
    loop {
        let request = app
            .client
            .get(app.url(keyed))
            .bearer_auth(app.province_token());
        let response = within_bound(request, "keyed read, held").await;
        if response.status() == 503 {
            return;
        }
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["name"], "重启前");
        assert!(
            started.elapsed() < ANSWER_BOUND,
            "the cache still served the firm {:?} into the outage",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first requests after the outage succeed: broken connections are not reused.
async fn back_in_service(app: &TestApp, keyed: &str, serial: u32) {
    let ready = within_bound(app.client.get(app.url("/readyz")), "readiness after").await;
    assert_eq!(ready.status(), 200);
    let found = app.get_json(&app.province_token(), keyed).await;
    assert_eq!(found["name"], "重启前");
    let body = enterprise_body(&credit_code(KUNSHAN, serial), KUNSHAN, "恢复后");
    app.create_enterprise(&body).await;
}
