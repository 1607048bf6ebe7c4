//! A read-through cache for one keyed read, exact by invalidation rather than by expiry.
//!
//! A value is served only while nothing that could change it has happened since it was read:
//! - every write this process commits ([`WriteCount`], counted by [`super::Db`]) makes every
//!   value read before it stale, so a client always reads its own writes;
//! - a change made elsewhere (another replica, a person at a SQL prompt) arrives as the key
//!   it touched from the database's change feed ([`super::changes`]) and drops that key;
//! - on PostgreSQL nothing is served unless that feed answered within its lease: a replica
//!   that lost the database, or the feed, reads through to the database (and answers as
//!   the database does) instead of serving what may have changed meanwhile.
//!
//! A read that races a change cannot store what it read: the ticket it takes before going to
//! the database carries the write count and the shard's eviction count, and the value is
//! kept only if neither moved (checked under the shard's lock, which evictions also take).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use prometheus::{IntCounter, IntCounterVec, Opts};

/// How many writes this process has committed: a read that spans one may have read the old
/// value. Cheap to clone; bumped by [`super::Db`] after every write and every bulk batch.
#[derive(Clone, Debug, Default)]
pub struct WriteCount(Arc<AtomicU64>);

impl WriteCount {
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// Bumps the count when dropped: hold it across a write, so the count moves after the
    /// write however it ends (returned, failed or panicked).
    pub fn counted(&self) -> Counted {
        Counted(self.clone())
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// See [`WriteCount::counted`].
pub struct Counted(WriteCount);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.bump();
    }
}

const SHARDS: usize = 64;

struct Shard<V> {
    /// Keys dropped from this shard so far: a read that saw another count stores nothing.
    evictions: u64,
    entries: HashMap<Box<str>, (u64, Arc<V>)>,
}

/// Whether a value may be served now, beside the counters.
enum Freshness {
    /// SQLite: one process owns the file, every write goes through its [`super::Db`].
    Always,
    /// PostgreSQL: the change feed's last answer, in milliseconds since `origin`.
    Lease {
        origin: Instant,
        confirmed_ms: AtomicU64,
        lease: Duration,
    },
}

/// What a miss hands back: present it with the value read to store it.
#[derive(Debug)]
pub struct Ticket {
    shard: usize,
    evictions: u64,
    stamp: u64,
    storable: bool,
}

pub struct KeyedCache<V> {
    shards: Box<[Mutex<Shard<V>>]>,
    /// `keyed_cache_reads_total{cache, outcome}`: `hit`, `miss`, `bypass` (not servable).
    reads: IntCounterVec,
    hits: IntCounter,
    misses: IntCounter,
    bypasses: IntCounter,
    hasher: RandomState,
    shard_capacity: usize,
    writes: WriteCount,
    /// Flushes ordered by the change feed (a change to many keys, a gap in the feed).
    flushes: AtomicU64,
    freshness: Freshness,
}

