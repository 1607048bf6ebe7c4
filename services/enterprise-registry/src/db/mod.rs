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

/// Defines `insert_all` for a table: a batch of new rows in one go (imports write new rows
/// this way).
macro_rules! insert_all {
    ($(#[$doc:meta])* $table:ident as $row:ty) => {
        $(#[$doc])*
        pub fn insert_all(
            conn: &mut hte_shared::db::DbConnection,
            rows: &[$row],
        ) -> diesel::QueryResult<()> {
            // Backend-specific in diesel, so through the concrete connection: PostgreSQL takes
            // the whole batch as one binary COPY (several times faster than multi-row INSERTs
            // and still inside the batch's transaction); SQLite takes multi-row INSERTs.
            if rows.is_empty() {
                return Ok(());
            }
            match conn {
                hte_shared::db::DbConnection::Postgresql(pg) => {
                    diesel::copy_from($table::table)
                        .from_insertable(rows)
                        .execute(pg)?;
                }
                hte_shared::db::DbConnection::Sqlite(sqlite) => {
                    for chunk in rows.chunks(500) {
                        diesel::insert_into($table::table)
                            .values(chunk)
                            .execute(sqlite)?;
                    }
                }
            }
            Ok(())
        }
    };
}
pub(crate) use insert_all;

/// Defines `of_enterprises` for a table whose rows enterprises hold: every row of the given
/// enterprises, in one query.
macro_rules! of_enterprises {
    ($(#[$doc:meta])* $table:ident as $row:ty) => {
        $(#[$doc])*
        pub fn of_enterprises(
            conn: &mut hte_shared::db::DbConnection,
            codes: &[String],
        ) -> diesel::QueryResult<Vec<$row>> {
            $table::table
                .filter($table::credit_code.eq_any(codes))
                .select(<$row>::as_select())
                .load(conn)
        }
    };
}
pub(crate) use of_enterprises;

/// Defines `page_of_enterprise` for a table whose rows enterprises hold: up to `limit` rows of
/// one enterprise in the order of one or two key columns, after the key `after` (the keyset a
/// page's cursor carries): the one definition of how an enterprise's facts are paged.
macro_rules! page_of_enterprise {
    ($(#[$doc:meta])* $table:ident ($first:ident: $a:ty, $second:ident: $b:ty) as $row:ty) => {
        $(#[$doc])*
        pub fn page_of_enterprise(
            conn: &mut hte_shared::db::DbConnection,
            credit_code: &str,
            after: Option<&($a, $b)>,
            limit: i64,
        ) -> diesel::QueryResult<Vec<$row>> {
            let mut query = $table::table
                .filter($table::credit_code.eq(credit_code.to_owned()))
                .into_boxed();
            if let Some((first, second)) = after {
                query = query.filter(
                    $table::$first.gt(*first).or($table::$first
                        .eq(*first)
                        .and($table::$second.gt(second.clone()))),
                );
            }
            query
                .order(($table::$first.asc(), $table::$second.asc()))
                .limit(limit)
                .select(<$row>::as_select())
                .load(conn)
        }
    };
    ($(#[$doc:meta])* $table:ident ($key:ident: $a:ty) as $row:ty) => {
        $(#[$doc])*
        pub fn page_of_enterprise(
            conn: &mut hte_shared::db::DbConnection,
            credit_code: &str,
            after: Option<&$a>,
            limit: i64,
        ) -> diesel::QueryResult<Vec<$row>> {
            let mut query = $table::table
                .filter($table::credit_code.eq(credit_code.to_owned()))
                .into_boxed();
            if let Some(key) = after {
                query = query.filter($table::$key.gt(*key));
            }
            query
                .order($table::$key.asc())
                .limit(limit)
                .select(<$row>::as_select())
                .load(conn)
        }
    };
}
pub(crate) use page_of_enterprise;
