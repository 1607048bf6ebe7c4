//! Innovation carriers (创新创业载体): who may record, read, list and change which, by role
//! and region; the zone of its city; ETag, idempotency and the audit log.

use hte_shared::auth::Role;
use hte_shared::testing::{assert_json, problem_fields};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

const KUNSHAN: &str = "320583"; // under Suzhou (city A)
const GULOU: &str = "320106"; // under Nanjing (city B)
const OPERATOR: &str = "91440300708461136T";

fn carrier(id: &str, county: &str, kind: &str) -> Value {
    json!({
        "id": id, "name": format!("{id}科技企业孵化器"), "kind": kind, "level": "provincial",
        "region_code": county, "operator_credit_code": OPERATOR, "recognition_year": 2018,
    })
}

#[tokio::test]
async fn carrier_authorisation_matrix() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    for (id, county) in [("in-a", KUNSHAN), ("in-b", GULOU)] {
        assert_json(
            app.post_as(
                &province,
                "/api/v1/carriers",
                &carrier(id, county, "incubator"),
            )
            .await,
            201,
        )
        .await;
    }
    let callers = [
        ("province", app.token(Role::Province, "320000")),
        ("city A", app.token(Role::City, "320500")),
        ("county in A", app.token(Role::County, KUNSHAN)),
        ("auditor", app.token(Role::Auditor, "320000")),
        ("service", app.token(Role::Service, "320000")),
    ];
    // read A, read B, list count, write A, write B, create in A, create in B; the lists
    // count the carriers created by the callers before.
    let expected = [
        (200, 200, 2, 200, 200, 201, 201),
        (200, 404, 2, 200, 404, 201, 403),
        (200, 404, 3, 200, 404, 201, 403),
        (200, 200, 6, 403, 403, 403, 403),
        (200, 200, 6, 403, 403, 403, 403),
    ];
    for (i, ((who, token), want)) in callers.iter().zip(expected).enumerate() {
        let got = what_the_caller_may_do(&app, token, i).await;
        assert_eq!(got, want, "{who}");
    }
    a_county_keeps_its_carrier_in_its_county(&app).await;
    lists_filter_within_the_callers_region(&app).await;
}

/// Statuses of: read A, read B, the count listed, write A, write B, create in A and in B
/// (the carriers `new-a{i}`, `new-b{i}`).
async fn what_the_caller_may_do(
    app: &TestApp,
    token: &str,
    i: usize,
) -> (u16, u16, usize, u16, u16, u16, u16) {
    let status = |r: reqwest::Response| r.status().as_u16();
    let read_a = status(app.get_as(token, "/api/v1/carriers/in-a").await);
    let read_b = status(app.get_as(token, "/api/v1/carriers/in-b").await);
    let list = app.get_json(token, "/api/v1/carriers?limit=500").await;
    let count = list["items"].as_array().unwrap().len();
    let rename = json!({"name": format!("改名{i}号孵化器")});
    let mut writes = Vec::new();
    for id in ["in-a", "in-b"] {
        let path = format!("/api/v1/carriers/{id}");
        let patch = reqwest::Method::PATCH;
        writes.push(status(
            app.send_with_etag(patch, token, &path, Some("*"), &rename)
                .await,
        ));
    }
    let (write_a, write_b) = (writes[0], writes[1]);
    let create_a = status(
        app.post_as(
            token,
            "/api/v1/carriers",
            &carrier(&format!("new-a{i}"), KUNSHAN, "maker_space"),
        )
        .await,
    );
    let create_b = status(
        app.post_as(
            token,
            "/api/v1/carriers",
            &carrier(&format!("new-b{i}"), GULOU, "maker_space"),
        )
        .await,
    );
    (read_a, read_b, count, write_a, write_b, create_a, create_b)
}

/// A county may not move its carrier out of its own county.
async fn a_county_keeps_its_carrier_in_its_county(app: &TestApp) {
    let county = app.token(Role::County, KUNSHAN);
    let moved = app
        .patch_as(
            &county,
            "/api/v1/carriers/in-a",
            None,
            &json!({"region_code": GULOU}),
        )
        .await;
    assert_problem(moved, 428).await;
    let read = app.get_as(&county, "/api/v1/carriers/in-a").await;
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    let moved = app
        .patch_as(
            &county,
            "/api/v1/carriers/in-a",
            Some(&etag),
            &json!({"region_code": GULOU}),
        )
        .await;
    assert_problem(moved, 403).await;
}

