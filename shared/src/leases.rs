//! Leases: one holder at a time for a named job across replicas (the registry's daily
//! readiness build, the monitoring service's scheduled snapshots).
//!
//! Why a lease row and not a PostgreSQL advisory lock: a job spends seconds to minutes doing
//! work (calling other services, assessing every firm) and holds no database connection
//! meanwhile. A session advisory lock would pin a pooled connection for that time (and be
//! released silently if that connection dropped); a transaction-level one would hold a
//! transaction open across the job. A row with an expiry works the same on SQLite and
//! PostgreSQL, survives a crashed holder (the lease expires), and its token fences out a holder
//! whose lease expired mid-job: a job's final write checks the token in its own transaction
//! ([`is_held`]). Times come from the caller's clock; the TTL (minutes) dwarfs any clock skew
//! between replicas.
//!
//! Each service that schedules jobs has its own `leases` table, made by its own migrations.

use std::future::Future;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use crate::db::{Db, DbConnection, DbError};

diesel::table! {
    leases (name) {
        name -> Text,
        holder -> Text,
        token -> BigInt,
        acquired_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

/// Proof of holding a lease: its name, the holder and the term's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub name: String,
    pub holder: String,
    pub token: i64,
}

/// Takes the lease `name` for `holder` until `now + ttl` if it is free, expired, or already
/// `holder`'s; `None` while another holder's lease runs. Each acquisition starts a new term
/// with a larger token. Run it in a transaction (`Db::write`).
pub fn acquire(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    ttl: Duration,
) -> QueryResult<Option<Fence>> {
    let expires_at = now + ttl;
    // On PostgreSQL a concurrent taker waits on the row lock, then re-checks the condition
    // against the winner's row and updates nothing.
    let taken = diesel::update(
        leases::table
            .filter(leases::name.eq(name))
            .filter(leases::expires_at.le(now).or(leases::holder.eq(holder))),
    )
    .set((
        leases::holder.eq(holder),
        leases::token.eq(leases::token + 1),
        leases::acquired_at.eq(now),
        leases::expires_at.eq(expires_at),
    ))
    .execute(conn)?;
    if taken == 0 {
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(leases::table)
                .values((
                    leases::name.eq(name),
                    leases::holder.eq(holder),
                    leases::token.eq(1_i64),
                    leases::acquired_at.eq(now),
                    leases::expires_at.eq(expires_at),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => {}
            // Someone else's lease is running (or was just created).
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    let token = leases::table
        .find(name)
        .select(leases::token)
        .first::<i64>(conn)?;
    Ok(Some(Fence {
        name: name.to_owned(),
        holder: holder.to_owned(),
        token,
    }))
}

/// Whether the fence's term still holds at `now`.
pub fn is_held(conn: &mut DbConnection, fence: &Fence, now: NaiveDateTime) -> QueryResult<bool> {
    let held: i64 = leases::table
        .filter(leases::name.eq(&fence.name))
        .filter(leases::holder.eq(&fence.holder))
        .filter(leases::token.eq(fence.token))
        .filter(leases::expires_at.gt(now))
        .count()
        .get_result(conn)?;
    Ok(held == 1)
}

/// Extends a held term to `now + ttl`; false when it was lost.
pub fn renew(
    conn: &mut DbConnection,
    fence: &Fence,
    now: NaiveDateTime,
    ttl: Duration,
) -> QueryResult<bool> {
    let renewed = diesel::update(
        leases::table
            .filter(leases::name.eq(&fence.name))
            .filter(leases::holder.eq(&fence.holder))
            .filter(leases::token.eq(fence.token))
            .filter(leases::expires_at.gt(now)),
    )
    .set(leases::expires_at.eq(now + ttl))
    .execute(conn)?;
    Ok(renewed == 1)
}

/// Ends a held term now, so the next taker need not wait for the expiry.
pub fn release(conn: &mut DbConnection, fence: &Fence, now: NaiveDateTime) -> QueryResult<bool> {
    let released = diesel::update(
        leases::table
            .filter(leases::name.eq(&fence.name))
            .filter(leases::holder.eq(&fence.holder))
            .filter(leases::token.eq(fence.token))
            .filter(leases::expires_at.gt(now)),
    )
    .set(leases::expires_at.eq(now))
    .execute(conn)?;
    Ok(released == 1)
}

/// Runs `job` while `holder` holds the lease `name` (taken for `ttl`), then releases it;
/// `Ok(None)` without running it while another holder's lease runs. A release that fails is
/// logged, not returned: the lease then simply expires, and the job's own outcome is what the
/// caller needs.
pub async fn run_leased<T, E, F, Fut>(
    db: &Db,
    (name, holder): (String, String),
    ttl: Duration,
    job: F,
) -> Result<Option<T>, E>
where
    F: FnOnce(Fence) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<DbError> + From<Error> + std::fmt::Debug + Send + 'static,
{
    let fence = db
        .write(move |conn| acquire(conn, &name, &holder, crate::time::now(), ttl).map_err(E::from))
        .await?;
    let Some(fence) = fence else {
        return Ok(None);
    };
    let result = job(fence.clone()).await;
    let release_fence = fence.clone();
    let released = db
        .write(move |conn| release(conn, &release_fence, crate::time::now()).map_err(E::from))
        .await;
    if let Err(error) = released {
        tracing::warn!(?error, lease = %fence.name, "the lease could not be released; it expires");
    }
    result.map(Some)
}
