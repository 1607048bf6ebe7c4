//! The plan's lists that grow with use (tree versions, scoring schemes, the cities' splits)
//! come a page at a time: following `next_cursor` with a small `limit` gives every item once,
//! in the order of one large page; `limit` outside 1–500 and a cursor the service did not
//! issue (or issued for another plan) are refused, naming the field; who sees what is as
//! without paging.

use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{AllocationFixtures, TestApp, assert_json, assert_problem, problem_fields};

/// Every item of `path` for `token`, following `next_cursor` with `limit`.
async fn every_page(app: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Value> {
    let joiner = if path.contains('?') { '&' } else { '?' };
    let (mut items, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let mut url = format!("{path}{joiner}limit={limit}");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page = app.get_json(token, &url).await;
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit as usize, "{url}: {page}");
        items.extend(got.iter().cloned());
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(got.len(), limit as usize, "a page that points on is full");
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert!(pages > 1 || items.len() < limit as usize, "{path}");
    items
}

/// The list in one page of 500 (all of it, in these tests).
async fn one_page(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let joiner = if path.contains('?') { '&' } else { '?' };
    let page = app
        .get_json(token, &format!("{path}{joiner}limit=500"))
        .await;
    assert!(page.get("next_cursor").is_none(), "{page}");
    page["items"].as_array().unwrap().clone()
}

/// A plan whose province and cities set targets: a tree version per change.
async fn plan_with_versions(app: &TestApp, id: &str) {
    app.create_plan(id).await;
    app.set_city_targets(id, "hte_count", "2024", &[("320100", 40), ("320500", 60)])
        .await;
    let suzhou = app.token(Role::City, "320500");
    for (county, value) in [("320583", 30), ("320585", 20), ("320506", 10)] {
        let response = app
            .put_target(&suzhou, id, county, "hte_count", "2024", value)
            .await;
        assert_json(response, 200).await;
    }
    let province = app.province_token();
    for value in [41, 42, 43] {
        let response = app
            .put_target(&province, id, "320000", "new_hte", "2025", value)
            .await;
        assert_json(response, 200).await;
    }
}

#[tokio::test]
async fn tree_versions_page_through_every_version_once_newest_first() {
    let app = TestApp::spawn().await;
    plan_with_versions(&app, "pages").await;
    let path = "/api/v1/plans/pages/targets/versions";
    for token in [app.province_token(), app.token(Role::City, "320500")] {
        let all = one_page(&app, &token, path).await;
        let paged = every_page(&app, &token, path, 2).await;
        assert_eq!(paged, all);
        let versions: Vec<i64> = all.iter().map(|v| v["version"].as_i64().unwrap()).collect();
        assert!(versions.windows(2).all(|w| w[0] > w[1]), "{versions:?}");
    }
    // Suzhou sees the versions that set a value in its subtree, not Nanjing's-only ones.
    let province = one_page(&app, &app.province_token(), path).await;
    let suzhou = one_page(&app, &app.token(Role::City, "320500"), path).await;
    assert!(
        suzhou.len() >= 4 && suzhou.len() < province.len(),
        "{suzhou:?}"
    );
    let nanjing_county = app.token(Role::County, "320102");
    assert!(every_page(&app, &nanjing_county, path, 1).await.is_empty());
}

#[tokio::test]
async fn scoring_schemes_page_newest_first_and_every_page_carries_the_newest_etag() {
    let app = TestApp::spawn().await;
    app.create_plan("schemes").await;
    let province = app.province_token();
    let path = "/api/v1/plans/schemes/scoring-schemes";
    for (version, weight) in [(0, 100), (1, 100), (2, 100)] {
        let body = json!({"reason": format!("第{}版", version + 1), "items": [
            {"indicator": "new_hte", "weight": weight, "rule": {"kind": "linear", "cap": 1.2}}]});
        let response = app
            .send_with_etag(
                reqwest::Method::POST,
                &province,
                path,
                Some(&format!("\"v{version}\"")),
                &body,
            )
            .await;
        assert_json(response, 201).await;
    }
    let county = app.token(Role::County, "320583");
    let paged = every_page(&app, &county, path, 1).await;
    let versions: Vec<i64> = paged
        .iter()
        .map(|s| s["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1]);
    let first = app.get_json(&county, &format!("{path}?limit=1")).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_as(&county, &format!("{path}?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(
        second.headers()["etag"],
        "\"v3\"",
        "the newest, not the page's first"
    );
}

#[tokio::test]
async fn the_cities_splits_page_in_indicator_period_and_city_order() {
    let app = TestApp::spawn().await;
    app.create_plan("splits").await;
    app.set_city_targets("splits", "hte_count", "2024", &[("320500", 6)])
        .await;
    app.set_city_targets("splits", "new_hte", "2025", &[("320100", 4)])
        .await;
    let path = "/api/v1/plans/splits/splits";
    let province = app.province_token();
    let all = one_page(&app, &province, path).await;
    assert_eq!(all.len(), 26);
    assert_eq!(every_page(&app, &province, path, 5).await, all);
    let keys: Vec<(String, String, String)> = all
        .iter()
        .map(|c| {
            let s = |f: &str| c[f].as_str().unwrap().to_owned();
            (s("indicator"), s("period"), s("region_code"))
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Filters and paging together; a city still sees its own line alone.
    let filtered = every_page(&app, &province, &format!("{path}?period=2025"), 4).await;
    assert_eq!(filtered.len(), 13);
    let suzhou = every_page(&app, &app.token(Role::City, "320500"), path, 1).await;
    assert_eq!(suzhou.len(), 2);
    assert!(suzhou.iter().all(|c| c["region_code"] == "320500"));
}

#[tokio::test]
async fn a_limit_outside_1_to_500_or_a_cursor_not_issued_here_is_refused() {
    let app = TestApp::spawn().await;
    plan_with_versions(&app, "edges").await;
    app.create_plan("other").await;
    let province = app.province_token();
    for list in [
        "targets/versions",
        "scoring-schemes",
        "splits",
        "assessments",
    ] {
        let path = format!("/api/v1/plans/edges/{list}");
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("cursor=!!", "cursor"),
        ] {
            let problem =
                assert_problem(app.get_as(&province, &format!("{path}?{query}")).await, 400).await;
            assert_eq!(problem_fields(&problem), [field], "{list}?{query}");
        }
    }
    // A cursor of another plan's list is not a position in this one.
    let first = app
        .get_json(&province, "/api/v1/plans/edges/targets/versions?limit=1")
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let response = app
        .get_as(
            &province,
            &format!("/api/v1/plans/other/targets/versions?cursor={cursor}"),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem_fields(&problem), ["cursor"]);
}
