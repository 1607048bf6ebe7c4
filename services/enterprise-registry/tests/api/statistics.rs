use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body};

fn row<'a>(stats: &'a Value, code: &str) -> &'a Value {
    stats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region_code"] == code)
        .unwrap_or_else(|| panic!("no row for {code} in {stats}"))
}

#[tokio::test]
async fn counts_and_sums_by_city_and_county_as_of_a_date() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    kunshan_and_nanjing_firms(&app).await;
    mid_2025_by_city(&app).await;
    other_dates_and_windows(&app).await;
    mid_2025_by_county_of_suzhou(&app).await;
    officials_see_their_own_region(&app).await;
    let problem = assert_problem(
        app.get_as(
            &token,
            "/api/v1/statistics?level=town&parent=320583&report_year=1900",
        )
        .await,
        400,
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3);
}

async fn statistics(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app
        .get_as(token, &format!("/api/v1/statistics?{query}"))
        .await;
    response.json().await.unwrap()
}

/// Kunshan: an HTE above scale in a national zone with an R&D institution, and a pool firm.
/// Nanjing: one registered firm, deregistered later.
async fn kunshan_and_nanjing_firms(app: &TestApp) {
    let token = app.province_token();
    let hte = credit_code("320583", 1);
    let mut body = enterprise_body(&hte, "320583", "统计甲有限公司");
    body["zone_level"] = json!("national");
    body["zone_id"] = json!("kunshan-hz");
    app.create_enterprise(&body).await;
    let base = format!("/api/v1/enterprises/{hte}");
    app.post_as(
        &token,
        &format!("{base}/certificates"),
        &json!({"certificate_no": "GR202332000001", "issued_on": "2023-11-06"}),
    )
    .await;
    app.put_as(
        &token,
        &format!("{base}/annual-reports/2024"),
        &json!({"rd_expense_yuan": 3_000_000, "invention_patents": 4, "class1_ip": 5, "hightech_income_yuan": 20_000_000, "total_income_yuan": 30_000_000, "rd_institution": "provincial"}),
    )
    .await;
    app.post_as(
        &token,
        &format!("{base}/labels"),
        &json!({"kind": "gazelle", "year": 2024, "level": "provincial"}),
    )
    .await;
    let pool = credit_code("320583", 2);
    app.create_enterprise(&enterprise_body(&pool, "320583", "统计乙有限公司"))
        .await;
    app.post_as(
        &token,
        &format!("/api/v1/enterprises/{pool}/pool-entries"),
        &json!({"year": 2025, "batch": 1, "source": "市推荐", "entered_on": "2025-03-01"}),
    )
    .await;
    app.post_as(
        &token,
        &format!("/api/v1/enterprises/{pool}/labels"),
        &json!({"kind": "tech_sme", "year": 2025, "level": "national"}),
    )
    .await;
    // Nanjing: one registered firm, deregistered later.
    let gone = credit_code("320106", 3);
    app.create_enterprise(&enterprise_body(&gone, "320106", "统计丙有限公司"))
        .await;
    app.post_as(
        &token,
        &format!("/api/v1/enterprises/{gone}/deregister"),
        &json!({"deregistered_on": "2025-08-01", "reason": "迁出"}),
    )
    .await;
}

async fn mid_2025_by_city(app: &TestApp) {
    let token = app.province_token();
    let stats = statistics(app, &token, "level=city&as_of=2025-06-30").await;
    assert_eq!(stats["items"].as_array().unwrap().len(), 13);
    assert_eq!(stats["report_year"], 2024);
    let suzhou = row(&stats, "320500");
    assert_eq!(suzhou["registered"], 2);
    assert_eq!(suzhou["hte"], 1);
    assert_eq!(suzhou["pool"], 1);
    assert_eq!(suzhou["tech_sme"], 1);
    assert_eq!(suzhou["labels"]["gazelle"], 1);
    assert_eq!(suzhou["hte_above_scale"], 1);
    assert_eq!(suzhou["hte_above_scale_with_rd_institution"], 1);
    assert_eq!(suzhou["hte_in_national_zone"], 1);
    assert_eq!(suzhou["hte_rd_expense_yuan"], 3_000_000);
    assert_eq!(suzhou["hte_invention_patents"], 4);
    assert_eq!(suzhou["hte_hightech_income_yuan"], 20_000_000);
    assert_eq!(
        suzhou["new_certificates"], 0,
        "the window is 2025-01-01..as_of"
    );
    assert_eq!(row(&stats, "320100")["registered"], 1);
    assert_eq!(stats["totals"]["registered"], 3);
    assert_eq!(stats["totals"]["region_code"], "320000");
}

/// Before the certificate, after deregistration, and a custom new-certificate window.
async fn other_dates_and_windows(app: &TestApp) {
    let token = app.province_token();
    let early = statistics(app, &token, "as_of=2023-01-01").await;
    assert_eq!(row(&early, "320500")["hte"], 0);
    let late = statistics(
        app,
        &token,
        "as_of=2025-09-01&new_from=2023-01-01&new_to=2023-12-31",
    )
    .await;
    assert_eq!(row(&late, "320100")["registered"], 0);
    assert_eq!(row(&late, "320500")["new_certificates"], 1);
    assert_eq!(row(&late, "320500")["tech_sme"], 1);
}

