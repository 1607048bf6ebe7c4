//! Test support: a fresh database per test and tokens for each role.
//!
//! By default each test gets its own temporary SQLite file. With `TEST_DATABASE_URL` set to a
//! PostgreSQL URL (a role allowed to create databases), each test gets its own database,
//! dropped when the test ends, so tests run in parallel and in any order on both backends.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::auth::{AuthKeys, Role};
use crate::db::{Backend, DatabaseUrl};
use crate::regions::RegionCode;

pub struct TestDatabase {
    url: String,
    kind: Kind,
}

enum Kind {
    Sqlite {
        dir: Option<tempfile::TempDir>,
        path: std::path::PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        dropped: bool,
    },
}

impl TestDatabase {
    pub fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.trim().is_empty() => Self::postgres(admin.trim()),
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("hte-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary folder: {e}"));
        let path = dir.path().join("test.db");
        Self {
            url: format!("sqlite://{}", path.display()),
            kind: Kind::Sqlite {
                dir: Some(dir),
                path,
            },
        }
    }

    fn postgres(admin_url: &str) -> Self {
        if !matches!(DatabaseUrl::parse(admin_url), Ok(DatabaseUrl::Postgres(_))) {
            panic!("TEST_DATABASE_URL must be a postgres:// URL");
        }
        let name = format!("hte_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let mut url = url::Url::parse(admin_url)
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            kind: Kind::Postgres {
                admin_url: admin_url.to_owned(),
                name,
                dropped: false,
            },
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        match self.kind {
            Kind::Sqlite { .. } => Backend::Sqlite,
            Kind::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Removes the database while the service may still be using it.
    pub fn destroy(&mut self) {
        match &mut self.kind {
            Kind::Sqlite { dir, path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                drop(dir.take());
            }
            Kind::Postgres {
                admin_url,
                name,
                dropped,
            } => {
                if *dropped {
                    return;
                }
                *dropped = true;
                match PgConnection::establish(admin_url) {
                    Ok(mut admin) => {
                        if let Err(e) = admin.batch_execute(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )) {
                            eprintln!("could not drop test database {name}: {e}");
                        }
                    }
                    Err(e) => eprintln!("could not drop test database {name}: {e}"),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.destroy();
    }
}

/// A signed token for `role` in `region` (a 6-digit code), valid for an hour.
pub fn token(keys: &AuthKeys, role: Role, region: &str) -> String {
    let region = RegionCode::parse(region).unwrap_or_else(|e| panic!("{e}"));
    keys.sign("test-user", role, &region, chrono::Duration::hours(1))
}

/// An HTTP client for tests (installs the TLS provider reqwest is built to expect).
pub fn http_client() -> reqwest::Client {
    crate::http_client::install_crypto_provider();
    reqwest::Client::new()
}

/// A client that does not follow redirects.
pub fn http_client_no_redirects() -> reqwest::Client {
    crate::http_client::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}
