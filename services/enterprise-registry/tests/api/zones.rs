//! High-tech zones (高新区): the seeded reference data, province-only writes, an enterprise's
//! zone as a reference in its own city, statistics by the zone's level, and the migration of
//! free-text zones.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use hte_shared::auth::Role;
use hte_shared::db::{Backend, DbError};
use hte_shared::testing::{assert_json, problem_rules};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body};

const KUNSHAN: &str = "320583";
const ZHANGJIAGANG: &str = "320582";
const XUANWU: &str = "320102";

fn provincial_zone() -> Value {
    json!({
        "id": "zhangjiagang-hz", "name": "张家港高新技术产业开发区", "short_name": "张家港高新区",
        "level": "provincial", "county_codes": [ZHANGJIAGANG],
    })
}

fn with_zone(code: &str, county: &str, zone: Option<&str>) -> Value {
    let mut body = enterprise_body(
        code,
        county,
        &format!("高新区测试{}有限公司", &code[10..16]),
    );
    body["zone_id"] = json!(zone);
    body
}

#[tokio::test]
async fn the_national_zones_are_seeded_and_only_the_province_writes_zones() {
    let app = TestApp::spawn().await;
    let county = app.token(Role::County, KUNSHAN);
    let all = app.get_json(&county, "/api/v1/zones").await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 18, "the 18 national zones in Jiangsu");
    assert!(items.iter().all(|z| z["level"] == "national"));
    let suzhou = app.get_json(&county, "/api/v1/zones?city=320500").await;
    let ids: Vec<&str> = suzhou["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["changshu-hz", "kunshan-hz", "suzhou-hz", "suzhou-sip"]
    );
    let bad_city =
        assert_problem(app.get_as(&county, "/api/v1/zones?city=320583").await, 400).await;
    assert_eq!(bad_city["errors"][0]["rule"], "city_level");

    // City and county officials read zones but do not record them.
    let city = app.token(Role::City, "320500");
    for token in [&county, &city] {
        assert_problem(
            app.post_as(token, "/api/v1/zones", &provincial_zone())
                .await,
            403,
        )
        .await;
    }
    let province = app.province_token();
    let response = app
        .post_as(&province, "/api/v1/zones", &provincial_zone())
        .await;
    assert_eq!(
        response.headers()["location"],
        "/api/v1/zones/zhangjiagang-hz"
    );
    let created = assert_json(response, 201).await;
    assert_eq!(
        (created["city_code"].as_str(), created["version"].as_i64()),
        (Some("320500"), Some(1))
    );
    let again = app
        .post_as(&province, "/api/v1/zones", &provincial_zone())
        .await;
    assert_problem(again, 409).await;
    let mut same_name = provincial_zone();
    same_name["id"] = json!("other-hz");
    assert_problem(
        app.post_as(&province, "/api/v1/zones", &same_name).await,
        409,
    )
    .await;
    let bad = json!({"id": "Bad Id", "name": "x", "short_name": "张家港", "level": "provincial",
                     "county_codes": [KUNSHAN, "320281"]});
    let problem = assert_problem(app.post_as(&province, "/api/v1/zones", &bad).await, 400).await;
    let rules = problem_rules(&problem);
    assert_eq!(rules, ["format", "length", "one_city"], "{problem}");

    // Changes need the ETag; the province may rank a zone up; each write is audited.
    let path = "/api/v1/zones/zhangjiagang-hz";
    let read = app.get_as(&county, path).await;
    assert_eq!(read.headers()["etag"], "\"v1\"");
    let patch = json!({"level": "national"});
    assert_problem(app.patch_as(&province, path, None, &patch).await, 428).await;
    assert_problem(app.patch_as(&city, path, Some("\"v1\""), &patch).await, 403).await;
    let ranked = assert_json(
        app.patch_as(&province, path, Some("\"v1\""), &patch).await,
        200,
    )
    .await;
    assert_eq!(
        (ranked["level"].as_str(), ranked["version"].as_i64()),
        (Some("national"), Some(2))
    );
    assert_problem(
        app.patch_as(&province, path, Some("\"v1\""), &patch).await,
        412,
    )
    .await;
    assert_problem(app.get_as(&county, "/api/v1/zones/nowhere-hz").await, 404).await;
    let audit = app.get_json(&province, "/api/v1/audit/verification").await;
    assert_eq!(audit["valid"], true, "{audit}");
}

