use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body, status_for_rule,
};

const KUNSHAN: &str = "320583";

fn good_report() -> Value {
    json!({
        "employees": 80, "st_staff": 16,
        "total_income_yuan": 42_000_000, "sales_revenue_yuan": 40_000_000,
        "hightech_income_yuan": 30_000_000,
        "rd_expense_yuan": 2_400_000, "rd_expense_domestic_yuan": 2_200_000,
        "net_assets_yuan": -1_000_000, "total_assets_yuan": 55_000_000,
        "invention_patents": 2, "class1_ip": 3, "class2_ip": 6, "conversions": 2,
        "rd_institution": "municipal"
    })
}

#[tokio::test]
async fn reports_are_filed_replaced_with_etag_and_listed() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 1);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "年报测试有限公司"))
        .await;
    let path = format!("/api/v1/enterprises/{code}/annual-reports/2024");

    let created = app.put_as(&token, &path, &good_report()).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"v1\"");
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["rd_expense_yuan"], 2_400_000);
    assert_eq!(body["rd_institution"], "municipal");

    let blind = app.put_as(&token, &path, &good_report()).await;
    assert_problem(blind, 428).await;

    let mut changed = good_report();
    changed["employees"] = json!(90);
    let replaced = app
        .client
        .put(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"v1\"")
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 200);
    assert_eq!(replaced.headers()["etag"], "\"v2\"");

    app.put_as(
        &token,
        &format!("/api/v1/enterprises/{code}/annual-reports/2023"),
        &json!({"employees": 70}),
    )
    .await;
    let list: Value = app
        .get_json(
            &token,
            &format!("/api/v1/enterprises/{code}/annual-reports"),
        )
        .await;
    let years: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2023, 2024]);
    let one: Value = app.get_json(&token, &path).await;
    assert_eq!(one["employees"], 90);
    assert_problem(
        app.get_as(
            &token,
            &format!("/api/v1/enterprises/{code}/annual-reports/2022"),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn every_cross_field_rule_is_enforced() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 2);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "规则测试有限公司"))
        .await;
    for (year, overrides, field, rule) in cross_field_cases() {
        let mut report = good_report();
        for (k, v) in overrides.as_object().unwrap() {
            report[k] = v.clone();
        }
        let response = app
            .put_as(
                &token,
                &format!("/api/v1/enterprises/{code}/annual-reports/{year}"),
                &report,
            )
            .await;
        let problem = assert_problem(response, status_for_rule(rule)).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(problem["errors"][0]["rule"], rule, "{problem}");
    }
    // Nothing was written by any rejected request.
    let list: Value = app
        .get_json(
            &token,
            &format!("/api/v1/enterprises/{code}/annual-reports"),
        )
        .await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let history: Value = app
        .get_json(&token, &format!("/api/v1/enterprises/{code}/history"))
        .await;
    assert_eq!(
        history["items"].as_array().unwrap().len(),
        1,
        "only the creation"
    );
    let unknown = app
        .put_as(
            &token,
            &format!("/api/v1/enterprises/{code}/annual-reports/2024"),
            &json!({"staff": 3}),
        )
        .await;
    assert_eq!(
        assert_problem(unknown, 400).await["errors"][0]["field"],
        "staff"
    );
}

/// (year, fields changed from a good report, the field refused, the rule it breaks).
fn cross_field_cases() -> [(&'static str, Value, &'static str, &'static str); 9] {
    [
        // abs() of i64::MIN once panicked (a dropped connection for any county user).
        (
            "2024",
            json!({"net_assets_yuan": i64::MIN}),
            "net_assets_yuan",
            "range",
        ),
        (
            "2024",
            json!({"st_staff": 81}),
            "st_staff",
            "at_most_employees",
        ),
        (
            "2024",
            json!({"rd_expense_domestic_yuan": 2_400_001}),
            "rd_expense_domestic_yuan",
            "at_most_rd_expense_yuan",
        ),
        (
            "2024",
            json!({"hightech_income_yuan": 42_000_001}),
            "hightech_income_yuan",
            "at_most_total_income_yuan",
        ),
        (
            "2024",
            json!({"sales_revenue_yuan": 42_000_001}),
            "sales_revenue_yuan",
            "at_most_total_income_yuan",
        ),
        (
            "2024",
            json!({"employees": -1, "st_staff": 0}),
            "employees",
            "non_negative",
        ),
        (
            "2024",
            json!({"invention_patents": 4}),
            "invention_patents",
            "at_most_class1_ip",
        ),
        ("2017", json!({}), "year", "not_before_registration"),
        ("2999", json!({}), "year", "not_in_future"),
    ]
}
