//! Legacy Excel (`.xls`, BIFF) and OpenDocument (`.ods`) workbooks (issue #13 item 2): the
//! statistics form of `officials_sheets` imports from either as from XLSX, merges and dates
//! read alike, and what their readers would hold whole is bounded first (issue #19 item 1).

use serde_json::Value;

use crate::helpers::{ENTERPRISE_HEADERS, TestApp, assert_problem, credit_code};
use crate::officials_sheets::{
    FORM_HEADERS, assert_statistics_form_imports, import_as, statistics_form_firms,
};

pub(crate) const XLS: &str = "application/vnd.ms-excel";
pub(crate) const ODS: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// Written by `tests/fixtures/legacy_workbooks.py` (xlwt), which says how to regenerate them.
const STATISTICS_FORM_XLS: &[u8] = include_bytes!("../fixtures/statistics_form.xls");
const UNSAVED_FORMULA_XLS: &[u8] =
    include_bytes!("../fixtures/statistics_form_unsaved_formula.xls");
const MERGED_AND_DATES_XLS: &[u8] = include_bytes!("../fixtures/merged_region_and_dates.xls");
pub(crate) const FAR_APART_CELLS_XLS: &[u8] = include_bytes!("../fixtures/far_apart_cells.xls");
pub(crate) const REPEATED_SHARED_STRING_XLS: &[u8] =
    include_bytes!("../fixtures/repeated_shared_string.xls");

