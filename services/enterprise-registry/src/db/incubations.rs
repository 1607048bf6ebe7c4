//! Incubations (在孵记录): which carrier incubated which enterprise, when.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::incubations;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = incubations)]
pub struct IncubationRow {
    pub credit_code: String,
    pub carrier_id: String,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
}

super::page_of_enterprise!(
    /// Up to `limit` incubations of one enterprise, by start and carrier (its key), after
    /// `after`.
    incubations(started_on: NaiveDate, carrier_id: String) as IncubationRow
);

/// The carrier's incubations of the same enterprise that overlap `[start, end]`.
pub fn overlapping(
    conn: &mut DbConnection,
    (credit_code, carrier_id): (&str, &str),
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> QueryResult<i64> {
    let mut query = incubations::table
        .filter(incubations::credit_code.eq(credit_code))
        .filter(incubations::carrier_id.eq(carrier_id))
        .filter(
            incubations::ended_on
                .is_null()
                .or(incubations::ended_on.ge(start)),
        )
        .into_boxed();
    if let Some(end) = end {
        query = query.filter(incubations::started_on.le(end));
    }
    query.count().get_result(conn)
}

/// Every incubation of one carrier.
pub fn of_carrier(conn: &mut DbConnection, carrier_id: &str) -> QueryResult<Vec<IncubationRow>> {
    incubations::table
        .filter(incubations::carrier_id.eq(carrier_id))
        .order((
            incubations::started_on.asc(),
            incubations::credit_code.asc(),
        ))
        .select(IncubationRow::as_select())
        .load(conn)
}

/// The incubations of these carriers that overlap `[from, to]`, in one query.
pub fn of_carriers_in_period(
    conn: &mut DbConnection,
    carrier_ids: &[String],
    (from, to): (NaiveDate, NaiveDate),
) -> QueryResult<Vec<IncubationRow>> {
    incubations::table
        .filter(incubations::carrier_id.eq_any(carrier_ids))
        .filter(incubations::started_on.le(to))
        .filter(
            incubations::ended_on
                .is_null()
                .or(incubations::ended_on.ge(from)),
        )
        .select(IncubationRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, row: &IncubationRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, incubations::table, row)
}
