//! PostgreSQL's change feed for a [`KeyedCache`]: a thread that `LISTEN`s on a channel the
//! service's triggers `NOTIFY` with the key each committed change touched (`*` for a change
//! to many keys), and drops those keys. It also renews the cache's lease: a `SELECT 1` every
//! [`HEARTBEAT`], so a feed that stalls without an error stops the cache within the lease.
//! The thread ends, closing its connection, once the cache is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
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

/// A feed thread, as [`stop`] finds it.
struct Feed {
    url: String,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// Every feed this process started: stopped before it exits, so no thread is inside libpq
/// (and its TLS) while the process tears those libraries down.
static FEEDS: Mutex<Vec<Feed>> = Mutex::new(Vec::new());

/// Follows `channel` on the database at `url` for `cache`, on a thread of its own, until the
/// cache is dropped or [`stop`] is called.
pub fn follow<V: Send + Sync + 'static>(
    url: String,
    channel: &'static str,
    cache: &Arc<KeyedCache<V>>,
) -> std::io::Result<()> {
    let cache = Arc::downgrade(cache);
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let thread_url = url.clone();
    let thread = std::thread::Builder::new()
        .name(format!("follow-{channel}"))
        .spawn(move || {
            // Logged once an outage (when the feed is lost, and when it is back), not at
            // every attempt to reconnect.
            let mut lost: Option<Instant> = None;
            while cache.strong_count() > 0 && !stopped.load(Ordering::SeqCst) {
                let outcome = follow_once(&thread_url, channel, &cache, &stopped, &mut lost);
                if let Some(cache) = cache.upgrade() {
                    cache.suspend();
                }
                if let Err(error) = outcome {
                    if lost.is_none() {
                        tracing::warn!(%error, channel, "the database change feed was lost; the cache is bypassed until it is back");
                        lost = Some(Instant::now());
                    } else {
                        tracing::debug!(%error, channel, "the database change feed is still lost");
                    }
                }
                std::thread::park_timeout(RECONNECT);
            }
        })?;
    lock_feeds().push(Feed { url, stop, thread });
    Ok(())
}

/// Stops the feeds following `url` (every feed when `None`) and waits, at most a second, for
/// their threads to end. Called as a server shuts down, and by tests as their database goes.
pub fn stop(url: Option<&str>) {
    let feeds: Vec<Feed> = {
        let mut all = lock_feeds();
        let (stopping, kept) = all
            .drain(..)
            .partition(|feed| url.is_none_or(|url| feed.url == url));
        *all = kept;
        stopping
    };
    for feed in &feeds {
        feed.stop.store(true, Ordering::SeqCst);
        feed.thread.thread().unpark();
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    for feed in feeds {
        // One blocked in a heartbeat on a hung connection is left to its send timeout.
        while !feed.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn lock_feeds() -> std::sync::MutexGuard<'static, Vec<Feed>> {
    // A poisoned list is whole: pushes and drains do not panic half-way.
    FEEDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One connection's life: returns `Ok` when the cache is gone, an error when the feed is.
fn follow_once<V>(
    url: &str,
    channel: &str,
    cache: &Weak<KeyedCache<V>>,
    stop: &AtomicBool,
    lost: &mut Option<Instant>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = PgConnection::establish(&feed_url(url))?;
    conn.batch_execute(&format!("LISTEN {channel}"))?;
    if let Some(since) = lost.take() {
        tracing::info!(channel, after = ?since.elapsed(), "the database change feed is back");
    }
    let mut beat = Instant::now();
    match cache.upgrade() {
        // Changes made while no feed was followed were missed: confirming flushes them.
        Some(cache) => cache.confirm_fresh(),
        None => return Ok(()),
    }
    loop {
        std::thread::sleep(POLL);
        let Some(cache) = cache.upgrade().filter(|_| !stop.load(Ordering::SeqCst)) else {
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

/// `url` with what the feed's connection adds unless the URL names it: libpq's
/// `tcp_user_timeout`, so a heartbeat sent into a network that swallows it fails after ten
/// seconds instead of blocking the feed's thread for the kernel's quarter of an hour (the
/// cache is bypassed from the lease on either way; this bounds how long it stays so), and an
/// `application_name` that tells operators in `pg_stat_activity` what the connection is.
fn feed_url(url: &str) -> String {
    let settings = [("tcp_user_timeout", "10000"), (APPLICATION_NAME, FEED_NAME)];
    let uri = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let mut url = url.to_owned();
    for (name, value) in settings {
        if url.contains(name) {
            continue;
        }
        let joint = match (uri, url.contains('?')) {
            (true, true) => "&",
            (true, false) => "?",
            (false, _) => " ",
        };
        url = format!("{url}{joint}{name}={value}");
    }
    url
}

const APPLICATION_NAME: &str = "application_name";
/// The feed's `application_name` in `pg_stat_activity`.
pub const FEED_NAME: &str = "hte-change-feed";

#[cfg(test)]
mod tests {
    use super::feed_url;

    #[test]
    fn the_feed_connection_gets_a_send_timeout_and_a_name_in_either_url_form() {
        let added = "tcp_user_timeout=10000";
        let name = "application_name=hte-change-feed";
        assert_eq!(
            feed_url("postgres://u:p@db/hte"),
            format!("postgres://u:p@db/hte?{added}&{name}")
        );
        assert_eq!(
            feed_url("postgresql://db/hte?sslmode=require"),
            format!("postgresql://db/hte?sslmode=require&{added}&{name}")
        );
        assert_eq!(
            feed_url("host=db dbname=hte"),
            format!("host=db dbname=hte {added} {name}")
        );
        let set = "postgres://db/hte?tcp_user_timeout=3000&application_name=x";
        assert_eq!(feed_url(set), set);
    }
}
