use hte_shared::auth::{AuthKeys, Claims, ISSUER, Role};

use crate::helpers::{ProbeRequests, TestApp, assert_problem};
use hte_shared::testing::assert_problem_type;

const SUZHOU: &str = "320500";
const KUNSHAN: &str = "320583"; // county-level city under Suzhou
const NANJING: &str = "320100";
const GULOU_NANJING: &str = "320106";

#[tokio::test]
async fn api_routes_need_a_valid_bearer_token() {
    let app = TestApp::spawn().await;
    let url = app.url("/api/v1/probe/320500");
    let other_keys = AuthKeys::random().unwrap();
    let now = chrono::Utc::now().timestamp();
    let expired = app
        .keys
        .sign_claims(&Claims {
            sub: "someone".into(),
            role: Role::Province,
            region: "320000".into(),
            iss: ISSUER.into(),
            iat: now - 7200,
            exp: now - 3600,
        })
        .unwrap();
    let foreign_region = app
        .keys
        .sign_claims(&Claims {
            sub: "someone".into(),
            role: Role::Province,
            region: "110000".into(),
            iss: ISSUER.into(),
            iat: now,
            exp: now + 600,
        })
        .unwrap();
    let city_with_county_region = app.token(Role::City, KUNSHAN);
    let province_with_city_region = app.token(Role::Province, SUZHOU);
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no header", None, "needs an Authorization"),
        ("basic scheme", Some("Basic dXNlcjpwYXNz".into()), "Bearer"),
        ("garbage", Some("Bearer not-a-jwt".into()), "malformed"),
        (
            "other key",
            Some(format!(
                "Bearer {}",
                other_keys
                    .sign(
                        "x",
                        Role::Province,
                        &hte_shared::regions::PROVINCE_CODE,
                        chrono::Duration::hours(1)
                    )
                    .unwrap()
            )),
            "signature",
        ),
        ("expired", Some(format!("Bearer {expired}")), "expired"),
        (
            "region outside Jiangsu",
            Some(format!("Bearer {foreign_region}")),
            "not a Jiangsu region",
        ),
        (
            "city role with a county region",
            Some(format!("Bearer {city_with_county_region}")),
            "city-level region",
        ),
        (
            "province role with a city region",
            Some(format!("Bearer {province_with_city_region}")),
            "province-level region",
        ),
    ];
    for (case, header, expected) in cases {
        let mut request = app.client.get(&url);
        if let Some(header) = header {
            request = request.header("Authorization", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            "Bearer realm=\"jiangsu-hte\"",
            "{case}"
        );
        let body = assert_problem(response, 401).await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(expected), "{case}: {detail}");
    }
}

#[tokio::test]
async fn writes_are_limited_to_the_callers_subtree_and_role() {
    let app = TestApp::spawn().await;
    // (role, own region, target region, allowed)
    let matrix = [
        (Role::Province, "320000", NANJING, true),
        (Role::Province, "320000", KUNSHAN, true),
        (Role::City, SUZHOU, SUZHOU, true),
        (Role::City, SUZHOU, KUNSHAN, true),
        (Role::City, SUZHOU, NANJING, false),
        (Role::City, SUZHOU, GULOU_NANJING, false),
        (Role::City, SUZHOU, "320000", false),
        (Role::County, KUNSHAN, KUNSHAN, true),
        (Role::County, KUNSHAN, SUZHOU, false),
        (Role::County, KUNSHAN, "320585", false),
        (Role::Auditor, "320000", KUNSHAN, false),
        (Role::Service, "320000", KUNSHAN, false),
    ];
    for (role, own, target, allowed) in matrix {
        let response = app.write_as(role, own, target).await;
        if allowed {
            assert_eq!(response.status(), 201, "{role:?} {own} -> {target}");
        } else {
            assert_problem_type(response, 403, "urn:jiangsu-hte:problem:forbidden").await;
        }
    }
}

#[tokio::test]
async fn reads_outside_the_subtree_look_absent() {
    let app = TestApp::spawn().await;
    let read = |role, own: &str, target: &str| {
        app.client
            .get(app.url(&format!("/api/v1/probe/{target}")))
            .bearer_auth(app.token(role, own))
            .send()
    };
    assert_eq!(
        read(Role::City, SUZHOU, KUNSHAN).await.unwrap().status(),
        200
    );
    assert_eq!(
        read(Role::Auditor, "320000", KUNSHAN)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        read(Role::Service, "320000", NANJING)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_problem(read(Role::City, SUZHOU, NANJING).await.unwrap(), 404).await;
    assert_problem(read(Role::County, KUNSHAN, SUZHOU).await.unwrap(), 404).await;
}
