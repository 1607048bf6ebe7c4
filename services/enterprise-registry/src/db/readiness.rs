//! Readiness for candidate screening (遴选就绪度), per rule set and screening date.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl;
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::{readiness, readiness_builds};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = readiness)]
pub struct ReadinessRow {
    pub rule_set_version: String,
    pub screened_on: NaiveDate,
    pub credit_code: String,
    pub region_code: String,
    pub city_code: String,
    pub tech_domain: Option<String>,
    pub in_pool: bool,
    pub eligible: bool,
    pub outcome: String,
    pub passing: i32,
    pub not_passing: i32,
    pub failing: i32,
    pub unknown: i32,
    pub relative_gap_ppm: i64,
    pub candidate_json: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = readiness_builds)]
pub struct BuildRow {
    pub rule_set_version: String,
    pub screened_on: NaiveDate,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub firms_done: i64,
    pub firms_total: i64,
}

type OfBuild<'a> = dsl::And<
    dsl::Eq<readiness::rule_set_version, &'a str>,
    dsl::Eq<readiness::screened_on, NaiveDate>,
>;

/// The rows of the build of rule set `version` screened on `screened_on`, as a filter.
fn of_build((version, screened_on): (&str, NaiveDate)) -> OfBuild<'_> {
    readiness::rule_set_version
        .eq(version)
        .and(readiness::screened_on.eq(screened_on))
}

/// Every build, finished or running.
pub fn builds(conn: &mut DbConnection) -> QueryResult<Vec<BuildRow>> {
    readiness_builds::table
        .order((
            readiness_builds::started_at.asc(),
            readiness_builds::rule_set_version.asc(),
        ))
        .select(BuildRow::as_select())
        .load(conn)
}

/// Up to `limit` builds, by start, rule set version and screening date (unique), after
/// `after`.
pub fn builds_page(
    conn: &mut DbConnection,
    after: Option<&(NaiveDateTime, String, NaiveDate)>,
    limit: i64,
) -> QueryResult<Vec<BuildRow>> {
    use readiness_builds::dsl::{rule_set_version, screened_on, started_at};
    let mut query = readiness_builds::table.into_boxed();
    if let Some((at, version, on)) = after {
        let same_start = started_at.eq(*at);
        let same_version = same_start.and(rule_set_version.eq(version.clone()));
        query = query.filter(
            started_at
                .gt(*at)
                .or(same_start.and(rule_set_version.gt(version.clone())))
                .or(same_version.and(screened_on.gt(*on))),
        );
    }
    query
        .order((started_at.asc(), rule_set_version.asc(), screened_on.asc()))
        .limit(limit)
        .select(BuildRow::as_select())
        .load(conn)
}

/// The latest finished build of `version`, if any.
pub fn latest_finished(conn: &mut DbConnection, version: &str) -> QueryResult<Option<BuildRow>> {
    readiness_builds::table
        .filter(readiness_builds::rule_set_version.eq(version))
        .filter(readiness_builds::finished_at.is_not_null())
        .order(readiness_builds::finished_at.desc())
        .select(BuildRow::as_select())
        .first(conn)
        .optional()
}

/// Registers a build (again), unfinished, with nothing done yet.
pub fn start_build(conn: &mut DbConnection, build: &BuildRow) -> QueryResult<()> {
    diesel::delete(readiness_builds::table.find((&build.rule_set_version, build.screened_on)))
        .execute(conn)?;
    hte_shared::db::insert_row(conn, readiness_builds::table, build)
}

