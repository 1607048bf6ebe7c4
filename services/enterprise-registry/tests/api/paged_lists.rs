//! The lists that grow with the registry (a firm's reports, pool entries, certificates,
//! labels, declarations and incubations; zones, unmatched zone values, rule sets, readiness
//! builds) come a page at a time: following `next_cursor` with a small `limit` gives every
//! item once, in the order one large page gives them, and a bad `limit` or cursor is refused.

use hte_shared::auth::Role;
use hte_shared::testing::assert_json;
use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, builtin_rules, credit_code, enterprise_body, run_sql,
};

const KUNSHAN: &str = "320583";
const GULOU: &str = "320106";

/// Every item of `path` read `limit` at a time, checking each page holds at most `limit`.
async fn every_item(app: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Value> {
    let join = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = format!("{path}{join}limit={limit}{cursor}");
        let page = app.get_json(token, &url).await;
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit as usize, "{url}: {page}");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return items,
        }
    }
}

/// `path` read in pages of `limit` equals `path` read in one page of 500, which holds
/// `expected` items; and a bad limit or cursor is a problem naming the parameter.
async fn pages_agree(app: &TestApp, token: &str, path: &str, limit: u32, expected: usize) {
    let paged = every_item(app, token, path, limit).await;
    let whole = every_item(app, token, path, 500).await;
    assert_eq!(whole.len(), expected, "{path}: {whole:?}");
    assert_eq!(paged, whole, "{path}");
    let join = if path.contains('?') { '&' } else { '?' };
    for (query, status, rule) in [
        ("limit=0", 400, "range"),
        ("limit=501", 400, "range"),
        ("cursor=!!", 400, "format"),
        ("cursor=AAAA", 422, "not_issued"),
    ] {
        let url = format!("{path}{join}{query}");
        let problem = assert_problem(app.get_as(token, &url).await, status).await;
        let field = query.split('=').next().unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{url}: {problem}");
        assert_eq!(problem["errors"][0]["rule"], rule, "{url}: {problem}");
    }
}

fn keys(items: &[Value], fields: &[&str]) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            let parts: Vec<String> = fields.iter().map(|f| item[*f].to_string()).collect();
            parts.join("/")
        })
        .collect()
}

async fn created(app: &TestApp, path: &str, body: Value) {
    assert_json(app.post_as(&app.province_token(), path, &body).await, 201).await;
}

#[tokio::test]
async fn a_firms_records_come_page_by_page_in_key_order() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 1);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "分页测试科技有限公司"))
        .await;
    let base = format!("/api/v1/enterprises/{code}");
    app.file_three_reports(&code, 2_000_000, 12).await;
    for year in 2019..=2022 {
        let body = json!({"employees": 50 + year - 2019});
        let path = format!("{base}/annual-reports/{year}");
        assert_eq!(app.put_as(&token, &path, &body).await.status(), 201);
    }
    for year in 2019..=2021 {
        let entered_on = format!("{year}-05-01");
        let body = json!({"year": year, "batch": 1, "source": "市推荐", "entered_on": entered_on});
        created(&app, &format!("{base}/pool-entries"), body).await;
    }
    for (number, issued_on) in [
        ("GR201832000002", "2018-11-30"),
        ("GR202132000001", "2021-11-30"),
        ("GR202432000003", "2024-12-16"),
    ] {
        let body = json!({"certificate_no": number, "issued_on": issued_on});
        created(&app, &format!("{base}/certificates"), body).await;
    }
    for (kind, year) in [("little_giant", 2024), ("gazelle", 2024), ("gazelle", 2023)] {
        let body = json!({"kind": kind, "year": year, "level": "provincial"});
        created(&app, &format!("{base}/labels"), body).await;
    }
    for dated_on in ["2026-05-01", "2025-05-01", "2026-05-01"] {
        let body =
            json!({"kind": "clean_record", "dated_on": dated_on, "source": "企业信用承诺书"});
        created(&app, &format!("{base}/declarations"), body).await;
    }

    let reports = every_item(&app, &token, &format!("{base}/annual-reports"), 2).await;
    let years: Vec<i64> = reports
        .iter()
        .map(|r| r["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, (2019..=2025).collect::<Vec<_>>());
    let labels = every_item(&app, &token, &format!("{base}/labels"), 2).await;
    assert_eq!(
        keys(&labels, &["year", "kind"]),
        [
            "2023/\"gazelle\"",
            "2024/\"gazelle\"",
            "2024/\"little_giant\""
        ]
    );
    let certificates = every_item(&app, &token, &format!("{base}/certificates"), 1).await;
    let numbers = keys(&certificates, &["certificate_no"]);
    assert_eq!(
        numbers,
        [
            "\"GR201832000002\"",
            "\"GR202132000001\"",
            "\"GR202432000003\""
        ]
    );
    let declarations = every_item(&app, &token, &format!("{base}/declarations"), 2).await;
    let mut sorted = keys(&declarations, &["dated_on", "id"]);
    sorted.sort();
    assert_eq!(keys(&declarations, &["dated_on", "id"]), sorted);

    for (list, expected) in [
        ("annual-reports", 7),
        ("pool-entries", 3),
        ("certificates", 3),
        ("labels", 3),
        ("declarations", 3),
        ("incubations", 0),
    ] {
        pages_agree(&app, &token, &format!("{base}/{list}"), 2, expected).await;
        // Region authorisation as before: the firm's county reads it, another county does not
        // learn that it exists.
        let path = format!("{base}/{list}?limit=1");
        app.get_json(&app.token(Role::County, KUNSHAN), &path).await;
        assert_problem(
            app.get_as(&app.token(Role::County, GULOU), &path).await,
            404,
        )
        .await;
    }
}

#[tokio::test]
async fn incubations_page_by_start_then_carrier() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    for id in ["ks-a", "ks-b"] {
        let carrier = json!({
            "id": id, "name": format!("{id}科技企业孵化器"), "kind": "incubator", "level": "provincial",
            "region_code": KUNSHAN, "operator_credit_code": credit_code(KUNSHAN, 90), "recognition_year": 2018,
        });
        created(&app, "/api/v1/carriers", carrier).await;
    }
    let code = credit_code(KUNSHAN, 2);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "在孵分页科技有限公司"))
        .await;
    let path = format!("/api/v1/enterprises/{code}/incubations");
    for (carrier, started_on, ended_on) in [
        ("ks-b", "2019-01-01", "2019-12-31"),
        ("ks-a", "2019-01-01", "2019-12-31"),
        ("ks-a", "2021-01-01", "2021-12-31"),
    ] {
        let body = json!({"carrier_id": carrier, "started_on": started_on, "ended_on": ended_on});
        created(&app, &path, body).await;
    }
    let items = every_item(&app, &token, &path, 1).await;
    assert_eq!(
        keys(&items, &["started_on", "carrier_id"]),
        [
            "\"2019-01-01\"/\"ks-a\"",
            "\"2019-01-01\"/\"ks-b\"",
            "\"2021-01-01\"/\"ks-a\""
        ]
    );
    pages_agree(&app, &token, &path, 2, 3).await;
}

