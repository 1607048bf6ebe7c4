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

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime};
    use hte_shared::pagination::{MAX_CURSOR_LEN, cursor_fits, encode_cursor};

    use crate::domain::listing::{CURSOR_TIME_FORMAT, ListCursor};

    /// The longest text of each kind a key carries. Names are at most 120 characters and each
    /// may take 4 bytes in UTF-8 (a character outside the BMP, e.g. 𠀾); identifiers, codes,
    /// kinds, certificate numbers and rule-set versions are ASCII of at most 64 bytes (UUIDs,
    /// credit codes of 18, carrier ids of 40, versions of 64).
    fn longest_name() -> String {
        "𠀾".repeat(120)
    }

    fn longest_id() -> String {
        "z".repeat(64)
    }

    /// Every list of the registry: the worst key of each, encoded, stays within the
    /// documented cursor bound, so the server takes back every cursor it issues.
    #[test]
    fn the_worst_key_of_every_list_fits_the_cursor_bound() {
        let moment = NaiveDateTime::MAX;
        let day = NaiveDate::MAX;
        let enterprises = ListCursor {
            sort: "updated_at".into(),
            value: longest_name(),
            credit_code: longest_id(),
        };
        // The longest key of the suite: the one the bound is computed from.
        assert!(encode_cursor(&enterprises).len() > 700);
        assert!(cursor_fits(&enterprises), "{}", MAX_CURSOR_LEN);
        let by_time = ListCursor {
            value: moment.format(CURSOR_TIME_FORMAT).to_string(),
            ..enterprises
        };
        assert!(cursor_fits(&by_time));
        // History, pool entries, annual reports.
        assert!(cursor_fits(&i64::MIN));
        assert!(cursor_fits(&i32::MIN));
        // Incubations, certificates, declarations.
        assert!(cursor_fits(&(day, longest_id())));
        // Compliance alerts, carriers, zones and their members, labels.
        assert!(cursor_fits(&(longest_id(), longest_id())));
        assert!(cursor_fits(&longest_id()));
        assert!(cursor_fits(&(i32::MIN, longest_id())));
        // Readiness builds, rule-set versions.
        let build: super::super::readiness::BuildKey = (moment, longest_id(), day);
        assert!(cursor_fits(&build));
        let version: super::super::rule_sets::VersionKey = Some((moment, longest_id()));
        assert!(cursor_fits(&version));
    }
}
