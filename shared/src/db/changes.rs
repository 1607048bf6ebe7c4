//! PostgreSQL's change feed for a [`KeyedCache`]: a thread that `LISTEN`s on a channel the
//! service's triggers `NOTIFY` with the key each committed change touched (`*` for a change
//! to many keys), and drops those keys. It also renews the cache's lease: a `SELECT 1` every
//! [`HEARTBEAT`], so a feed that stalls without an error stops the cache within the lease.
//! The thread ends, closing its connection, once the cache is dropped.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::keyed_cache::KeyedCache;

/// How often the thread looks for notifications: the longest a change made elsewhere can
/// still be served here, beside its delivery.
const POLL: Duration = Duration::from_millis(10);
/// How often the feed proves it is alive.
const HEARTBEAT: Duration = Duration::from_millis(250);
/// How long values stay servable after the feed last answered.
pub const LEASE: Duration = Duration::from_secs(1);
/// The wait before connecting again after the feed was lost.
const RECONNECT: Duration = Duration::from_millis(500);

/// Follows `channel` on the database at `url` for `cache`, on a thread of its own.
pub fn follow<V: Send + Sync + 'static>(
    url: String,
    channel: &'static str,
    cache: &Arc<KeyedCache<V>>,
) -> std::io::Result<()> {
    let cache = Arc::downgrade(cache);
    std::thread::Builder::new()
        .name(format!("follow-{channel}"))
        .spawn(move || {
            while cache.strong_count() > 0 {
                if let Err(error) = follow_once(&url, channel, &cache) {
                    tracing::warn!(%error, channel, "the database change feed was lost");
                }
                if let Some(cache) = cache.upgrade() {
                    cache.suspend();
                }
                std::thread::sleep(RECONNECT);
            }
        })
        .map(drop)
}

/// One connection's life: returns `Ok` when the cache is gone, an error when the feed is.
fn follow_once<V>(
    url: &str,
    channel: &str,
    cache: &Weak<KeyedCache<V>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = PgConnection::establish(url)?;
    conn.batch_execute(&format!("LISTEN {channel}"))?;
    let mut beat = Instant::now();
    match cache.upgrade() {
        // Changes made while no feed was followed were missed: confirming flushes them.
        Some(cache) => cache.confirm_fresh(),
        None => return Ok(()),
    }
    loop {
        std::thread::sleep(POLL);
        let Some(cache) = cache.upgrade() else {
            return Ok(());
        };
        for notification in conn.notifications_iter() {
            match notification?.payload.as_str() {
                "*" => cache.flush(),
                key => cache.evict(key),
            }
        }
        if beat.elapsed() >= HEARTBEAT {
            conn.batch_execute("SELECT 1")?;
            cache.confirm_fresh();
            beat = Instant::now();
        }
    }
}
