//! What every request meets before a handler (hardening review #19, contracts #11): rate
//! limits per caller, a deadline on bodies, panics answered as problems, bounded metric
//! labels and refused unknown query parameters.

use std::time::Duration;

use hte_shared::auth::Role;
use hte_shared::regions::PROVINCE_CODE;
use hte_shared::server::JSON_LIMIT_BYTES;
use hte_shared::testing::{assert_problem_type, problem_fields};
use reqwest::Method;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;

use crate::helpers::{TestApp, assert_problem, read_answer};

const TOO_MANY: &str = "urn:jiangsu-hte:problem:too-many-requests";

/// 60 requests a minute, 5 at once; 6 refused tokens a minute, 3 at once.
const SMALL_BUDGETS: [(&str, &str); 4] = [
    ("RATE_LIMIT_PER_MINUTE", "60"),
    ("RATE_LIMIT_BURST", "5"),
    ("RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", "6"),
    ("RATE_LIMIT_AUTH_FAILURES_BURST", "3"),
];

fn signed(app: &TestApp, subject: &str, role: Role) -> String {
    app.keys
        .sign(subject, role, &PROVINCE_CODE, chrono::Duration::hours(1))
        .unwrap()
}

async fn get(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/api/v1/probe/320500"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_burst_over_the_budget_gets_429_while_another_caller_is_served() {
    let app = TestApp::spawn_with(&SMALL_BUDGETS).await;
    let (busy, calm) = (
        signed(&app, "busy", Role::Province),
        signed(&app, "calm", Role::Province),
    );
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&app, Some(&busy)).await.status().as_u16());
    }
    assert_eq!(statuses, [200; 5], "the burst is allowed");
    let refused = get(&app, Some(&busy)).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body = assert_problem_type(refused, 429, TOO_MANY).await;
    assert!(body["detail"].as_str().unwrap().contains("60 a minute"));
    // Another caller has its own budget, and so do the suite's own services.
    assert_eq!(get(&app, Some(&calm)).await.status(), 200);
    let service = signed(&app, "service:monitoring", Role::Service);
    for _ in 0..10 {
        assert_eq!(get(&app, Some(&service)).await.status(), 200);
    }
    // In Chinese when asked.
    let zh = app
        .client
        .get(app.url("/api/v1/probe/320500"))
        .bearer_auth(&busy)
        .header("Accept-Language", "zh")
        .send()
        .await
        .unwrap();
    let body = assert_problem_type(zh, 429, TOO_MANY).await;
    assert_eq!(body["title"], "请求过于频繁");
}

fn rate_headers(response: &reqwest::Response) -> [u64; 3] {
    ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]
        .map(|name| response.headers()[name].to_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn governed_answers_say_what_is_left_of_the_budget() {
    let app = TestApp::spawn_with(&SMALL_BUDGETS).await;
    let busy = signed(&app, "busy", Role::Province);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let response = get(&app, Some(&busy)).await;
        assert_eq!(response.status(), 200);
        seen.push(rate_headers(&response));
    }
    // A burst of 5 at 60 a minute: one fewer left each time, a second more to refill.
    let remaining: Vec<u64> = seen.iter().map(|h| h[1]).collect();
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    assert!(seen.iter().all(|h| h[0] == 5), "{seen:?}");
    assert!((4..=5).contains(&seen[4][2]), "{seen:?}");
    let refused = get(&app, Some(&busy)).await;
    let [limit, left, reset] = rate_headers(&refused);
    assert_eq!((refused.status().as_u16(), limit, left), (429, 5, 0));
    assert!((1..=60).contains(&reset), "{reset}");
    // A refused token is told the tighter budget of its address.
    let bad = get(&app, Some("not-a-token")).await;
    assert_eq!(bad.status(), 401);
    assert_eq!(rate_headers(&bad)[..2], [3, 2]);
    // Probes and the suite's own services are not governed.
    let probe = app.client.get(app.url("/livez")).send().await.unwrap();
    assert!(!probe.headers().contains_key("ratelimit-limit"));
    let service = signed(&app, "service:monitoring", Role::Service);
    let inner = get(&app, Some(&service)).await;
    assert!(!inner.headers().contains_key("ratelimit-limit"));
}

