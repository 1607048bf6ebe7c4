//! Sign-on through the province's identity platform: RS256 and ES256 tokens checked against
//! the platform's published keys, each refusal naming what failed, key rotation followed
//! without a restart, and calls between services made with the service's own credentials.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use hte_shared::auth::{AuthKeys, Caller, Role};
use hte_shared::config::{CommonConfig, Env};
use hte_shared::http_client::{RetryPolicy, ServiceClient, UpstreamError};
use hte_shared::telemetry::RequestId;
use hte_shared::testing::serve_stand_in;
use serde_json::{Value, json};

use crate::helpers::assert_problem;
use crate::identity_platform::{
    AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, Platform, TestKey, person, service_env,
};

#[get("/api/v1/whoami")]
async fn whoami(caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "subject": caller.subject,
        "role": caller.role,
        "region": caller.region.to_string(),
    }))
}

/// A service that authenticates like the suite's services, configured by `env`.
struct Service {
    url: String,
    keys: AuthKeys,
    client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl Service {
    /// A client of this service, as the service configured by `env` would build it.
    fn client_for(&self, env: &[(String, String)]) -> Result<ServiceClient, String> {
        ServiceClient::new(
            "enterprise-registry",
            url::Url::parse(&self.url).unwrap(),
            Self::keys(env)?,
            "target-allocation",
            Duration::from_secs(5),
        )
        .map_err(|e| e.to_string())
    }

    fn keys(env: &[(String, String)]) -> Result<AuthKeys, String> {
        let env = Env::from_pairs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let common = CommonConfig::from_env(&env).map_err(|e| e.to_string())?;
        AuthKeys::from_config(&common).map_err(|e| e.to_string())
    }

    async fn start(env: &[(String, String)]) -> Self {
        let keys = Self::keys(env).unwrap();
        let data = web::Data::new(keys.clone());
        let (port, handle) = serve_stand_in(move |cfg| {
            cfg.app_data(data.clone()).service(whoami);
        });
        Self {
            url: format!("http://127.0.0.1:{port}/"),
            keys,
            client: hte_shared::testing::http_client(),
            handle,
        }
    }

    async fn call(&self, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}api/v1/whoami", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn identity(&self, token: &str) -> Value {
        let response = self.call(token).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// The 401's detail in `language` (an `Accept-Language` value), after checking it is a
    /// problem with a Bearer challenge.
    async fn refusal(&self, token: &str, language: &str) -> String {
        let response = self
            .client
            .get(format!("{}api/v1/whoami", self.url))
            .bearer_auth(token)
            .header("Accept-Language", language)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            "Bearer realm=\"jiangsu-hte\""
        );
        let body = assert_problem(response, 401).await;
        body["detail"].as_str().unwrap().to_owned()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

fn with(mut env: Vec<(String, String)>, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    for (name, value) in pairs {
        env.retain(|(k, _)| k != name);
        env.push(((*name).to_owned(), (*value).to_owned()));
    }
    env
}

#[tokio::test]
async fn rs256_and_es256_tokens_from_the_platform_are_accepted() {
    let (rsa, ec) = (TestKey::rsa(1, "rsa-2026"), TestKey::ec(1, "ec-2026"));
    let platform = Platform::start(&[&rsa, &ec]).await;
    let secret = "a-development-secret-of-32-bytes-or-more";
    let service = Service::start(&with(service_env(&platform), &[("JWT_SECRET", secret)])).await;

    let city = service
        .identity(&rsa.sign(&person("wang.city", "hte-city", "320500")))
        .await;
    assert_eq!(
        city,
        json!({"subject": "wang.city", "role": "city", "region": "320500"})
    );
    let county = service
        .identity(&ec.sign(&person("li.kunshan", "hte-county", "320583")))
        .await;
    assert_eq!(county["role"], "county");
    assert_eq!(county["region"], "320583");
    // HS256 stays for development while JWT_SECRET is set.
    let developer = hte_shared::testing::token(&service.keys, Role::Auditor, "320000");
    assert_eq!(service.identity(&developer).await["role"], "auditor");
    assert_eq!(platform.key_fetches(), 1, "the key set is cached");
}

#[tokio::test]
async fn refusals_say_which_check_failed() {
    let (rsa, ec) = (TestKey::rsa(1, "rsa-2026"), TestKey::ec(1, "ec-2026"));
    let impostor = TestKey::rsa(2, "rsa-2026");
    let platform = Platform::start(&[&rsa, &ec]).await;
    // The largest leeway allowed: the token "expired 2 s ago" below is verified after ~40
    // refusals, which under load once took longer than the default 5 s leeway.
    let skew = hte_shared::config::MAX_CLOCK_SKEW_SECS.to_string();
    let env = with(
        service_env(&platform),
        &[("AUTH_CLOCK_SKEW_SECS", skew.as_str())],
    );
    let service = Service::start(&env).await;
    let good = person("wang.city", "hte-city", "320500");
    let mut cases = wrongly_signed_or_addressed((&rsa, &ec, &impostor), &good);
    cases.extend(claims_out_of_bounds(&rsa, &good));
    let chinese = |text: &str| text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for (case, token, expected) in cases {
        let detail = service.refusal(&token, "en").await;
        assert!(detail.contains(expected), "{case}: {detail}");
        assert!(!chinese(&detail), "{case}: {detail}");
        // Every message a person may read is in Chinese too.
        let detail = service.refusal(&token, "zh-CN,zh;q=0.9,en;q=0.8").await;
        assert!(chinese(&detail), "{case}: {detail}");
        assert!(detail.len() < 400, "{case}: {detail}");
    }
    // Expired 2 s before it is signed, not before the refusals above ran.
    let expired_just_now = chrono::Utc::now().timestamp() - 2;
    let recent = rsa.sign(&with_claims(&good, &|c| c["exp"] = json!(expired_just_now)));
    assert_eq!(
        service.identity(&recent).await["role"],
        "city",
        "within the clock skew"
    );
}

/// A refused token: (case, token, what the refusal says).
type Refused = (&'static str, String, &'static str);

/// `good` with `change` made to its claims.
fn with_claims(good: &Value, change: &dyn Fn(&mut Value)) -> Value {
    let mut claims = good.clone();
    change(&mut claims);
    claims
}

/// Unknown or missing keys, another key, the wrong algorithm, issuer or audience.
fn wrongly_signed_or_addressed(
    (rsa, ec, impostor): (&TestKey, &TestKey, &TestKey),
    good: &Value,
) -> Vec<Refused> {
    let altered = |change: &dyn Fn(&mut Value)| with_claims(good, change);
    vec![
        (
            "unknown kid",
            rsa.sign_as(Some("rsa-1999"), good),
            "unknown key \"rsa-1999\"",
        ),
        (
            "no kid",
            rsa.sign_as(None, good),
            "names no signing key (kid)",
        ),
        (
            "another key under a published kid",
            impostor.sign(good),
            "signature is not valid for key \"rsa-2026\"",
        ),
        (
            "RS256 header on an EC key",
            rsa.sign_as(Some("ec-2026"), good),
            "is for ES256",
        ),
        (
            "wrong issuer",
            rsa.sign(&altered(&|c| {
                c["iss"] = json!("https://evil.example/realms/x")
            })),
            "issuer \"https://evil.example/realms/x\" is not the accepted issuer",
        ),
        (
            "wrong audience",
            ec.sign(&altered(&|c| c["aud"] = json!("another-app"))),
            "audience \"another-app\" does not include \"hte-suite\"",
        ),
        (
            "no audience",
            ec.sign(&altered(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            })),
            "lacks a required claim (aud)",
        ),
    ]
}

/// Times, roles, regions, lifetimes and subjects out of bounds, and HS256 tokens.
fn claims_out_of_bounds(rsa: &TestKey, good: &Value) -> Vec<Refused> {
    let altered = |change: &dyn Fn(&mut Value)| with_claims(good, change);
    let now = chrono::Utc::now().timestamp();
    vec![
        (
            "expired beyond the clock skew",
            rsa.sign(&altered(&|c| c["exp"] = json!(now - 120))),
            "has expired",
        ),
        (
            "not yet valid",
            rsa.sign(&altered(&|c| c["nbf"] = json!(now + 600))),
            "not valid yet",
        ),
        (
            "a platform role we do not map",
            rsa.sign(&person("zhao", "hte-mayor", "320500")),
            "names no role of this system",
        ),
        (
            "a city role with a county region",
            rsa.sign(&person("wang", "hte-city", "320583")),
            "city-level region",
        ),
        (
            "a region outside Jiangsu",
            rsa.sign(&person("wang", "hte-province", "110000")),
            "not a Jiangsu region",
        ),
        (
            "a lifetime beyond the maximum",
            rsa.sign(&altered(&|c| c["exp"] = json!(now + 2 * 86_400))),
            "lives longer than the 86400 s allowed",
        ),
        (
            "an exp of i64::MAX",
            rsa.sign(&altered(&|c| c["exp"] = json!(i64::MAX))),
            "lives longer",
        ),
        (
            "issued in the future",
            rsa.sign(&altered(&|c| c["iat"] = json!(now + 600))),
            "issued in the future",
        ),
        (
            "an empty subject",
            rsa.sign(&altered(&|c| c["preferred_username"] = json!(""))),
            "subject (sub) must be 1 to 128 printable characters",
        ),
        (
            "a 10 KB subject",
            rsa.sign(&altered(&|c| {
                c["preferred_username"] = json!("x".repeat(10_240))
            })),
            "subject (sub) must be 1 to 128",
        ),
        (
            "a subject with a line break",
            rsa.sign(&altered(&|c| {
                c["preferred_username"] = json!("wang\nadmin")
            })),
            "printable characters",
        ),
        (
            "HS256 while sign-on is the platform's",
            hte_shared::testing::token(&AuthKeys::random().unwrap(), Role::Province, "320000"),
            "HS256 tokens are not accepted",
        ),
    ]
}

#[tokio::test]
async fn a_key_rotation_is_picked_up_without_restart() {
    let (old, new) = (TestKey::rsa(1, "2026-01"), TestKey::ec(2, "2026-07"));
    let platform = Platform::start(&[&old]).await;
    let env = with(service_env(&platform), &[("OIDC_JWKS_MAX_AGE_SECS", "1")]);
    let service = Service::start(&env).await;
    let claims = person("wang.city", "hte-city", "320500");
    assert_eq!(service.identity(&old.sign(&claims)).await["role"], "city");

    // The platform publishes its next key and starts signing with it.
    platform.publish(&[&old, &new]);
    assert_eq!(service.identity(&new.sign(&claims)).await["role"], "city");
    assert_eq!(
        platform.key_fetches(),
        2,
        "fetched again for the unknown kid"
    );

    // Then withdraws the old key: once our copy of the set is stale, the old key is gone.
    platform.publish(&[&new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let detail = service.refusal(&old.sign(&claims), "en").await;
    assert!(detail.contains("unknown key \"2026-01\""), "{detail}");
    assert_eq!(service.identity(&new.sign(&claims)).await["role"], "city");
}

#[tokio::test]
async fn made_up_key_ids_do_not_make_us_hammer_the_platform() {
    let key = TestKey::rsa(1, "real");
    let platform = Platform::start(&[&key]).await;
    let env = with(
        service_env(&platform),
        &[("OIDC_JWKS_MIN_REFRESH_SECS", "60")],
    );
    let service = Service::start(&env).await;
    let claims = person("x", "hte-city", "320500");
    for attempt in 0..20 {
        let detail = service
            .refusal(
                &key.sign_as(Some(&format!("made-up-{attempt}")), &claims),
                "en",
            )
            .await;
        assert!(detail.contains("unknown key"), "{detail}");
    }
    assert_eq!(platform.key_fetches(), 1);
    assert_eq!(service.identity(&key.sign(&claims)).await["role"], "city");
}

#[tokio::test]
async fn a_key_file_is_read_again_when_it_changes() {
    let (old, new) = (TestKey::ec(1, "file-1"), TestKey::rsa(2, "file-2"));
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("jwks.json");
    let write = |keys: &[&TestKey]| {
        let keys: Vec<Value> = keys.iter().map(|k| k.jwk()).collect();
        std::fs::write(&path, json!({ "keys": keys }).to_string()).unwrap();
    };
    write(&[&old]);
    let env: Vec<(String, String)> = [
        ("OIDC_ISSUER", ISSUER),
        ("OIDC_AUDIENCE", AUDIENCE),
        ("OIDC_JWKS_FILE", path.to_str().unwrap()),
        ("OIDC_ROLE_CLAIM", "role"),
        ("OIDC_JWKS_MIN_REFRESH_SECS", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let service = Service::start(&env).await;
    let mut claims = person("auditor", "x", "320000");
    claims["role"] = json!("auditor");
    assert_eq!(
        service.identity(&old.sign(&claims)).await["role"],
        "auditor"
    );
    write(&[&new]);
    assert_eq!(
        service.identity(&new.sign(&claims)).await["role"],
        "auditor"
    );

    std::fs::write(&path, "not json").unwrap();
    let error = Service::keys(&env).unwrap_err();
    assert!(error.contains("not a JWKS document"), "{error}");
}

#[tokio::test]
async fn an_unreachable_platform_is_a_503_not_a_401() {
    let key = TestKey::rsa(1, "k");
    let port = hte_shared::testing::port_of(&hte_shared::testing::local_listener());
    let env: Vec<(String, String)> = [
        ("OIDC_ISSUER", ISSUER.to_owned()),
        ("OIDC_AUDIENCE", AUDIENCE.to_owned()),
        ("OIDC_JWKS_URL", format!("http://127.0.0.1:{port}/certs")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let service = Service::start(&env).await;
    let response = service
        .call(&key.sign(&person("x", "city", "320500")))
        .await;
    let body = assert_problem(response, 503).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("cannot be fetched"),
        "{body}"
    );
}

#[tokio::test]
async fn services_call_each_other_with_their_own_credentials() {
    let key = TestKey::rsa(1, "rsa-2026");
    let platform = Platform::start(&[&key]).await;
    let mut account = person("service-account-hte-target-allocation", "hte-service", "x");
    account.as_object_mut().unwrap().remove("region");
    platform.grant_token(key.sign(&account));
    let registry = Service::start(&service_env(&platform)).await;

    let caller_env = with(
        service_env(&platform),
        &[
            ("SERVICE_CLIENT_ID", CLIENT_ID),
            ("SERVICE_CLIENT_SECRET", CLIENT_SECRET),
            ("OIDC_TOKEN_URL", &format!("{}/token", platform.url)),
        ],
    );
    let client = registry.client_for(&caller_env).unwrap();
    let request_id = RequestId("test".into());
    for _ in 0..3 {
        let identity: Value = client
            .get_json("api/v1/whoami", &[], &request_id)
            .await
            .unwrap();
        assert_eq!(
            identity,
            json!({"subject": "service-account-hte-target-allocation", "role": "service",
                   "region": "320000"})
        );
    }
    assert_eq!(
        platform.grants(),
        1,
        "the granted token is reused until it expires"
    );

    // A wrong client secret: the other service is as unreachable as if the network failed.
    let wrong = with(caller_env.clone(), &[("SERVICE_CLIENT_SECRET", "wrong")]);
    let client = registry
        .client_for(&wrong)
        .unwrap()
        .with_retry(RetryPolicy {
            attempts: 1,
            first_backoff: Duration::ZERO,
        });
    let error = client
        .get_json::<Value>("api/v1/whoami", &[], &request_id)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, UpstreamError::Unreachable { message, .. } if message.contains("refused client")),
        "{error}"
    );

    // A static token issued to the service works the same way; no credentials at all is a
    // start-up error, not a failure at the first call.
    let static_env = with(
        service_env(&platform),
        &[("SERVICE_TOKEN", &key.sign(&account))],
    );
    let keys = Service::keys(&static_env).unwrap();
    let bearer = keys.service_bearer("monitoring").await.unwrap();
    assert_eq!(registry.identity(bearer.expose()).await["role"], "service");
    let none = registry.client_for(&service_env(&platform)).unwrap_err();
    assert!(none.contains("SERVICE_CLIENT_ID"), "{none}");
}
