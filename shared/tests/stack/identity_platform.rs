//! A small stand-in for the province's identity platform, over real HTTP on port 0: it
//! publishes a key set that a test can rotate (`/certs`), grants client-credentials tokens
//! (`/token`), and counts both. Keys are the fixed test keys in `tests/fixtures/keys`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use hte_shared::testing::serve_stand_in;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const ISSUER: &str = "https://sso.example.js.gov.cn/realms/jiangsu";
pub const AUDIENCE: &str = "hte-suite";
pub const CLIENT_ID: &str = "hte-target-allocation";
pub const CLIENT_SECRET: &str = "client-secret-for-tests";

/// A signing key with its id, as the platform holds it.
pub struct TestKey {
    pub kid: String,
    pub algorithm: Algorithm,
    encoding: EncodingKey,
}

fn der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

impl TestKey {
    pub fn rsa(which: u8, kid: &str) -> Self {
        let pem = match which {
            1 => include_str!("../fixtures/keys/rsa-1.pem"),
            _ => include_str!("../fixtures/keys/rsa-2.pem"),
        };
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(&der(pem)),
        }
    }

    pub fn ec(which: u8, kid: &str) -> Self {
        let pem = match which {
            1 => include_str!("../fixtures/keys/ec-1.pem"),
            _ => include_str!("../fixtures/keys/ec-2.pem"),
        };
        Self {
            kid: kid.to_owned(),
            algorithm: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(&der(pem)),
        }
    }

    /// The public half as a JWK, the way a platform publishes it.
    pub fn jwk(&self) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.algorithm).unwrap();
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        serde_json::to_value(jwk).unwrap()
    }

    /// Signs `claims` with this key, naming `kid` in the header.
    pub fn sign_as(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(Some(&self.kid), claims)
    }
}

/// Claims as a Keycloak-like platform issues them for a person with `platform_role`.
pub fn person(username: &str, platform_role: &str, region: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER,
        "aud": [AUDIENCE, "account"],
        "sub": uuid::Uuid::new_v4().to_string(),
        "preferred_username": username,
        "iat": now,
        "exp": now + 300,
        "realm_access": {"roles": ["offline_access", "default-roles-jiangsu", platform_role]},
        "region": region,
    })
}

/// The environment of a service that trusts this platform.
pub fn service_env(platform: &Platform) -> Vec<(String, String)> {
    [
        ("OIDC_ISSUER", ISSUER.to_owned()),
        ("OIDC_AUDIENCE", AUDIENCE.to_owned()),
        ("OIDC_JWKS_URL", format!("{}/certs", platform.url)),
        ("OIDC_SUBJECT_CLAIM", "preferred_username".to_owned()),
        ("OIDC_ROLE_CLAIM", "realm_access.roles".to_owned()),
        (
            "OIDC_ROLE_MAP",
            "hte-province=province,hte-city=city,hte-county=county,hte-audit=auditor,\
             hte-service=service"
                .to_owned(),
        ),
        ("OIDC_JWKS_MIN_REFRESH_SECS", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

struct State {
    keys: Mutex<Vec<Value>>,
    key_fetches: AtomicUsize,
    grants: AtomicUsize,
    /// The token `/token` hands out to the test client.
    granted_token: Mutex<String>,
}

pub struct Platform {
    pub url: String,
    state: web::Data<State>,
    handle: actix_web::dev::ServerHandle,
}

impl Platform {
    pub async fn start(keys: &[&TestKey]) -> Self {
        let state = web::Data::new(State {
            keys: Mutex::new(keys.iter().map(|k| k.jwk()).collect()),
            key_fetches: AtomicUsize::new(0),
            grants: AtomicUsize::new(0),
            granted_token: Mutex::new(String::new()),
        });
        let data = state.clone();
        let (port, handle) = serve_stand_in(move |cfg| {
            cfg.app_data(data.clone()).service(certs).service(grant);
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    /// Publishes another key set from now on (a rotation).
    pub fn publish(&self, keys: &[&TestKey]) {
        *self.state.keys.lock().unwrap() = keys.iter().map(|k| k.jwk()).collect();
    }

    pub fn key_fetches(&self) -> usize {
        self.state.key_fetches.load(Ordering::SeqCst)
    }

    pub fn grants(&self) -> usize {
        self.state.grants.load(Ordering::SeqCst)
    }

    pub fn grant_token(&self, token: String) {
        *self.state.granted_token.lock().unwrap() = token;
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

#[get("/certs")]
async fn certs(state: web::Data<State>) -> HttpResponse {
    state.key_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = state.keys.lock().unwrap().clone();
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

/// The client-credentials grant, for the one client the tests know.
#[post("/token")]
async fn grant(state: web::Data<State>, request: HttpRequest, body: String) -> HttpResponse {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let authorised = request
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    if !authorised || body != "grant_type=client_credentials" {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    state.grants.fetch_add(1, Ordering::SeqCst);
    let token = state.granted_token.lock().unwrap().clone();
    HttpResponse::Ok().json(json!({
        "access_token": token, "token_type": "Bearer", "expires_in": 300
    }))
}
