//! Downloads: a proposal's lines as CSV and XLSX (by `format=` or `Accept`), read back with
//! the same numbers, Chinese headers and region names. Progress and assessment downloads,
//! which need the registry, are read back in the cross-service tests.

use hte_shared::export::XLSX_MIME;
use hte_shared::testing::{read_csv, read_xlsx};
use serde_json::{Value, json};

use crate::helpers::{
    AllocationFixtures, CITIES, TestApp, assert_json, assert_problem, problem_fields,
};

async fn proposal(app: &TestApp) -> Value {
    app.create_plan("export").await;
    app.put_target(
        &app.province_token(),
        "export",
        "320000",
        "hte_count",
        "2025",
        1300,
    )
    .await;
    let weights: serde_json::Map<String, Value> = CITIES
        .iter()
        .enumerate()
        .map(|(i, c)| ((*c).to_owned(), json!(i + 1)))
        .collect();
    let body = json!({"indicator": "hte_count", "period": "2025", "region_code": "320000",
                      "method": "proportional", "baseline": "weights", "weights": weights});
    let response = app
        .post_as(
            &app.province_token(),
            "/api/v1/plans/export/allocations",
            &body,
        )
        .await;
    assert_json(response, 201).await
}

async fn download(app: &TestApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url(path))
        .bearer_auth(app.province_token());
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_proposal_downloads_as_xlsx_and_csv_with_the_same_numbers() {
    let app = TestApp::spawn().await;
    let proposal = proposal(&app).await;
    let path = format!(
        "/api/v1/plans/export/allocations/{}",
        proposal["id"].as_str().unwrap()
    );
    let children = proposal["children"].as_array().unwrap();

    let response = download(&app, &format!("{path}?format=xlsx"), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], XLSX_MIME);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        "attachment; filename=\"allocation-320000-hte_count-2025.xlsx\"; \
         filename*=UTF-8''%E5%88%86%E8%A7%A3%E6%96%B9%E6%A1%88-320000-hte_count-2025.xlsx"
    );
    let sheet = read_xlsx(&response.bytes().await.unwrap());
    assert!(sheet.header_frozen);
    assert_eq!(sheet.rows[0][0], "地区代码");
    assert_eq!(sheet.rows[0][5], "分解目标");
    assert_eq!(sheet.rows.len(), 1 + 13);
    for (row, child) in sheet.rows[1..].iter().zip(children) {
        assert_eq!(row[0], child["region_code"]);
        assert_eq!(row[1], child["name"]);
        assert_eq!(row[2].as_f64(), child["weight"].as_f64());
        assert_eq!(row[4].as_f64(), child["quota"].as_f64());
        assert_eq!(
            row[5].as_f64(),
            child["share"].as_f64(),
            "shares are numbers"
        );
    }
    assert_eq!(sheet.rows[5][1], "苏州市");

    // By Accept, as CSV with a byte-order mark.
    let response = download(&app, &path, Some("text/csv")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let rows = read_csv(&response.bytes().await.unwrap());
    assert_eq!(rows[0][1], "地区名称");
    let total: i64 = rows[1..].iter().map(|r| r[5].parse::<i64>().unwrap()).sum();
    assert_eq!(total, 1300);
    // JSON stays the default, with the proposal's ETag.
    let response = download(&app, &path, None).await;
    assert_eq!(response.headers()["etag"], "\"v1\"");
    assert_eq!(assert_json(response, 200).await["id"], proposal["id"]);
    // A format the route does not write is refused, naming it.
    let problem = assert_problem(
        download(&app, &format!("{path}?format=pdf"), None).await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["format"]);
}
