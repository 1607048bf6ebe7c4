//! What a request whose input cannot be read is told: serde's and the parsers' English
//! ("invalid type: string \"x\", expected u32", "invalid digit found in string") turned into
//! field errors in plain English and Chinese, naming the field and the rule, quoting at most a
//! short prefix of the value. No serde or Rust wording reaches a user.
//!
//! Deserializers of our own types report a bilingual reason with [`custom`]; a plain
//! `serde::de::Error::custom("…")` message is passed on as received (English only), so our
//! own types never use it.

use crate::i18n::{Text, quote};
use crate::problem::{FieldError, Problem};
use crate::text;

/// Separates the English and Chinese halves of a [`custom`] message inside serde's error.
const SEPARATOR: char = '\u{1f}';

/// A deserializer's error with a reason in both languages:
/// `Err(hte_shared::rejection::custom(text!("…", "…")))`.
pub fn custom<E: serde::de::Error>(reason: Text) -> E {
    E::custom(format!("{}{SEPARATOR}{}", reason.en(), reason.zh()))
}

/// How many allowed names an "unknown field" or "unknown value" message lists.
const MAX_LISTED: usize = 40;

/// A field error for what serde (or a parser) said about the field at `path`. `path` is
/// `None` when the error names no place (serde_urlencoded, actix paths); a missing or
/// unknown field's own name is appended to it.
pub fn field_error(path: Option<&str>, message: &str) -> FieldError {
    let message = strip_position(message);
    let (rule, name, text) = explain(message);
    let field = match (path, name) {
        // serde_path_to_error's path ends at an unknown field, and stops above a missing one.
        (Some(path), Some(name)) if path.ends_with(name) => path.to_owned(),
        (Some(path), Some(name)) if !path.is_empty() && path != "." => format!("{path}.{name}"),
        (_, Some(name)) => name.to_owned(),
        (Some(path), None) if !path.is_empty() && path != "." => path.to_owned(),
        _ => "body".to_owned(),
    };
    FieldError::new(field, rule, text)
}

/// serde_json appends " at line 1 column 7" to data errors; the field path says more.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(index) if message[index..].contains(" column ") => &message[..index],
        _ => message,
    }
}

/// The rule broken, the field serde named (missing and unknown fields), and the explanation.
fn explain(message: &str) -> (&'static str, Option<&str>, Text) {
    if let Some((en, zh)) = message.split_once(SEPARATOR) {
        return ("format", None, Text::new(en.to_owned(), zh.to_owned()));
    }
    if let Some(name) = ticked(message, "missing field `") {
        let text = Text::fixed("this field is required", "此字段为必填项");
        return ("required", Some(name), text);
    }
    if let Some(name) = ticked(message, "unknown field `") {
        let allowed = listed(message);
        let text = if allowed.is_empty() {
            Text::fixed(
                "unknown field: this object takes no fields",
                "未知字段：此对象不接受任何字段",
            )
        } else {
            let list = allowed.join(", ");
            let list_zh = allowed.join("、");
            text!(
                "unknown field; the fields here are: {list}",
                "未知字段；此处可用的字段为：{list_zh}"
            )
        };
        return ("unknown_field", Some(name), text);
    }
    if let Some(name) = ticked(message, "duplicate field `") {
        let text = Text::fixed("this field is given twice", "此字段重复出现");
        return ("duplicate_field", Some(name), text);
    }
    if let Some(value) = ticked(message, "unknown variant `") {
        let allowed = listed(message);
        let value = quote(value);
        let (list, list_zh) = (allowed.join(", "), allowed.join("、"));
        let text = text!(
            "{value} is not an allowed value; use one of: {list}",
            "{value} 不是允许的取值；可选值为：{list_zh}"
        );
        return ("type", None, text);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (got, expected) = split_expected(rest);
        let (got, expected) = (unexpected(got), expectation(expected));
        let text = Text::new(
            format!("expected {}, got {}", expected.en(), got.en()),
            format!("{}，{}", zh("应为", expected.zh()), zh("实际为", got.zh())),
        );
        return ("type", None, text);
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (got, expected) = split_expected(rest);
        let numeric = got.starts_with("integer") || got.starts_with("floating point");
        let (got, expected) = (unexpected(got), expectation(expected));
        let (said, said_zh) = match numeric {
            true => ("is out of range", "超出范围"),
            false => ("is not accepted", "不被接受"),
        };
        let text = Text::new(
            format!("{} {said}: expected {}", got.en(), expected.en()),
            format!("{} {said_zh}：{}", got.zh(), zh("应为", expected.zh())),
        );
        return (if numeric { "range" } else { "format" }, None, text);
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let (count, expected) = split_expected(rest);
        let expected = expectation(expected);
        let text = Text::new(
            format!("{count} items where {} is expected", expected.en()),
            format!("共 {count} 项，{}", zh("应为", expected.zh())),
        );
        return ("length", None, text);
    }
    if let Some((rule, text)) = parser_wording(message) {
        return (rule, None, text);
    }
    // A parser's wording no rule above recognises (our own deserializers use `custom`).
    ("format", None, Text::received(message.to_owned()))
}

