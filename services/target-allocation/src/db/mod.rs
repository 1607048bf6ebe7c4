//! Tables, rows and queries. Queries take `&mut DbConnection` and run inside the caller's
//! transaction; HTTP concerns stay in `routes`, operations in `app`.

use diesel::prelude::*;
use diesel::query_builder::InsertStatement;
use diesel::query_dsl::methods::ExecuteDsl;
use hte_shared::db::DbConnection;

pub mod allocations;
pub mod assessments;
pub mod cache;
pub mod plans;
pub mod schema;
pub mod scoring;
pub mod targets;

/// Inserts one row into `table`: the plain insert each table's `insert` makes (a key or
/// constraint refusal is the caller's error; there is no count to check).
pub(crate) fn insert_row<T, R>(conn: &mut DbConnection, table: T, row: R) -> QueryResult<()>
where
    T: Table,
    R: Insertable<T>,
    InsertStatement<T, R::Values>: ExecuteDsl<DbConnection>,
{
    diesel::insert_into(table).values(row).execute(conn)?;
    Ok(())
}
