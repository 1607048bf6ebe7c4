//! Statistics inputs: entered and corrected by the province with If-Match and a reason,
//! read within a region's subtree, listed, their history kept and audited.

use hte_shared::auth::Role;
use hte_shared::problem::types;
use serde_json::{Value, json};

use crate::helpers::{
    assert_json, assert_problem, assert_problem_type, city, etag, figure, input_path,
    problem_fields, put, spawn,
};

const RD: &str = "enterprise_rd_expense_yuan";

#[tokio::test]
async fn a_figure_is_entered_corrected_with_a_reason_and_every_version_kept() {
    let app = spawn().await;
    let province = app.province_token();
    let path = input_path(RD, "2019", "320000");

    // First entry: 2779.5亿元 is 277,950,000,000 yuan exactly.
    let response = put(&app, &province, &path, None, &figure("2779.5")).await;
    assert_eq!(response.status(), 201);
    assert_eq!(etag(&response), "\"v1\"");
    assert_eq!(response.headers()["location"], path.as_str());
    let first = assert_json(response, 201).await;
    assert_eq!(first["value_yuan"], 277_950_000_000_i64);
    assert_eq!(first["entered_value"], "2779.5");
    assert_eq!(first["entered_unit"], "yi_yuan");
    assert_eq!(first["measure_name_zh"], "全省企业研发经费投入");
    assert_eq!(first["region_name"], "江苏省");
    assert_eq!(first["entered_by"], "test-user");
    assert_eq!(first["reason"], Value::Null);

    // A correction must name the version it corrects, and say why.
    let mut corrected = figure("2800");
    let response = put(&app, &province, &path, None, &corrected).await;
    assert_problem_type(response, 428, types::PRECONDITION_REQUIRED).await;
    let response = put(&app, &province, &path, Some("\"v1\""), &corrected).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem_fields(&problem), ["reason"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("reason")
    );
    corrected["reason"] = json!("统计局发布正式数");
    let response = put(&app, &province, &path, Some("\"v7\""), &corrected).await;
    assert_problem_type(response, 412, types::PRECONDITION_FAILED).await;
    let response = put(&app, &province, &path, Some("\"v1\""), &corrected).await;
    assert_eq!(etag(&response), "\"v2\"");
    let second = assert_json(response, 200).await;
    assert_eq!(second["value_yuan"], 280_000_000_000_i64);
    assert_eq!(second["reason"], "统计局发布正式数");

    // The current version, an earlier one, and the history.
    let response = app.get_as(&province, &path).await;
    assert_eq!(etag(&response), "\"v2\"");
    assert_eq!(assert_json(response, 200).await["version"], 2);
    let old = app.get_json(&province, &format!("{path}?version=1")).await;
    assert_eq!(old["value_yuan"], 277_950_000_000_i64);
    let history = app.get_json(&province, &format!("{path}/history")).await;
    let versions: Vec<(i64, i64)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["value_yuan"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, [(1, 277_950_000_000), (2, 280_000_000_000)]);

    // Each write is in the audit log, whose chain verifies.
    let report = app
        .get_json(
            &app.token(Role::Auditor, "320000"),
            "/api/v1/audit/verification",
        )
        .await;
    assert_eq!(report["valid"], true);
    assert_eq!(report["entries_checked"], 2);
    let response = app
        .get_as(&city(&app, "320500"), "/api/v1/audit/verification")
        .await;
    assert_problem_type(response, 403, types::FORBIDDEN).await;
}

#[tokio::test]
async fn bad_paths_and_bodies_are_refused_naming_each_field() {
    let app = spawn().await;
    let province = app.province_token();
    let path = input_path("gdp_yuan", "2019-13", "110000");
    let response = put(&app, &province, &path, None, &figure("1")).await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem_fields(&problem), ["measure", "period", "region"]);

    let path = input_path(RD, "2019", "320000");
    for (body, field, rule) in [
        (
            json!({"value": "12.5", "unit": "yuan", "source_document": "公报"}),
            "value",
            "whole_yuan",
        ),
        (
            json!({"value": "-1", "source_document": "公报"}),
            "value",
            "range",
        ),
        (
            json!({"value": "1e5", "source_document": "公报"}),
            "value",
            "format",
        ),
        (
            json!({"value": "5", "source_document": "公"}),
            "source_document",
            "length",
        ),
        (
            json!({"value": "5", "unit": "jiao", "source_document": "公报"}),
            "unit",
            "type",
        ),
        (
            json!({"value": true, "source_document": "公报"}),
            "value",
            "type",
        ),
        (
            json!({"value": "5", "source_document": "公报", "colour": "red"}),
            "colour",
            "unknown_field",
        ),
    ] {
        let response = put(&app, &province, &path, None, &body).await;
        // Whole yuan and the bound in yuan depend on the unit: rules the document cannot
        // state (422); the rest it states (400).
        let status = if ["whole_yuan", "max_yuan"].contains(&rule) {
            422
        } else {
            400
        };
        let problem = assert_problem(response, status).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["rule"], rule, "{body}");
    }
    let response = app
        .get_as(&province, &input_path(RD, "2019", "320000"))
        .await;
    assert_problem_type(response, 404, types::NOT_FOUND).await;
}