/// `lead` and `rest` joined as Chinese typesetting wants: a space before Latin letters,
/// digits and quotes, none before Chinese.
fn zh(lead: &str, rest: &str) -> String {
    match rest.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() || c == '"' || c == '-' => format!("{lead} {rest}"),
        _ => format!("{lead}{rest}"),
    }
}

/// The name in "prefix`name`…".
fn ticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// The names serde lists after "expected one of `a`, `b`" or "expected `a` or `b`".
fn listed(message: &str) -> Vec<String> {
    // The last "expected": a sent name or value (before it) may itself contain the word.
    let Some(list) = message.rfind("expected ").map(|i| &message[i..]) else {
        return Vec::new();
    };
    let names: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    let total = names.len();
    let mut names: Vec<String> = names.into_iter().take(MAX_LISTED).collect();
    if total > MAX_LISTED {
        names.push("…".to_owned());
    }
    names
}

/// "string \"x\", expected u32" → ("string \"x\"", "u32").
fn split_expected(rest: &str) -> (&str, &str) {
    match rest.rfind(", expected ") {
        Some(index) => (&rest[..index], &rest[index + ", expected ".len()..]),
        None => (rest, ""),
    }
}

/// What was sent, as serde describes it ("integer `5`", "string \"x\"", "map").
fn unexpected(got: &str) -> Text {
    let value = |prefix: &str| {
        got.strip_prefix(prefix)
            .map(|v| v.trim_matches(|c| c == '`' || c == '"'))
    };
    if let Some(v) = value("integer ").or(value("floating point ")) {
        let v = quote(v);
        text!("the number {v}", "数字 {v}")
    } else if let Some(v) = value("string ").or(value("character ")) {
        let v = quote(v);
        text!("the text {v}", "文本 {v}")
    } else if let Some(v) = value("boolean ") {
        text!("{v}", "布尔值 {v}")
    } else {
        match got {
            "null" | "unit value" | "Option value" => Text::fixed("null", "null"),
            "sequence" => Text::fixed("an array", "数组"),
            "map" => Text::fixed("an object", "对象"),
            _ => Text::fixed("a value of another kind", "其他类型的值"),
        }
    }
}

