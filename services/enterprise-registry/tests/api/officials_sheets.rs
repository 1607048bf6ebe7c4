//! Officials' own spreadsheets (issue #13 item 2): a statistics-form workbook with a title
//! row, 序号 and 企业名称 columns, units in the headers, columns no field has and a formula
//! imports as it is, in `dry_run` and `atomic` modes.

use hte_shared::testing::problem_fields;
use rust_xlsxwriter::{Formula, Workbook};
use serde_json::Value;

use crate::helpers::{
    ENTERPRISE_HEADERS, RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body,
    write_headers,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) const FORM_HEADERS: [&str; 12] = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "年度",
    "从业人员期末人数（人）",
    "科技活动人员",
    "营业收入（千元）",
    "研究开发费用合计（千元）",
    "资产总计（千元）",
    "实际上缴税费总额（千元）",
    "拥有有效发明专利数（件）",
    "是否有研发机构",
];

/// The workbook: a title row, an empty row, the headers on row 3, two firms; the second
/// firm's R&D expense is a formula with the value Excel saved (or none, as scripts write).
fn statistics_form(codes: &[String], saved_formula_value: bool) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .write_string(0, 0, "2024年度高新技术企业主要经济指标统计表")
        .unwrap();
    for (col, header) in FORM_HEADERS.iter().enumerate() {
        sheet.write_string(2, col as u16, *header).unwrap();
    }
    for (i, code) in codes.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write_number(row, 0, (i + 1) as f64).unwrap();
        sheet
            .write_string(row, 1, format!("统计表{i}号科技有限公司"))
            .unwrap();
        sheet.write_string(row, 2, code).unwrap();
        sheet.write_number(row, 3, 2024.0).unwrap();
        sheet.write_number(row, 4, 120.0).unwrap();
        sheet.write_number(row, 5, 30.0).unwrap();
        sheet.write_number(row, 6, 50_000.5).unwrap();
        if i == 1 {
            let formula = Formula::new("=G5*0.05");
            let formula = if saved_formula_value {
                formula.set_result("2500.025")
            } else {
                formula.set_result("")
            };
            sheet.write_formula(row, 7, formula).unwrap();
        } else {
            sheet.write_number(row, 7, 2_600.0).unwrap();
        }
        sheet.write_number(row, 8, 80_000.0).unwrap();
        sheet.write_number(row, 9, 1_200.0).unwrap();
        sheet.write_number(row, 10, 5.0).unwrap();
        sheet.write_string(row, 11, "是").unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    if saved_formula_value {
        saved_by_excel(&bytes)
    } else {
        bytes
    }
}

