//! Innovation carriers (创新创业载体).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::carriers;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = carriers)]
#[diesel(treat_none_as_null = true)]
pub struct CarrierRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub level: String,
    pub region_code: String,
    pub city_code: String,
    pub zone_id: Option<String>,
    pub operator_credit_code: String,
    pub recognition_year: i32,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a carrier list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct CarrierFilter {
    pub city: Option<String>,
    pub county: Option<String>,
    pub kind: Option<String>,
    pub level: Option<String>,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<CarrierRow>> {
    carriers::table
        .find(id)
        .select(CarrierRow::as_select())
        .first(conn)
        .optional()
}

/// Carriers matching `filter`, by id, after `after`, `limit` at most.
pub fn list(
    conn: &mut DbConnection,
    filter: &CarrierFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CarrierRow>> {
    let mut query = carriers::table.select(CarrierRow::as_select()).into_boxed();
    if let Some(city) = &filter.city {
        query = query.filter(carriers::city_code.eq(city.clone()));
    }
    if let Some(county) = &filter.county {
        query = query.filter(carriers::region_code.eq(county.clone()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(carriers::kind.eq(kind.clone()));
    }
    if let Some(level) = &filter.level {
        query = query.filter(carriers::level.eq(level.clone()));
    }
    if let Some(after) = after {
        query = query.filter(carriers::id.gt(after.to_owned()));
    }
    query.order(carriers::id.asc()).limit(limit).load(conn)
}

/// The first `limit` carriers matching `filter`, by id: a ranking covers them all, including
/// those that incubated nothing.
pub fn all_matching(
    conn: &mut DbConnection,
    filter: &CarrierFilter,
    limit: i64,
) -> QueryResult<Vec<CarrierRow>> {
    list(conn, filter, None, limit)
}

pub fn insert(conn: &mut DbConnection, row: &CarrierRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, carriers::table, row)
}

/// Stores `row` over the version read; false when another write got there first.
pub fn update_if_version(
    conn: &mut DbConnection,
    row: &CarrierRow,
    read: i32,
) -> QueryResult<bool> {
    let updated = diesel::update(
        carriers::table
            .find(&row.id)
            .filter(carriers::version.eq(read)),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}
