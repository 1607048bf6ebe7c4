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

/// The token rules of the hardening review: `nbf`, a bounded lifetime, a small leeway and a
/// sane `sub`, for HS256 tokens (the identity platform's are checked in `oidc`).
#[tokio::test]
async fn token_times_and_subjects_are_bounded() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let claims = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut claims = serde_json::json!({
            "sub": "wang", "role": "province", "region": "320000", "iss": ISSUER,
            "iat": now, "exp": now + 600,
        });
        change(&mut claims);
        app.keys.sign_claims(&claims).unwrap()
    };
    let cases = [
        (
            "nbf in the future",
            claims(&|c| c["nbf"] = (now + 600).into()),
            "not valid yet",
        ),
        (
            "exp = i64::MAX",
            claims(&|c| c["exp"] = i64::MAX.into()),
            "lives longer",
        ),
        (
            "a lifetime of two days",
            claims(&|c| c["exp"] = (now + 2 * 86_400).into()),
            "lives longer",
        ),
        (
            "no iat, far exp",
            claims(&|c| {
                c.as_object_mut().unwrap().remove("iat");
                c["exp"] = (now + 30 * 86_400).into();
            }),
            "lives longer",
        ),
        (
            "expired 20 s ago",
            claims(&|c| c["exp"] = (now - 20).into()),
            "has expired",
        ),
        (
            "an empty sub",
            claims(&|c| c["sub"] = "".into()),
            "subject (sub)",
        ),
        (
            "a 10 KB sub",
            claims(&|c| c["sub"] = "x".repeat(10_240).into()),
            "subject (sub)",
        ),
        (
            "a sub with a control character",
            claims(&|c| c["sub"] = "a\u{7}b".into()),
            "subject (sub)",
        ),
    ];
    for (case, token, expected) in cases {
        let response = app
            .client
            .get(app.url("/api/v1/probe/320500"))
            .bearer_auth(&token)
            .header("Accept-Language", "zh-Hans")
            .send()
            .await
            .unwrap();
        let zh = assert_problem(response, 401).await;
        assert!(!zh["detail"].as_str().unwrap().is_ascii(), "{case}: {zh}");
        let response = app
            .client
            .get(app.url("/api/v1/probe/320500"))
            .bearer_auth(&token);
        let en = assert_problem(response.send().await.unwrap(), 401).await;
        let detail = en["detail"].as_str().unwrap();
        assert!(detail.contains(expected), "{case}: {detail}");
        assert!(detail.len() < 300, "{case}: {detail}");
    }
    // Within the leeway and the lifetime: accepted.
    for token in [
        claims(&|c| c["exp"] = (now - 2).into()),
        claims(&|c| c["nbf"] = (now + 2).into()),
        claims(&|c| c["exp"] = (now + 86_400).into()),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/probe/320500"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
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