/// Marks a build finished at `at`.
pub fn finish(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(readiness_builds::table.find((version, screened_on)))
        .set(readiness_builds::finished_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Adds `firms` to a build's count of firms done (workers filling parts of it at once), up
/// to its total: two runs of one build that overlap (one started again while the other still
/// fills it) both count the firms they fill, and progress must not pass the total.
pub fn add_progress(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
    firms: i64,
) -> QueryResult<()> {
    use readiness_builds::{firms_done, firms_total};
    let key = (version, screened_on);
    diesel::update(readiness_builds::table.find(key))
        .set(firms_done.eq(firms_done + firms))
        .execute(conn)?;
    diesel::update(
        readiness_builds::table
            .find(key)
            .filter(firms_done.gt(firms_total)),
    )
    .set(firms_done.eq(firms_total))
    .execute(conn)?;
    Ok(())
}

/// Removes a build and its rows.
pub fn drop_build(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
) -> QueryResult<()> {
    diesel::delete(readiness::table.filter(of_build((version, screened_on)))).execute(conn)?;
    diesel::delete(readiness_builds::table.find((version, screened_on))).execute(conn)?;
    Ok(())
}

/// Replaces the rows of `codes` in one build with `rows` (one row for each of `codes` that
/// names a stored firm; the foreign key allows no others).
pub fn replace_rows(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
    codes: &[String],
    rows: &[ReadinessRow],
) -> QueryResult<()> {
    match &mut *conn {
        DbConnection::Postgresql(pg) => upsert_rows(pg, rows),
        DbConnection::Sqlite(sqlite) => {
            diesel::delete(
                readiness::table
                    .filter(of_build((version, screened_on)))
                    .filter(readiness::credit_code.eq_any(codes)),
            )
            .execute(sqlite)?;
            for chunk in rows.chunks(500) {
                diesel::insert_into(readiness::table)
                    .values(chunk)
                    .execute(sqlite)?;
            }
            Ok(())
        }
    }
}

/// One multi-row INSERT … ON CONFLICT DO UPDATE per 500 rows on PostgreSQL: the conflict
/// check is the primary key's own probe. A DELETE by `credit_code = ANY` before the INSERT
/// made the first build of a fresh table 3.4 times slower (71.4 s against 20.9 s for 200,000
/// firms, bench --rebuild-only), presumably planned while the table was still small.
fn upsert_rows(pg: &mut diesel::PgConnection, rows: &[ReadinessRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use readiness::dsl as r;
    for chunk in rows.chunks(500) {
        diesel::insert_into(readiness::table)
            .values(chunk)
            .on_conflict((r::rule_set_version, r::screened_on, r::credit_code))
            .do_update()
            .set((
                r::region_code.eq(excluded(r::region_code)),
                r::city_code.eq(excluded(r::city_code)),
                r::tech_domain.eq(excluded(r::tech_domain)),
                r::in_pool.eq(excluded(r::in_pool)),
                r::eligible.eq(excluded(r::eligible)),
                r::outcome.eq(excluded(r::outcome)),
                r::passing.eq(excluded(r::passing)),
                r::not_passing.eq(excluded(r::not_passing)),
                r::failing.eq(excluded(r::failing)),
                r::unknown.eq(excluded(r::unknown)),
                r::relative_gap_ppm.eq(excluded(r::relative_gap_ppm)),
                r::candidate_json.eq(excluded(r::candidate_json)),
            ))
            .execute(pg)?;
    }
    Ok(())
}

/// On PostgreSQL, lets a build batch's transaction commit without waiting for its WAL to
/// reach the disk (`SET LOCAL`: this transaction only). A crash can lose only the last batches,
/// rows and progress together (they commit in one transaction), and an unfinished build is
/// built again; writes keep waiting for their flush. One flush wait fewer per 500 firms.
pub fn commit_batch_lazily(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = &mut *conn {
        diesel::sql_query("SET LOCAL synchronous_commit = off").execute(pg)?;
    }
    Ok(())
}

/// Every row of a build, by credit code.
pub fn all_rows(
    conn: &mut DbConnection,
    (version, screened_on): (&str, NaiveDate),
) -> QueryResult<Vec<ReadinessRow>> {
    readiness::table
        .filter(of_build((version, screened_on)))
        .order(readiness::credit_code.asc())
        .select(ReadinessRow::as_select())
        .load(conn)
}

type Boxed<'a> = readiness::BoxedQuery<'a, hte_shared::db::MultiBackend>;

/// Which rows of a build a ranking covers.
#[derive(Debug, Clone)]
pub struct RankScope {
    pub rule_set_version: String,
    pub screened_on: NaiveDate,
    pub pool_only: bool,
    pub city: Option<String>,
    pub county: Option<String>,
    pub tech_domain: Option<String>,
    pub max_failing: Option<i32>,
}

impl RankScope {
    /// The build the ranking reads.
    fn build(&self) -> (&str, NaiveDate) {
        (&self.rule_set_version, self.screened_on)
    }
}

/// A row's place in the ranking: more passing (fewer failing + unknown) first, then fewer
/// failing, smaller gap, fewer unknown, then credit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankPosition {
    pub failing: i32,
    pub relative_gap_ppm: i64,
    pub unknown: i32,
    pub credit_code: String,
}

fn scoped(scope: &RankScope) -> Boxed<'_> {
    let mut query = readiness::table
        .filter(of_build(scope.build()))
        .filter(readiness::eligible.eq(true))
        .into_boxed();
    if scope.pool_only {
        query = query.filter(readiness::in_pool.eq(true));
    }
    if let Some(city) = &scope.city {
        query = query.filter(readiness::city_code.eq(city));
    }
    if let Some(county) = &scope.county {
        query = query.filter(readiness::region_code.eq(county));
    }
    if let Some(domain) = &scope.tech_domain {
        query = query.filter(readiness::tech_domain.eq(domain));
    }
    if let Some(max) = scope.max_failing {
        query = query.filter(readiness::failing.le(max));
    }
    query
}

/// Rows ranked after `p` (`op` ">") or at or before it ("<="): one row-value comparison in
/// the index's order, so the database seeks to the position instead of scanning up to it.
fn compared<'a>(query: Boxed<'a>, op: &'static str, p: &RankPosition) -> Boxed<'a> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool, Integer, Text};
    query.filter(
        sql::<Bool>("(not_passing, failing, relative_gap_ppm, unknown, credit_code) ")
            .sql(op)
            .sql(" (")
            .bind::<Integer, _>(p.failing + p.unknown)
            .sql(", ")
            .bind::<Integer, _>(p.failing)
            .sql(", ")
            .bind::<BigInt, _>(p.relative_gap_ppm)
            .sql(", ")
            .bind::<Integer, _>(p.unknown)
            .sql(", ")
            .bind::<Text, _>(p.credit_code.clone())
            .sql(")"),
    )
}

