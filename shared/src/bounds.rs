//! The size limits every JSON body meets at the edge, whatever the route: no string longer
//! than [`MAX_TEXT_CHARS`], no array longer than [`MAX_ITEMS`], no object (a map such as
//! `weights`) with more than [`MAX_ENTRIES`] members, no integer outside the range JSON
//! carries exactly ([`MAX_JSON_INTEGER`], I-JSON, RFC 7493). A route whose domain has a
//! tighter bound states it on the field (`#[schema(max_length = …)]`) and its parser enforces
//! it; the document gives every other field these defaults (`openapi::bounds`), so what it
//! states is what the server enforces. Query, path and header parameters are held to their
//! documented `maxLength` ([`MAX_PARAMETER_CHARS`] unless stated) by `edge::routes`.

use serde_json::Value;

use crate::i18n::quote;
use crate::problem::{FieldError, MAX_FIELD_ERRORS, Problem};
use crate::text;

/// Longest string in a request body, in characters (a rule set's description, a reason).
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Most items in one array of a request body.
pub const MAX_ITEMS: usize = 1_000;
/// Most members of one object of a request body (maps keyed by region, indicator …).
pub const MAX_ENTRIES: usize = 1_000;
/// Largest magnitude of an integer in a request body: 2^53 − 1, the range every JSON reader
/// holds exactly (larger integers become rounded doubles in JavaScript and many others).
pub const MAX_JSON_INTEGER: i64 = (1 << 53) - 1;
/// Longest query, path or header parameter value that states no bound of its own.
pub const MAX_PARAMETER_CHARS: usize = 200;
/// Longest text in a response that states no bound of its own: stored texts came in through
/// the limits above (or an import record, at most 64 KiB); texts the server composes
/// (messages, bulletin sections) quote stored values and stay well under it.
pub const MAX_SENT_TEXT_CHARS: usize = 65_536;

/// What every text of a request may hold: anything but the control characters other than
/// tab, line feed and carriage return (they only ever come from a broken or hostile client,
/// and would corrupt exports, logs and terminals). As a JSON Schema `pattern`.
pub const PLAIN_TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$";

/// Whether `c` is a control character [`PLAIN_TEXT_PATTERN`] refuses.
pub fn refused_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}')
}

/// The field error of a text holding a refused control character, if it holds one.
pub fn control_character_error(field: &str, text: &str) -> Option<FieldError> {
    let (at, c) = text
        .chars()
        .enumerate()
        .find(|(_, c)| refused_control(*c))?;
    let (position, code) = (at + 1, format!("U+{:04X}", u32::from(c)));
    Some(FieldError::new(
        field,
        "pattern",
        text!(
            "control character {code} at position {position} is not allowed (only tab and \
             line breaks are)",
            "第 {position} 个字符为控制字符 {code}，不允许（仅允许制表符和换行）"
        ),
    ))
}

/// Checks `body` against the limits; a problem names every field at fault (at most
/// [`MAX_FIELD_ERRORS`] are listed) and quotes only a short prefix of a value.
pub fn check(body: &Value) -> Result<(), Problem> {
    let mut errors = Vec::new();
    let mut total = 0usize;
    walk(body, &mut String::new(), &mut |error| {
        total += 1;
        if errors.len() < MAX_FIELD_ERRORS {
            errors.push(error);
        }
    });
    if total == 0 {
        return Ok(());
    }
    let mut problem = Problem::validation(errors);
    if total > MAX_FIELD_ERRORS {
        problem = problem.with_detail(text!(
            "{total} fields exceed the size limits; the first {MAX_FIELD_ERRORS} are listed",
            "{total} 个字段超出长度或数量上限，此处列出前 {MAX_FIELD_ERRORS} 个"
        ));
    }
    Err(problem)
}

fn field_name(path: &str) -> &str {
    if path.is_empty() { "body" } else { path }
}