/// What serde expected ("u32", "a string", "struct ProbeBody", "one of `a`, `b`").
fn expectation(expected: &str) -> Text {
    if let Some(range) = integer_range(expected) {
        let (min, max) = range;
        return text!(
            "a whole number from {min} to {max}",
            "{min} 到 {max} 之间的整数"
        );
    }
    match expected {
        "f32" | "f64" | "a number" => return Text::fixed("a number", "数字"),
        "a string" | "a borrowed string" | "string" => {
            return Text::fixed("text (a JSON string)", "字符串");
        }
        "a boolean" | "bool" => return Text::fixed("true or false", "true 或 false"),
        "a sequence" | "a list" | "sequence" => return Text::fixed("an array", "数组"),
        "a map" | "map" => return Text::fixed("an object", "对象"),
        "unit" => return Text::fixed("null", "null"),
        "a character" | "char" => return Text::fixed("a single character", "单个字符"),
        "a formatted date string" | "a valid date" | "a date" => {
            return Text::fixed("a date such as 2025-12-31", "日期，如 2025-12-31");
        }
        _ => {}
    }
    if expected.contains("date and time") || expected.contains("datetime") {
        return Text::fixed(
            "a date and time such as 2025-12-31T08:00:00Z",
            "日期时间，如 2025-12-31T08:00:00Z",
        );
    }
    if expected.starts_with("struct ") {
        return Text::fixed("an object", "对象");
    }
    if expected.starts_with("tuple") || expected.starts_with("a tuple") {
        return Text::fixed("an array", "数组");
    }
    if expected.contains('`') {
        let allowed = listed(&format!("expected {expected}"));
        let (list, list_zh) = (allowed.join(", "), allowed.join("、"));
        return text!("one of: {list}", "以下取值之一：{list_zh}");
    }
    if expected.contains("UUID") {
        return Text::fixed("a UUID", "UUID");
    }
    if expected.contains(' ') && !expected.starts_with("enum ") && !expected.contains("::") {
        // A visitor's own `expecting` phrase, written for people.
        return Text::new(expected.to_owned(), "符合文档规定的值");
    }
    Text::fixed("a value of the documented type", "符合文档规定类型的值")
}

fn integer_range(expected: &str) -> Option<(i128, u128)> {
    Some(match expected {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" => (0, u64::MAX.into()),
        "i8" => (i8::MIN.into(), i8::MAX as u128),
        "i16" => (i16::MIN.into(), i16::MAX as u128),
        "i32" => (i32::MIN.into(), i32::MAX as u128),
        "i64" | "isize" => (i64::MIN.into(), i64::MAX as u128),
        _ => return None,
    })
}

/// The standard library's, actix's and chrono's parse errors, which name no field.
fn parser_wording(message: &str) -> Option<(&'static str, Text)> {
    let text = match message {
        "invalid digit found in string" | "cannot parse integer from empty string" => {
            Text::fixed("expected a whole number", "应为整数")
        }
        "number too large to fit in target type" | "number too small to fit in target type" => {
            Text::fixed("the number is out of range", "数字超出范围")
        }
        "invalid float literal" => Text::fixed("expected a number", "应为数字"),
        "provided string was not `true` or `false`" => {
            Text::fixed("expected true or false", "应为 true 或 false")
        }
        "input contains invalid characters"
        | "premature end of input"
        | "trailing input"
        | "input is out of range"
        | "input is not enough for unique date and time"
        | "no possible date and time matching input" => {
            return Some((
                "format",
                Text::fixed(
                    "expected a date such as 2025-12-31",
                    "应为日期，如 2025-12-31",
                ),
            ));
        }
        "expected unit variant" => Text::fixed("this value takes no parameters", "此取值不带参数"),
        m if m.starts_with("can not parse ") => {
            let target = m.rsplit(" to a ").next().unwrap_or_default();
            let expected = expectation(target);
            Text::new(
                format!("expected {}", expected.en()),
                zh("应为", expected.zh()),
            )
        }
        m if m.starts_with("unsupported type") || m == "not supported" || m == "Unexpected" => {
            Text::fixed("this value cannot be read", "无法读取此值")
        }
        _ => return None,
    };
    Some(("type", text))
}

/// 400 for a JSON body serde could not read: a field error naming the path for data errors,
/// or where the JSON breaks (line and column) for syntax errors.
pub fn json_problem(path: Option<&str>, error: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => Problem::validation(vec![field_error(path, &error.to_string())]),
        Category::Eof => syntax_problem(
            Text::fixed(
                "the body ends before the JSON is complete",
                "请求体在 JSON 结束之前中断",
            ),
            error,
        ),
        Category::Syntax => {
            let message = strip_position(&error.to_string()).to_owned();
            let reason = match message.as_str() {
                "number out of range" => Text::fixed("a number is out of range", "数字超出范围"),
                "recursion limit exceeded" => {
                    Text::fixed("the JSON nests too deeply", "JSON 嵌套层级过深")
                }
                "trailing characters" => {
                    Text::fixed("more follows the JSON value", "JSON 值之后还有多余内容")
                }
                "trailing comma" => {
                    Text::fixed("a comma before a closing bracket", "右括号前多了逗号")
                }
                "key must be a string" => {
                    Text::fixed("an object key is not a string", "对象的键不是字符串")
                }
                _ => Text::fixed("a syntax error", "语法错误"),
            };
            syntax_problem(reason, error)
        }
        Category::Io => {
            Problem::bad_request(Text::fixed("the body could not be read", "无法读取请求体"))
        }
    }
}

