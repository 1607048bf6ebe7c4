//! Problems in the reader's language (#13): Chinese for `zh`, `zh-CN`, `zh-Hans` (q-values
//! honoured), English otherwise; no serde or Rust wording; bounded echoes (#19 item 7).

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, raw_exchange};

/// Phrases of serde, Rust or actix that must never reach a reader.
const LEAKS: [&str; 9] = [
    "invalid type",
    "invalid value",
    "unknown variant",
    "u32",
    "struct ",
    "`",
    "at line",
    "Json deserialize",
    "EOF while",
];

struct Answer {
    language: String,
    vary: String,
    body: Value,
}

async fn post(app: &TestApp, path: &str, body: &str, language: Option<&str>) -> Answer {
    let mut request = app
        .client
        .post(app.url(path))
        .bearer_auth(app.province_token())
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(language) = language {
        request = request.header("Accept-Language", language);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (language, vary) = (header("content-language"), header("vary"));
    let text = response.text().await.unwrap();
    for leak in LEAKS {
        assert!(!text.contains(leak), "{leak:?} in {text}");
    }
    Answer {
        language,
        vary,
        body: serde_json::from_str(&text).unwrap(),
    }
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

const PROBE: &str = "/api/v1/probe/320500";

#[tokio::test]
async fn problems_speak_the_language_asked_for() {
    let app = TestApp::spawn().await;
    let bad = r#"{"name":"x","count":"7"}"#;
    for (accept, chinese) in [
        (None, false),
        (Some("en"), false),
        (Some("zh"), true),
        (Some("zh-CN"), true),
        (Some("zh-Hans"), true),
        (Some("zh-TW,zh;q=0.9"), true),
        (Some("en;q=0.9, zh;q=0.8"), false),
        (Some("fr, zh-Hans;q=0.5"), true),
        (Some("zh;q=0.5, en"), false),
        (Some("de"), false),
    ] {
        let answer = post(&app, PROBE, bad, accept).await;
        let message = answer.body["errors"][0]["message"].as_str().unwrap();
        assert_eq!(has_chinese(message), chinese, "{accept:?}: {message}");
        assert_eq!(
            has_chinese(answer.body["title"].as_str().unwrap()),
            chinese,
            "{accept:?}"
        );
        assert_eq!(answer.language, if chinese { "zh-CN" } else { "en" });
        assert!(answer.vary.contains("Accept-Language"), "{}", answer.vary);
        assert_eq!(answer.body["errors"][0]["field"], "count");
    }
    let en = post(&app, PROBE, bad, Some("en")).await.body;
    assert_eq!(en["title"], "Invalid input");
    assert_eq!(
        en["errors"][0]["message"],
        "expected a whole number from 0 to 4294967295, got the text \"7\""
    );
    let zh = post(&app, PROBE, bad, Some("zh")).await.body;
    assert_eq!(zh["title"], "输入无效");
    assert_eq!(
        zh["errors"][0]["message"],
        "应为 0 到 4294967295 之间的整数，实际为文本 \"7\""
    );
}

#[tokio::test]
async fn serde_errors_become_plain_field_errors_in_both_languages() {
    let app = TestApp::spawn().await;
    // (body, field, rule, English says, Chinese says)
    let cases = [
        (r#"{"count":1}"#, "name", "required", "required", "必填"),
        (
            r#"{"name":"x","count":1,"colour":"red"}"#,
            "colour",
            "unknown_field",
            "name, count, kind",
            "未知字段",
        ),
        (
            r#"{"name":"x","count":1,"kind":"unicorn"}"#,
            "kind",
            "type",
            "use one of: gazelle, little_giant",
            "可选值为：gazelle、little_giant",
        ),
        (
            r#"{"name":"x","count":-1}"#,
            "count",
            "range",
            "-1",
            "超出范围",
        ),
        (
            r#"{"name":"x","count":1.5}"#,
            "count",
            "type",
            "whole number",
            "整数",
        ),
        (
            r#"{"name":["x"],"count":1}"#,
            "name",
            "type",
            "expected text (a JSON string), got an array",
            "应为字符串，实际为数组",
        ),
    ];
    for (body, field, rule, en_says, zh_says) in cases {
        let en = post(&app, PROBE, body, Some("en")).await.body;
        assert_eq!(en["errors"][0]["field"], field, "{body}: {en}");
        assert_eq!(en["errors"][0]["rule"], rule, "{body}: {en}");
        let message = en["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(en_says), "{body}: {message}");
        let zh = post(&app, PROBE, body, Some("zh-CN")).await.body;
        let message = zh["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(zh_says), "{body}: {message}");
    }
    // Malformed JSON: where it breaks, in both languages.
    let broken = "{\n  \"name\": \"x\",\n  \"count\": @\n}";
    let en = post(&app, PROBE, broken, None).await.body;
    assert_eq!(en["type"], "urn:jiangsu-hte:problem:malformed-request");
    assert!(
        en["detail"].as_str().unwrap().contains("(line 3, column"),
        "{en}"
    );
    let zh = post(&app, PROBE, broken, Some("zh")).await.body;
    assert!(zh["detail"].as_str().unwrap().contains("第 3 行第"), "{zh}");
    let truncated = post(&app, PROBE, r#"{"name": "x", "cou"#, Some("en"))
        .await
        .body;
    assert!(
        truncated["detail"]
            .as_str()
            .unwrap()
            .contains("ends before the JSON is complete"),
        "{truncated}"
    );
}

#[tokio::test]
async fn framework_answers_are_translated_too() {
    let app = TestApp::spawn().await;
    let zh = |method: reqwest::Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .header("Accept-Language", "zh-CN")
            .send()
    };
    let body = assert_problem(zh(reqwest::Method::GET, "/nowhere").await.unwrap(), 404).await;
    assert_eq!(body["title"], "未找到");
    assert_eq!(body["detail"], "此路径下没有资源");
    let body = assert_problem(zh(reqwest::Method::PUT, "/livez").await.unwrap(), 405).await;
    assert_eq!(body["title"], "不支持该请求方法");
    let body = assert_problem(zh(reqwest::Method::GET, PROBE).await.unwrap(), 401).await;
    assert!(has_chinese(body["detail"].as_str().unwrap()), "{body}");
}

#[tokio::test]
async fn echoes_are_bounded() {
    let app = TestApp::spawn().await;
    // A megabyte value is quoted by a short prefix, not echoed.
    let huge = "x".repeat(1_000_000);
    for body in [
        json!({"name": "x", "count": huge}),
        json!({"name": "x", "count": 1, "kind": huge}),
        json!({"name": "x", "count": 1, huge.as_str(): 1}),
    ] {
        let response = app
            .client
            .post(app.url(PROBE))
            .bearer_auth(app.province_token())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let size = response.bytes().await.unwrap().len();
        assert!(size < 2_000, "{size} bytes");
    }
    // At most 20 field errors; the detail counts them all.
    let counts: Vec<i64> = (0..50).map(|i| -1 - i).collect();
    for (language, detail) in [
        ("en", "50 fields failed validation; the first 20 are listed"),
        ("zh", "50 个字段未通过校验，此处列出前 20 个"),
    ] {
        let answer = post(
            &app,
            "/api/v1/probe-batch",
            &json!({ "counts": counts }).to_string(),
            Some(language),
        )
        .await;
        assert_eq!(answer.body["errors"].as_array().unwrap().len(), 20);
        assert_eq!(answer.body["detail"], detail);
        assert_eq!(answer.body["errors"][19]["field"], "counts[19]");
    }
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem_on_every_json_route() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    // actix's extractor (the probe) and the shared one (the batch) alike.
    for path in [PROBE, "/api/v1/probe-batch"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Accept-Language: zh\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{{",
            3 * 1024 * 1024
        );
        let raw = raw_exchange(&app.address, head.as_bytes()).await;
        assert!(raw.starts_with("HTTP/1.1 413"), "{path}: {raw}");
        assert!(raw.contains("application/problem+json"), "{raw}");
        assert!(
            raw.contains("urn:jiangsu-hte:problem:payload-too-large"),
            "{raw}"
        );
        assert!(raw.contains("请求体"), "{raw}");
    }
}
