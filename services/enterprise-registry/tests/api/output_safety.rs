//! Files that leave the registry and what refusals say (issue #19 items 10 to 12): CSV cells
//! cannot run as formulas yet import back unchanged, download names stay one header
//! parameter, and a firm outside one's region is answered without its data.

use hte_shared::auth::Role;
use hte_shared::testing::problem_fields;
use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, builtin_rules, credit_code, enterprise_body,
};

const HOSTILE_NAMES: [&str; 3] = [
    "=HYPERLINK(\"http://evil.example\",\"点此\")科技有限公司",
    "+cmd|' /C calc'!A0有限公司",
    "@SUM(A1)智能装备有限公司",
];

async fn import_csv(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> Value {
    import_file(app, (token, query), "text/csv", body).await
}

/// POSTs a file to `/api/v1/imports?{query}` as the holder of `token`; it must be taken (201).
async fn import_file(
    app: &TestApp,
    (token, query): (&str, &str),
    content_type: &str,
    body: Vec<u8>,
) -> Value {
    let response = app.upload((token, query), content_type, body).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn csv_exports_neutralise_formulas_and_import_back_unchanged() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    for (serial, name) in HOSTILE_NAMES.iter().enumerate() {
        let code = credit_code("320583", serial as u32 + 1);
        app.create_enterprise(&enterprise_body(&code, "320583", name))
            .await;
    }
    let response = app.get_as(&token, "/api/v1/exports/enterprises").await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"enterprises-")
            && disposition.contains("; filename*=UTF-8''enterprises-")
            && disposition.matches("filename=").count() == 1,
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap().to_vec();
    let rows = hte_shared::testing::read_csv(&bytes);
    let names: Vec<&str> = rows[1..].iter().map(|row| row[1].as_str()).collect();
    for name in HOSTILE_NAMES {
        assert!(names.contains(&format!("'{name}").as_str()), "{names:?}");
    }
    assert!(names.iter().all(|n| n.starts_with('\'')), "{names:?}");

    let reimport = import_csv(&app, &token, "kind=enterprises", bytes).await;
    assert_eq!(reimport["counts"]["unchanged"], 3, "{reimport}");
    let stored: Value = app
        .get_json(
            &token,
            &format!("/api/v1/enterprises/{}", credit_code("320583", 1)),
        )
        .await;
    assert_eq!(stored["name"], HOSTILE_NAMES[0]);

    // The XLSX export (English: no header block, so the header is the first row), the header
    // frozen and filtered, cells as text.
    let xlsx = app
        .get_as(&token, "/api/v1/exports/enterprises?format=xlsx&lang=en")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let sheet = hte_shared::testing::read_xlsx(&xlsx);
    assert_eq!(sheet.name, "enterprises");
    assert!(sheet.header_frozen);
    assert_eq!(sheet.rows.len(), 4);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx.clone())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(
        xml.contains("<autoFilter ref=\"A1:"),
        "the header row filters"
    );
    let reimport = import_xlsx(&app, &token, xlsx).await;
    assert_eq!(reimport["counts"]["unchanged"], 3, "{reimport}");
}

async fn import_xlsx(app: &TestApp, token: &str, body: Vec<u8>) -> Value {
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    import_file(app, (token, "kind=enterprises"), xlsx, body).await
}

#[tokio::test]
async fn rule_set_versions_are_plain_identifiers_and_name_files_safely() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let hostile = "sec-x\"; filename=\"evil.html";
    let rules = builtin_rules(&app, hostile).await;
    let body = json!({"description": "试探", "rules": rules});
    let path = "/api/v1/rule-sets/sec-x%22%3B%20filename%3D%22evil.html";
    let problem = assert_problem(app.put_as(&token, path, &body).await, 400).await;
    let fields = problem_fields(&problem);
    assert!(fields.iter().any(|f| f == "version"), "{problem}");

    let csv = app
        .get_as(&token, "/api/v1/candidates?as_of=2026-06-01&format=csv")
        .await;
    assert_eq!(csv.status(), 200);
    let disposition = csv.headers()["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        "attachment; filename=\"candidates-2026-06-01-2016-national-1.csv\"; \
         filename*=UTF-8''candidates-2026-06-01-2016-national-1.csv"
    );
}

#[tokio::test]
async fn a_firm_outside_ones_region_is_refused_without_its_data() {
    let app = TestApp::spawn().await;
    let suzhou_firm = credit_code("320583", 7);
    app.create_enterprise(&enterprise_body(
        &suzhou_firm,
        "320583",
        "昆山保密科技有限公司",
    ))
    .await;
    let nanjing = app.token(Role::City, "320100");
    let expected =
        format!("credit code {suzhou_firm} belongs to an enterprise outside your region");

    // Registering the code in one's own county: 403 as outside the region, not 409.
    let body = enterprise_body(&suzhou_firm, "320106", "南京重名科技有限公司");
    let refused = assert_problem(
        app.post_as(&nanjing, "/api/v1/enterprises", &body).await,
        403,
    )
    .await;
    assert_eq!(refused["detail"], expected.as_str());
    let text = refused.to_string();
    assert!(
        !text.contains("昆山保密") && !text.contains("already"),
        "{text}"
    );

    // An import row restating it, in one's own county or in its real one.
    for county in ["320106", "320583"] {
        let file = format!(
            "credit_code,name,region_code,registered_on,industry_code\n\
             {suzhou_firm},南京重名科技有限公司,{county},2019-05-01,C3491\n"
        );
        let result = import_csv(
            &app,
            &nanjing,
            "kind=enterprises&mode=partial",
            file.into_bytes(),
        )
        .await;
        assert_eq!(result["counts"]["rejected"], 1, "{result}");
        let error = &result["errors"][0];
        assert_eq!(error["reason"], expected.as_str(), "{result}");
        assert_eq!(error["column"], "credit_code");
        assert!(!result.to_string().contains("region 320583"), "{result}");
    }

    // The province, which sees the firm, is told it is already registered.
    let duplicate = app
        .post_as(&app.province_token(), "/api/v1/enterprises", &body)
        .await;
    assert_problem(duplicate, 409).await;
}

/// Found by schemathesis: an `as_of` before 1900 (Excel's first day) made the workbook's
/// header block fail with a 500; such a date is written as its text.
#[tokio::test]
async fn an_export_as_of_a_date_excel_cannot_hold_is_still_a_workbook() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let response = app
        .get_as(
            &token,
            "/api/v1/exports/enterprises?as_of=0237-11-11&format=xlsx&region=320115&q=",
        )
        .await;
    assert_eq!(response.status(), 200);
    let sheet = hte_shared::testing::read_xlsx(&response.bytes().await.unwrap());
    let cells: Vec<&str> = sheet
        .rows
        .iter()
        .flatten()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(cells.contains(&"0237-11-11"), "{cells:?}");
}
