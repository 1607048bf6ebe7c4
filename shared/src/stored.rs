//! Data a service writes to its tables or bodies and reads back: JSON columns, keys of closed
//! vocabularies. A value that cannot be written or read back is a bug or a damaged row, never
//! the client's fault: the error travels as a diesel error (so `?` works inside database work)
//! and ends as a logged 500 (see [`crate::db::DbError::to_problem`]), never as a `null` or a
//! default put in its place.

use diesel::result::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `value` as a JSON value (for audit entries and stored answers).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::SerializationError(Box::new(e)))
}

/// `value` as JSON text (for a JSON column).
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::SerializationError(Box::new(e)))
}

/// Reads back a JSON column; `what` names it in the error.
pub fn parse<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| corrupt(what, &format!("{e}")))
}

/// The error for a stored `what` this code cannot read.
pub fn corrupt(what: &str, detail: &str) -> Error {
    Error::DeserializationError(format!("stored {what} cannot be read: {detail}").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_values_are_errors_not_defaults() {
        assert_eq!(to_text(&vec![1, 2]).unwrap(), "[1,2]");
        assert_eq!(parse::<Vec<i32>>("rows", "[1,2]").unwrap(), vec![1, 2]);
        let error = parse::<Vec<i32>>("rows", "{oops").unwrap_err();
        assert!(matches!(error, Error::DeserializationError(_)));
        assert!(error.to_string().contains("stored rows cannot be read"));
        // A map with non-string keys has no JSON form.
        let map = std::collections::BTreeMap::from([((1, 2), 3)]);
        assert!(matches!(to_value(&map), Err(Error::SerializationError(_))));
    }
}
