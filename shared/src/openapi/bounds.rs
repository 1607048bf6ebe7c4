//! The default bounds of `crate::bounds`, written into the document wherever a schema states
//! none of its own: a field with its own `maxLength`, `maxItems`, `minimum`/`maximum`, enum
//! or const keeps it. Schemas a request body can reach get the limits the edge enforces on
//! every body; schemas only ever sent get [`MAX_SENT_TEXT_CHARS`] for text; integers get the
//! range of their format (what the server can read or hold at all); parameters get
//! [`MAX_PARAMETER_CHARS`], which `edge::routes` enforces. Free text that is received (a
//! body field, a parameter) gets [`PLAIN_TEXT_PATTERN`], which the edge enforces too.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::bounds::{
    MAX_ENTRIES, MAX_ITEMS, MAX_JSON_INTEGER, MAX_PARAMETER_CHARS, MAX_SENT_TEXT_CHARS,
    MAX_TEXT_CHARS, PLAIN_TEXT_PATTERN,
};

/// What a schema is used for, which decides its default bounds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Reachable from a request body: the edge's body limits.
    Received,
    /// Only in responses.
    Sent,
    /// A query, path or header parameter.
    Parameter,
}

fn has_type(schema: &serde_json::Map<String, Value>, name: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(types)) => types.iter().any(|t| t == name),
        _ => false,
    }
}

fn bounded(schema: &serde_json::Map<String, Value>, keys: &[&str]) -> bool {
    keys.iter().any(|k| schema.contains_key(*k))
}

/// The range an integer's format can hold; `minimum: 0` (utoipa's mark of an unsigned type)
/// widens `int32` to `u32`.
fn integer_range(schema: &serde_json::Map<String, Value>, usage: Use) -> (i64, i64) {
    let unsigned = schema.get("minimum").and_then(Value::as_f64) == Some(0.0);
    match (schema.get("format").and_then(Value::as_str), unsigned) {
        (Some("int32"), true) => (0, i64::from(u32::MAX)),
        (Some("int32"), false) => (i64::from(i32::MIN), i64::from(i32::MAX)),
        // A request's integers are refused beyond ±(2^53 − 1); a response's are whatever an
        // i64 holds (sums over many firms).
        _ if usage == Use::Received => (-MAX_JSON_INTEGER, MAX_JSON_INTEGER),
        _ => (i64::MIN, i64::MAX),
    }
}

fn fill(schema: &mut serde_json::Map<String, Value>, usage: Use) {
    // A file's size is the route's own limit (an import's upload cap), not a text's.
    let file = schema.get("format").is_some_and(|f| f == "binary");
    if has_type(schema, "string") && !file && !bounded(schema, &["maxLength", "enum", "const"]) {
        let max = match usage {
            Use::Received => MAX_TEXT_CHARS,
            Use::Sent => MAX_SENT_TEXT_CHARS,
            Use::Parameter => MAX_PARAMETER_CHARS,
        };
        schema.insert("maxLength".into(), json!(max));
    }
    // Received texts and parameters are refused with control characters (the edge checks);
    // a text only ever sent may quote anything stored before, so it claims nothing.
    let free_text = !bounded(schema, &["format", "pattern", "enum", "const"]);
    if has_type(schema, "string") && free_text && usage != Use::Sent {
        schema.insert("pattern".into(), json!(PLAIN_TEXT_PATTERN));
    }
    if has_type(schema, "integer") {
        if !schema.contains_key("format") {
            schema.insert("format".into(), json!("int64"));
        }
        let (low, high) = integer_range(schema, usage);
        if !bounded(schema, &["minimum", "exclusiveMinimum"]) {
            schema.insert("minimum".into(), json!(low));
        }
        if !bounded(schema, &["maximum", "exclusiveMaximum"]) {
            schema.insert("maximum".into(), json!(high));
        }
    }
    if usage == Use::Received {
        if has_type(schema, "array") && !schema.contains_key("maxItems") {
            schema.insert("maxItems".into(), json!(MAX_ITEMS));
        }
        let map = schema
            .get("additionalProperties")
            .is_some_and(Value::is_object);
        if has_type(schema, "object") && map && !schema.contains_key("maxProperties") {
            schema.insert("maxProperties".into(), json!(MAX_ENTRIES));
        }
    }
}

/// Fills `node` and every schema nested in it (properties, items, compositions).
fn fill_all(node: &mut Value, usage: Use) {
    match node {
        Value::Object(schema) => {
            fill(schema, usage);
            for (key, child) in schema.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "enum" | "default") {
                    fill_all(child, usage);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| fill_all(item, usage)),
        _ => {}
    }
}

fn schema_refs(node: &Value, found: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            found.insert(name.to_owned());
                        }
                    }
                    _ => schema_refs(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| schema_refs(item, found)),
        _ => {}
    }
}

/// The component schemas a request body can reach.
fn received(json: &Value) -> BTreeSet<String> {
    let mut todo = BTreeSet::new();
    for item in json["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            schema_refs(&operation["requestBody"], &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop_first() {
        if seen.insert(name.clone()) {
            let mut more = BTreeSet::new();
            schema_refs(&json["components"]["schemas"][&name], &mut more);
            todo.extend(more.difference(&seen).cloned());
        }
    }
    seen
}

/// JSON bodies only: a CSV, HTML or metrics text is as long as the data it holds.
fn fill_responses(responses: &mut Value) {
    for response in responses
        .as_object_mut()
        .into_iter()
        .flat_map(|r| r.values_mut())
    {
        for (media_type, media) in response
            .get_mut("content")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flatten()
        {
            if media_type.ends_with("json") {
                fill_all(media, Use::Sent);
            }
        }
        if let Some(headers) = response.get_mut("headers") {
            fill_all(headers, Use::Sent);
        }
    }
}

/// Writes the default bounds into every schema of the document that states none.
pub(super) fn declare(json: &mut Value) {
    let received = received(json);
    if let Some(Value::Object(schemas)) = json.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            let usage = if received.contains(name) {
                Use::Received
            } else {
                Use::Sent
            };
            fill_all(schema, usage);
        }
    }
    if let Some(responses) = json.pointer_mut("/components/responses") {
        fill_responses(responses);
    }
    let Some(Value::Object(paths)) = json.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (key, operation) in item.iter_mut() {
            if key == "parameters" {
                fill_parameters(operation);
                continue;
            }
            if let Some(parameters) = operation.get_mut("parameters") {
                fill_parameters(parameters);
            }
            if let Some(body) = operation.get_mut("requestBody") {
                fill_all(body, Use::Received);
            }
            if let Some(responses) = operation.get_mut("responses") {
                fill_responses(responses);
            }
        }
    }
}

fn fill_parameters(parameters: &mut Value) {
    for parameter in parameters.as_array_mut().into_iter().flatten() {
        if let Some(schema) = parameter.get_mut("schema") {
            fill_all(schema, Use::Parameter);
        }
    }
}
