//! A query-string extractor whose errors name the parameter at fault (`limit: expected a
//! whole number`), in plain English and Chinese. actix's `web::Query` cannot: its
//! deserializer does not say which parameter failed.
//!
//! Use it like `web::Query`: `filter: hte_shared::query::Query<Filter>` with
//! `#[derive(Deserialize, IntoParams)]` on `Filter` and `params(Filter)` in the operation's
//! `#[utoipa::path]`. Unknown parameters are refused by the edge for every documented
//! operation ([`crate::edge::routes`]); `#[serde(deny_unknown_fields)]` on `Filter` refuses
//! them here too (every unknown one named), for a struct that is the operation's only
//! source of query parameters.

use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::problem::Problem;
use crate::rejection;

/// Like `web::Query<T>`, with problem+json errors that name the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(parse(req.query_string()).map(Query))
    }
}

/// Deserialises a query string, naming the parameter that does not fit.
pub fn parse<T: DeserializeOwned>(query_string: &str) -> Result<T, Problem> {
    let pairs = url::form_urlencoded::parse(query_string.as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let problem = rejection::query_problem(&message, query_string);
        match problem.errors.as_slice() {
            // An unknown parameter (every one named) or a missing one: already precise.
            [first, ..] if first.field != "query" => problem,
            _ => rejection::invalid_in(rejection::field_error(Some(&path), &message), "query"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::FieldError;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Filter {
        limit: Option<u32>,
        above_scale: Option<bool>,
        level: Option<Level>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Level {
        City,
        County,
    }

    fn rejected(query: &str) -> FieldError {
        parse::<Filter>(query).unwrap_err().errors.remove(0)
    }

    #[test]
    fn errors_name_the_parameter_in_plain_words() {
        let ok = parse::<Filter>("limit=5&level=city").unwrap();
        assert_eq!((ok.limit, ok.level), (Some(5), Some(Level::City)));
        for (query, field, says) in [
            ("limit=ten", "limit", "whole number"),
            ("limit=-1", "limit", "whole number"),
            ("limit=99999999999", "limit", "out of range"),
            ("above_scale=yes", "above_scale", "true or false"),
            ("level=town", "level", "city, county"),
            ("levle=city", "levle", "limit, above_scale, level"),
        ] {
            let error = rejected(query);
            assert_eq!(error.field, field, "{query}");
            assert!(
                error.message.en().contains(says),
                "{query}: {:?}",
                error.message
            );
            assert!(error.message.has_chinese(), "{query}");
        }
    }
}
