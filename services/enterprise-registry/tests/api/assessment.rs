use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, builtin_rules, credit_code, enterprise_body,
    hte_condition,
};

/// A firm registered in 2018 with three years of figures; `rd` sets R&D per year on sales of
/// ¥40M a year (the 5 % band: ¥2M a year passes), `st` sets S&T staff of 100 employees.
async fn firm(app: &TestApp, serial: u32, county: &str, rd: i64, st: i64) -> String {
    let token = app.province_token();
    let code = credit_code(county, serial);
    app.create_enterprise(&enterprise_body(
        &code,
        county,
        &format!("评估测试{serial}有限公司"),
    ))
    .await;
    app.file_three_reports(&code, rd, st).await;
    let pool = app
        .post_as(
            &token,
            &format!("/api/v1/enterprises/{code}/pool-entries"),
            &json!({"year": 2025, "batch": 1, "source": "市推荐", "entered_on": "2025-03-01"}),
        )
        .await;
    assert_eq!(pool.status(), 201);
    code
}

#[tokio::test]
async fn assessment_names_values_thresholds_and_gaps() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    // R&D ¥1.5M a year = 3.75 %: short of 5 % by ¥1.5M over three years.
    let code = firm(&app, 1, "320583", 1_500_000, 9).await;
    let assessment: Value = app
        .get_json(
            &token,
            &format!("/api/v1/enterprises/{code}/assessment?as_of=2026-06-01"),
        )
        .await;
    assert_eq!(assessment["rule_set_version"], "2016-national-1");
    assert_eq!(assessment["assessed_years"], json!([2023, 2024, 2025]));
    let rd = hte_condition(&assessment["hte"], "rd_intensity");
    assert_eq!(rd["outcome"], "fail");
    assert_eq!(rd["threshold"], 0.05);
    assert_eq!(rd["gap"]["amount"], 1_500_000);
    assert_eq!(rd["gap"]["unit"], "yuan");
    assert!(
        rd["gap"]["advice_zh"]
            .as_str()
            .unwrap()
            .contains("1,500,000"),
        "{rd}"
    );
    let staff = hte_condition(&assessment["hte"], "st_staff_ratio");
    assert_eq!(staff["outcome"], "fail");
    // 9 of 100: hiring n S&T staff gives (9+n)/(100+n) ≥ 10 % at n = 2.
    assert_eq!(staff["gap"]["amount"], 2);
    assert_eq!(
        hte_condition(&assessment["hte"], "registration_age")["outcome"],
        "pass"
    );
    assert_eq!(
        hte_condition(&assessment["hte"], "clean_record")["outcome"],
        "unknown"
    );
    assert_eq!(assessment["hte"]["outcome"], "does_not_qualify");
    assert_eq!(assessment["hte"]["failing"], 2);
    // A provincial R&D institution qualifies for the tech-SME label directly.
    assert_eq!(
        assessment["tech_sme"]["route"], "direct_rd_institution",
        "{}",
        assessment["tech_sme"]
    );

    let unknown = assert_problem(
        app.get_as(
            &token,
            &format!("/api/v1/enterprises/{code}/assessment?rule_set=nope"),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(unknown["errors"][0]["field"], "rule_set");
    let auditor = app.token(Role::County, "320106");
    assert_problem(
        app.get_as(&auditor, &format!("/api/v1/enterprises/{code}/assessment"))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn rule_sets_are_versioned_data_the_province_adjusts() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = firm(&app, 2, "320583", 2_400_000, 12).await;
    let path = format!("/api/v1/enterprises/{code}/assessment?as_of=2026-06-01");
    let before: Value = app.get_json(&token, &path).await;
    assert_eq!(
        hte_condition(&before["hte"], "st_staff_ratio")["outcome"],
        "pass"
    );

    let mut rules = builtin_rules(&app, "jiangsu-2026-1").await;
    rules["hte"]["min_st_staff_ratio"] = json!(0.15);
    let body = json!({"description": "试行：科技人员占比提高到15%", "rules": rules});
    let created = app
        .put_as(&token, "/api/v1/rule-sets/jiangsu-2026-1", &body)
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        app.put_as(&token, "/api/v1/rule-sets/jiangsu-2026-1", &body)
            .await
            .status(),
        200
    );
    let mut other = body.clone();
    other["rules"]["hte"]["min_st_staff_ratio"] = json!(0.2);
    assert_problem(
        app.put_as(&token, "/api/v1/rule-sets/jiangsu-2026-1", &other)
            .await,
        409,
    )
    .await;
    let mut invalid = body.clone();
    invalid["rules"]["version"] = json!("jiangsu-2026-2");
    invalid["rules"]["hte"]["min_st_staff_ratio"] = json!(1.5);
    let problem = assert_problem(
        app.put_as(&token, "/api/v1/rule-sets/jiangsu-2026-2", &invalid)
            .await,
        400,
    )
    .await;
    assert!(
        problem["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("rules.hte"),
        "{problem}"
    );
    let city = app.token(Role::City, "320500");
    assert_problem(
        app.put_as(&city, "/api/v1/rule-sets/jiangsu-2026-1", &body)
            .await,
        403,
    )
    .await;

    answers_follow_the_active_rule_set(&app, &path, &before).await;
}

/// Stored but not active: answers still use the built-in rules until activation; an old
/// answer is reproduced by naming its rule set; the built-in rules can be made active again.
async fn answers_follow_the_active_rule_set(app: &TestApp, path: &str, before: &Value) {
    let token = app.province_token();
    let still: Value = app.get_json(&token, path).await;
    assert_eq!(still["rule_set_version"], "2016-national-1");
    let tried: Value = app
        .get_json(&token, &format!("{path}&rule_set=jiangsu-2026-1"))
        .await;
    assert_eq!(
        hte_condition(&tried["hte"], "st_staff_ratio")["outcome"],
        "fail"
    );
    let activated = app
        .post_as(
            &token,
            "/api/v1/rule-sets/jiangsu-2026-1/activate",
            &json!({}),
        )
        .await;
    assert_eq!(activated.status(), 200);
    let after: Value = app.get_json(&token, path).await;
    assert_eq!(after["rule_set_version"], "jiangsu-2026-1");
    assert_eq!(
        hte_condition(&after["hte"], "st_staff_ratio")["outcome"],
        "fail"
    );
    let reproduced: Value = app
        .get_json(&token, &format!("{path}&rule_set=2016-national-1"))
        .await;
    assert_eq!(
        &reproduced, before,
        "an old answer can be reproduced by naming its rule set"
    );
    let list: Value = app.get_json(&token, "/api/v1/rule-sets").await;
    let active: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["active"] == true)
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(active, ["jiangsu-2026-1"]);

    let back = app
        .post_as(
            &token,
            "/api/v1/rule-sets/2016-national-1/activate",
            &json!({}),
        )
        .await;
    assert_eq!(back.status(), 200);
    let back: Value = back.json().await.unwrap();
    assert_eq!(back["builtin"], true);
    assert_eq!(back["active"], true);
    let again: Value = app.get_json(&token, path).await;
    assert_eq!(&again, before);
}

#[tokio::test]
async fn candidates_rank_deterministically_and_export() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    // Failing two conditions; failing one with a large gap; failing one with a small gap;
    // and two identical firms whose tie is broken by credit code.
    let two_fails = firm(&app, 10, "320583", 1_000_000, 5).await;
    let big_gap = firm(&app, 11, "320583", 1_000_000, 12).await;
    let small_gap = firm(&app, 12, "320583", 1_900_000, 12).await;
    let twin_a = firm(&app, 13, "320106", 1_800_000, 12).await;
    let twin_b = firm(&app, 14, "320106", 1_800_000, 12).await;
    let expected = [
        small_gap.clone(),
        twin_a.clone(),
        twin_b.clone(),
        big_gap.clone(),
        two_fails.clone(),
    ];
    assert!(twin_a < twin_b);

    let all: Value = app
        .get_json(&token, "/api/v1/candidates?as_of=2026-06-01")
        .await;
    let order: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credit_code"].as_str().unwrap())
        .collect();
    assert_eq!(order, expected);
    let ranks: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
    assert_eq!(all["items"][4]["failing"], 2);

    paging_gives_the_same_order_and_ranks(&app, &expected).await;
    filters_narrow_the_list(&app).await;
    the_list_exports_as_csv_and_xlsx(&app, &small_gap).await;
}

