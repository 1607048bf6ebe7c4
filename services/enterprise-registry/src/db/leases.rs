//! Leases: one holder at a time for a named job across replicas (the monitoring service's
//! pattern). A row with an expiry rather than an advisory lock: it works the same on SQLite
//! and PostgreSQL, pins no pooled connection while the job runs, and a crashed holder's lease
//! simply expires. Times come from the caller's clock; the TTL dwarfs any skew.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use hte_shared::db::DbConnection;

use super::schema::leases;

/// Proof of holding a lease: its name, the holder and the term's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub name: String,
    pub holder: String,
    pub token: i64,
}

/// Takes the lease `name` for `holder` until `now + ttl` if it is free, expired, or already
/// `holder`'s; `None` while another holder's lease runs. Run it in a transaction.
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
