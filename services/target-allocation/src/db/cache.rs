//! Last good registry answers, per plan and query.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::registry_cache;

pub fn put(
    conn: &mut DbConnection,
    plan_id: &str,
    key: &str,
    body: &str,
    fetched_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        registry_cache::table
            .filter(registry_cache::plan_id.eq(plan_id))
            .filter(registry_cache::query_key.eq(key)),
    )
    .execute(conn)?;
    diesel::insert_into(registry_cache::table)
        .values((
            registry_cache::plan_id.eq(plan_id),
            registry_cache::query_key.eq(key),
            registry_cache::body.eq(body),
            registry_cache::fetched_at.eq(fetched_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(
    conn: &mut DbConnection,
    plan_id: &str,
    key: &str,
) -> QueryResult<Option<(String, NaiveDateTime)>> {
    registry_cache::table
        .filter(registry_cache::plan_id.eq(plan_id))
        .filter(registry_cache::query_key.eq(key))
        .select((registry_cache::body, registry_cache::fetched_at))
        .first(conn)
        .optional()
}