/// The next `limit` rows of the ranking after `position`.
pub fn page(
    conn: &mut DbConnection,
    scope: &RankScope,
    position: Option<&RankPosition>,
    limit: i64,
) -> QueryResult<Vec<ReadinessRow>> {
    let mut query = scoped(scope);
    if let Some(p) = position {
        query = compared(query, ">", p);
    }
    query
        .order((
            readiness::not_passing.asc(),
            readiness::failing.asc(),
            readiness::relative_gap_ppm.asc(),
            readiness::unknown.asc(),
            readiness::credit_code.asc(),
        ))
        .limit(limit)
        .select(ReadinessRow::as_select())
        .load(conn)
}

/// How many rows of the ranking come at or before `position`.
pub fn count_through(
    conn: &mut DbConnection,
    scope: &RankScope,
    position: &RankPosition,
) -> QueryResult<i64> {
    compared(scoped(scope), "<=", position)
        .count()
        .get_result(conn)
}

/// Eligible firms of a build by city, county and outcome, for monitoring.
pub fn summary(
    conn: &mut DbConnection,
    scope: &RankScope,
) -> QueryResult<Vec<(String, String, String, i64)>> {
    use diesel::dsl::count_star;
    let mut query = readiness::table
        .group_by((
            readiness::city_code,
            readiness::region_code,
            readiness::outcome,
        ))
        .select((
            readiness::city_code,
            readiness::region_code,
            readiness::outcome,
            count_star(),
        ))
        .order((
            readiness::city_code.asc(),
            readiness::region_code.asc(),
            readiness::outcome.asc(),
        ))
        .into_boxed()
        .filter(of_build(scope.build()))
        .filter(readiness::eligible.eq(true));
    if scope.pool_only {
        query = query.filter(readiness::in_pool.eq(true));
    }
    if let Some(city) = &scope.city {
        query = query.filter(readiness::city_code.eq(city));
    }
    if let Some(county) = &scope.county {
        query = query.filter(readiness::region_code.eq(county));
    }
    query.load(conn)
}

/// The advisory lock ordering a build's start against writes in flight ("HTE_RDNS").
const BUILDS_FENCE_KEY: i64 = 0x4854_455f_5244_4e53;

/// On PostgreSQL, holds the builds fence until the transaction ends: shared by a write's
/// refresh (before it reads which builds exist), exclusive by a build's start. A write thus
/// either has committed before the new build lists any firm, or sees the new build and
/// refreshes its rows in it; without the fence a write that read "no build" could commit
/// after the build's batch listed the firms, and its firm would be missing from the build.
/// SQLite runs one writer at a time and needs none.
pub fn fence_builds(conn: &mut DbConnection, exclusive: bool) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = &mut *conn {
        let lock = if exclusive {
            "pg_advisory_xact_lock"
        } else {
            "pg_advisory_xact_lock_shared"
        };
        diesel::sql_query(format!("SELECT {lock}({BUILDS_FENCE_KEY})")).execute(pg)?;
    }
    Ok(())
}

/// Locks the enterprise rows of `codes` on PostgreSQL until the transaction ends: shared by a
/// build batch, exclusive (for no key update) by a write's refresh, so a batch that read a
/// firm's facts before a concurrent write committed cannot store its older row after the
/// write's refresh. SQLite runs one writer at a time and needs no lock.
pub fn lock_firms(conn: &mut DbConnection, codes: &[String], exclusive: bool) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = &mut *conn {
        let mode = if exclusive {
            "FOR NO KEY UPDATE"
        } else {
            "FOR SHARE"
        };
        diesel::sql_query(format!(
            "SELECT credit_code FROM enterprises WHERE credit_code = ANY($1) \
             ORDER BY credit_code {mode}"
        ))
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(codes)
        .execute(pg)?;
    }
    Ok(())
}
