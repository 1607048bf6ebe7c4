//! Monitoring over real HTTP, each test on its own database (SQLite by default, PostgreSQL
//! with TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod body_limits;
mod bulletins;
mod chinese_problems;
mod contract;
mod dashboard;
mod helpers;
mod imports;
mod inputs;
mod seed;
mod snapshots;
mod webhooks;

use diesel::RunQueryDsl;
use hte_shared::db::DbError;
use hte_shared::testing::TestApp;
use monitoring::startup::Monitoring;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test]
async fn starts_ready_with_only_the_shared_tables() {
    let app = TestApp::<Monitoring>::spawn().await;
    for path in ["/livez", "/readyz", "/openapi.json", "/metrics"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    // No tables of its own yet, but the audit log and idempotency keys every service keeps.
    let counts = app
        .db
        .read(|conn| {
            ["audit_log", "idempotency_keys"]
                .map(|table| {
                    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                        .get_result::<Count>(conn)
                        .map(|c| c.n)
                })
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
                .map_err(DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(counts, [0, 0]);
}