/// The workbook as Excel saves it after calculating: without the `fullCalcOnLoad` flag that
/// rust_xlsxwriter sets because it cannot calculate.
fn saved_by_excel(bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).unwrap();
        let name = part.name().unwrap().to_string();
        let mut content = Vec::new();
        part.read_to_end(&mut content).unwrap();
        if name == "xl/workbook.xml" {
            let text = String::from_utf8(content).unwrap();
            assert!(text.contains(r#" fullCalcOnLoad="1""#));
            content = text.replace(r#" fullCalcOnLoad="1""#, "").into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

async fn import(app: &TestApp, query: &str, body: Vec<u8>) -> reqwest::Response {
    import_as(app, XLSX, query, body).await
}

/// An annual-reports import of `body` labelled `content_type`.
pub(crate) async fn import_as(
    app: &TestApp,
    content_type: &str,
    query: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let query = format!("kind=annual_reports&{query}");
    app.upload((&app.province_token(), &query), content_type, body)
        .await
}

async fn imported(app: &TestApp, query: &str, body: Vec<u8>) -> Value {
    imported_as(app, XLSX, query, body).await
}

async fn imported_as(app: &TestApp, content_type: &str, query: &str, body: Vec<u8>) -> Value {
    let response = import_as(app, content_type, query, body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_statistics_form_workbook_imports_as_it_is() {
    let app = TestApp::spawn().await;
    let codes = statistics_form_firms(&app).await;
    let file = statistics_form(&codes, true);
    assert_statistics_form_imports(&app, XLSX, &codes, file).await;
}

/// The two firms of the statistics form, registered: (credit_code("320583", 1) and 2).
pub(crate) async fn statistics_form_firms(app: &TestApp) -> Vec<String> {
    let codes: Vec<String> = (1..=2).map(|i| credit_code("320583", i)).collect();
    for (i, code) in codes.iter().enumerate() {
        app.create_enterprise(&enterprise_body(
            code,
            "320583",
            &format!("统计表{i}号科技有限公司"),
        ))
        .await;
    }
    codes
}

/// What a statistics-form workbook of [`FORM_HEADERS`] (a title row above the headers on
/// row 3, the firms of [`statistics_form_firms`], H5 a formula with a saved value) imports
/// to in any format: its rows in `dry_run` and `atomic` modes, the warnings for the title
/// row and the unknown column, and the cells of row errors.
pub(crate) async fn assert_statistics_form_imports(
    app: &TestApp,
    content_type: &str,
    codes: &[String],
    file: Vec<u8>,
) {
    let rehearsed = imported_as(app, content_type, "mode=dry_run", file.clone()).await;
    assert_eq!(rehearsed["counts"]["created"], 2, "{rehearsed}");
    assert_eq!(rehearsed["counts"]["rejected"], 0, "{rehearsed}");
    let warnings = rehearsed["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{rehearsed}");
    assert!(
        warnings[0]["reason"].as_str().unwrap().contains("row 1 "),
        "{rehearsed}"
    );
    assert_eq!(warnings[1]["column"], "是否有研发机构");
    assert!(
        warnings[0]["reason_zh"]
            .as_str()
            .unwrap()
            .contains("第 1 行"),
        "a warning speaks Chinese too: {rehearsed}"
    );
    assert!(
        warnings[1]["reason_zh"]
            .as_str()
            .unwrap()
            .contains("未导入")
    );
    let report_path = format!("/api/v1/enterprises/{}/annual-reports/2024", codes[1]);
    let absent = app.get_as(&app.province_token(), &report_path).await;
    assert_eq!(absent.status(), 404, "a dry run writes nothing");

    let landed = imported_as(app, content_type, "mode=atomic", file.clone()).await;
    assert_eq!(landed["status"], "completed", "{landed}");
    assert_eq!(landed["counts"]["created"], 2);
    let report: Value = app.get_json(&app.province_token(), &report_path).await;
    assert_eq!(report["employees"], 120);
    assert_eq!(report["st_staff"], 30);
    assert_eq!(report["sales_revenue_yuan"], 50_000_500);
    assert_eq!(
        report["rd_expense_yuan"], 2_500_025,
        "the formula's saved value"
    );
    assert_eq!(report["total_assets_yuan"], 80_000_000);
    assert_eq!(report["tax_paid_yuan"], 1_200_000);
    assert_eq!(report["invention_patents"], 5);

    // Refusing unknown columns names them; mapping one to a field reads it.
    let refused = assert_problem(
        import_as(app, content_type, "unknown_columns=refuse", file.clone()).await,
        400,
    )
    .await;
    assert!(refused.to_string().contains("是否有研发机构"), "{refused}");
    let mapped = import_as(
        app,
        content_type,
        "columns=是否有研发机构:rd_institution",
        file,
    )
    .await;
    let mapped: Value = mapped.json().await.unwrap();
    assert_eq!(
        mapped["counts"]["rejected"], 2,
        "是 is not a level: {mapped}"
    );
    let error = &mapped["errors"][0];
    assert_eq!(error["column"], "rd_institution");
    assert_eq!(error["sheet"], "Sheet1");
    assert_eq!(error["cell"], "L4", "{error}");
    assert_eq!(error["header"], "是否有研发机构");
    assert_eq!(mapped["errors"][1]["cell"], "L5");
}

#[tokio::test]
async fn header_row_and_columns_parameters_and_unsaved_formulas() {
    let app = TestApp::spawn().await;
    let codes: Vec<String> = (1..=2).map(|i| credit_code("320583", i)).collect();
    for code in &codes {
        app.create_enterprise(&enterprise_body(code, "320583", "参数测试科技有限公司"))
            .await;
    }
    let unsaved = assert_problem(
        import(&app, "mode=dry_run", statistics_form(&codes, false)).await,
        422,
    )
    .await;
    assert_eq!(unsaved["errors"][0]["rule"], "unsaved_formula");
    assert!(
        unsaved["detail"].as_str().unwrap().contains("H5"),
        "{unsaved}"
    );

    let file = statistics_form(&codes, true);
    let at_three = imported(&app, "mode=dry_run&header_row=3", file.clone()).await;
    assert_eq!(at_three["counts"]["created"], 2, "{at_three}");
    let wrong_row = assert_problem(import(&app, "header_row=1", file.clone()).await, 400).await;
    assert_eq!(wrong_row["errors"][0]["rule"], "header", "{wrong_row}");
    // In Chinese when asked: the missing columns by their Chinese headers.
    let zh = app
        .client
        .post(app.url("/api/v1/imports?kind=annual_reports&header_row=1"))
        .bearer_auth(app.province_token())
        .header("Content-Type", XLSX)
        .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
        .body(file)
        .send()
        .await
        .unwrap();
    let zh = assert_problem(zh, 400).await;
    let message = zh["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("缺少必填列：统一社会信用代码（credit_code）"),
        "{zh}"
    );

    let bad = assert_problem(
        import(
            &app,
            "columns=营业收入:turnover,oops&unknown_columns=maybe&header_row=0",
            Vec::new(),
        )
        .await,
        400,
    )
    .await;
    let fields = problem_fields(&bad);
    assert_eq!(
        fields,
        ["header_row", "unknown_columns", "columns"],
        "{bad}"
    );
}

#[tokio::test]
async fn csv_with_a_title_line_and_dates_typed_as_text() {
    let app = TestApp::spawn().await;
    let codes: Vec<String> = (1..=3).map(|i| credit_code("320583", i)).collect();
    let mut file = "2024年新增企业名单,,,,,\n序号，,,,,\n".to_owned();
    file = file.replace('，', ",");
    file.push_str("序号,统一社会信用代码,企业名称,所在县区,成立日期,国民经济行业代码\n");
    for (i, (code, date)) in codes
        .iter()
        .zip(["2019/1/1", "2019年1月1日", "43466"])
        .enumerate()
    {
        file.push_str(&format!(
            "{i},{code},日期{i}号科技有限公司,320583,{date},C3491\n"
        ));
    }
    let response = app
        .upload(
            (&app.province_token(), "kind=enterprises&mode=atomic"),
            "text/csv",
            file,
        )
        .await;
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["counts"]["created"], 3, "{result}");
    for code in &codes {
        let firm: Value = app
            .get_json(
                &app.province_token(),
                &format!("/api/v1/enterprises/{code}"),
            )
            .await;
        assert_eq!(firm["registered_on"], "2019-01-01");
    }
}

#[tokio::test]
async fn the_accepted_headers_of_each_kind_are_published() {
    let app = TestApp::spawn().await;
    let token = app.token(hte_shared::auth::Role::County, "320583");
    let published: Value = app
        .get_json(&token, "/api/v1/imports/kinds/annual_reports/columns")
        .await;
    let columns = published["columns"].as_array().unwrap();
    let sales = columns
        .iter()
        .find(|c| c["field"] == "sales_revenue_yuan")
        .unwrap();
    assert_eq!(sales["label_zh"], "销售收入");
    assert_eq!(sales["money"], true);
    assert!(
        sales["headers"]
            .as_array()
            .unwrap()
            .contains(&"营业收入".into())
    );
    let year = columns.iter().find(|c| c["field"] == "year").unwrap();
    assert_eq!(year["required"], true);
    assert!(
        published["ignored_headers"]
            .as_array()
            .unwrap()
            .contains(&"序号".into())
    );
    // Every header published is read as its field (beside the other required columns).
    use enterprise_registry::domain::import::{HeaderRules, ImportKind, resolve_header};
    for column in columns {
        let field = column["field"].as_str().unwrap();
        for header in column["headers"].as_array().unwrap() {
            let mut cells: Vec<String> = ["credit_code", "year"]
                .into_iter()
                .filter(|f| *f != field)
                .map(str::to_owned)
                .collect();
            cells.push(header.as_str().unwrap().to_owned());
            let resolved =
                resolve_header(ImportKind::AnnualReports, &cells, &HeaderRules::default()).unwrap();
            assert_eq!(resolved.columns.last().unwrap().field, field, "{header}");
        }
    }
    assert_problem(
        app.get_as(&token, "/api/v1/imports/kinds/people/columns")
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_row_error_names_every_bad_cell_of_the_row_as_written() {
    let app = TestApp::spawn().await;
    let code = credit_code("320583", 9);
    let file = format!(
        "序号,统一社会信用代码,企业名称,所在县区,成立日期,国民经济行业代码,规上企业\n\
         1,{code},单元格科技有限公司,999999,2019-13-45,C3491,也许\n"
    );
    let response = app
        .upload(
            (&app.province_token(), "kind=enterprises&mode=partial"),
            "text/csv",
            file,
        )
        .await;
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["counts"]["rejected"], 1, "{result}");
    let errors = result["errors"].as_array().unwrap();
    let named: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e["cell"].as_str().unwrap(), e["header"].as_str().unwrap()))
        .collect();
    assert_eq!(
        named,
        [("D2", "所在县区"), ("E2", "成立日期"), ("G2", "规上企业")],
        "{result}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["line"] == 2 && e["sheet"].is_null())
    );
    assert_eq!(
        errors[1]["reason_zh"],
        "\"2019-13-45\" 不是日期（请写作 2025-12-31）"
    );
    assert_eq!(errors[2]["reason_zh"], "\"也许\" 不是“是/否”");
}

#[tokio::test]
async fn a_downloaded_template_filled_in_imports() {
    let app = TestApp::spawn().await;
    let token = app.token(hte_shared::auth::Role::City, "320500");
    let response = app
        .get_as(&token, "/api/v1/imports/templates/enterprises")
        .await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''enterprises-%E5%AF%BC"),
        "{disposition}"
    );
    let xlsx = response.bytes().await.unwrap().to_vec();
    let sheet = hte_shared::testing::read_xlsx(&xlsx);
    assert_eq!(sheet.name, "导入模板");
    assert!(sheet.header_frozen);
    let headers: Vec<String> = sheet.rows[0]
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(headers[..3], ["统一社会信用代码", "企业名称", "所在县区"]);
    let parts = zip_part_names(&xlsx);
    assert!(
        parts.contains(&"xl/worksheets/sheet2.xml".to_owned()),
        "{parts:?}"
    );
    let sheet1 = zip_part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(
        sheet1.contains("<dataValidation type=\"list\""),
        "lists for fixed values"
    );
    assert!(sheet1.contains("先进制造与自动化"));

    // Filled in as an official would: one row under the headers, values from the lists.
    let code = credit_code("320583", 11);
    let values = [
        code.as_str(),
        "模板填写科技有限公司",
        "320583",
        "2019-05-01",
        "C3491",
        "先进制造与自动化",
        "国家级",
        "昆山高新技术产业开发区",
        "是",
        "",
        "未上市",
    ];
    let mut workbook = Workbook::new();
    let filled = workbook.add_worksheet();
    for (col, header) in headers.iter().enumerate() {
        filled.write_string(0, col as u16, header).unwrap();
        filled.write_string(1, col as u16, values[col]).unwrap();
    }
    let response = app
        .upload(
            (&token, "kind=enterprises"),
            XLSX,
            workbook.save_to_buffer().unwrap(),
        )
        .await;
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["counts"]["created"], 1, "{result}");
    assert_eq!(result["warnings"], serde_json::json!([]), "{result}");

    // The CSV template is the header row; with rows appended it imports too.
    let csv = app
        .get_as(
            &token,
            "/api/v1/imports/templates/annual_reports?format=csv",
        )
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let mut csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("销售收入（元）"), "{csv}");
    let columns = csv.lines().next().unwrap().split(',').count();
    let mut row = vec![String::new(); columns];
    row[0] = code.clone();
    row[1] = "2024".to_owned();
    csv.push_str(&row.join(","));
    csv.push_str("\r\n");
    let response = app
        .upload((&token, "kind=annual_reports"), "text/csv", csv)
        .await;
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["counts"]["created"], 1, "{result}");
    assert_problem(
        app.get_as(&token, "/api/v1/imports/templates/labels?format=pdf")
            .await,
        400,
    )
    .await;
}

