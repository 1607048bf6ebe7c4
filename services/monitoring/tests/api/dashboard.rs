//! The dashboard over real HTTP: the sign-in form without a session, a session cookie from
//! one POST of the token, and the page's figures equal to the snapshot's for the province
//! (every city) and for a city (its own city only).

use hte_shared::auth::Role;
use hte_shared::testing::http_client_no_redirects;

use crate::helpers::{App, spawn};
use crate::seed::{self, CITIES, SUZHOU_COUNTIES};

/// Signs in with `token`; returns the `Cookie` header to send and the `Set-Cookie` received.
async fn sign_in(app: &App, token: &str) -> (String, String) {
    let response = http_client_no_redirects()
        .post(app.url("/dashboard/session"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        // A JWT is base64url and dots: nothing to percent-encode.
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/dashboard");
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    (pair, set_cookie)
}

async fn page(app: &App, cookie: Option<&str>, query: &str) -> String {
    let mut request = app.client.get(app.url(&format!("/dashboard{query}")));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// The `data-value` of the ranking bar of `region`.
fn bar_value(html: &str, region: &str) -> f64 {
    let start = html
        .find(&format!("<g class=\"bar\" data-region=\"{region}\""))
        .unwrap_or_else(|| panic!("no bar for {region}"));
    let rest = &html[start..];
    let rest = &rest[rest.find("data-value=\"").unwrap() + 12..];
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

#[tokio::test]
async fn without_a_session_the_sign_in_form_is_shown() {
    let app = spawn().await;
    let html = page(&app, None, "").await;
    assert!(html.contains("<form method=\"post\" action=\"/dashboard/session\">"));
    assert!(html.contains("访问令牌") && !html.contains("data-region"));
    // A cookie that does not verify is refused and cleared.
    let html = page(&app, Some("hte_dashboard=not.a.token"), "").await;
    assert!(html.contains("登录已失效"));
    let css = app
        .client
        .get(app.url("/dashboard/assets/dashboard.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    // A wrong token signs nobody in.
    let response = http_client_no_redirects()
        .post(app.url("/dashboard/session"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("token=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn the_province_sees_every_city_with_the_snapshots_numbers() {
    let app = spawn().await;
    seed::snapshots(&app).await;
    let (cookie, set_cookie) = sign_in(&app, &app.province_token()).await;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard", "Max-Age="] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let html = page(&app, Some(&cookie), "").await;
    assert!(html.contains("江苏省高新技术企业培育监测看板"));
    for (code, name, target, sep, _) in CITIES {
        assert!(html.contains(name), "{name}");
        let expected = sep as f64 / target as f64;
        assert!((bar_value(&html, code) - expected).abs() < 1e-12, "{code}");
        let tile = format!("data-region=\"{code}\" data-label=\"{name}\" data-expected=");
        assert!(html.contains(&tile), "small multiple of {name}");
    }
    // The KPI table holds the province's count, and the trend both snapshots' totals.
    let total = seed::province_total(true);
    assert!(
        html.contains(&format!("data-value=\"{total}\">{total}家")),
        "KPI"
    );
    for (period, september) in [("2020-08", false), ("2020-09", true)] {
        let point = format!(
            "<g class=\"point\" data-label=\"{period}\" data-value=\"{}\">",
            seed::province_total(september)
        );
        assert!(html.contains(&point), "{point}");
    }
    // The picker offers the province and the 13 cities.
    assert_eq!(html.matches("<option value=").count(), 14);
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}

#[tokio::test]
async fn a_city_sees_only_its_own_city() {
    let app = spawn().await;
    seed::snapshots(&app).await;
    let (cookie, _) = sign_in(&app, &app.token(Role::City, "320500")).await;
    let html = page(&app, Some(&cookie), "").await;
    assert!(html.contains("苏州市高新技术企业培育监测看板"));
    for (code, _, target, sep, _) in SUZHOU_COUNTIES {
        let expected = sep as f64 / target as f64;
        assert!((bar_value(&html, code) - expected).abs() < 1e-12, "{code}");
    }
    for (code, name, ..) in CITIES.iter().filter(|c| c.0 != "320500") {
        assert!(
            !html.contains(name) && !html.contains(&format!("data-region=\"{code}\"")),
            "{name}"
        );
    }
    assert!(html.contains("data-value=\"6500\">6500家"));
    // Another city's page is refused.
    let response = app
        .client
        .get(app.url("/dashboard?region=320100"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}