/// Lists filter by region, kind and level within the caller's region.
async fn lists_filter_within_the_callers_region(app: &TestApp) {
    let city = app.token(Role::City, "320500");
    let makers = app
        .get_json(&city, "/api/v1/carriers?kind=maker_space")
        .await;
    assert_eq!(makers["items"].as_array().unwrap().len(), 3, "{makers}");
    assert_eq!(makers["items"][0]["kind_label"], "众创空间");
    assert_problem(
        app.get_as(&city, &format!("/api/v1/carriers?region={GULOU}"))
            .await,
        403,
    )
    .await;
    let bad = assert_problem(
        app.get_as(&city, "/api/v1/carriers?kind=park&level=county")
            .await,
        400,
    )
    .await;
    assert_eq!(bad["errors"].as_array().unwrap().len(), 2, "{bad}");
}

#[tokio::test]
async fn carriers_are_checked_versioned_idempotent_and_audited() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let bad = json!({
        "id": "X", "name": "孵", "kind": "incubator", "level": "municipal", "region_code": "320500",
        "zone_id": "kunshan-hz", "operator_credit_code": "914403001922038217", "recognition_year": 1980,
    });
    let problem = assert_problem(app.post_as(&token, "/api/v1/carriers", &bad).await, 400).await;
    let fields = problem_fields(&problem);
    assert_eq!(
        fields,
        [
            "id",
            "name",
            "region_code",
            "operator_credit_code",
            "recognition_year"
        ],
        "{problem}"
    );
    let mut elsewhere = carrier("gulou-park", GULOU, "university_science_park");
    elsewhere["zone_id"] = json!("kunshan-hz");
    let problem = assert_problem(
        app.post_as(&token, "/api/v1/carriers", &elsewhere).await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["rule"], "zone_in_city");

    // A retried POST with the same key answers the first answer and records one carrier.
    let mut body = carrier("kunshan-park", KUNSHAN, "entrepreneurship_park");
    body["zone_id"] = json!("kunshan-hz");
    let post = || {
        app.client
            .post(app.url("/api/v1/carriers"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "carrier-once-1")
            .json(&body)
            .send()
    };
    let first = assert_json(post().await.unwrap(), 201).await;
    let replay = assert_json(post().await.unwrap(), 201).await;
    assert_eq!(first, replay);
    assert_eq!(first["zone_id"], "kunshan-hz");

    let path = "/api/v1/carriers/kunshan-park";
    let level = json!({"level": "national", "zone_id": null});
    let changed = assert_json(
        app.patch_as(&token, path, Some("\"v1\""), &level).await,
        200,
    )
    .await;
    assert_eq!(
        (
            changed["level"].as_str(),
            changed["zone_id"].clone(),
            changed["version"].as_i64()
        ),
        (Some("national"), Value::Null, Some(2))
    );
    assert_problem(
        app.patch_as(&token, path, Some("\"v1\""), &level).await,
        412,
    )
    .await;
    let same = app.patch_as(&token, path, Some("\"v2\""), &level).await;
    assert_eq!(
        same.headers()["etag"],
        "\"v2\"",
        "nothing to change keeps the version"
    );
    let audit = app.get_json(&token, "/api/v1/audit/verification").await;
    assert_eq!(
        (audit["valid"].as_bool(), audit["entries_checked"].as_u64()),
        (Some(true), Some(2)),
        "{audit}"
    );
}

#[tokio::test]
async fn enterprises_record_the_carrier_that_incubated_them() {
    use crate::helpers::{RegistryFixtures, credit_code, enterprise_body};
    let app = TestApp::spawn().await;
    let province = app.province_token();
    assert_json(
        app.post_as(
            &province,
            "/api/v1/carriers",
            &carrier("ks-incubator", KUNSHAN, "incubator"),
        )
        .await,
        201,
    )
    .await;
    let firm = credit_code(GULOU, 1);
    app.create_enterprise(&enterprise_body(&firm, GULOU, "在孵测试科技有限公司"))
        .await;
    let path = format!("/api/v1/enterprises/{firm}/incubations");

    // The Nanjing firm's county records it, though the carrier lies in Suzhou.
    let gulou = app.token(Role::County, GULOU);
    let body =
        json!({"carrier_id": "ks-incubator", "started_on": "2019-01-01", "ended_on": "2021-06-30"});
    let response = app.post_as(&gulou, &path, &body).await;
    assert_eq!(response.headers()["location"], path.as_str());
    let created = assert_json(response, 201).await;
    assert_eq!(created["ended_on"], "2021-06-30");
    let overlap = json!({"carrier_id": "ks-incubator", "started_on": "2021-01-01"});
    assert_problem(app.post_as(&gulou, &path, &overlap).await, 409).await;
    let again = json!({"carrier_id": "ks-incubator", "started_on": "2022-01-01"});
    assert_json(app.post_as(&gulou, &path, &again).await, 201).await;

    let kunshan = app.token(Role::County, KUNSHAN);
    assert_problem(app.post_as(&kunshan, &path, &again).await, 404).await;
    let unknown = json!({"carrier_id": "nowhere", "started_on": "2019-01-01"});
    let problem = assert_problem(app.post_as(&gulou, &path, &unknown).await, 422).await;
    assert_eq!(problem["errors"][0]["rule"], "known_carrier");
    let backwards =
        json!({"carrier_id": "ks-incubator", "started_on": "2019-01-01", "ended_on": "2018-01-01"});
    let problem = assert_problem(app.post_as(&gulou, &path, &backwards).await, 422).await;
    assert_eq!(problem["errors"][0]["rule"], "not_before_start");
    let before_registration =
        json!({"carrier_id": "ks-incubator", "started_on": "2010-01-01", "ended_on": "2010-02-01"});
    assert_problem(app.post_as(&gulou, &path, &before_registration).await, 422).await;

    let list = app.get_json(&gulou, &path).await;
    let starts: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["started_on"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["2019-01-01", "2022-01-01"]);
    let history = app
        .get_json(&province, &format!("/api/v1/enterprises/{firm}/history"))
        .await;
    let incubations = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_type"] == "incubation")
        .count();
    assert_eq!(incubations, 2, "{history}");
}

