//! A JSON body extractor whose errors name the field at fault (`reports[2].year`), so a
//! rejected body says exactly what to fix.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::problem::{FieldError, Problem};

/// Like `web::Json<T>`, with problem+json errors that carry the field path.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

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
                return Err(Problem::unsupported_media_type(
                    "the body must be JSON (Content-Type: application/json)",
                )
                .into());
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
        None => Err(serde::de::Error::custom(
            "null is not allowed here: leave the field out to keep its value",
        )),
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
            "the body must be a JSON object ({ … })",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => Ok(value),
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Data => {
                    let message = strip_position(&inner.to_string());
                    let field = if path == "." {
                        // serde reports missing/unknown fields at the level that holds them.
                        message
                            .split('`')
                            .nth(1)
                            .filter(|_| message.contains("field"))
                            .unwrap_or("body")
                            .to_owned()
                    } else if message.starts_with("missing field") {
                        // The path is the object that lacks the field.
                        let name = message.split('`').nth(1).unwrap_or_default();
                        format!("{path}.{name}")
                    } else {
                        path
                    };
                    let rule = if message.starts_with("missing field") {
                        "required"
                    } else if message.starts_with("unknown field") {
                        "unknown_field"
                    } else {
                        "type"
                    };
                    Err(Problem::validation(vec![FieldError::new(
                        field, rule, message,
                    )]))
                }
                _ => Err(Problem::bad_request(format!(
                    "the body is not valid JSON: {inner}"
                ))),
            }
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
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
