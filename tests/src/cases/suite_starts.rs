use hte_shared::auth::Role;

use crate::harness::Suite;

#[tokio::test]
async fn all_three_services_start_ready_with_docs() {
    let suite = Suite::start().await;
    for base in [
        &suite.registry.address,
        &suite.allocation.address,
        &suite.monitoring.address,
    ] {
        for path in ["/livez", "/readyz", "/docs/", "/openapi.json", "/metrics"] {
            let response = suite
                .client
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{base}{path}");
        }
    }
    // One key signs for the whole suite: a token from the launcher works on every service.
    let token = suite.token(Role::City, "320500");
    let response = suite
        .client
        .get(suite.registry.url("/api/v1/regions/320500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
