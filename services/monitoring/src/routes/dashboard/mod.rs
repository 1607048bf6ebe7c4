//! The dashboard for officials (`/dashboard`), served by the service itself with its
//! stylesheet (no CDN: intranet machines have no internet).
//!
//! Signing in without a token in any URL: the sign-in form POSTs the bearer token once to
//! `/dashboard/session`; it is verified exactly as an `Authorization: Bearer` token, and
//! kept in a cookie `HttpOnly; SameSite=Strict; Path=/dashboard` (and `Secure` over https)
//! that lives as long as the token (`Max-Age` up to its `exp`). Each page request verifies it
//! again, so an expired or revoked key ends the session; `/dashboard/session/end` signs out.
//! SameSite=Strict keeps other sites' pages from making requests with it.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use hte_shared::auth::{AuthKeys, Caller};
use hte_shared::db::Db;
use serde::Deserialize;

use crate::app::Monitor;
use crate::app::dashboard::{self, DashboardQuery, Page};
use crate::error::MonitoringError;

mod page;

/// The session cookie's name.
pub const COOKIE: &str = "hte_dashboard";
const STYLESHEET: &str = include_str!("../../../assets/dashboard.css");

/// Registers the dashboard's routes (outside `/api/v1`, not in the OpenAPI document).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(show))
        .route("/dashboard/session", web::post().to(sign_in))
        .route("/dashboard/session/end", web::post().to(sign_out))
        .route("/dashboard/assets/dashboard.css", web::get().to(stylesheet));
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'",
        ))
        .body(body)
}

/// The token the session cookie holds, if any.
fn session_token(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for the session: the token for `max_age` seconds (0 clears it).
fn cookie(request: &HttpRequest, token: &str, max_age: i64) -> (header::HeaderName, HeaderValue) {
    let secure = if request.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{COOKIE}={token}; Max-Age={max_age}; Path=/dashboard; HttpOnly; SameSite=Strict{secure}"
    );
    // A token that passed verification is base64url and dots; anything else clears it.
    let value = HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(
        "hte_dashboard=; Max-Age=0; Path=/dashboard; HttpOnly; SameSite=Strict",
    ));
    (header::SET_COOKIE, value)
}

fn see_other(location: &'static str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, location));
    response
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    plan: Option<String>,
    region: Option<String>,
}

/// The dashboard for a signed-in official; otherwise the sign-in form.
async fn show(
    request: HttpRequest,
    db: web::Data<Db>,
    monitor: web::Data<Monitor>,
    keys: web::Data<AuthKeys>,
    params: web::Query<PageParams>,
) -> Result<HttpResponse, MonitoringError> {
    let Some(token) = session_token(&request) else {
        return Ok(html(page::sign_in(None)));
    };
    let caller: Caller = match keys.authenticate(&token).await {
        Ok(caller) => caller,
        Err(problem) => {
            tracing::info!(detail = ?problem.detail, "dashboard session refused");
            let mut response = html(page::sign_in(Some("登录已失效，请重新输入访问令牌。")));
            response
                .headers_mut()
                .insert(header::SET_COOKIE, cookie(&request, "", 0).1);
            return Ok(response);
        }
    };
    let params = params.into_inner();
    let query = DashboardQuery {
        plan: params.plan,
        region: params.region,
    };
    Ok(
        match dashboard::dashboard(&db, &monitor, &caller, query).await? {
            Page::Ready(d) => html(page::dashboard(&d)),
            Page::NoSnapshot { choices } => html(page::no_snapshot(&choices)),
        },
    )
}

#[derive(Debug, Deserialize)]
struct SignIn {
    token: String,
}

/// Seconds until the token's `exp` (read after the token was verified).
fn lifetime(token: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Expiry {
        exp: i64,
    }
    let claims = jsonwebtoken::dangerous::insecure_decode::<Expiry>(token).ok()?;
    Some(claims.claims.exp - chrono::Utc::now().timestamp()).filter(|s| *s > 0)
}

/// Verifies the token once and keeps it in the session cookie.
async fn sign_in(
    request: HttpRequest,
    keys: web::Data<AuthKeys>,
    form: web::Form<SignIn>,
) -> HttpResponse {
    let token = form.into_inner().token.trim().to_owned();
    let verified = keys.authenticate(&token).await;
    match (verified, lifetime(&token)) {
        (Ok(caller), Some(seconds)) => {
            tracing::info!(subject = %caller.subject, "dashboard session started");
            see_other("/dashboard")
                .insert_header(cookie(&request, &token, seconds))
                .finish()
        }
        (result, _) => {
            let reason = result.err().and_then(|p| p.detail);
            tracing::info!(?reason, "dashboard sign-in refused");
            html(page::sign_in(Some("令牌无效或已过期，请核对后重新输入。")))
        }
    }
}

async fn sign_out(request: HttpRequest) -> HttpResponse {
    see_other("/dashboard")
        .insert_header(cookie(&request, "", 0))
        .finish()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