#[tokio::test]
async fn refused_tokens_are_limited_tighter_per_address() {
    let app = TestApp::spawn_with(&SMALL_BUDGETS).await;
    for _ in 0..3 {
        assert_problem(get(&app, Some("not-a-token")).await, 401).await;
    }
    let body = assert_problem_type(get(&app, Some("not-a-token")).await, 429, TOO_MANY).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("refused bearer tokens"),
        "{body}"
    );
    // A valid token from the same address spends its own budget.
    let calm = signed(&app, "calm", Role::Province);
    assert_eq!(get(&app, Some(&calm)).await.status(), 200);
    // Without a token, the address's ordinary budget; probes are never limited.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&app, None).await.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    for _ in 0..20 {
        let response = app.client.get(app.url("/livez")).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
}

/// A POST whose head promises `length` bytes of body, of which only `sent` are sent.
async fn start_upload(app: &TestApp, length: usize, sent: &[u8]) -> TcpStream {
    let token = app.province_token();
    let head = format!(
        "POST /api/v1/probe/320500 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream
}

#[tokio::test]
async fn slow_uploads_time_out_without_holding_up_others() {
    let app = TestApp::spawn_with(&[
        ("REQUEST_BODY_GRACE_SECS", "1"),
        ("REQUEST_BODY_MIN_RATE", "1000"),
    ])
    .await;
    // Twenty uploads that stop after their first byte, on a one-worker server.
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(start_upload(&app, 10_000, b"{").await);
    }
    // Another request is served while they wait: they have not been answered yet.
    let response = get(&app, Some(&app.province_token())).await;
    assert_eq!(response.status(), 200);
    let mut peek = [0u8; 1];
    for stream in &stalled {
        assert!(stream.try_read(&mut peek).is_err(), "not answered yet");
    }
    // Then each is cut off with a 408 problem and the connection closed.
    for mut stream in stalled {
        let answer = read_answer(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("urn:jiangsu-hte:problem:request-timeout"));
        assert!(answer.to_ascii_lowercase().contains("connection: close"));
    }
}

#[tokio::test]
async fn a_slow_but_steady_upload_is_served() {
    let app = TestApp::spawn_with(&[
        ("REQUEST_BODY_GRACE_SECS", "1"),
        ("REQUEST_BODY_MIN_RATE", "1000"),
    ])
    .await;
    // 3,000 bytes in six parts 400 ms apart: 2 s in all, faster than 1,000 bytes a second.
    let mut body = br#"{"name":"steady","count":1}"#.to_vec();
    body.resize(3_000, b' ');
    let mut parts = body.chunks(500);
    let mut stream = start_upload(&app, body.len(), parts.next().unwrap()).await;
    for part in parts {
        tokio::time::sleep(Duration::from_millis(400)).await;
        stream.write_all(part).await.unwrap();
    }
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

/// An upload that streams past the body limit (no length announced, so the server must read
/// it to find out): twice the limit in 64 KiB chunks, sent by the returned task.
async fn start_oversized_upload(app: &TestApp) -> (OwnedReadHalf, tokio::task::JoinHandle<()>) {
    let token = app.province_token();
    let head = format!(
        "POST /api/v1/probe/320500 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let (reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    let uploader = tokio::spawn(async move {
        let chunk = vec![b' '; 64 * 1024];
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        for _ in 0..(2 * JSON_LIMIT_BYTES / chunk.len()) {
            // The server stops reading and closes once the limit is passed.
            if writer.write_all(&framed).await.is_err() {
                break;
            }
        }
    });
    (reader, uploader)
}

#[tokio::test]
async fn oversized_uploads_are_refused_without_holding_up_others() {
    let app = TestApp::spawn().await;
    let mut uploads = Vec::new();
    for _ in 0..8 {
        uploads.push(start_oversized_upload(&app).await);
    }
    // On a one-worker server, another caller is served while the uploads stream in.
    let started = std::time::Instant::now();
    let response = get(&app, Some(&app.province_token())).await;
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    for (mut reader, uploader) in uploads {
        let answer = read_answer(&mut reader).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("urn:jiangsu-hte:problem:payload-too-large"));
        uploader.await.unwrap();
    }
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_next_request_is_served() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let ask = |n: &str, language: &str| {
        app.client
            .get(app.url(&format!("/api/v1/probe-double/{n}")))
            .bearer_auth(&token)
            .header("Accept-Language", language)
            .header("X-Request-Id", "panic-probe-1")
            .send()
    };
    let response = ask(&i64::MAX.to_string(), "en").await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "panic-probe-1");
    let text = response.text().await.unwrap();
    for internal in ["overflow", "panicked", ".rs", "multiply"] {
        assert!(!text.contains(internal), "{internal} leaked: {text}");
    }
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], 500);
    assert_eq!(body["type"], "urn:jiangsu-hte:problem:internal");
    assert_eq!(body["request_id"], "panic-probe-1");
    assert_eq!(
        body["instance"],
        format!("/api/v1/probe-double/{}", i64::MAX)
    );
    // The same worker (there is one) goes on serving, on the same client.
    let response = ask("21", "en").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "42");
    let zh = assert_problem(ask(&i64::MAX.to_string(), "zh-CN").await.unwrap(), 500).await;
    assert_eq!(zh["title"], "内部错误");
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("http_requests_total")
                && line.contains(r#"route="/api/v1/probe-double/{n}""#)
                && line.contains(r#"status="500""#)),
        "{metrics}"
    );
}