/// Page by page gives the same order and ranks.
async fn paging_gives_the_same_order_and_ranks(app: &TestApp, expected: &[String]) {
    let token = app.province_token();
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = app
            .get_json(
                &token,
                &format!("/api/v1/candidates?as_of=2026-06-01&limit=2{cursor}"),
            )
            .await;
        for c in page["items"].as_array().unwrap() {
            paged.push((
                c["credit_code"].as_str().unwrap().to_owned(),
                c["rank"].as_i64().unwrap(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(
        paged.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        paged.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}

/// At most one failing condition, one city, a city official's own.
async fn filters_narrow_the_list(app: &TestApp) {
    let token = app.province_token();
    let at_most_one: Value = app
        .get_json(&token, "/api/v1/candidates?as_of=2026-06-01&max_failing=1")
        .await;
    assert_eq!(at_most_one["items"].as_array().unwrap().len(), 4);
    let nanjing: Value = app
        .get_json(&token, "/api/v1/candidates?as_of=2026-06-01&region=320100")
        .await;
    assert_eq!(nanjing["items"].as_array().unwrap().len(), 2);
    let city: Value = app
        .get_json(
            &app.token(Role::City, "320500"),
            "/api/v1/candidates?as_of=2026-06-01",
        )
        .await;
    assert_eq!(city["items"].as_array().unwrap().len(), 3);
}

/// CSV (Chinese headers with a BOM, or English), XLSX by Accept; no other format.
async fn the_list_exports_as_csv_and_xlsx(app: &TestApp, first: &str) {
    let token = app.province_token();
    let csv = app
        .get_as(&token, "/api/v1/candidates?as_of=2026-06-01&format=csv")
        .await;
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = csv.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a BOM so Excel reads UTF-8"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("排名,统一社会信用代码,企业名称"));
    assert_eq!(lines.len(), 6);
    assert!(lines[1].starts_with(&format!("1,{first},")));
    let english = app
        .get_as(
            &token,
            "/api/v1/candidates?as_of=2026-06-01&format=csv&lang=en",
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        english
            .trim_start_matches('\u{feff}')
            .starts_with("rank,credit_code,name")
    );
    let xlsx = app
        .client
        .get(app.url("/api/v1/candidates?as_of=2026-06-01"))
        .bearer_auth(&token)
        .header(
            "Accept",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .send()
        .await
        .unwrap();
    assert!(
        xlsx.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    assert!(
        xlsx.bytes().await.unwrap().starts_with(b"PK"),
        "an XLSX file is a zip"
    );
    assert_problem(
        app.get_as(&token, "/api/v1/candidates?format=pdf&scope=some")
            .await,
        400,
    )
    .await;
}

/// A named change to a rule set and the field it should be refused at.
type RuleEdit = fn(&mut Value);

/// Point values near u32::MAX once overflowed the validator's sums (a panic, a dropped
/// connection); a huge `max_age_years` made every later assessment a 500. Both are now field
/// errors, and nothing unbounded is stored.
#[tokio::test]
async fn rule_sets_out_of_bounds_are_field_errors_not_panics() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let path = "/api/v1/rule-sets/jiangsu-bounds";
    let cases: [(&str, RuleEdit, &str); 4] = [
        (
            "2^31 points",
            |r| r["hte"]["innovation"]["growth"]["max_points"] = json!(2_147_483_648_u64),
            "rules.hte.innovation.growth.max_points",
        ),
        (
            "u32::MAX points",
            |r| r["hte"]["innovation"]["conversion"]["max_points"] = json!(u32::MAX),
            "rules.hte.innovation.conversion.max_points",
        ),
        (
            "400 million years",
            |r| r["gazelle"]["max_age_years"] = json!(400_000_000),
            "rules.gazelle.max_age_years",
        ),
        (
            "a 1 MB note",
            |r| r["gazelle"]["note"] = json!("x".repeat(1 << 20)),
            "rules.gazelle.note",
        ),
    ];
    for (case, edit, field) in cases {
        let mut rules = builtin_rules(&app, "jiangsu-bounds").await;
        edit(&mut rules);
        let problem = assert_problem(
            app.put_as(&token, path, &json!({"rules": rules})).await,
            400,
        )
        .await;
        let fields = hte_shared::testing::problem_fields(&problem);
        assert!(fields.iter().any(|f| f == field), "{case}: {fields:?}");
    }
    let rules = builtin_rules(&app, "jiangsu-bounds").await;
    let long = json!({"description": "说".repeat(2_001), "rules": rules});
    let problem = assert_problem(app.put_as(&token, path, &long).await, 400).await;
    assert_eq!(
        hte_shared::testing::problem_fields(&problem),
        ["description"]
    );
    let missing = app.get_as(&token, path).await;
    assert_eq!(missing.status(), 404, "nothing was stored");
}

async fn delete_as(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Versions are immutable, so a mistaken upload must be removable while nothing can cite it.
#[tokio::test]
async fn a_never_activated_rule_set_can_be_deleted() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    for version in ["mistake-1", "used-1"] {
        let body = json!({"rules": builtin_rules(&app, version).await});
        let stored = app
            .put_as(&token, &format!("/api/v1/rule-sets/{version}"), &body)
            .await;
        assert_eq!(stored.status(), 201);
    }
    let city = app.token(Role::City, "320500");
    assert_problem(
        delete_as(&app, &city, "/api/v1/rule-sets/mistake-1").await,
        403,
    )
    .await;
    let deleted = delete_as(&app, &token, "/api/v1/rule-sets/mistake-1").await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.get_as(&token, "/api/v1/rule-sets/mistake-1")
            .await
            .status(),
        404
    );
    assert_problem(
        delete_as(&app, &token, "/api/v1/rule-sets/mistake-1").await,
        404,
    )
    .await;

    let activated = app
        .post_as(&token, "/api/v1/rule-sets/used-1/activate", &json!({}))
        .await;
    assert_eq!(activated.status(), 200);
    assert_problem(
        delete_as(&app, &token, "/api/v1/rule-sets/used-1").await,
        409,
    )
    .await;
    assert_problem(
        delete_as(&app, &token, "/api/v1/rule-sets/2016-national-1").await,
        409,
    )
    .await;
    let report: Value = app
        .get_json(
            &app.token(Role::Auditor, "320000"),
            "/api/v1/audit/verification",
        )
        .await;
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(
        report["entries_checked"], 4,
        "two stores, one delete, one activation: {report}"
    );
}

#[tokio::test]
async fn screening_keeps_firms_whose_status_ends_within_the_year_as_re_applicants() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let expiring = firm(&app, 20, "320583", 1_900_000, 12).await;
    let certified = firm(&app, 21, "320583", 1_900_000, 12).await;
    let first = firm(&app, 22, "320583", 1_900_000, 12).await;
    // (firm, certificate issued on): runs to 2026-06-30, within 2026; and to 2027-01-09.
    for (code, no, issued_on) in [
        (&expiring, "GR202332000020", "2023-07-01"),
        (&certified, "GR202432000021", "2024-01-10"),
    ] {
        let response = app
            .post_as(
                &token,
                &format!("/api/v1/enterprises/{code}/certificates"),
                &json!({"certificate_no": no, "issued_on": issued_on}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let all: Value = app
        .get_json(&token, "/api/v1/candidates?as_of=2026-06-01&scope=all")
        .await;
    let rows: Vec<(&str, &str, &Value)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["credit_code"].as_str().unwrap(),
                c["standing"].as_str().unwrap(),
                &c["hte_valid_until"],
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (expiring.as_str(), "re_applicant", &json!("2026-06-30")),
            (first.as_str(), "first_applicant", &Value::Null),
        ],
        "a firm certified beyond 2026 is not a candidate: {all}"
    );
    let item = &all["items"][0];
    let counts = item["passing"].as_u64().unwrap()
        + item["failing"].as_u64().unwrap()
        + item["unknown"].as_u64().unwrap();
    assert_eq!(counts, 9, "every HTE condition is counted once: {item}");
}
