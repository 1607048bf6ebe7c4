//! Statistics inputs, one row per version; the current figure is the highest version.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use hte_shared::db::DbConnection;

use super::schema::statistics_inputs;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = statistics_inputs)]
pub struct InputRow {
    pub measure: String,
    pub period: String,
    pub region_code: String,
    pub version: i32,
    pub period_starts_on: NaiveDate,
    pub period_ends_on: NaiveDate,
    /// In the measure's base unit (yuan).
    pub value: i64,
    pub unit: String,
    /// The figure as written, and its unit (e.g. `1234.56`, `yi_yuan`).
    pub entered_value: String,
    pub entered_unit: String,
    pub source_document: String,
    pub note: Option<String>,
    /// Why this version was written; required from version 2 on.
    pub reason: Option<String>,
    pub actor: String,
    pub created_at: NaiveDateTime,
}

/// Which figure: measure, period and region.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct InputKey {
    pub measure: String,
    pub period: String,
    pub region_code: String,
}

impl InputRow {
    pub fn key(&self) -> InputKey {
        InputKey {
            measure: self.measure.clone(),
            period: self.period.clone(),
            region_code: self.region_code.clone(),
        }
    }
}

/// What came of writing a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Inserted,
    /// The version written was not the one after the current: someone wrote first.
    Stale {
        current: Option<i32>,
    },
}

pub fn current_version(conn: &mut DbConnection, key: &InputKey) -> QueryResult<Option<i32>> {
    statistics_inputs::table
        .filter(statistics_inputs::measure.eq(&key.measure))
        .filter(statistics_inputs::period.eq(&key.period))
        .filter(statistics_inputs::region_code.eq(&key.region_code))
        .select(diesel::dsl::max(statistics_inputs::version))
        .first(conn)
}

/// Writes `row` as the next version, if it is: version 1 of a new figure, or the current
/// version + 1. Optimistic concurrency: of two writers of the same next version the primary
/// key lets one in; the other gets `Stale`. Run it in a transaction (`Db::write`).
pub fn insert_version(conn: &mut DbConnection, row: &InputRow) -> QueryResult<Written> {
    let key = row.key();
    let current = current_version(conn, &key)?;
    let follows = match current {
        None => row.version == 1,
        Some(v) => row.version == v + 1,
    };
    if !follows {
        return Ok(Written::Stale { current });
    }
    // A savepoint, so a lost race leaves the caller's transaction usable on PostgreSQL.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(statistics_inputs::table)
            .values(row)
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(Written::Inserted),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(Written::Stale {
            current: current_version(conn, &key)?,
        }),
        Err(e) => Err(e),
    }
}

fn of_key(key: &InputKey) -> Boxed {
    statistics_inputs::table
        .filter(statistics_inputs::measure.eq(key.measure.clone()))
        .filter(statistics_inputs::period.eq(key.period.clone()))
        .filter(statistics_inputs::region_code.eq(key.region_code.clone()))
        .into_boxed()
}

/// The current (highest) version, if any.
pub fn find_current(conn: &mut DbConnection, key: &InputKey) -> QueryResult<Option<InputRow>> {
    of_key(key)
        .order(statistics_inputs::version.desc())
        .select(InputRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_version(
    conn: &mut DbConnection,
    key: &InputKey,
    version: i32,
) -> QueryResult<Option<InputRow>> {
    of_key(key)
        .filter(statistics_inputs::version.eq(version))
        .select(InputRow::as_select())
        .first(conn)
        .optional()
}

/// The versions of one figure, oldest first, above version `after` when given (the cursor of
/// the previous page); at most `limit`.
pub fn history(
    conn: &mut DbConnection,
    key: &InputKey,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<InputRow>> {
    let mut query = of_key(key)
        .order(statistics_inputs::version.asc())
        .limit(limit)
        .select(InputRow::as_select());
    if let Some(after) = after {
        query = query.filter(statistics_inputs::version.gt(after));
    }
    query.load(conn)
}

/// Which current figures to list.
#[derive(Debug, Clone, Default)]
pub struct InputFilter {
    pub measure: Option<String>,
    pub period: Option<String>,
    /// The region codes of a subtree; `None` for all.
    pub regions: Option<Vec<String>>,
}

diesel::alias!(statistics_inputs as newer: NewerInputs);

type Boxed = statistics_inputs::BoxedQuery<'static, hte_shared::db::MultiBackend>;

/// Rows no higher version supersedes: the current figures.
fn current() -> Boxed {
    use statistics_inputs as t;
    let superseded = newer
        .filter(newer.field(t::measure).eq(t::measure))
        .filter(newer.field(t::period).eq(t::period))
        .filter(newer.field(t::region_code).eq(t::region_code))
        .filter(newer.field(t::version).gt(t::version));
    t::table.filter(not(exists(superseded))).into_boxed()
}

/// Current figures matching `filter`, ordered by (measure, period, region), after the cursor
/// key of the previous page; at most `limit`.
pub fn list_current(
    conn: &mut DbConnection,
    filter: &InputFilter,
    after: Option<&InputKey>,
    limit: i64,
) -> QueryResult<Vec<InputRow>> {
    use statistics_inputs as t;
    let mut query = current()
        .order((t::measure.asc(), t::period.asc(), t::region_code.asc()))
        .limit(limit);
    if let Some(measure) = &filter.measure {
        query = query.filter(t::measure.eq(measure.clone()));
    }
    if let Some(period) = &filter.period {
        query = query.filter(t::period.eq(period.clone()));
    }
    if let Some(regions) = &filter.regions {
        query = query.filter(t::region_code.eq_any(regions.clone()));
    }
    if let Some(key) = after {
        let (m, p, r) = (
            key.measure.clone(),
            key.period.clone(),
            key.region_code.clone(),
        );
        query = query.filter(
            t::measure
                .gt(m.clone())
                .or(t::measure.eq(m.clone()).and(t::period.gt(p.clone())))
                .or(t::measure
                    .eq(m)
                    .and(t::period.eq(p))
                    .and(t::region_code.gt(r))),
        );
    }
    query.select(InputRow::as_select()).load(conn)
}

/// Current figures of `measures` for `regions` whose period has ended by `on`: what a
/// snapshot on `on` may read (it then chooses one period per formula).
pub fn current_ended_by(
    conn: &mut DbConnection,
    measures: &[String],
    regions: &[String],
    on: NaiveDate,
) -> QueryResult<Vec<InputRow>> {
    use statistics_inputs as t;
    current()
        .filter(t::measure.eq_any(measures.to_vec()))
        .filter(t::region_code.eq_any(regions.to_vec()))
        .filter(t::period_ends_on.le(on))
        .order((
            t::region_code.asc(),
            t::measure.asc(),
            t::period_ends_on.asc(),
        ))
        .select(InputRow::as_select())
        .load(conn)
}
