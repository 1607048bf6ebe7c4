//! High-tech zones (高新区) and the free-text zone values the migration could not match.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::{enterprises, unmatched_zone_values, zones};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = zones)]
pub struct ZoneRow {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub level: String,
    pub city_code: String,
    /// County codes, comma-separated, the host first.
    pub county_codes: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = unmatched_zone_values)]
pub struct UnmatchedZoneRow {
    pub credit_code: String,
    pub region_code: String,
    pub zone_level: String,
    pub zone_text: String,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ZoneRow>> {
    zones::table
        .find(id)
        .select(ZoneRow::as_select())
        .first(conn)
        .optional()
}

/// The zone with this id, or else the one with this exact full or short name.
pub fn find_by_id_or_name(conn: &mut DbConnection, key: &str) -> QueryResult<Option<ZoneRow>> {
    if let Some(row) = find(conn, key)? {
        return Ok(Some(row));
    }
    zones::table
        .filter(zones::name.eq(key).or(zones::short_name.eq(key)))
        .select(ZoneRow::as_select())
        .first(conn)
        .optional()
}

/// Another zone than `id` with this full or short name, if any.
pub fn name_taken(
    conn: &mut DbConnection,
    id: &str,
    names: [&str; 2],
) -> QueryResult<Option<String>> {
    zones::table
        .filter(zones::id.ne(id))
        .filter(
            zones::name
                .eq_any(names)
                .or(zones::short_name.eq_any(names)),
        )
        .select(zones::id)
        .first(conn)
        .optional()
}

/// Zones, by id, optionally only those in one city.
/// Every zone, by id (a province has a few dozen).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<ZoneRow>> {
    zones::table
        .select(ZoneRow::as_select())
        .order(zones::id.asc())
        .load(conn)
}

/// Up to `limit` zones (of `city` when given), by id, after the id `after`.
pub fn list(
    conn: &mut DbConnection,
    city: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ZoneRow>> {
    let mut query = zones::table.select(ZoneRow::as_select()).into_boxed();
    if let Some(city) = city {
        query = query.filter(zones::city_code.eq(city.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(zones::id.gt(after.to_owned()));
    }
    query.order(zones::id.asc()).limit(limit).load(conn)
}

/// The levels of the zones with these ids.
pub fn levels(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    zones::table
        .filter(zones::id.eq_any(ids))
        .select((zones::id, zones::level))
        .load(conn)
}

/// Ids of the zones of one level.
pub fn ids_of_level(conn: &mut DbConnection, level: &str) -> QueryResult<Vec<String>> {
    zones::table
        .filter(zones::level.eq(level))
        .select(zones::id)
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, row: &ZoneRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, zones::table, row)
}

/// Stores `row` over the version read; false when another write got there first.
pub fn update_if_version(conn: &mut DbConnection, row: &ZoneRow, read: i32) -> QueryResult<bool> {
    let updated = diesel::update(zones::table.find(&row.id).filter(zones::version.eq(read)))
        .set(row)
        .execute(conn)?;
    Ok(updated == 1)
}

/// How many enterprises name the zone and lie outside `city`.
pub fn enterprises_outside_city(conn: &mut DbConnection, id: &str, city: &str) -> QueryResult<i64> {
    enterprises::table
        .filter(enterprises::zone_id.eq(id))
        .filter(enterprises::city_code.ne(city))
        .count()
        .get_result(conn)
}

/// The unmatched values in the counties under `scope` (all when none), by credit code.
pub fn unmatched(
    conn: &mut DbConnection,
    scope: Option<&[String]>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UnmatchedZoneRow>> {
    let mut query = unmatched_zone_values::table
        .select(UnmatchedZoneRow::as_select())
        .into_boxed();
    if let Some(counties) = scope {
        query = query.filter(unmatched_zone_values::region_code.eq_any(counties.to_vec()));
    }
    if let Some(after) = after {
        query = query.filter(unmatched_zone_values::credit_code.gt(after.to_owned()));
    }
    query
        .order(unmatched_zone_values::credit_code.asc())
        .limit(limit)
        .load(conn)
}