/// A cell of an OpenDocument table.
enum Cell<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Date(&'a str),
    /// A formula, with the value the application saved (or none).
    Formula(&'a str, Option<f64>),
    /// Text over this row and the `n - 1` below it (covered cells follow there).
    SpannedDown(&'a str, u32),
    Covered,
}

impl Cell<'_> {
    fn xml(&self) -> String {
        match self {
            Self::Empty => "<table:table-cell/>".into(),
            Self::Text(text) => format!(
                r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
            ),
            Self::Number(n) => format!(
                r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
            ),
            Self::Date(date) => format!(
                r#"<table:table-cell office:value-type="date" office:date-value="{date}"><text:p>{date}</text:p></table:table-cell>"#
            ),
            Self::Formula(formula, None) => {
                format!(r#"<table:table-cell table:formula="{formula}"/>"#)
            }
            Self::Formula(formula, Some(n)) => format!(
                r#"<table:table-cell table:formula="{formula}" office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
            ),
            Self::SpannedDown(text, rows) => format!(
                r#"<table:table-cell table:number-rows-spanned="{rows}" office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
            ),
            Self::Covered => "<table:covered-table-cell/>".into(),
        }
    }
}

/// An `.ods` file of one table `name` holding `table` (the rows' XML).
pub(crate) fn ods_file(name: &str, table: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="{name}">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    ods_with_content(content.as_bytes())
}

fn ods_with_content(content: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut ods = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    ods.start_file("mimetype", stored).unwrap();
    ods.write_all(ODS.as_bytes()).unwrap();
    ods.start_file("META-INF/manifest.xml", stored).unwrap();
    ods.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    ods.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    ods.write_all(content).unwrap();
    ods.finish().unwrap().into_inner()
}

fn rows_xml(rows: &[Vec<Cell<'_>>]) -> String {
    rows.iter()
        .map(|row| {
            let cells: String = row.iter().map(Cell::xml).collect();
            format!("<table:table-row>{cells}</table:table-row>")
        })
        .collect()
}

/// The statistics form of `officials_sheets` as LibreOffice or WPS saves it as `.ods`: a
/// title row, an empty row, the headers on row 3, two firms, H5 a formula.
fn statistics_form_ods(codes: &[String], saved_formula_value: bool) -> Vec<u8> {
    let mut rows = vec![
        vec![Cell::Text("2024年度高新技术企业主要经济指标统计表")],
        vec![Cell::Empty],
        FORM_HEADERS.iter().map(|h| Cell::Text(h)).collect(),
    ];
    for (i, code) in codes.iter().enumerate() {
        let rd = if i == 1 {
            Cell::Formula("of:=[.G5]*0.05", saved_formula_value.then_some(2500.025))
        } else {
            Cell::Number(2600.0)
        };
        rows.push(vec![
            Cell::Number((i + 1) as f64),
            Cell::Text(if i == 0 {
                "统计表0号科技有限公司"
            } else {
                "统计表1号科技有限公司"
            }),
            Cell::Text(code),
            Cell::Number(2024.0),
            Cell::Number(120.0),
            Cell::Number(30.0),
            Cell::Number(50_000.5),
            rd,
            Cell::Number(80_000.0),
            Cell::Number(1_200.0),
            Cell::Number(5.0),
            Cell::Text("是"),
        ]);
    }
    ods_file("Sheet1", &rows_xml(&rows))
}

#[tokio::test]
async fn a_statistics_form_saved_as_xls_imports_as_it_is() {
    let app = TestApp::spawn().await;
    let codes = statistics_form_firms(&app).await;
    assert_statistics_form_imports(&app, XLS, &codes, STATISTICS_FORM_XLS.to_vec()).await;
    let unsaved = import_as(&app, XLS, "mode=dry_run", UNSAVED_FORMULA_XLS.to_vec()).await;
    let unsaved = assert_problem(unsaved, 422).await;
    assert_eq!(unsaved["errors"][0]["rule"], "unsaved_formula", "{unsaved}");
    assert!(
        unsaved["detail"].as_str().unwrap().contains("cells H5 "),
        "{unsaved}"
    );
}

#[tokio::test]
async fn a_statistics_form_saved_as_ods_imports_as_it_is() {
    let app = TestApp::spawn().await;
    let codes = statistics_form_firms(&app).await;
    assert_statistics_form_imports(&app, ODS, &codes, statistics_form_ods(&codes, true)).await;
    let unsaved = statistics_form_ods(&codes, false);
    let unsaved = assert_problem(import_as(&app, ODS, "mode=dry_run", unsaved).await, 422).await;
    assert_eq!(unsaved["errors"][0]["rule"], "unsaved_formula", "{unsaved}");
    assert!(
        unsaved["detail"].as_str().unwrap().contains("cells H5 "),
        "{unsaved}"
    );
    // The content decides, whatever the label.
    let unlabelled = statistics_form_ods(&codes, true);
    let response = import_as(&app, "application/octet-stream", "mode=dry_run", unlabelled);
    let report: Value = response.await.json().await.unwrap();
    assert_eq!(report["file_format"], "ods", "{report}");
    assert_eq!(report["counts"]["unchanged"], 2, "{report}");
}

/// Imports enterprises from `file` and returns the region and founding date of each firm.
async fn imported_firms(app: &TestApp, content_type: &str, file: Vec<u8>) -> Vec<(Value, Value)> {
    let response = app
        .client
        .post(app.url("/api/v1/imports?kind=enterprises&mode=atomic"))
        .bearer_auth(app.province_token())
        .header("Content-Type", content_type)
        .body(file)
        .send()
        .await
        .unwrap();
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["counts"]["created"], 3, "{result}");
    let mut firms = Vec::new();
    for serial in 21..=23 {
        let path = format!("/api/v1/enterprises/{}", credit_code("320583", serial));
        let firm: Value = app.get_json(&app.province_token(), &path).await;
        firms.push((firm["region_code"].clone(), firm["registered_on"].clone()));
    }
    firms
}

#[tokio::test]
async fn merged_cells_and_dates_read_alike_from_xls_and_ods() {
    let expected: Vec<(Value, Value)> = (0..3)
        .map(|_| ("320583".into(), "2019-01-01".into()))
        .collect();
    let app = TestApp::spawn().await;
    let from_xls = imported_firms(&app, XLS, MERGED_AND_DATES_XLS.to_vec()).await;
    assert_eq!(
        from_xls, expected,
        "merged 所在县区, dates as text and as a date"
    );

    let app = TestApp::spawn().await;
    let codes: Vec<String> = (21..=23).map(|i| credit_code("320583", i)).collect();
    let mut rows = vec![
        ENTERPRISE_HEADERS
            .iter()
            .map(|h| Cell::Text(h))
            .collect::<Vec<_>>(),
    ];
    let names = [
        "合并0号科技有限公司",
        "合并1号科技有限公司",
        "合并2号科技有限公司",
    ];
    let dates = [
        Cell::Text("2019/1/1"),
        Cell::Text("2019年1月1日"),
        Cell::Date("2019-01-01"),
    ];
    for (i, date) in dates.into_iter().enumerate() {
        let region = if i == 0 {
            Cell::SpannedDown("320583", 3)
        } else {
            Cell::Covered
        };
        let row = vec![Cell::Text(&codes[i]), Cell::Text(names[i]), region, date];
        rows.push(row.into_iter().chain([Cell::Text("C3491")]).collect());
    }
    let from_ods = imported_firms(&app, ODS, ods_file("企业名单", &rows_xml(&rows))).await;
    assert_eq!(from_ods, expected);
}

/// The 413 of a workbook past a limit, whose detail names the limit (`phrase`).
async fn refused_as_too_large(app: &TestApp, content_type: &str, file: Vec<u8>, phrase: &str) {
    let refused = assert_problem(
        import_as(app, content_type, "mode=dry_run", file).await,
        413,
    );
    let refused = refused.await;
    assert_eq!(refused["errors"][0]["rule"], "xlsx_limits", "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains(phrase), "{refused}");
}

#[tokio::test]
async fn an_ods_bomb_is_refused_before_it_is_unpacked() {
    let app = TestApp::spawn().await;
    // content.xml declares 4 GB in the central directory (and its local header).
    let mut bomb = statistics_form_ods(&[credit_code("320583", 1)], true);
    let content_at = bomb.windows(11).rposition(|w| w == b"content.xml").unwrap();
    let central = bomb[..content_at]
        .windows(4)
        .rposition(|w| w == b"PK\x01\x02");
    let central = central.unwrap();
    bomb[central + 24..central + 28].copy_from_slice(&0xF000_0000u32.to_le_bytes());
    refused_as_too_large(&app, ODS, bomb, "content.xml").await;

    // A few hundred bytes whose repeated cells and rows make a grid of 16384 × 1048576.
    let grid = r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#;
    refused_as_too_large(&app, ODS, ods_file("Sheet1", grid), "2000000 cells").await;

    // A cell of 100 KB of text repeated across 16,384 columns: 1.6 GB as the reader copies it.
    let text = "x".repeat(100 * 1024);
    let copied = format!(
        r#"<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>{text}</text:p></table:table-cell></table:table-row>"#
    );
    refused_as_too_large(&app, ODS, ods_file("Sheet1", &copied), "repeat their texts").await;

    // One cell of a billion spaces spelt as `<text:s text:c>`.
    let spaces = r#"<table:table-row><table:table-cell office:value-type="string"><text:p><text:s text:c="1000000000"/></text:p></table:table-cell></table:table-row>"#;
    refused_as_too_large(&app, ODS, ods_file("Sheet1", spaces), "bytes of text").await;

    // A table that never ends would keep its reader waiting for ever.
    let unended = br#"<office:document-content xmlns:table="t"><table:table table:name="a"><table:table-row><table:table-cell/></table:table-row>"#;
    let damaged = import_as(&app, ODS, "mode=dry_run", ods_with_content(unended)).await;
    let damaged = assert_problem(damaged, 400).await;
    assert_eq!(damaged["errors"][0]["rule"], "xlsx", "{damaged}");
}

#[tokio::test]
async fn an_xls_whose_grid_or_structure_is_out_of_bounds_is_refused() {
    let app = TestApp::spawn().await;
    // A1 and IV65536 in a 6 KB file: 16.7 million cells as the reader holds a sheet.
    refused_as_too_large(&app, XLS, FAR_APART_CELLS_XLS.to_vec(), "2000000 cells").await;
    // One 32,000-character shared string in 2,000 cells: 190 MB as the reader copies it.
    refused_as_too_large(
        &app,
        XLS,
        REPEATED_SHARED_STRING_XLS.to_vec(),
        "repeat their texts",
    )
    .await;
    // A compound file whose first directory sector points at itself loops.
    let mut looping = STATISTICS_FORM_XLS.to_vec();
    let directory = u32::from_le_bytes(looping[48..52].try_into().unwrap()) as usize;
    let fat_sector = u32::from_le_bytes(looping[76..80].try_into().unwrap()) as usize;
    let entry = 512 + fat_sector * 512 + directory * 4;
    looping[entry..entry + 4].copy_from_slice(&(directory as u32).to_le_bytes());
    let damaged = assert_problem(import_as(&app, XLS, "mode=dry_run", looping).await, 400);
    let damaged = damaged.await;
    assert_eq!(damaged["errors"][0]["rule"], "xlsx", "{damaged}");
    // Only the signature of a compound file.
    let mut signature = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    signature.resize(4096, 0);
    let damaged = import_as(&app, XLS, "mode=dry_run", signature).await;
    assert_problem(damaged, 400).await;
}