fn syntax_problem(reason: Text, error: &serde_json::Error) -> Problem {
    let (line, column) = (error.line(), error.column());
    Problem::bad_request(Text::new(
        format!(
            "the body is not valid JSON: {} (line {line}, column {column})",
            reason.en()
        ),
        format!(
            "请求体不是有效的 JSON：{}（第 {line} 行第 {column} 列）",
            reason.zh()
        ),
    ))
}

/// 400 for a query string that does not fit the route's parameters (actix's `web::Query`).
/// An unknown parameter (`#[serde(deny_unknown_fields)]`) is reported with every other
/// parameter of the request that the route does not take, one field error each.
pub fn query_problem(message: &str, query_string: &str) -> Problem {
    let error = field_error(None, message);
    if error.rule == "unknown_field" {
        let allowed = listed(message);
        let unknown = unknown_parameters(query_string, |name| allowed.iter().any(|a| a == name));
        if !unknown.is_empty() {
            return unknown_parameters_problem(&unknown, &allowed);
        }
    }
    invalid_in(error, "query")
}

/// 400 for one field error; one that names no field is put on `place` (`query`, `path`).
pub fn invalid_in(error: FieldError, place: &str) -> Problem {
    let field = if error.field == "body" {
        place.to_owned()
    } else {
        error.field
    };
    Problem::validation(vec![FieldError { field, ..error }])
}

/// The distinct parameter names of `query_string` that `known` refuses, in order.
pub fn unknown_parameters(query_string: &str, known: impl Fn(&str) -> bool) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for (name, _) in url::form_urlencoded::parse(query_string.as_bytes()) {
        if !name.is_empty() && !known(&name) && !unknown.iter().any(|u| *u == name) {
            unknown.push(name.into_owned());
        }
    }
    unknown
}

/// 400 naming each query parameter the route does not take, and the ones it does.
pub fn unknown_parameters_problem(unknown: &[String], allowed: &[String]) -> Problem {
    let (list, list_zh) = (allowed.join(", "), allowed.join("、"));
    let message = if allowed.is_empty() {
        Text::fixed(
            "unknown query parameter: this route takes none",
            "未知的查询参数：本接口不接受查询参数",
        )
    } else {
        text!(
            "unknown query parameter; this route takes: {list}",
            "未知的查询参数；本接口接受：{list_zh}"
        )
    };
    let errors: Vec<FieldError> = unknown
        .iter()
        .map(|name| FieldError::new(name.clone(), "unknown_parameter", message.clone()))
        .collect();
    let names = unknown
        .iter()
        .take(crate::problem::MAX_FIELD_ERRORS)
        .map(|n| quote(n))
        .collect::<Vec<_>>();
    let (names, names_zh) = (names.join(", "), names.join("、"));
    let count = unknown.len();
    Problem::validation(errors).with_detail(text!(
        "{count} query parameter(s) not known here: {names}",
        "{count} 个查询参数不适用于本接口：{names_zh}"
    ))
}

