//! The keyed read's cache (`app::keyed_read`): a read never returns what a committed change
//! replaced — at once for this service's own writes, within moments for a change made by a
//! replica or at a SQL prompt (PostgreSQL's change feed).

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use hte_shared::db::changes::FEED_NAME;
use serde_json::{Value, json};

use crate::helpers::{RegistryFixtures, TestApp, credit_code, enterprise_body};

const KUNSHAN: &str = "320583";
/// How long a change made elsewhere may take to reach a replica's cache: the feed is polled
/// every 10 ms; the rest is room for a loaded machine.
const FEED_BOUND: Duration = Duration::from_secs(3);

async fn read(app: &TestApp, code: &str, as_of: &str) -> Value {
    app.get_json(
        &app.province_token(),
        &format!("/api/v1/enterprises/{code}?as_of={as_of}"),
    )
    .await
}

/// `keyed_cache_reads_total` for `outcome`, from `/metrics`.
async fn cache_reads(app: &TestApp, outcome: &str) -> u64 {
    let text = app.metrics_text().await;
    let label = format!("outcome=\"{outcome}\"");
    text.lines()
        .find(|line| line.starts_with("keyed_cache_reads_total{") && line.contains(&label))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no keyed_cache_reads_total for {outcome} in\n{text}"))
}

/// Reads until `field` reads `expected`, failing after [`FEED_BOUND`].
async fn read_until(app: &TestApp, code: &str, field: &str, expected: &str) {
    let started = Instant::now();
    loop {
        let body = read(app, code, "2026-01-01").await;
        if body[field] == expected {
            return;
        }
        assert!(
            started.elapsed() < FEED_BOUND,
            "{field} still {} after {FEED_BOUND:?}",
            body[field]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_read_after_a_write_through_the_service_sees_it_at_once() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 1);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "缓存前有限公司"))
        .await;
    let path = format!("/api/v1/enterprises/{code}");
    for _ in 0..2 {
        assert_eq!(
            read(&app, &code, "2026-01-01").await["status"],
            "registered"
        );
    }

    // The second read was the cache's (on PostgreSQL, once its change feed has answered).
    let served = cache_reads(&app, "hit").await;
    assert!(
        served >= 1 || app.database.server_address().is_some(),
        "{served}"
    );

    let patched = app
        .patch_as(
            &token,
            &path,
            Some("\"v1\""),
            &json!({"name": "缓存后有限公司"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let after = read(&app, &code, "2026-01-01").await;
    assert_eq!(after["name"], "缓存后有限公司");
    assert_eq!(after["version"], 2);

    let certificate = app
        .post_as(
            &token,
            &format!("{path}/certificates"),
            &json!({"certificate_no": "GR202532000001", "issued_on": "2025-12-01"}),
        )
        .await;
    assert_eq!(certificate.status(), 201);
    // The facts are held, the status is worked out for each date asked.
    assert_eq!(read(&app, &code, "2026-01-01").await["status"], "hte");
    assert_eq!(
        read(&app, &code, "2025-11-30").await["status"],
        "registered"
    );
}

#[tokio::test]
async fn with_the_cache_turned_off_reads_still_answer() {
    let app = TestApp::spawn_with(&[("REGISTRY_KEYED_CACHE_FIRMS", "0")]).await;
    let code = credit_code(KUNSHAN, 2);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "无缓存有限公司"))
        .await;
    for _ in 0..2 {
        assert_eq!(
            read(&app, &code, "2026-01-01").await["name"],
            "无缓存有限公司"
        );
    }
    assert_eq!(cache_reads(&app, "hit").await, 0);
}