fn zip_part_names(bytes: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect()
}

fn zip_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test]
async fn a_value_merged_down_a_column_belongs_to_every_row_it_covers() {
    let app = TestApp::spawn().await;
    let codes: Vec<String> = (1..=3).map(|i| credit_code("320583", 20 + i)).collect();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    write_headers(sheet, &ENTERPRISE_HEADERS);
    for (i, code) in codes.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string(row, 0, code).unwrap();
        sheet
            .write_string(row, 1, format!("合并{i}号科技有限公司"))
            .unwrap();
        sheet.write_string(row, 3, "2019-05-01").unwrap();
        sheet.write_string(row, 4, "C3491").unwrap();
    }
    // 所在县区 written once over the three firms, as officials group rows.
    let format = rust_xlsxwriter::Format::new();
    sheet.merge_range(1, 2, 3, 2, "320583", &format).unwrap();
    let response = app
        .upload(
            (&app.province_token(), "kind=enterprises&mode=atomic"),
            XLSX,
            workbook.save_to_buffer().unwrap(),
        )
        .await;
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["counts"]["created"], 3, "{result}");
    let last: Value = app
        .get_json(
            &app.province_token(),
            &format!("/api/v1/enterprises/{}", codes[2]),
        )
        .await;
    assert_eq!(last["region_code"], "320583");
}
