//! Cursor pagination: opaque cursors over a stable order, and a bounded page size.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::i18n::Text;
use crate::problem::Problem;
use crate::text;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// The longest sort key, as JSON, that any list of the suite puts in a cursor, with room to
/// spare. The longest today is the registry's enterprise list sorted by name: a name of up to
/// 120 characters of up to 4 UTF-8 bytes each (480 bytes), the sort's name, the credit code
/// and the JSON around them, 541 bytes. Each service has a test that encodes the worst key
/// of each of its lists and checks it with [`cursor_fits`].
pub const MAX_CURSOR_KEY_BYTES: usize = 768;

/// The documented and enforced length bound of a cursor: the base64url (no padding) length
/// of [`MAX_CURSOR_KEY_BYTES`], so every cursor a service issues is one it takes back.
pub const MAX_CURSOR_LEN: usize = (MAX_CURSOR_KEY_BYTES * 4).div_ceil(3);

/// `?limit=&cursor=` as sent by the client.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
}

/// A validated page request. `K` is the sort key of the last row of the previous page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest<K> {
    pub limit: u32,
    pub after: Option<K>,
}

impl PageParams {
    pub fn parse<K: DeserializeOwned>(&self) -> Result<PageRequest<K>, Problem> {
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(n) => {
                return Err(Problem::invalid_field(
                    "limit",
                    "range",
                    text!(
                        "limit must be between 1 and {MAX_LIMIT}; got {n}",
                        "limit 须在 1 到 {MAX_LIMIT} 之间；收到的是 {n}"
                    ),
                ));
            }
        };
        // `?cursor=` is not "the first page": the documented pattern refuses it, and so do we.
        let after = match self.cursor.as_deref() {
            None => None,
            Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                // A cursor of the documented alphabet and length that we did not issue is
                // well-formed (`not_issued`, which a service may answer 422); anything else
                // breaks the documented pattern (`format`).
                let rule = if well_formed_cursor(cursor) {
                    "not_issued"
                } else {
                    "format"
                };
                Problem::invalid_field(
                    "cursor",
                    rule,
                    Text::fixed(
                        "the cursor is not one this service issued; start again without it",
                        "该游标不是本服务签发的；请去掉它从头开始",
                    ),
                )
            })?),
        };
        Ok(PageRequest { limit, after })
    }
}

/// The documented cursor rule: base64url, 1 to [`MAX_CURSOR_LEN`] characters.
fn well_formed_cursor(cursor: &str) -> bool {
    (1..=MAX_CURSOR_LEN).contains(&cursor.len())
        && cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The schema of `cursor` and `next_cursor`, as [`well_formed_cursor`] checks them.
pub fn cursor_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "string",
        "pattern": format!("^[A-Za-z0-9_-]{{1,{MAX_CURSOR_LEN}}}$"),
        "maxLength": MAX_CURSOR_LEN,
    })
}

/// Whether the cursor of this key stays within the documented bound: each service's tests
/// hold the worst key of each of its lists to it.
pub fn cursor_fits<K: Serialize>(key: &K) -> bool {
    well_formed_cursor(&encode_cursor(key))
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Option<K> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_-]+$")] // what `encode_cursor` writes: base64url
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only tells
    /// whether another page exists.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let limit = limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_limits_are_bounded() {
        let cursor = encode_cursor(&("苏州", 42));
        let params = PageParams {
            limit: Some(10),
            cursor: Some(cursor),
        };
        let request: PageRequest<(String, i64)> = params.parse().unwrap();
        assert_eq!(request.after, Some(("苏州".to_owned(), 42)));
        assert_eq!(request.limit, 10);
        let too_big = PageParams {
            limit: Some(MAX_LIMIT + 1),
            cursor: None,
        };
        assert_eq!(too_big.parse::<i64>().unwrap_err().errors[0].field, "limit");
        let forged = PageParams {
            limit: None,
            cursor: Some("!!".into()),
        };
        let problem = forged.parse::<i64>().unwrap_err();
        assert_eq!(problem.errors[0].field, "cursor");
        assert_eq!(problem.errors[0].rule, "format");
        let unknown = PageParams {
            limit: None,
            cursor: Some("0".into()),
        };
        assert_eq!(
            unknown.parse::<i64>().unwrap_err().errors[0].rule,
            "not_issued"
        );
    }

    #[test]
    fn the_cursor_bound_is_that_of_the_longest_key() {
        assert_eq!(MAX_CURSOR_LEN, 1024);
        // A key of exactly the bound's size encodes to exactly the bound, and is taken back.
        let key = "x".repeat(MAX_CURSOR_KEY_BYTES - 2);
        let cursor = encode_cursor(&key);
        assert_eq!(cursor.len(), MAX_CURSOR_LEN);
        let request: PageRequest<String> = PageParams {
            limit: None,
            cursor: Some(cursor),
        }
        .parse()
        .unwrap();
        assert_eq!(request.after, Some(key));
        assert!(!cursor_fits(&"x".repeat(MAX_CURSOR_KEY_BYTES - 1)));
        let schema = cursor_schema();
        assert_eq!(schema["pattern"], "^[A-Za-z0-9_-]{1,1024}$");
        assert_eq!(schema["maxLength"], 1024);
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        let next: PageRequest<i32> = PageParams {
            limit: None,
            cursor: page.next_cursor,
        }
        .parse()
        .unwrap();
        assert_eq!(next.after, Some(2));
        assert!(Page::from_rows(vec![1, 2], 2, |n| *n).next_cursor.is_none());
    }
}
