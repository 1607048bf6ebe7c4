//! Storage: one connection type over PostgreSQL and SQLite, a pool, migrations, and a handle
//! that runs blocking database work off the async executor.

use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::i18n::Text;
use crate::problem::Problem;

pub mod changes;
pub mod keyed_cache;
mod readers;
mod turn;
pub use keyed_cache::{KeyedCache, WriteCount};
pub use turn::{BatchGuard, BatchTurn, TurnGuard, WriteTurn};

/// One connection type for both backends; the variant is chosen by the URL scheme.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A parsed `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, passed to libpq as is.
    Postgres(String),
    /// `sqlite://path`, `sqlite:path` or `sqlite::memory:`.
    Sqlite(PathBuf),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The URL may carry a password.
            Self::Postgres(_) => f.write_str("Postgres(***)"),
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
        }
    }
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(Self::Postgres(raw.to_owned()))
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(
                    "a sqlite URL needs a file path, e.g. sqlite://data/registry.db".into(),
                );
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            Err("the database URL must start with postgres://, postgresql:// or sqlite://".into())
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Opens connections of the concrete type itself, so a failure shows the real cause
/// (diesel's MultiConnection would only say "invalid connection url"), and applies the
/// SQLite settings on every new connection.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 5000; \
     PRAGMA foreign_keys = ON;";

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn establish(&self) -> Result<DbConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // JIT compilation costs more than it saves on this service's queries (it took
                // 5x the execution time of the grouped statistics).
                conn.batch_execute("SET jit = off")?;
                Ok(DbConnection::Postgresql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection and what the pool needs to know to keep it healthy without a query
/// per check-out (that ping was one of four round trips of a keyed read).
pub struct PooledConnection {
    conn: DbConnection,
    /// Work on it failed: it may have lost its server, so it is pinged before it goes back.
    suspect: bool,
    last_used: Instant,
}

/// A connection idle for longer is pinged at check-out: the server may have restarted since.
/// Busy connections are not, and one that breaks under load is caught by `suspect`.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

impl std::ops::Deref for PooledConnection {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = PooledConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<PooledConnection, ConnectError> {
        Ok(PooledConnection {
            conn: self.establish()?,
            suspect: false,
            last_used: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut PooledConnection) -> Result<(), ConnectError> {
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(ConnectError::from)
    }

    /// Called as a connection goes back to the pool: only a suspect one costs a ping.
    fn has_broken(&self, conn: &mut PooledConnection) -> bool {
        conn.suspect && conn.conn.batch_execute("SELECT 1").is_err()
    }
}

type Pool = r2d2::Pool<ConnectionManager>;

/// A connection for work, had before `deadline`: one idle past [`IDLE_BEFORE_PING`] is pinged
/// first and, when its server is gone, dropped for another (at most as many tries as the pool
/// has connections).
fn check_out(
    pool: &Pool,
    deadline: Instant,
) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
    for _ in 0..=pool.max_size() {
        let mut conn = pool
            .get_timeout(deadline.saturating_duration_since(Instant::now()))
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        if conn.last_used.elapsed() < IDLE_BEFORE_PING {
            return Ok(conn);
        }
        match conn.conn.batch_execute("SELECT 1") {
            Ok(()) => return Ok(conn),
            Err(error) => {
                tracing::warn!(%error, "a pooled database connection was lost; replacing it");
                // has_broken pings again on the way back and the pool discards it.
                conn.suspect = true;
            }
        }
    }
    Err(DbError::Unavailable(
        "every pooled connection had lost its server".to_owned(),
    ))
}

/// Runs `work` on a checked-out connection, marking it suspect when the work fails.
fn run_on<T, E>(
    conn: &mut PooledConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let result = work(&mut conn.conn);
    conn.suspect = result.is_err();
    conn.last_used = Instant::now();
    result
}

/// The tables every service keeps: the audit log and the idempotency keys (`shared/migrations`).
///
/// Their migration keeps the version `2026-11-28-000001` under which each service ran its own
/// copy before the copies were merged here. Diesel records only a migration's version in
/// `__diesel_schema_migrations`, so a database made by the old copy finds this one applied
/// and runs nothing twice, while a new database runs it first, before the service's own
/// migrations (which start at `…-000002`). Versions are compared across both sets: a service
/// migration reusing a shared version is refused at start-up rather than silently skipped.
static SHARED_POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
static SHARED_SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A service's own migrations, from `migrations/postgres` and `migrations/sqlite` beside its
/// `Cargo.toml` (the crate naming them needs `diesel_migrations`).
#[macro_export]
macro_rules! own_migrations {
    () => {
        $crate::db::Migrations::new(
            &::diesel_migrations::embed_migrations!("migrations/postgres"),
            &::diesel_migrations::embed_migrations!("migrations/sqlite"),
        )
    };
}

/// A service's own migration sets, one per backend; the shared set always runs with them.
#[derive(Clone, Copy)]
pub struct Migrations {
    own: Option<(&'static EmbeddedMigrations, &'static EmbeddedMigrations)>,
}

impl Migrations {
    /// A service with tables of its own (`embed_migrations!("migrations/postgres")` and
    /// `…("migrations/sqlite")`).
    pub const fn new(
        postgres: &'static EmbeddedMigrations,
        sqlite: &'static EmbeddedMigrations,
    ) -> Self {
        Self {
            own: Some((postgres, sqlite)),
        }
    }

    /// A service with only the shared tables.
    pub const NONE: Self = Self { own: None };

    fn source(&self, backend: Backend) -> Source {
        match (backend, self.own) {
            (Backend::Postgres, own) => Source {
                shared: &SHARED_POSTGRES,
                own: own.map(|(postgres, _)| postgres),
            },
            (Backend::Sqlite, own) => Source {
                shared: &SHARED_SQLITE,
                own: own.map(|(_, sqlite)| sqlite),
            },
        }
    }
}

/// The shared set and a service's own set as one source for diesel (which sorts them by
/// version and takes sources by value).
struct Source {
    shared: &'static EmbeddedMigrations,
    own: Option<&'static EmbeddedMigrations>,
}

impl<DB: diesel::backend::Backend> diesel::migration::MigrationSource<DB> for Source {
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<DB>>>> {
        use diesel::migration::MigrationSource;
        let mut all = MigrationSource::<DB>::migrations(self.shared)?;
        if let Some(own) = self.own {
            all.extend(MigrationSource::<DB>::migrations(own)?);
        }
        let mut versions: Vec<_> = all.iter().map(|m| m.name().version()).collect();
        versions.sort();
        if let Some(pair) = versions.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!(
                "two migrations have the version {:?}; a service's migration must not reuse a \
                 version of the shared migrations",
                pair[0]
            )
            .into());
        }
        Ok(all)
    }
}