#[tokio::test]
async fn an_enterprise_names_a_recorded_zone_of_its_own_city() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    a_zone_elsewhere_unknown_or_of_another_level_is_refused(&app).await;

    // The level follows the zone; a zone of the same city in another county is fine.
    let created = app
        .create_enterprise(&with_zone(
            &credit_code(KUNSHAN, 2),
            KUNSHAN,
            Some("suzhou-sip"),
        ))
        .await;
    assert_eq!(
        (created["zone_id"].as_str(), created["zone_level"].as_str()),
        (Some("suzhou-sip"), Some("national"))
    );

    // Moving the firm to another city without changing its zone is refused.
    let path = format!("/api/v1/enterprises/{}", credit_code(KUNSHAN, 2));
    let moved = assert_problem(
        app.patch_as(
            &token,
            &path,
            Some("\"v1\""),
            &json!({"region_code": XUANWU}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(moved["errors"][0]["rule"], "zone_in_city");
    let left = assert_json(
        app.patch_as(
            &token,
            &path,
            Some("\"v1\""),
            &json!({"region_code": XUANWU, "zone_id": null}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (left["zone_id"].clone(), left["zone_level"].as_str()),
        (Value::Null, Some("none"))
    );
}

/// A zone in another city, an unknown zone and a contradicting level are field errors,
/// explained in Chinese when asked.
async fn a_zone_elsewhere_unknown_or_of_another_level_is_refused(app: &TestApp) {
    let token = app.province_token();
    let post = |body: Value| {
        let token = &token;
        async move { app.post_as(token, "/api/v1/enterprises", &body).await }
    };
    let elsewhere = assert_problem(
        post(with_zone(
            &credit_code(XUANWU, 1),
            XUANWU,
            Some("kunshan-hz"),
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(
        (
            elsewhere["errors"][0]["field"].as_str(),
            elsewhere["errors"][0]["rule"].as_str()
        ),
        (Some("zone_id"), Some("zone_in_city"))
    );
    let unknown = assert_problem(
        post(with_zone(
            &credit_code(KUNSHAN, 1),
            KUNSHAN,
            Some("昆山经济技术开发区"),
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(unknown["errors"][0]["rule"], "known_zone");
    let mut provincial = with_zone(&credit_code(KUNSHAN, 1), KUNSHAN, Some("kunshan-hz"));
    provincial["zone_level"] = json!("provincial");
    let mismatch = assert_problem(post(provincial).await, 422).await;
    assert_eq!(mismatch["errors"][0]["rule"], "zone_level_of_zone");
    let elsewhere = with_zone(&credit_code(XUANWU, 1), XUANWU, Some("kunshan-hz"));
    let zh = app
        .send_in_chinese(
            (Method::POST, "/api/v1/enterprises"),
            None,
            Some(&elsewhere),
        )
        .await;
    let zh = assert_problem(zh, 422).await;
    assert!(
        zh["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("不在企业所在的设区市"),
        "{zh}"
    );
}

/// HTEs certified today in `county`, in `zone`.
async fn hte_in(app: &TestApp, serial: u32, county: &str, zone: Option<&str>) {
    let code = credit_code(county, serial);
    app.create_enterprise(&with_zone(&code, county, zone)).await;
    let certificate =
        json!({"certificate_no": format!("GR2023320{serial:05}"), "issued_on": "2023-11-06"});
    let path = format!("/api/v1/enterprises/{code}/certificates");
    assert_json(
        app.post_as(&app.province_token(), &path, &certificate)
            .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn statistics_count_htes_by_the_level_of_their_zone() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    assert_json(
        app.post_as(&province, "/api/v1/zones", &provincial_zone())
            .await,
        201,
    )
    .await;
    hte_in(&app, 1, KUNSHAN, Some("kunshan-hz")).await;
    hte_in(&app, 2, ZHANGJIAGANG, Some("zhangjiagang-hz")).await;
    hte_in(&app, 3, ZHANGJIAGANG, None).await;
    let counts = |stats: &Value| {
        let city = stats["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region_code"] == "320500")
            .cloned()
            .unwrap();
        (
            city["hte_in_national_zone"].as_i64(),
            city["hte_in_provincial_zone"].as_i64(),
        )
    };
    let path = "/api/v1/statistics?as_of=2024-01-01";
    let before = app.get_json(&province, path).await;
    assert_eq!(counts(&before), (Some(1), Some(1)), "{before}");
    let listed = app
        .get_json(&province, "/api/v1/enterprises?zone_level=provincial")
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Ranking the zone up moves its firms with it: no level is stored per firm.
    let patch = json!({"level": "national"});
    assert_json(
        app.patch_as(
            &province,
            "/api/v1/zones/zhangjiagang-hz",
            Some("\"v1\""),
            &patch,
        )
        .await,
        200,
    )
    .await;
    let after = app.get_json(&province, path).await;
    assert_eq!(counts(&after), (Some(2), Some(0)), "{after}");
    let firm = app
        .get_json(
            &province,
            &format!("/api/v1/enterprises/{}", credit_code(ZHANGJIAGANG, 2)),
        )
        .await;
    assert_eq!(firm["zone_level"], "national");
}

#[tokio::test]
async fn free_text_zones_become_references_or_are_reported() {
    let app = TestApp::spawn().await;
    let texts = [
        (KUNSHAN, 1, "昆山高新区"),             // short name, own city
        (KUNSHAN, 2, "昆山高新技术产业开发区"), // full name, own city
        (KUNSHAN, 3, "昆山经济技术开发区"),     // not a high-tech zone
        (KUNSHAN, 4, "南京高新区"),             // a zone of another city
    ];
    for (county, serial, _) in texts {
        app.create_enterprise(&with_zone(&credit_code(county, serial), county, None))
            .await;
    }
    // The registry as it was before zones were reference data, then the migration again.
    let drop_zones = match app.db.backend() {
        Backend::Postgres => "DROP TABLE zones CASCADE",
        Backend::Sqlite => "DROP TABLE zones",
    };
    let up = match app.db.backend() {
        Backend::Postgres => {
            include_str!("../../migrations/postgres/2026-12-03-000009_zones/up.sql")
        }
        Backend::Sqlite => include_str!("../../migrations/sqlite/2026-12-03-000009_zones/up.sql"),
    };
    let before: Vec<String> = texts
        .iter()
        .map(|(county, serial, text)| {
            let code = credit_code(county, *serial);
            format!("UPDATE enterprises SET zone_level = 'national', zone_id = '{text}' WHERE credit_code = '{code}'")
        })
        .collect();
    app.db
        .write(move |conn| {
            diesel::sql_query("DROP TABLE unmatched_zone_values").execute(conn)?;
            // Carriers reference zones; on PostgreSQL that reference goes with the table.
            diesel::sql_query(drop_zones).execute(conn)?;
            for sql in before {
                diesel::sql_query(sql).execute(conn)?;
            }
            conn.batch_execute(up).map_err(DbError::from)
        })
        .await
        .unwrap();

    let province = app.province_token();
    for (serial, zone, level) in [
        (1, json!("kunshan-hz"), "national"),
        (2, json!("kunshan-hz"), "national"),
        (3, Value::Null, "none"),
        (4, Value::Null, "none"),
    ] {
        let path = format!("/api/v1/enterprises/{}", credit_code(KUNSHAN, serial));
        let firm = app.get_json(&province, &path).await;
        assert_eq!(
            (&firm["zone_id"], firm["zone_level"].as_str()),
            (&zone, Some(level)),
            "{serial}"
        );
    }
    let report = app
        .get_json(&province, "/api/v1/zone-migration/unmatched")
        .await;
    let reported: Vec<(&str, &str)> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["zone_text"].as_str().unwrap(),
                r["zone_level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reported,
        [
            ("昆山经济技术开发区", "national"),
            ("南京高新区", "national")
        ]
    );
    // Each official sees the unmatched values of their own region only.
    let nanjing = app.token(Role::City, "320100");
    let none = app
        .get_json(&nanjing, "/api/v1/zone-migration/unmatched")
        .await;
    assert_eq!(none["items"], json!([]));
}
