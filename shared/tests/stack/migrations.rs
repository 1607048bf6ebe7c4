//! The shared tables' migration runs with every service's own, and a database made before
//! it moved into `shared/` (when each service ran its own copy) keeps working. Several
//! replicas of a service starting at once (a Kubernetes rollout, an autoscaler) apply the
//! migrations once between them: each waits on the PostgreSQL advisory lock in
//! `db::run_migrations` instead of racing through the same statements.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
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

static POSTGRES: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/postgres");
static SQLITE: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/sqlite");

#[tokio::test]
async fn replicas_starting_together_apply_migrations_once() {
    let database = TestDatabase::create();
    // SQLite is one file for one process: replicas are a PostgreSQL matter, and there the
    // race is real; SQLite is checked starting one after the other.
    let replicas = match database.backend() {
        Backend::Postgres => 6,
        Backend::Sqlite => 1,
    };
    let settings = DbSettings {
        url: DatabaseUrl::parse(database.url()).unwrap(),
        pool_size: 1,
        connect_timeout: Duration::from_secs(10),
    };
    let migrations = Migrations::new(&POSTGRES, &SQLITE);
    let start = Arc::new(Barrier::new(replicas));
    let starting: Vec<_> = (0..replicas)
        .map(|_| {
            let (settings, start) = (settings.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                Db::connect(&settings, migrations)
            })
        })
        .collect();
    let mut started = Vec::new();
    for replica in starting {
        started.push(replica.join().unwrap().unwrap());
    }
    let late = Db::connect(&settings, migrations).unwrap();
    started.push(late);
    for db in &started {
        db.check_ready().await.unwrap();
    }
}