fn walk(value: &Value, path: &mut String, report: &mut dyn FnMut(FieldError)) {
    match value {
        Value::String(text) => {
            let chars = text.chars().count();
            if chars > MAX_TEXT_CHARS {
                let start = quote(text);
                report(FieldError::new(
                    field_name(path),
                    "max_length",
                    text!(
                        "at most {MAX_TEXT_CHARS} characters, got {chars} ({start})",
                        "至多 {MAX_TEXT_CHARS} 个字符，实为 {chars} 个（{start}）"
                    ),
                ));
            } else if let Some(error) = control_character_error(field_name(path), text) {
                report(error);
            }
        }
        Value::Number(number) => {
            let fits = number
                .as_i64()
                .map(|n| (-MAX_JSON_INTEGER..=MAX_JSON_INTEGER).contains(&n))
                .or_else(|| number.as_u64().map(|_| false))
                .unwrap_or(true); // a fraction: each field's own rule bounds it
            if !fits {
                report(FieldError::new(
                    field_name(path),
                    "range",
                    text!(
                        "a whole number must lie between -{MAX_JSON_INTEGER} and \
                         {MAX_JSON_INTEGER}",
                        "整数须介于 -{MAX_JSON_INTEGER} 与 {MAX_JSON_INTEGER} 之间"
                    ),
                ));
            }
        }
        Value::Array(items) => {
            if items.len() > MAX_ITEMS {
                let n = items.len();
                report(FieldError::new(
                    field_name(path),
                    "max_items",
                    text!(
                        "at most {MAX_ITEMS} items, got {n}",
                        "至多 {MAX_ITEMS} 项，实为 {n} 项"
                    ),
                ));
                return;
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, report);
                path.truncate(len);
            }
        }
        Value::Object(members) => walk_object(members, path, report),
        Value::Null | Value::Bool(_) => {}
    }
}

fn walk_object(
    members: &serde_json::Map<String, Value>,
    path: &mut String,
    report: &mut dyn FnMut(FieldError),
) {
    if members.len() > MAX_ENTRIES {
        let n = members.len();
        report(FieldError::new(
            field_name(path),
            "max_properties",
            text!(
                "at most {MAX_ENTRIES} members, got {n}",
                "至多 {MAX_ENTRIES} 个成员，实为 {n} 个"
            ),
        ));
        return;
    }
    for (key, member) in members {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        if key.chars().count() > MAX_PARAMETER_CHARS {
            let start = quote(key);
            report(FieldError::new(
                field_name(path),
                "max_length",
                text!(
                    "a member name has at most {MAX_PARAMETER_CHARS} characters ({start})",
                    "成员名至多 {MAX_PARAMETER_CHARS} 个字符（{start}）"
                ),
            ));
            path.truncate(len);
            continue;
        }
        path.push_str(key);
        walk(member, path, report);
        path.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(body: Value) -> Vec<(String, String)> {
        match check(&body) {
            Ok(()) => Vec::new(),
            Err(problem) => {
                let mut found: Vec<_> = problem
                    .errors
                    .into_iter()
                    .map(|e| (e.field, e.rule))
                    .collect();
                found.sort();
                found
            }
        }
    }

    #[test]
    fn each_limit_names_its_field() {
        let long = "长".repeat(MAX_TEXT_CHARS + 1);
        let many: Vec<u8> = vec![1; MAX_ITEMS + 1];
        let map: serde_json::Map<String, Value> = (0..=MAX_ENTRIES)
            .map(|i| (format!("k{i}"), json!(1)))
            .collect();
        let body = json!({
            "ok": "长".repeat(MAX_TEXT_CHARS),
            "lines": "第一行\n\t第二行\r\n",
            "bell": "ring\u{7}",
            "a": {"name": long},
            "list": [1, {"n": 9_007_199_254_740_992_i64}],
            "many": many,
            "weights": map,
            "neg": -9_007_199_254_740_991_i64,
            "big": u64::MAX,
            "ratio": 1e308,
        });
        assert_eq!(
            fields(body),
            [
                ("a.name", "max_length"),
                ("bell", "pattern"),
                ("big", "range"),
                ("list[1].n", "range"),
                ("many", "max_items"),
                ("weights", "max_properties"),
            ]
            .map(|(f, r)| (f.to_owned(), r.to_owned()))
        );
    }

    #[test]
    fn a_problem_quotes_a_prefix_and_lists_at_most_twenty() {
        let long = "x".repeat(1_000_000);
        let body: serde_json::Map<String, Value> =
            (0..30).map(|i| (format!("f{i}"), json!(long))).collect();
        let problem = check(&Value::Object(body)).unwrap_err();
        assert_eq!(problem.errors.len(), MAX_FIELD_ERRORS);
        let sent = serde_json::to_string(&problem).unwrap();
        assert!(sent.len() < 20_000, "{}", sent.len());
        assert!(problem.detail.unwrap().en().contains("30 fields"));
    }
}
