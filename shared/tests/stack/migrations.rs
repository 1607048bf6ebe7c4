//! Several replicas of a service starting at once (a Kubernetes rollout, an autoscaler)
//! apply the migrations once between them: each waits on the PostgreSQL advisory lock in
//! `db::run_migrations` instead of racing through the same statements.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use hte_shared::db::{Backend, DatabaseUrl, Db, DbSettings, Migrations};
use hte_shared::testing::TestDatabase;

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
    let migrations = Migrations {
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    };
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