/// Any PostgreSQL advisory lock key works as long as it is constant: replicas starting
/// together wait for each other instead of racing through the same migrations.
const MIGRATION_LOCK_KEY: i64 = 0x4854_455f_4d49_4752; // "HTE_MIGR"

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies the shared and the service's pending migrations; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection, migrations: &Migrations) -> Result<usize, BoxError> {
    match conn {
        DbConnection::Postgresql(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = pg
                .run_pending_migrations(migrations.source(Backend::Postgres))
                .map(|applied| applied.len());
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(migrations.source(Backend::Sqlite))
            .map(|applied| applied.len()),
    }
}

fn has_pending_migrations(
    conn: &mut DbConnection,
    migrations: &Migrations,
) -> Result<bool, BoxError> {
    match conn {
        DbConnection::Postgresql(pg) => {
            pg.has_pending_migration(migrations.source(Backend::Postgres))
        }
        DbConnection::Sqlite(sqlite) => {
            sqlite.has_pending_migration(migrations.source(Backend::Sqlite))
        }
    }
}

/// What went wrong talking to the database, sorted by what the client should be told.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had in time: 503, the client may retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// The blocking task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
    /// SQLite's writer's turn did not come within the configured wait: 503, retry later.
    #[error("no turn to write within {0:?}")]
    WriterBusy(Duration),
}

impl From<DbError> for Problem {
    fn from(error: DbError) -> Self {
        error.to_problem()
    }
}