#[tokio::test]
async fn odd_methods_and_paths_do_not_grow_the_metrics() {
    let app = TestApp::spawn().await;
    for i in 0..60 {
        let method = Method::from_bytes(format!("M{i}XYZ").as_bytes()).unwrap();
        let response = app
            .client
            .request(method, app.url(&format!("/random/{i}")))
            .send()
            .await
            .unwrap();
        assert_problem(response, 404).await;
        let response = app
            .client
            .get(app.url(&format!("/api/v1/nothing-{i}")))
            .send()
            .await
            .unwrap();
        assert_problem(response, 404).await;
    }
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.contains(r#"method="other""#), "{metrics}");
    assert!(metrics.contains(r#"route="unmatched""#), "{metrics}");
    for raw in ["M7XYZ", "nothing-7", "/random/"] {
        assert!(!metrics.contains(raw), "{raw} is a label: {metrics}");
    }
    let series = metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .count();
    assert!(series <= 3, "{series} series:\n{metrics}");
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let ask = |query: &str| {
        app.client
            .get(app.url(&format!("/api/v1/{query}")))
            .bearer_auth(&token)
            .header("Accept-Language", "en")
            .send()
    };
    let body = assert_problem(
        ask("probe?limit=5&regoin=320500&sort=name&sort=x")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(problem_fields(&body), ["regoin", "sort"], "{body}");
    assert_eq!(body["errors"][0]["rule"], "unknown_parameter");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("limit, kind"),
        "{body}"
    );
    let body = assert_problem(ask("probe/320500?x=1").await.unwrap(), 400).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("takes none")
    );
    let listed = ask("probe?limit=5&kind=gazelle").await.unwrap();
    assert_eq!(listed.status(), 200);

    // Values that do not fit: plain words; the shared extractor names the parameter.
    let body = assert_problem(ask("probe?limit=ten").await.unwrap(), 400).await;
    assert_eq!(
        body["errors"][0]["message"], "expected a whole number",
        "{body}"
    );
    let body = assert_problem(ask("probe-search?limit=ten").await.unwrap(), 400).await;
    assert_eq!(body["errors"][0]["field"], "limit", "{body}");
    let body = assert_problem(ask("probe-search?kind=unicorn").await.unwrap(), 400).await;
    assert_eq!(body["errors"][0]["field"], "kind", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("gazelle, little_giant"),
        "{body}"
    );
}

#[test]
fn the_document_states_the_edge_rules() {
    let document =
        serde_json::to_value(hte_shared::service::openapi::<crate::helpers::Probe>()).unwrap();
    let probe = &document["paths"]["/api/v1/probe/{region}"];
    for status in ["400", "401", "403", "429", "500", "503"] {
        assert!(
            probe["get"]["responses"][status].is_object(),
            "GET {status}"
        );
    }
    for status in ["408", "413", "415"] {
        assert!(
            probe["post"]["responses"][status].is_object(),
            "POST {status}"
        );
    }
    assert!(document["paths"]["/livez"]["get"]["responses"]["400"].is_object());
    let limits = &document["components"]["responses"]["TooManyRequests"];
    assert!(limits["headers"]["Retry-After"].is_object());
    for name in hte_shared::edge::rate_limit::RATE_LIMIT_HEADERS {
        assert!(limits["headers"][name]["$ref"].is_string(), "429 {name}");
        assert!(
            probe["get"]["responses"]["200"]["headers"][name]["$ref"].is_string(),
            "200 {name}"
        );
        assert!(document["components"]["headers"][name]["schema"]["maximum"].is_number());
    }
    let bearer = document["components"]["securitySchemes"]["bearer"]["description"]
        .as_str()
        .unwrap();
    for promise in [
        "HS256",
        "RS256",
        "ES256",
        "OIDC_ROLE_CLAIM",
        "401",
        "403",
        "429",
        "nbf",
    ] {
        assert!(bearer.contains(promise), "{promise} not described");
    }
}