#[tokio::test]
async fn a_replica_sees_the_other_replicas_writes() {
    let first = TestApp::spawn().await;
    let Some(second) = first.spawn_replica(&[]).await else {
        eprintln!("not applicable on SQLite (one process owns the file); set TEST_DATABASE_URL");
        return;
    };
    let code = credit_code(KUNSHAN, 3);
    first
        .create_enterprise(&enterprise_body(&code, KUNSHAN, "副本甲有限公司"))
        .await;
    assert_eq!(
        read(&second, &code, "2026-01-01").await["name"],
        "副本甲有限公司"
    );

    // Once the feed has answered, a firm read again is the cache's.
    let started = Instant::now();
    while cache_reads(&second, "hit").await == 0 {
        assert!(
            started.elapsed() < FEED_BOUND,
            "the replica never served from its cache"
        );
        read(&second, &code, "2026-01-01").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let path = format!("/api/v1/enterprises/{code}");
    let token = first.province_token();
    let patched = first
        .patch_as(
            &token,
            &path,
            Some("\"v1\""),
            &json!({"name": "副本乙有限公司"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    read_until(&second, &code, "name", "副本乙有限公司").await;

    let certificate = first
        .post_as(
            &token,
            &format!("{path}/certificates"),
            &json!({"certificate_no": "GR202532000003", "issued_on": "2025-12-01"}),
        )
        .await;
    assert_eq!(certificate.status(), 201);
    read_until(&second, &code, "status", "hte").await;
}

#[tokio::test]
async fn a_change_made_at_a_sql_prompt_is_seen_within_moments() {
    let app = TestApp::spawn().await;
    if app.database.server_address().is_none() {
        eprintln!("not applicable on SQLite (no other writer); set TEST_DATABASE_URL");
        return;
    }
    let code = credit_code(KUNSHAN, 4);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "手工前有限公司"))
        .await;
    assert_eq!(
        read(&app, &code, "2026-01-01").await["name"],
        "手工前有限公司"
    );

    let mut prompt = PgConnection::establish(app.database.url()).unwrap();
    prompt
        .batch_execute(&format!(
            "UPDATE enterprises SET name = '手工后有限公司', version = version + 1 \
             WHERE credit_code = '{code}'"
        ))
        .unwrap();
    read_until(&app, &code, "name", "手工后有限公司").await;

    // A pool entry added by hand changes the status the same way.
    prompt
        .batch_execute(&format!(
            "INSERT INTO pool_entries (credit_code, year, batch, source, entered_on, created_at) \
             VALUES ('{code}', 2025, 1, '手工', '2025-05-01', now())"
        ))
        .unwrap();
    read_until(&app, &code, "status", "pool").await;
}

/// The change feed's connections to the test database.
fn feed_connections(prompt: &mut PgConnection) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let query = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = $1",
    )
    .bind::<diesel::sql_types::Text, _>(FEED_NAME);
    diesel::RunQueryDsl::get_result::<Count>(query, prompt)
        .unwrap()
        .n
}

/// Waits until the feed's connections number `expected`, failing after [`FEED_BOUND`].
async fn feed_connections_become(prompt: &mut PgConnection, expected: i64) {
    let started = Instant::now();
    loop {
        let now = feed_connections(prompt);
        if now == expected {
            return;
        }
        assert!(
            started.elapsed() < FEED_BOUND,
            "{now} feed connections, not {expected}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stopped_feed_closes_its_connection_and_the_cache_is_bypassed() {
    let app = TestApp::spawn().await;
    if app.database.server_address().is_none() {
        eprintln!("not applicable on SQLite (no change feed); set TEST_DATABASE_URL");
        return;
    }
    let mut prompt = PgConnection::establish(app.database.url()).unwrap();
    feed_connections_become(&mut prompt, 1).await;
    hte_shared::db::changes::stop(Some(app.database.url()));
    feed_connections_become(&mut prompt, 0).await;

    // Without its feed the replica no longer knows what others change: it reads through.
    let code = credit_code(KUNSHAN, 5);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "无推送有限公司"))
        .await;
    tokio::time::sleep(Duration::from_millis(1_200)).await; // past the lease
    let bypassed = cache_reads(&app, "bypass").await;
    read(&app, &code, "2026-01-01").await;
    assert_eq!(cache_reads(&app, "bypass").await, bypassed + 1);
}