impl DbError {
    /// What the client is told; causes that are not the client's business are logged.
    pub fn to_problem(&self) -> Problem {
        use diesel::result::{DatabaseErrorKind, Error};
        let error = self;
        match error {
            DbError::WriterBusy(_) => {
                tracing::warn!(%error, "writer's turn not had in time");
                Problem::service_unavailable(Text::fixed(
                    "another write (such as an import) is in progress; retry shortly",
                    "另一写入（如导入）正在进行，请稍后重试",
                ))
                .with_retry_after(2)
            }
            DbError::Unavailable(_) => {
                tracing::warn!(%error, "database unavailable");
                Problem::service_unavailable(Text::fixed(
                    "the database is unavailable; retry later",
                    "数据库暂不可用，请稍后重试",
                ))
                .with_retry_after(5)
            }
            DbError::Query(Error::NotFound) => {
                Problem::not_found(Text::fixed("no such record", "没有该记录"))
            }
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Problem::conflict(Text::fixed(
                    "a record with the same key already exists",
                    "已存在相同键的记录",
                ))
            }
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => {
                Problem::conflict(Text::fixed(
                    "a concurrent change conflicted with this one; retry",
                    "与同时进行的另一修改冲突，请重试",
                ))
            }
            DbError::Query(Error::SerializationError(_) | Error::DeserializationError(_)) => {
                tracing::error!(%error, "stored data could not be written or read");
                Problem::internal()
            }
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => {
                tracing::warn!(%error, "database connection lost");
                Problem::service_unavailable(Text::fixed(
                    "the database connection was lost; retry later",
                    "数据库连接中断，请稍后重试",
                ))
                .with_retry_after(5)
            }
            _ => {
                tracing::error!(%error, "database error");
                Problem::internal()
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct DbSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub connect_timeout: Duration,
}

/// The service's handle on its database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    sqlite_path: Option<PathBuf>,
    migrations: Migrations,
    /// SQLite allows one writer; taking turns here avoids "database is locked" errors when
    /// a deferred transaction tries to upgrade to a write.
    write_turn: WriteTurn,
    /// How long an API write waits for the turn before answering 503.
    write_wait: Duration,
    /// The threads read work runs on (see [`readers`]).
    readers: Arc<readers::Readers>,
    /// Writes committed through this handle, for caches of what they may change.
    writes: WriteCount,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbInitError {
    #[error("invalid database URL: {0}")]
    Url(String),
    #[error("cannot create the folder for the SQLite file {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectError),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot start the database reader threads: {0}")]
    Readers(std::io::Error),
    #[error("migrations failed: {0}")]
    Migrations(BoxError),
}

impl Db {
    /// Connects once directly (so a bad URL or an absent server fails fast with its real
    /// message), applies pending migrations, then opens the pool.
    pub fn connect(settings: &DbSettings, migrations: Migrations) -> Result<Self, DbInitError> {
        let sqlite_path = match &settings.url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|source| DbInitError::Folder {
                        path: parent.to_owned(),
                        source,
                    })?;
                }
                Some(path.clone())
            }
            DatabaseUrl::Postgres(_) => None,
        };
        let manager = ConnectionManager::new(settings.url.clone());
        let mut first = manager.establish()?;
        let applied = run_migrations(&mut first, &migrations).map_err(DbInitError::Migrations)?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(settings.connect_timeout)
            // Checked in `check_out` only when idle a while, not with a query per check-out.
            .test_on_check_out(false)
            .build(manager)?;
        let readers = readers::Readers::start(pool.max_size()).map_err(DbInitError::Readers)?;
        Ok(Self {
            pool,
            backend: settings.url.backend(),
            sqlite_path,
            migrations,
            write_turn: WriteTurn::default(),
            write_wait: Duration::from_secs(10),
            readers: Arc::new(readers),
            writes: WriteCount::default(),
        })
    }

    /// How long an API write waits for SQLite's writer's turn (`DB_WRITE_WAIT_SECS`).
    pub fn with_write_wait(mut self, wait: Duration) -> Self {
        self.write_wait = wait;
        self
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Counts the writes and bulk batches this handle has run: a [`KeyedCache`] made with it
    /// serves nothing read before the latest.
    pub fn writes(&self) -> WriteCount {
        self.writes.clone()
    }

    /// Runs read-only work on a pooled connection, on a reader thread. The whole wait for a
    /// connection, queued or in the pool, is bounded by the pool's connection timeout.
    pub async fn read<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let deadline = Instant::now() + pool.connection_timeout();
        let claim = readers::Claim::default();
        let (answer, mut answered) = tokio::sync::oneshot::channel();
        let job_claim = claim.clone();
        self.readers.push(Box::new(move || {
            // Its caller gave up waiting, or went away (the client hung up): no connection
            // is taken for an answer nobody reads.
            if answer.is_closed() || !job_claim.start() {
                return;
            }
            let _entered = span.enter();
            let result = check_out(&pool, deadline).map_err(E::from);
            // A caller that went away (the client hung up) needs no answer.
            let _ = answer.send(result.and_then(|mut conn| run_on(&mut conn, work)));
        }));
        let failed = |_| E::from(DbError::Task("the read job panicked".to_owned()));
        match tokio::time::timeout_at(deadline.into(), &mut answered).await {
            Ok(result) => result.map_err(failed)?,
            Err(_) if claim.abandon() => Err(E::from(DbError::Unavailable(format!(
                "no reader free within {:?}",
                self.pool.connection_timeout()
            )))),
            // Started just as the wait ran out: its own connection wait is bounded too.
            Err(_) => answered.await.map_err(failed)?,
        }
    }

    /// Runs work in one transaction: it all lands or none of it does.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let pool = self.pool.clone();
        let turn = (self.backend == Backend::Sqlite).then(|| self.write_turn.clone());
        let wait = self.write_wait;
        let span = tracing::Span::current();
        let writes = self.writes.clone();
        tokio::task::spawn_blocking(move || {
            // Counted as the work ends, whatever its outcome, on this thread: the caller may
            // have gone (a client that hung up) while the transaction still commits.
            let _counted = writes.counted();
            let _entered = span.enter();
            // Take the turn before a connection, so writers queued behind a long job do not
            // hold every pooled connection while readers wait.
            let _guard = turn.map(|t| t.take_within(wait)).transpose()?;
            let mut conn = check_out(&pool, Instant::now() + pool.connection_timeout())?;
            run_on(&mut conn, |conn| Connection::transaction(conn, work))
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Runs work that manages its own transactions (bulk jobs that commit in batches, or
    /// rehearse and roll back). On SQLite the work takes the writer's turn itself, per
    /// batch, through the [`BatchTurn`] it is handed, so API writes interleave.
    pub async fn write_batches<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection, &BatchTurn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let turn = BatchTurn {
            turn: (self.backend == Backend::Sqlite).then(|| self.write_turn.clone()),
            writes: Some(self.writes.clone()),
        };
        let span = tracing::Span::current();
        let writes = self.writes.clone();
        tokio::task::spawn_blocking(move || {
            // Each batch counts itself as its turn ends; this covers work done outside one.
            let _counted = writes.counted();
            let _entered = span.enter();
            let mut conn = check_out(&pool, Instant::now() + pool.connection_timeout())?;
            run_on(&mut conn, |conn| work(conn, &turn))
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Readiness: a connection can be had, answers, and the schema is current.
    pub async fn check_ready(&self) -> Result<(), String> {
        let pool = self.pool.clone();
        let migrations = self.migrations;
        let sqlite_path = self.sqlite_path.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(path) = &sqlite_path {
                // Open connections keep working on a deleted file, but nothing they write
                // would survive: report it rather than accept writes into the void.
                if !Path::new(path).exists() {
                    return Err(format!("the SQLite file {} is missing", path.display()));
                }
            }
            let mut conn = pool
                .get_timeout(Duration::from_secs(2))
                .map_err(|e| format!("no database connection: {e}"))?;
            if let Err(e) = conn.batch_execute("SELECT 1") {
                conn.suspect = true;
                return Err(format!("database does not answer: {e}"));
            }
            match has_pending_migrations(&mut conn, &migrations) {
                Ok(false) => Ok(()),
                Ok(true) => Err("database migrations are pending".to_owned()),
                Err(e) => Err(format!("cannot read migration state: {e}")),
            }
        })
        .await
        .map_err(|e| format!("readiness check failed: {e}"))?
    }
}

/// Runs `work` in a transaction that is always rolled back: a rehearsal (dry run) that sees
/// its own writes and leaves nothing behind.
pub fn rehearse<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::TransactionManager;
    type Manager = <DbConnection as Connection>::TransactionManager;
    Manager::begin_transaction(conn)?;
    let result = work(conn);
    Manager::rollback_transaction(conn)?;
    result
}

/// Inserts one row into `table`: the plain insert of a record kind (a key or constraint
/// refusal is the caller's error; there is no count to check).
pub fn insert_row<T, R>(conn: &mut DbConnection, table: T, row: R) -> QueryResult<()>
where
    T: Table,
    R: Insertable<T>,
    diesel::query_builder::InsertStatement<T, R::Values>:
        diesel::query_dsl::methods::ExecuteDsl<DbConnection>,
{
    diesel::insert_into(table).values(row).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert_eq!(
            format!(
                "{:?}",
                DatabaseUrl::parse("postgres://u:secret@h/db").unwrap()
            ),
            "Postgres(***)"
        );
    }
}