#[tokio::test]
async fn performance_counts_a_hand_checked_data_set() {
    use crate::helpers::{RegistryFixtures, credit_code, enterprise_body};
    let app = TestApp::spawn().await;
    let token = app.province_token();
    assert_json(
        app.post_as(
            &token,
            "/api/v1/carriers",
            &carrier("ks-incubator", KUNSHAN, "incubator"),
        )
        .await,
        201,
    )
    .await;
    let post = |path: String, body: Value| {
        let (app, token) = (&app, &token);
        async move { assert_json(app.post_as(token, &path, &body).await, 201).await }
    };
    let (a, b, c) = (
        credit_code(KUNSHAN, 1),
        credit_code(KUNSHAN, 2),
        credit_code(KUNSHAN, 3),
    );
    for (code, name) in [
        (&a, "绩效甲科技有限公司"),
        (&b, "绩效乙科技有限公司"),
        (&c, "绩效丙科技有限公司"),
    ] {
        let mut body = enterprise_body(code, KUNSHAN, name);
        body["registered_on"] = json!("2012-01-01");
        app.create_enterprise(&body).await;
    }
    let base = |code: &str, what: &str| format!("/api/v1/enterprises/{code}/{what}");
    // A: incubated 2020–2022; in the pool 2021, certified 2022, a tech-SME label (2021), a
    // gazelle label (2022) and one from before its incubation (2019).
    post(
        base(&a, "incubations"),
        json!({"carrier_id": "ks-incubator", "started_on": "2020-03-01", "ended_on": "2022-12-31"}),
    )
    .await;
    post(
        base(&a, "pool-entries"),
        json!({"year": 2021, "batch": 1, "source": "市推荐", "entered_on": "2021-05-01"}),
    )
    .await;
    post(
        base(&a, "certificates"),
        json!({"certificate_no": "GR202232000001", "issued_on": "2022-11-01"}),
    )
    .await;
    for (kind, year) in [("tech_sme", 2021), ("gazelle", 2022), ("gazelle", 2019)] {
        post(
            base(&a, "labels"),
            json!({"kind": kind, "year": year, "level": "provincial"}),
        )
        .await;
    }
    // B: incubating since 2021; in the pool before (2020), certified after the period (2024).
    post(
        base(&b, "incubations"),
        json!({"carrier_id": "ks-incubator", "started_on": "2021-01-01"}),
    )
    .await;
    post(
        base(&b, "pool-entries"),
        json!({"year": 2020, "batch": 1, "source": "市推荐", "entered_on": "2020-05-01"}),
    )
    .await;
    post(
        base(&b, "certificates"),
        json!({"certificate_no": "GR202432000002", "issued_on": "2024-11-01"}),
    )
    .await;
    // C: incubated before the period only.
    post(
        base(&c, "incubations"),
        json!({"carrier_id": "ks-incubator", "started_on": "2015-01-01", "ended_on": "2016-12-31"}),
    )
    .await;

    let path = "/api/v1/carriers/ks-incubator/performance?from=2020-01-01&to=2023-12-31";
    let counts = app.get_json(&token, path).await;
    assert_eq!(
        counts,
        json!({"firms_incubated": 2, "tech_smes": 1, "pool_members": 1, "htes_certified": 1, "labels_earned": 1})
    );
    let later = "/api/v1/carriers/ks-incubator/performance?from=2020-01-01&to=2024-12-31";
    let counts = app.get_json(&token, later).await;
    assert_eq!(counts["htes_certified"], 2, "{counts}");
    let bad = "/api/v1/carriers/ks-incubator/performance?from=2024-01-01&to=2020-12-31";
    let problem = assert_problem(app.get_as(&token, bad).await, 422).await;
    assert_eq!(problem["errors"][0]["rule"], "not_before_from");
    let nanjing = app.token(Role::City, "320100");
    assert_problem(app.get_as(&nanjing, path).await, 404).await;
}