async fn mid_2025_by_county_of_suzhou(app: &TestApp) {
    let token = app.province_token();
    let counties = statistics(app, &token, "level=county&parent=320500&as_of=2025-06-30").await;
    assert_eq!(row(&counties, "320583")["registered"], 2);
    assert!(
        counties["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["region_code"].as_str().unwrap().starts_with("3205"))
    );
    assert_eq!(counties["totals"]["region_code"], "320500");
}

/// A county official gets its county by default, and its city's row holds only its county;
/// a city official sees its own city only.
async fn officials_see_their_own_region(app: &TestApp) {
    let kunshan = app.token(Role::County, "320583");
    let own_county = statistics(app, &kunshan, "as_of=2025-06-30").await;
    assert_eq!(own_county["level"], "county");
    assert_eq!(row(&own_county, "320583")["registered"], 2);
    let by_city = statistics(app, &kunshan, "level=city&as_of=2025-06-30").await;
    assert_eq!(row(&by_city, "320500")["registered"], 2);
    let nanjing = app.token(Role::City, "320100");
    let own = statistics(app, &nanjing, "as_of=2025-06-30").await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(own["totals"]["registered"], 1);
    assert_problem(
        app.get_as(&nanjing, "/api/v1/statistics?level=county&parent=320500")
            .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn each_firm_counts_once_and_labels_follow_their_year_and_revocation() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let firm = credit_code("320412", 7);
    app.create_enterprise(&enterprise_body(&firm, "320412", "统计丁有限公司"))
        .await;
    let base = format!("/api/v1/enterprises/{firm}");
    // Two overlapping valid certificates (a renewal issued before the old one expired).
    for (number, issued_on) in [
        ("GR202232000009", "2022-12-01"),
        ("GR202532000009", "2025-05-20"),
    ] {
        let response = app
            .post_as(
                &token,
                &format!("{base}/certificates"),
                &json!({"certificate_no": number, "issued_on": issued_on}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    // Two pool years, both still open.
    for (year, entered_on) in [(2024, "2024-03-01"), (2025, "2025-03-01")] {
        let response = app
            .post_as(
                &token,
                &format!("{base}/pool-entries"),
                &json!({"year": year, "batch": 1, "source": "市推荐", "entered_on": entered_on}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    // Gazelle in two years; a tech-SME registration last year only; a revoked top-100 label.
    for (kind, year) in [
        ("gazelle", 2023),
        ("gazelle", 2024),
        ("tech_sme", 2024),
        ("top100", 2024),
    ] {
        let response = app
            .post_as(
                &token,
                &format!("{base}/labels"),
                &json!({"kind": kind, "year": year, "level": "provincial"}),
            )
            .await;
        assert_eq!(response.status(), 201, "{kind} {year}");
    }
    let response = app
        .post_as(
            &token,
            &format!("{base}/labels/top100/2024/revoke"),
            &json!({"revoked_on": "2025-02-01", "reason": "复核未通过"}),
        )
        .await;
    assert_eq!(response.status(), 200);

    let stats: Value = app
        .get_json(&token, "/api/v1/statistics?level=city&as_of=2025-06-30")
        .await;
    let changzhou = row(&stats, "320400");
    assert_eq!(changzhou["registered"], 1);
    assert_eq!(changzhou["hte"], 1, "two certificates, one firm");
    assert_eq!(changzhou["pool"], 1, "two pool years, one firm");
    assert_eq!(
        changzhou["labels"]["gazelle"], 1,
        "two gazelle years, one firm"
    );
    assert_eq!(
        changzhou["tech_sme"], 0,
        "last year's tech-SME registration"
    );
    assert_eq!(changzhou["labels"]["top100"], 0, "revoked");

    // Before the revocation, in the tech-SME's own year.
    let earlier: Value = app
        .get_json(&token, "/api/v1/statistics?level=city&as_of=2024-12-31")
        .await;
    let changzhou = row(&earlier, "320400");
    assert_eq!(changzhou["tech_sme"], 1);
    assert_eq!(changzhou["labels"]["top100"], 1);
    assert_eq!(changzhou["labels"]["gazelle"], 1);
}

#[tokio::test]
async fn new_certificates_and_the_label_filter_follow_as_of() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code("320583", 8);
    app.create_enterprise(&enterprise_body(&code, "320583", "时点测试有限公司"))
        .await;
    let base = format!("/api/v1/enterprises/{code}");
    for (path, body) in [
        (
            "certificates",
            json!({"certificate_no": "GR202532000008", "issued_on": "2025-12-01"}),
        ),
        (
            "labels",
            json!({"kind": "gazelle", "year": 2025, "level": "provincial"}),
        ),
    ] {
        let response = app.post_as(&token, &format!("{base}/{path}"), &body).await;
        assert_eq!(response.status(), 201);
    }
    let new_on = |as_of: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let stats: Value = app
                .get_json(
                    token,
                    &format!(
                        "/api/v1/statistics?level=county&parent=320500&as_of={as_of}&new_from=2025-01-01&new_to=2025-12-31"
                    ),
                ).await;
            row(&stats, "320583")["new_certificates"].clone()
        }
    };
    assert_eq!(new_on("2025-06-01").await, 0, "not yet issued on as_of");
    assert_eq!(new_on("2025-12-31").await, 1);

    let listed = |as_of: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let page: Value = app
                .get_json(
                    token,
                    &format!("/api/v1/enterprises?label=gazelle&as_of={as_of}"),
                )
                .await;
            page["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(
        listed("2024-12-15").await,
        0,
        "the 2025 label did not hold yet"
    );
    assert_eq!(listed("2025-03-01").await, 1);
}