/// 400 for a path segment that does not fit the route (actix's `web::Path`).
pub fn path_problem(message: &str) -> Problem {
    invalid_in(field_error(None, message), "path")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        count: u32,
        kind: Kind,
        on: Option<chrono::NaiveDate>,
        flags: Option<Vec<bool>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Gazelle,
        LittleGiant,
    }

    fn rejected(body: &str) -> FieldError {
        let mut de = serde_json::Deserializer::from_str(body);
        let error = serde_path_to_error::deserialize::<_, Probe>(&mut de).unwrap_err();
        let path = error.path().to_string();
        field_error(Some(&path), &error.into_inner().to_string())
    }

    /// No serde, Rust or chrono wording in either language.
    fn assert_clean(text: &Text) {
        for lang in [Lang::En, Lang::Zh] {
            let said = text.get(lang);
            for leak in [
                "invalid type",
                "invalid value",
                "u32",
                "struct ",
                "variant",
                "at line",
                "formatted date string",
                "sequence",
                "`",
            ] {
                assert!(!said.contains(leak), "{leak:?} in {said:?}");
            }
        }
        assert!(text.has_chinese(), "{text:?}");
    }

    #[test]
    fn serde_wording_becomes_plain_bilingual_field_errors() {
        let cases = [
            (r#"{"kind":"gazelle"}"#, "count", "required", "required"),
            (
                r#"{"count":1,"kind":"gazelle","x":1}"#,
                "x",
                "unknown_field",
                "count, kind",
            ),
            (
                r#"{"count":"7","kind":"gazelle"}"#,
                "count",
                "type",
                "whole number",
            ),
            (r#"{"count":-1,"kind":"gazelle"}"#, "count", "range", "-1"),
            (r#"{"count":1.5,"kind":"gazelle"}"#, "count", "type", "1.5"),
            (
                r#"{"count":1,"kind":"unicorn"}"#,
                "kind",
                "type",
                "gazelle, little_giant",
            ),
            (
                r#"{"count":1,"kind":"gazelle","on":"2020-13-01"}"#,
                "on",
                "format",
                "date",
            ),
            (
                r#"{"count":1,"kind":"gazelle","flags":[true,3]}"#,
                "flags[1]",
                "type",
                "true or false",
            ),
            (
                r#"{"count":1,"kind":"gazelle","flags":{}}"#,
                "flags",
                "type",
                "an array",
            ),
        ];
        for (body, field, rule, says) in cases {
            let error = rejected(body);
            assert_eq!(
                (error.field.as_str(), error.rule.as_str()),
                (field, rule),
                "{body}"
            );
            assert!(
                error.message.en().contains(says),
                "{body}: {:?}",
                error.message
            );
            assert_clean(&error.message);
        }
        let zh = rejected(r#"{"count":1,"kind":"unicorn"}"#).message;
        assert!(
            zh.zh().contains("可选值为：gazelle、little_giant"),
            "{zh:?}"
        );
    }

    #[test]
    fn values_are_quoted_short() {
        let long = "x".repeat(100_000);
        let error = rejected(&format!(r#"{{"count":1,"kind":"{long}"}}"#));
        assert!(
            error.message.en().len() < 200,
            "{}",
            error.message.en().len()
        );
        let error = rejected(&format!(r#"{{"count":"{long}","kind":"gazelle"}}"#));
        assert!(error.message.zh().len() < 200);
    }

    #[test]
    fn syntax_errors_say_where() {
        let error = serde_json::from_str::<serde_json::Value>("{\n  \"a\": @\n}").unwrap_err();
        let problem = json_problem(None, &error);
        let detail = problem.detail.unwrap();
        assert!(detail.en().contains("line 2, column"), "{detail:?}");
        assert!(detail.zh().contains("第 2 行第"), "{detail:?}");
    }

    #[test]
    fn custom_reasons_keep_both_languages() {
        let error: serde_json::Error = custom(text!("bad code", "代码有误"));
        let field = field_error(Some("code"), &error.to_string());
        assert_eq!(field.message, Text::fixed("bad code", "代码有误"));
    }

    #[test]
    fn query_errors_name_every_unknown_parameter() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Filter {
            limit: Option<u32>,
            region: Option<String>,
        }
        let query = "limit=5&regoin=320500&sort=name&sort=x";
        let error = serde_urlencoded::from_str::<Filter>(query).unwrap_err();
        let problem = query_problem(&error.to_string(), query);
        let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["regoin", "sort"]);
        assert!(problem.errors[0].message.en().contains("limit, region"));
        assert_clean(&problem.errors[0].message);
        let error = serde_urlencoded::from_str::<Filter>("limit=ten").unwrap_err();
        let problem = query_problem(&error.to_string(), "limit=ten");
        assert_eq!(problem.errors[0].field, "query");
        assert_clean(&problem.errors[0].message);
    }
}
