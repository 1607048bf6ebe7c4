//! The two bench databases: created fresh, force-dropped at the end.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;

/// Creates and (on drop) force-drops the bench databases.
pub struct Databases {
    pub admin_url: String,
    pub names: Vec<String>,
    pub keep: bool,
}

impl Databases {
    pub fn create(&mut self, name: &str) -> Result<String> {
        let mut admin =
            PgConnection::establish(&self.admin_url).context("connecting to BENCH_DATABASE_URL")?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .with_context(|| format!("creating database {name}"))?;
        self.names.push(name.to_owned());
        database_url(&self.admin_url, name)
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        if self.keep || self.names.is_empty() {
            return;
        }
        match PgConnection::establish(&self.admin_url) {
            Ok(mut admin) => {
                for name in &self.names {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    // Autovacuum may still be analysing the fresh tables, and its worker is
                    // not ours to terminate: wait for it rather than leave the database.
                    let mut attempt = 0;
                    while let Err(e) = admin.batch_execute(&drop) {
                        attempt += 1;
                        if attempt == 30 {
                            eprintln!("could not drop {name}: {e}");
                            break;
                        }
                        std::thread::sleep(Duration::from_secs(2));
                    }
                }
            }
            Err(e) => eprintln!("could not drop the bench databases: {e}"),
        }
    }
}

/// The admin URL with its database replaced by `name`.
fn database_url(admin: &str, name: &str) -> Result<String> {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let scheme_end = base
        .find("://")
        .ok_or_else(|| anyhow!("BENCH_DATABASE_URL is not a URL"))?
        + 3;
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}
