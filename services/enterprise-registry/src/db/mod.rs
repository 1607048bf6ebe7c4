//! Tables, rows and queries. Queries take `&mut DbConnection` and run inside the caller's
//! transaction; rules stay in `domain`, operations in `app`.

pub mod annual_reports;
pub mod carriers;
pub mod certificates;
pub mod compliance;
pub mod declarations;
pub mod enterprises;
pub mod imports;
pub mod incubations;
pub mod labels;
pub mod pool_entries;
pub mod readiness;
pub mod rule_sets;
pub mod schema;
/// One holder at a time for a scheduled job (the shared lease queries over this service's
/// own `leases` table).
pub use hte_shared::leases;
pub mod statistics;
pub mod zones;

/// Inserts a batch of rows into one table (imports write new rows this way).
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        // Backend-specific in diesel, so through the concrete connection: PostgreSQL takes
        // the whole batch as one binary COPY (several times faster than multi-row INSERTs
        // and still inside the batch's transaction); SQLite takes multi-row INSERTs.
        if !$rows.is_empty() {
            match &mut *$conn {
                hte_shared::db::DbConnection::Postgresql(pg) => {
                    diesel::copy_from($table)
                        .from_insertable($rows)
                        .execute(pg)?;
                }
                hte_shared::db::DbConnection::Sqlite(sqlite) => {
                    for chunk in $rows.chunks(500) {
                        diesel::insert_into($table).values(chunk).execute(sqlite)?;
                    }
                }
            }
        }
    }};
}
pub(crate) use insert_all;

/// Up to `limit` rows of one enterprise from a table whose rows it holds, in the order of
/// two key columns, after the key `after` (the keyset a page's cursor carries): the one
/// definition of how an enterprise's facts are paged.
macro_rules! page_of_enterprise {
    ($conn:expr, $table:ident ($first:ident, $second:ident) as $row:ty, $credit_code:expr, $after:expr, $limit:expr) => {{
        let mut query = $table::table
            .filter($table::credit_code.eq($credit_code.to_owned()))
            .into_boxed();
        if let Some((first, second)) = $after {
            query = query.filter(
                $table::$first.gt(*first).or($table::$first
                    .eq(*first)
                    .and($table::$second.gt(second.clone()))),
            );
        }
        query
            .order(($table::$first.asc(), $table::$second.asc()))
            .limit($limit)
            .select(<$row>::as_select())
            .load($conn)
    }};
}
pub(crate) use page_of_enterprise;
