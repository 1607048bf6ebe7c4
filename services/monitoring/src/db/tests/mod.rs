//! The queries against real databases: a fresh SQLite file per test, or a fresh PostgreSQL
//! database when TEST_DATABASE_URL is set.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::db::{DatabaseUrl, Db, DbConnection, DbError, DbSettings};
use hte_shared::testing::TestDatabase;

use super::MIGRATIONS;

mod alerts;
mod leases;
mod snapshots;
mod statistics_inputs;
mod webhooks;

/// A migrated database for one test; dropped with it.
pub struct Store {
    pub db: Db,
    _database: TestDatabase,
}

impl Store {
    pub fn new() -> Self {
        let database = TestDatabase::create();
        let settings = DbSettings {
            url: DatabaseUrl::parse(database.url()).unwrap(),
            pool_size: 4,
            connect_timeout: Duration::from_secs(10),
        };
        let db = Db::connect(&settings, MIGRATIONS).unwrap();
        Self {
            db,
            _database: database,
        }
    }

    /// Runs `work` in one transaction.
    /// Another handle on the same database, as a restarted service or another replica
    /// would open it.
    pub fn reopen(&self) -> Db {
        let settings = DbSettings {
            url: DatabaseUrl::parse(self._database.url()).unwrap(),
            pool_size: 4,
            connect_timeout: Duration::from_secs(10),
        };
        Db::connect(&settings, MIGRATIONS).unwrap()
    }

    pub async fn write<T, F>(&self, work: F) -> T
    where
        F: FnOnce(&mut DbConnection) -> diesel::QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .write(move |conn| work(conn).map_err(DbError::from))
            .await
            .unwrap()
    }

    pub async fn read<T, F>(&self, work: F) -> T
    where
        F: FnOnce(&mut DbConnection) -> diesel::QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .read(move |conn| work(conn).map_err(DbError::from))
            .await
            .unwrap()
    }
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// `2020-10-01 08:00:00.000001` and the like.
pub fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}
