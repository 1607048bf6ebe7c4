//! The keyed read (`GET /enterprises/{credit_code}`), the registry's most frequent request:
//! a firm's facts come from a cache kept exact by invalidation ([`KeyedCache`]), so a
//! repeated read costs no database round trip and no thread hop, and a firm's status is
//! still worked out for the date asked on every read.
//!
//! What a cached value holds is what `db::enterprises::find_with_facts` reads: the firm's
//! row, its certificates, pool entries and zone level. On PostgreSQL the triggers of
//! migration `…000014_enterprise_changes` announce every committed change to those tables
//! on [`CHANGE_CHANNEL`] (a firm's credit code, or `*` for a zone or a truncation), so
//! another replica's writes, or a fix at a SQL prompt, drop the firm here within
//! milliseconds; this process's own writes make every held value stale at once.

use std::sync::Arc;

use hte_shared::db::{DatabaseUrl, Db, DbError, KeyedCache, changes};

use crate::db::enterprises::{self as queries, EnterpriseFacts};
use crate::domain::credit_code::CreditCode;
use crate::error::RegistryError;

/// A firm's facts by credit code.
pub type EnterpriseCache = KeyedCache<EnterpriseFacts>;

/// The channel the change triggers notify.
pub const CHANGE_CHANNEL: &str = "enterprise_changed";

/// The cache for `db`, holding at most `capacity` firms (0: none), and on PostgreSQL the
/// thread that follows the change feed at `url`.
pub fn start_cache(
    db: &Db,
    url: &DatabaseUrl,
    capacity: usize,
) -> Result<Arc<EnterpriseCache>, String> {
    let lease = matches!(url, DatabaseUrl::Postgres(_)).then_some(changes::LEASE);
    let cache = EnterpriseCache::new("enterprise", capacity, db.writes(), lease)
        .map_err(|e| format!("its counters: {e}"))?;
    let cache = Arc::new(cache);
    if let (DatabaseUrl::Postgres(url), true) = (url, capacity > 0) {
        changes::follow(url.clone(), CHANGE_CHANNEL, &cache)
            .map_err(|e| format!("cannot follow the change feed: {e}"))?;
    }
    Ok(cache)
}

/// The firm's facts from the cache, or read (and kept) when not held; `None` when no firm
/// has the code.
pub async fn facts(
    db: &Db,
    cache: &EnterpriseCache,
    code: &CreditCode,
) -> Result<Option<Arc<EnterpriseFacts>>, RegistryError> {
    let ticket = match cache.get(code.as_str()) {
        Ok(held) => return Ok(Some(held)),
        Err(ticket) => ticket,
    };
    let key = code.as_str().to_owned();
    let read = db
        .read(move |conn| queries::find_with_facts(conn, &key).map_err(DbError::from))
        .await?;
    Ok(read.map(|facts| {
        let facts = Arc::new(facts);
        cache.put(code.as_str(), facts.clone(), ticket);
        facts
    }))
}
