use crate::helpers::{TestApp, assert_problem};
use hte_shared::auth::Role;
use hte_shared::testing::assert_problem_type;

#[tokio::test]
async fn liveness_and_readiness() {
    let mut app = TestApp::spawn().await;
    let live = app.client.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    app.database.destroy();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_problem_type(response, 503, "urn:jiangsu-hte:problem:service-unavailable").await;
    // Liveness does not depend on the database: restarting would not help.
    assert_eq!(
        app.client
            .get(app.url("/livez"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn request_ids_round_trip() {
    let app = TestApp::spawn().await;
    let sent = app
        .client
        .get(app.url("/livez"))
        .header("x-request-id", "city-bureau-42")
        .send()
        .await
        .unwrap();
    assert_eq!(sent.headers()["x-request-id"], "city-bureau-42");

    let generated = app.client.get(app.url("/livez")).send().await.unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let unusable = app
        .client
        .get(app.url("/livez"))
        .header("x-request-id", "x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_eq!(unusable.headers()["x-request-id"].len(), 36);

    // The id is in problem bodies too, so a caller can quote it.
    let problem = app
        .client
        .get(app.url("/api/v1/probe/320500"))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .unwrap();
    let body = assert_problem(problem, 401).await;
    assert_eq!(body["request_id"], "trace-me");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Province, "320000");
    for region in ["320500", "320100"] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/probe/{region}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let text = app.metrics_text().await;
    let line = text
        .lines()
        .find(|l| l.starts_with("http_requests_total") && l.contains("/api/v1/probe/{region}"))
        .unwrap_or_else(|| panic!("no counter for the route template in:\n{text}"));
    assert!(
        line.contains("method=\"GET\"") && line.contains("status=\"200\""),
        "{line}"
    );
    assert!(line.ends_with(" 2"), "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn docs_work_offline_and_the_document_is_openapi_3_1() {
    let app = TestApp::spawn().await;
    let redirect = hte_shared::testing::http_client_no_redirects()
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script and stylesheet comes from this service, not a CDN.
    for attribute in ["src=\"http", "href=\"http", "src='http", "href='http"] {
        assert!(
            !html.contains(attribute),
            "external asset in docs page: {attribute}"
        );
    }
    let initializer = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    assert!(!initializer.contains("https://"), "{initializer}");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
        let response = app
            .client
            .get(app.url(&format!("/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }

    let doc: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let probe = &doc["paths"]["/api/v1/probe/{region}"]["post"];
    assert_eq!(probe["security"][0]["bearer"], serde_json::json!([]));
    assert_eq!(
        probe["responses"]["401"]["$ref"],
        "#/components/responses/Unauthorized"
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}
