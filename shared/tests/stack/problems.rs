//! Every failure kind the framework itself produces is problem+json.

use crate::helpers::{TestApp, assert_problem, raw_exchange};
use hte_shared::auth::Role;

#[tokio::test]
async fn framework_errors_are_problem_json() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Province, "320000");
    bodies_it_cannot_read_are_problems(&app, &token).await;
    let response = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 404).await;
    assert_eq!(body["instance"], "/api/v1/no-such-thing");

    methods_and_paths_no_route_takes_are_problems(&app, &token).await;
    let response = app
        .client
        .get(app.url("/api/v1/probe/32O500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 400).await;
    assert_eq!(body["errors"][0]["field"], "region");

    problem_bodies_are_compressed_and_oversized_bodies_refused(&app, &token).await;
}

/// Malformed JSON, a missing or invalid field, an unsupported media type.
async fn bodies_it_cannot_read_are_problems(app: &TestApp, token: &str) {
    let post = |body: Vec<u8>, content_type: &str| {
        app.client
            .post(app.url("/api/v1/probe/320500"))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let body = assert_problem(
        post(b"{not json".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(body["type"], "urn:jiangsu-hte:problem:malformed-request");

    let body = assert_problem(
        post(br#"{"name":"x"}"#.to_vec(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(body["type"], "urn:jiangsu-hte:problem:validation");
    assert_eq!(body["errors"][0]["field"], "count", "{body}");

    let body = assert_problem(
        post(br#"{"name":"x","count":-1}"#.to_vec(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("-1"),
        "{body}"
    );

    let body = assert_problem(post(b"name=x".to_vec(), "text/plain").await.unwrap(), 415).await;
    assert_eq!(
        body["type"],
        "urn:jiangsu-hte:problem:unsupported-media-type"
    );
}

/// A known path asked with a method it lacks is a 405 that says which methods it has; HEAD
/// is served by the GET route; deeper than any template, or an empty segment where a
/// parameter goes: still 404.
async fn methods_and_paths_no_route_takes_are_problems(app: &TestApp, token: &str) {
    let response = app
        .client
        .delete(app.url("/api/v1/probe/320500"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    let body = assert_problem(response, 405).await;
    assert_eq!(body["type"], "urn:jiangsu-hte:problem:method-not-allowed");
    let response = app.client.post(app.url("/livez")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405).await;
    // HEAD is served by the GET route: its headers, no body.
    let response = app.client.head(app.url("/livez")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    // Deeper than any template, or an empty segment where a parameter goes: still 404.
    for path in ["/api/v1/probe/320500/extra", "/api/v1/probe/"] {
        let response = app.client.delete(app.url(path)).send().await.unwrap();
        assert_problem(response, 404).await;
    }
}

/// Compression applies to the final problem body, so what is labelled gzip is gzip. The
/// server refuses an oversized body from its Content-Length, before reading it.
async fn problem_bodies_are_compressed_and_oversized_bodies_refused(app: &TestApp, token: &str) {
    let compressed = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.status(), 404);
    let gzip = compressed
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let bytes = compressed.bytes().await.unwrap();
    assert_eq!(
        gzip,
        bytes.starts_with(&[0x1f, 0x8b]),
        "content-encoding must describe the body"
    );

    // The server refuses an oversized body from its Content-Length, before reading it. A raw
    // request shows that without racing the client's upload against the server's close.
    let head = format!(
        "POST /api/v1/probe/320500 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
        3 * 1024 * 1024
    );
    let raw = raw_exchange(&app.address, head.as_bytes()).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.contains("application/problem+json"), "{raw}");
    assert!(
        raw.contains("urn:jiangsu-hte:problem:payload-too-large"),
        "{raw}"
    );
}