impl<V> KeyedCache<V> {
    /// A cache of at most about `capacity` values (0 turns it off), made stale by `writes`.
    /// `lease`: `None` where every write is this process's (SQLite); otherwise how long
    /// values stay servable after the change feed last answered.
    pub fn new(
        name: &str,
        capacity: usize,
        writes: WriteCount,
        lease: Option<Duration>,
    ) -> Result<Self, prometheus::Error> {
        let reads = IntCounterVec::new(
            Opts::new(
                "keyed_cache_reads_total",
                "Keyed reads by what the cache did",
            )
            .const_label("cache", name),
            &["outcome"],
        )?;
        let freshness = match lease {
            None => Freshness::Always,
            Some(lease) => Freshness::Lease {
                origin: Instant::now(),
                confirmed_ms: AtomicU64::new(0),
                lease,
            },
        };
        Ok(Self {
            hits: reads.with_label_values(&["hit"]),
            misses: reads.with_label_values(&["miss"]),
            bypasses: reads.with_label_values(&["bypass"]),
            reads,
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        evictions: 0,
                        entries: HashMap::new(),
                    })
                })
                .collect(),
            hasher: RandomState::new(),
            shard_capacity: capacity.div_ceil(SHARDS),
            writes,
            flushes: AtomicU64::new(0),
            freshness,
        })
    }

    /// Its counters, for `/metrics`.
    pub fn counters(&self) -> IntCounterVec {
        self.reads.clone()
    }

    /// The value for `key` if one is held and still exact; otherwise a ticket for storing
    /// what the caller reads next.
    pub fn get(&self, key: &str) -> Result<Arc<V>, Ticket> {
        let index = self.shard_of(key);
        let stamp = self.stamp();
        let storable = self.shard_capacity > 0 && self.fresh();
        let shard = self.lock(index);
        if !storable {
            self.bypasses.inc();
        } else if let Some((stored, value)) = shard.entries.get(key)
            && *stored == stamp
        {
            self.hits.inc();
            return Ok(value.clone());
        } else {
            self.misses.inc();
        }
        Err(Ticket {
            shard: index,
            evictions: shard.evictions,
            stamp,
            storable,
        })
    }

    /// Keeps `value`, read after `ticket` was taken, unless something changed meanwhile.
    pub fn put(&self, key: &str, value: Arc<V>, ticket: Ticket) {
        if !ticket.storable {
            return;
        }
        let mut shard = self.lock(ticket.shard);
        if shard.evictions != ticket.evictions {
            return;
        }
        if shard.entries.len() >= self.shard_capacity && !shard.entries.contains_key(key) {
            // Full: make room by dropping any one value. Not an eviction in the ticket's
            // sense (nothing changed), so reads in flight may still store theirs.
            let any = shard.entries.keys().next().cloned();
            if let Some(any) = any {
                shard.entries.remove(&any);
            }
        }
        shard.entries.insert(key.into(), (ticket.stamp, value));
    }

    /// The value for `key` changed (or may have).
    pub fn evict(&self, key: &str) {
        let mut shard = self.lock(self.shard_of(key));
        shard.evictions += 1;
        shard.entries.remove(key);
    }

    /// Everything may have changed: no value read before now is served again.
    pub fn flush(&self) {
        self.flushes.fetch_add(1, Ordering::SeqCst);
    }

    /// The change feed answered: values may be served for another lease. After a lapse (the
    /// feed was down, so changes may have been missed) everything held is flushed first.
    pub fn confirm_fresh(&self) {
        if let Freshness::Lease {
            origin,
            confirmed_ms,
            ..
        } = &self.freshness
        {
            if !self.fresh() {
                self.flush();
            }
            let now = origin.elapsed().as_millis() as u64 + 1;
            confirmed_ms.store(now, Ordering::SeqCst);
        }
    }

    /// The change feed was lost: nothing is served until it is back (and flushed).
    pub fn suspend(&self) {
        if let Freshness::Lease { confirmed_ms, .. } = &self.freshness {
            confirmed_ms.store(0, Ordering::SeqCst);
        }
    }

    /// How many values are held (stale ones included, until they are replaced).
    pub fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.lock(i).entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn fresh(&self) -> bool {
        match &self.freshness {
            Freshness::Always => true,
            Freshness::Lease {
                origin,
                confirmed_ms,
                lease,
            } => {
                let confirmed = confirmed_ms.load(Ordering::SeqCst);
                confirmed > 0
                    && (origin.elapsed().as_millis() as u64).saturating_sub(confirmed)
                        < lease.as_millis() as u64
            }
        }
    }

    /// Both counters only grow, so their sum changes exactly when either does.
    fn stamp(&self) -> u64 {
        self.writes.get() + self.flushes.load(Ordering::SeqCst)
    }

    fn shard_of(&self, key: &str) -> usize {
        (self.hasher.hash_one(key) % SHARDS as u64) as usize
    }

    fn lock(&self, index: usize) -> MutexGuard<'_, Shard<V>> {
        // A poisoned shard only means a thread panicked between two map operations; the
        // map itself is whole.
        self.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(capacity: usize) -> (KeyedCache<String>, WriteCount) {
        let writes = WriteCount::default();
        (
            KeyedCache::new("test", capacity, writes.clone(), None).unwrap(),
            writes,
        )
    }

    fn read_through(cache: &KeyedCache<String>, key: &str, value: &str) -> Arc<String> {
        match cache.get(key) {
            Ok(hit) => hit,
            Err(ticket) => {
                let value = Arc::new(value.to_owned());
                cache.put(key, value.clone(), ticket);
                value
            }
        }
    }

    #[test]
    fn a_value_read_is_served_until_a_write_or_an_eviction() {
        let (cache, writes) = cache(100);
        read_through(&cache, "a", "old");
        assert_eq!(*cache.get("a").unwrap(), "old");
        assert_eq!((cache.misses.get(), cache.hits.get()), (1, 1));
        writes.bump();
        assert!(
            cache.get("a").is_err(),
            "a write makes every held value stale"
        );
        read_through(&cache, "a", "new");
        assert_eq!(*cache.get("a").unwrap(), "new");
        cache.evict("a");
        assert!(cache.get("a").is_err());
        read_through(&cache, "a", "newer");
        cache.flush();
        assert!(cache.get("a").is_err());
    }

    #[test]
    fn a_read_that_spans_a_change_stores_nothing() {
        let (cache, writes) = cache(100);
        let ticket = cache.get("a").unwrap_err();
        writes.bump(); // committed while the read was at the database
        cache.put("a", Arc::new("old".to_owned()), ticket);
        assert!(cache.get("a").is_err());

        let ticket = cache.get("a").unwrap_err();
        cache.evict("a"); // changed elsewhere while the read was at the database
        cache.put("a", Arc::new("old".to_owned()), ticket);
        assert!(cache.get("a").is_err());
    }

    #[test]
    fn capacity_bounds_what_is_held_and_zero_holds_nothing() {
        let (cache, _) = cache(SHARDS * 2);
        for i in 0..10_000 {
            read_through(&cache, &i.to_string(), "v");
        }
        assert!(cache.len() <= SHARDS * 2, "{}", cache.len());
        let (off, _) = self::cache(0);
        read_through(&off, "a", "v");
        assert!(off.get("a").is_err());
        assert!(off.is_empty());
    }

    #[test]
    fn under_a_lease_nothing_is_served_until_the_feed_answers_or_after_it_lapses() {
        let lease = Some(Duration::from_millis(50));
        let cache = KeyedCache::new("test", 100, WriteCount::default(), lease).unwrap();
        read_through(&cache, "a", "v");
        assert!(cache.get("a").is_err(), "no feed yet: nothing stored");
        cache.confirm_fresh();
        read_through(&cache, "a", "v");
        assert_eq!(*cache.get("a").unwrap(), "v");
        std::thread::sleep(Duration::from_millis(80));
        assert!(cache.get("a").is_err(), "the lease lapsed");
        cache.confirm_fresh();
        assert!(
            cache.get("a").is_err(),
            "what was held before the lapse is flushed when the feed comes back"
        );
    }
}