#[tokio::test]
async fn the_province_writes_and_each_region_reads_its_own_subtree() {
    let app = spawn().await;
    let province = app.province_token();
    for region in ["320000", "320500", "320583", "320100"] {
        let response = put(
            &app,
            &province,
            &input_path(RD, "2019", region),
            None,
            &figure("10"),
        )
        .await;
        assert_eq!(response.status(), 201, "{region}");
    }
    let suzhou = city(&app, "320500");
    let kunshan = app.token(Role::County, "320583");
    // Only the province enters statistics, even for a county within a city's reach.
    for token in [
        &suzhou,
        &kunshan,
        &app.token(Role::Auditor, "320000"),
        &app.token(Role::Service, "320000"),
    ] {
        let response = put(
            &app,
            token,
            &input_path(RD, "2020", "320583"),
            None,
            &figure("1"),
        )
        .await;
        assert_problem_type(response, 403, types::FORBIDDEN).await;
    }
    // Suzhou reads its own figures and Kunshan's, not the province's nor Nanjing's.
    assert_eq!(
        app.get_as(&suzhou, &input_path(RD, "2019", "320583"))
            .await
            .status(),
        200
    );
    for region in ["320000", "320100"] {
        let response = app.get_as(&suzhou, &input_path(RD, "2019", region)).await;
        assert_problem_type(response, 403, types::FORBIDDEN).await;
    }
    let listed = app.get_json(&suzhou, "/api/v1/statistics-inputs").await;
    let regions: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["region_code"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["320500", "320583"]);
    let response = app
        .get_as(&suzhou, "/api/v1/statistics-inputs?region=320100")
        .await;
    assert_problem_type(response, 403, types::FORBIDDEN).await;
}

#[tokio::test]
async fn the_list_filters_and_pages_by_measure_period_and_region() {
    let app = spawn().await;
    let province = app.province_token();
    let output = "above_scale_industrial_output_yuan";
    for (measure, period, region) in [
        (RD, "2019", "320000"),
        (output, "2020-Q1", "320000"),
        (output, "2020-Q2", "320000"),
        (output, "2020-Q2", "320500"),
    ] {
        let response = put(
            &app,
            &province,
            &input_path(measure, period, region),
            None,
            &figure("1"),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    let key = |item: &Value| {
        format!(
            "{}/{}/{}",
            item["measure"].as_str().unwrap(),
            item["period"].as_str().unwrap(),
            item["region_code"].as_str().unwrap()
        )
    };
    let mut seen = Vec::new();
    let mut query = format!("/api/v1/statistics-inputs?measure={output}&limit=2");
    loop {
        let page = app.get_json(&province, &query).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(key));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                query =
                    format!("/api/v1/statistics-inputs?measure={output}&limit=2&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            format!("{output}/2020-Q1/320000"),
            format!("{output}/2020-Q2/320000"),
            format!("{output}/2020-Q2/320500"),
        ]
    );
    let page = app
        .get_json(
            &province,
            "/api/v1/statistics-inputs?period=2020-Q2&region=320500",
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let response = app
        .get_as(
            &province,
            "/api/v1/statistics-inputs?measure=gdp&period=2020-Q5&limit=0",
        )
        .await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem_fields(&problem), ["limit"]);
    let response = app
        .get_as(
            &province,
            "/api/v1/statistics-inputs?measure=gdp&period=2020-Q5",
        )
        .await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem_fields(&problem), ["measure", "period"]);
}

#[tokio::test]
async fn a_long_history_comes_a_page_at_a_time_every_version_once() {
    let app = spawn().await;
    let province = app.province_token();
    let path = input_path(RD, "2020", "320500");
    let response = put(&app, &province, &path, None, &figure("100")).await;
    assert_eq!(response.status(), 201);
    for version in 1..5 {
        let mut corrected = figure(&format!("{}", 100 + version));
        corrected["reason"] = json!(format!("第{version}次更正"));
        let etag = format!("\"v{version}\"");
        let response = put(&app, &province, &path, Some(&etag), &corrected).await;
        assert_eq!(response.status(), 200);
    }
    // Suzhou reads its own figure's history, two versions a page, oldest first.
    let suzhou = city(&app, "320500");
    let (mut versions, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let query = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
        let page = app
            .get_json(&suzhou, &format!("{path}/history?limit=2{query}"))
            .await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        versions.extend(items.iter().map(|v| v["version"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    // Region authorisation is as before: Nanjing may not read Suzhou's figure.
    let response = app
        .get_as(&city(&app, "320100"), &format!("{path}/history"))
        .await;
    assert_problem_type(response, 403, types::FORBIDDEN).await;
    // Out-of-range limits, a forged cursor and another figure's cursor are refused.
    for (query, status) in [("limit=0", 400), ("limit=501", 400), ("cursor=!!", 400)] {
        let response = app
            .get_as(&province, &format!("{path}/history?{query}"))
            .await;
        let field = query.split('=').next().unwrap();
        assert_eq!(
            problem_fields(&assert_problem(response, status).await),
            [field]
        );
    }
    let first = app
        .get_json(&province, &format!("{path}/history?limit=1"))
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let other = input_path(RD, "2019", "320000");
    put(&app, &province, &other, None, &figure("1")).await;
    let response = app
        .get_as(&province, &format!("{other}/history?cursor={cursor}"))
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 422).await),
        ["cursor"]
    );
}
