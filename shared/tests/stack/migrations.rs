//! The shared tables' migration runs with every service's own, and a database made before
//! it moved into `shared/` (when each service ran its own copy) keeps working.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel_migrations::embed_migrations;
use hte_shared::audit::{self, Actor, Change};
use hte_shared::db::{Backend, ConnectionManager, DatabaseUrl, Db, DbSettings, Migrations};
use hte_shared::service::Service;
use hte_shared::testing::TestDatabase;

use crate::helpers::Probe;

fn settings(database: &TestDatabase) -> DbSettings {
    DbSettings {
        url: DatabaseUrl::parse(database.url()).unwrap(),
        pool_size: 2,
        connect_timeout: std::time::Duration::from_secs(5),
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(db: &DbSettings, sql: &str) -> i64 {
    let mut conn = ConnectionManager::new(db.url.clone()).establish().unwrap();
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

#[tokio::test]
async fn a_database_made_by_a_services_own_copy_keeps_its_data() {
    let database = TestDatabase::create();
    let settings = settings(&database);
    // What a service's first migration left before the shared set existed: the same tables
    // and diesel's record of version 2026-11-28-000001.
    let mut conn = ConnectionManager::new(settings.url.clone())
        .establish()
        .unwrap();
    let up = match database.backend() {
        Backend::Postgres => {
            include_str!("../../migrations/postgres/2026-11-28-000001_audit_and_idempotency/up.sql")
        }
        Backend::Sqlite => {
            include_str!("../../migrations/sqlite/2026-11-28-000001_audit_and_idempotency/up.sql")
        }
    };
    conn.batch_execute(up).unwrap();
    conn.batch_execute(
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
         run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); \
         INSERT INTO __diesel_schema_migrations (version) VALUES ('20261128000001');",
    )
    .unwrap();
    audit::append(
        &mut conn,
        &Actor::system("legacy"),
        Change {
            entity_type: "probe",
            entity_key: "320500",
            action: "create",
            reason: None,
            before: None,
            after: Some(serde_json::json!({"kept": true})),
        },
    )
    .unwrap();
    drop(conn);

    let db = tokio::task::spawn_blocking({
        let settings = settings.clone();
        move || Db::connect(&settings, Probe::MIGRATIONS)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(db.check_ready().await, Ok(()));
    assert_eq!(count(&settings, "SELECT COUNT(*) AS n FROM audit_log"), 1);
    assert_eq!(
        count(&settings, "SELECT COUNT(*) AS n FROM probe_writes"),
        0
    );
    assert_eq!(
        count(
            &settings,
            "SELECT COUNT(*) AS n FROM __diesel_schema_migrations"
        ),
        2,
        "the shared version once, the probe's own once"
    );
}

#[tokio::test]
async fn a_service_migration_reusing_a_shared_version_is_refused() {
    let database = TestDatabase::create();
    const CLASHING: Migrations = Migrations::new(
        &embed_migrations!("tests/fixtures/clashing/postgres"),
        &embed_migrations!("tests/fixtures/clashing/sqlite"),
    );
    let settings = settings(&database);
    let error = tokio::task::spawn_blocking(move || Db::connect(&settings, CLASHING))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        error.to_string().contains("must not reuse a version"),
        "{error}"
    );
}
