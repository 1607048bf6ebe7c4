//! A JSON body extractor whose errors name the field at fault (`reports[2].year`), so a
//! rejected body says exactly what to fix, and the size limits of [`crate::bounds`].

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::i18n::Text;
use crate::problem::Problem;

/// Like `web::Json<T>`, with problem+json errors that carry the field path.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// The 415 of a body that is not JSON.
pub const NOT_JSON: Text = Text::fixed(
    "the body must be JSON (Content-Type: application/json)",
    "请求体须为 JSON（Content-Type: application/json）",
);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")
        });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(Problem::unsupported_media_type(NOT_JSON).into());
            }
            let bytes = body.await?;
            parse(&bytes).map(Json).map_err(Into::into)
        })
    }
}

/// For PATCH fields that can be cleared: absent is `None` (keep), `null` is `Some(None)`
/// (clear). Use with `#[serde(default, deserialize_with = "hte_shared::json::nullable")]`.
pub fn nullable<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// For PATCH fields that may be left out but have no empty value to clear to: `null` is an
/// error naming the field. Use with `#[serde(default, deserialize_with = …)]`.
pub fn not_null<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    match <Option<T> as serde::Deserialize>::deserialize(d)? {
        Some(value) => Ok(Some(value)),
        None => Err(crate::rejection::custom(Text::fixed(
            "null is not allowed here: leave the field out to keep its value",
            "此处不允许 null：省略该字段即可保留原值",
        ))),
    }
}

/// Deserialises `bytes`, turning serde's error into a problem naming the field path.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // Every request body is an object. serde would also fill a struct from an array, by
    // position, which no client should rely on and the documents do not allow.
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
    {
        return Err(Problem::invalid_field(
            "body",
            "type",
            Text::fixed(
                "the body must be a JSON object ({ … })",
                "请求体须为 JSON 对象（{ … }）",
            ),
        ));
    }
    // The size limits first, on the generic value: a malformed body falls through to the
    // typed parse below, whose error names the place.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        crate::bounds::check(&value)?;
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => Ok(value),
        // JSON Schema counts `17450.0` as an integer, and so do the documents' `integer`
        // fields: read such a body again with whole numbers written as integers.
        Err(error)
            if error
                .inner()
                .to_string()
                .starts_with("invalid type: floating point") =>
        {
            let mut value: serde_json::Value = serde_json::from_slice(bytes)
                .map_err(|e| crate::rejection::json_problem(None, &e))?;
            whole_numbers_as_integers(&mut value);
            serde_path_to_error::deserialize(value).map_err(|error| {
                let path = error.path().to_string();
                crate::rejection::json_problem(Some(&path), error.inner())
            })
        }
        Err(error) => {
            let path = error.path().to_string();
            Err(crate::rejection::json_problem(Some(&path), error.inner()))
        }
    }
}

/// Writes every float with no fractional part that fits an `i64` as an integer (`2.0` →
/// `2`); a field that wants a float still takes it.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18) {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        reports: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        year: i32,
    }

    fn field_of(body: &str) -> (String, String) {
        let problem = parse::<Outer>(body.as_bytes()).unwrap_err();
        (
            problem.errors[0].field.clone(),
            problem.errors[0].rule.clone(),
        )
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_are_not() {
        let outer: Outer = parse(br#"{"name": "a", "reports": [{"year": 2020.0}]}"#).unwrap();
        assert_eq!(outer.reports[0].year, 2020);
        assert_eq!(
            field_of(r#"{"name": "a", "reports": [{"year": 2020.5}]}"#),
            ("reports[0].year".to_owned(), "type".to_owned())
        );
    }

    #[test]
    fn integral_numbers_are_integers() {
        let outer: Outer =
            parse(br#"{"name": "x", "reports": [{"year": 2040.0}, {"year": 2.04e3}]}"#)
                .expect("2040.0 is an integer");
        assert_eq!(outer.reports.len(), 2);
        let problem = parse::<Outer>(br#"{"name": "x", "reports": [{"year": 2040.5}]}"#)
            .expect_err("2040.5 is not");
        assert_eq!(problem.errors[0].field, "reports[0].year");
    }

    #[test]
    fn a_body_must_be_an_object() {
        for body in [r#"["a", 1]"#, "  3", r#""text""#, "null"] {
            let problem = parse::<Outer>(body.as_bytes()).unwrap_err();
            assert_eq!(
                problem.status_code(),
                actix_web::http::StatusCode::BAD_REQUEST
            );
            assert_eq!(
                field_of(body),
                ("body".to_owned(), "type".to_owned()),
                "{body}"
            );
        }
    }

    #[test]
    fn errors_name_the_field_path() {
        assert_eq!(
            field_of(r#"{"reports":[]}"#),
            ("name".into(), "required".into())
        );
        assert_eq!(
            field_of(r#"{"name":"x","reports":[{"year":1},{"year":"x"}]}"#),
            ("reports[1].year".into(), "type".into())
        );
        assert_eq!(
            field_of(r#"{"name":"x","reports":[{"year":1,"status":"hte"}]}"#),
            ("reports[0].status".into(), "unknown_field".into())
        );
        assert_eq!(
            field_of(r#"{"name":"x","status":1,"reports":[]}"#).0,
            "status"
        );
        let problem = parse::<Outer>(b"{").unwrap_err();
        assert_eq!(problem.type_uri, crate::problem::types::MALFORMED_REQUEST);
    }
}