#[tokio::test]
async fn zones_and_unmatched_values_page_within_the_callers_region() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let seeded = every_item(&app, &token, "/api/v1/zones", 500).await;
    let ids = keys(&seeded, &["id"]);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(seeded.len() > 3, "{seeded:?}");
    pages_agree(&app, &token, "/api/v1/zones", 3, seeded.len()).await;
    let suzhou = every_item(&app, &token, "/api/v1/zones?city=320500", 500).await;
    assert!(!suzhou.is_empty() && suzhou.len() < seeded.len());
    pages_agree(&app, &token, "/api/v1/zones?city=320500", 1, suzhou.len()).await;

    let unmatched = (1..=5).map(|serial| {
        let (code, county) = match serial {
            1..=3 => (credit_code(KUNSHAN, serial), KUNSHAN),
            _ => (credit_code(GULOU, serial), GULOU),
        };
        format!(
            "INSERT INTO unmatched_zone_values (credit_code, region_code, zone_level, \
             zone_text) VALUES ('{code}', '{county}', 'national', '旧高新区{serial}')"
        )
    });
    run_sql(&app, unmatched).await;
    let path = "/api/v1/zone-migration/unmatched";
    pages_agree(&app, &token, path, 2, 5).await;
    let suzhou = app.token(Role::City, "320500");
    let theirs = every_item(&app, &suzhou, path, 2).await;
    let regions: Vec<&str> = theirs
        .iter()
        .map(|v| v["region_code"].as_str().unwrap())
        .collect();
    assert_eq!(regions, [KUNSHAN; 3]);
}

#[tokio::test]
async fn rule_sets_page_with_the_builtin_first_and_builds_oldest_first() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    for version in ["jiangsu-2026-2", "jiangsu-2026-1"] {
        let rules = builtin_rules(&app, version).await;
        let body = json!({"description": "分页测试", "rules": rules});
        let path = format!("/api/v1/rule-sets/{version}");
        assert_eq!(app.put_as(&token, &path, &body).await.status(), 201);
    }
    let versions = every_item(&app, &token, "/api/v1/rule-sets", 1).await;
    assert_eq!(
        keys(&versions, &["version"]),
        [
            "\"2016-national-1\"",
            "\"jiangsu-2026-2\"",
            "\"jiangsu-2026-1\""
        ]
    );
    pages_agree(&app, &token, "/api/v1/rule-sets", 2, 3).await;

    // Two builds started in the same instant are told apart by version, then date.
    let builds = [
        ("v-b", "2026-01-02", "2026-01-02 08:00:00"),
        ("v-a", "2026-01-03", "2026-01-02 08:00:00"),
        ("v-a", "2026-01-02", "2026-01-02 08:00:00"),
        ("v-a", "2026-01-01", "2026-01-01 08:00:00"),
    ]
    .map(|(version, on, at)| {
        format!(
            "INSERT INTO readiness_builds (rule_set_version, screened_on, started_at, \
             finished_at, firms_done, firms_total) VALUES ('{version}', '{on}', '{at}', \
             NULL, 0, 0)"
        )
    });
    run_sql(&app, builds).await;
    let path = "/api/v1/candidates/readiness";
    let builds = every_item(&app, &token, path, 1).await;
    assert_eq!(
        keys(&builds, &["rule_set_version", "screened_on"]),
        [
            "\"v-a\"/\"2026-01-01\"",
            "\"v-a\"/\"2026-01-02\"",
            "\"v-a\"/\"2026-01-03\"",
            "\"v-b\"/\"2026-01-02\""
        ]
    );
    pages_agree(&app, &token, path, 3, 4).await;
}
