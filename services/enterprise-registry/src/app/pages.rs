//! One page of a list the API pages: rows read in the order of a unique key, after the key
//! the cursor carries, one more than asked for to tell whether another page follows; then
//! the rows kept become views.

use diesel::QueryResult;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use serde::Serialize;

use super::enterprises::load_visible;
use crate::domain::credit_code::CreditCode;
use crate::error::RegistryError;

/// Up to `limit` rows of one enterprise, in key order, after the key given.
pub type RowsAfter<R, K> = fn(&mut DbConnection, &str, Option<&K>, i64) -> QueryResult<Vec<R>>;

/// How a row gives its key (the cursor) and its view.
pub type KeyAndView<R, K, V> = (fn(&R) -> K, fn(&R) -> Result<V, RegistryError>);

/// One page of a visible enterprise's records of one kind (404 when the caller may not see
/// the enterprise, as every read of it).
pub fn of_enterprise<R, K: Serialize, V>(
    conn: &mut DbConnection,
    (caller, code): (&Caller, &CreditCode),
    page: &PageRequest<K>,
    rows_after: RowsAfter<R, K>,
    (key, view): KeyAndView<R, K, V>,
) -> Result<Page<V>, RegistryError> {
    load_visible(conn, caller, code)?;
    let rows = rows_after(conn, code.as_str(), page.after.as_ref(), fetched(page))?;
    views_of(Page::from_rows(rows, page.limit, key), view)
}

/// The rows to fetch for a page: one beyond its size, which only says whether more follow.
pub fn fetched<K>(page: &PageRequest<K>) -> i64 {
    i64::from(page.limit) + 1
}

/// The page with each row turned into its view.
pub fn views_of<R, V>(
    page: Page<R>,
    view: impl Fn(&R) -> Result<V, RegistryError>,
) -> Result<Page<V>, RegistryError> {
    Ok(Page {
        items: page.items.iter().map(view).collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    })
}
