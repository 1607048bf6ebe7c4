//! Importing statistics inputs from CSV (UTF-8, BOM, GBK) and XLSX files: dry runs, atomic
//! and partial imports, corrections needing a reason, refused rows named by line and
//! column, and retried uploads.

use hte_shared::auth::Role;
use hte_shared::problem::types;
use serde_json::Value;

use crate::helpers::{
    App, assert_json, assert_problem, assert_problem_type, input_path, spawn, upload,
};

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Two good rows (a Chinese measure name, a key) and, on line 4, a bad period and region.
fn sheet_text(third_row: &str) -> String {
    format!(
        "统计指标,统计期,地区代码,数值（亿元）,来源文件,备注\n\
         全省企业研发经费投入,2019,320000,2779.5,2019年江苏省科技经费投入统计公报,\n\
         above_scale_industrial_output_yuan,2020-Q2,320500,1.25,苏州统计月报,初步数\n\
         {third_row}\n"
    )
}

async fn count_inputs(app: &App) -> usize {
    let page = app
        .get_json(&app.province_token(), "/api/v1/statistics-inputs")
        .await;
    page["items"].as_array().unwrap().len()
}

fn counts(report: &Value) -> [i64; 5] {
    ["rows", "created", "corrected", "unchanged", "rejected"]
        .map(|k| report["counts"][k].as_i64().unwrap())
}

#[tokio::test]
async fn a_dry_run_and_an_atomic_import_write_nothing_when_a_row_is_refused() {
    let app = spawn().await;
    let province = app.province_token();
    let text = sheet_text("hightech_industry_output_yuan,2020-13,110000,1,统计月报,");
    let dry = upload(
        &app,
        &province,
        "mode=dry_run",
        CSV,
        text.clone().into_bytes(),
        None,
    )
    .await;
    let report = assert_json(dry, 200).await;
    assert_eq!(report["status"], "completed");
    assert_eq!(report["encoding"], "utf-8");
    assert_eq!(counts(&report), [3, 2, 0, 0, 1]);
    let errors: Vec<(i64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(4, "统计期"), (4, "地区代码")]);
    assert_eq!(count_inputs(&app).await, 0, "a dry run writes nothing");

    let atomic = upload(&app, &province, "", CSV, text.into_bytes(), None).await;
    let report = assert_json(atomic, 200).await;
    assert_eq!(
        (report["mode"].as_str(), report["status"].as_str()),
        (Some("atomic"), Some("rejected"))
    );
    assert_eq!(counts(&report), [3, 0, 0, 0, 1]);
    assert_eq!(
        count_inputs(&app).await,
        0,
        "an atomic import with a refused row writes nothing"
    );

    let partial = upload(
        &app,
        &province,
        "mode=partial",
        CSV,
        sheet_text("hightech_industry_output_yuan,2020-13,110000,1,统计月报,").into_bytes(),
        None,
    )
    .await;
    let report = assert_json(partial, 200).await;
    assert_eq!(counts(&report), [3, 2, 0, 0, 1]);
    let figure = app
        .get_json(
            &province,
            &input_path("above_scale_industrial_output_yuan", "2020-Q2", "320500"),
        )
        .await;
    assert_eq!(figure["value_yuan"], 125_000_000);
    assert_eq!(figure["note"], "初步数");
}

#[tokio::test]
async fn gbk_and_xlsx_files_import_and_a_repeat_changes_nothing() {
    let app = spawn().await;
    let province = app.province_token();
    let text = sheet_text("hightech_industry_output_yuan,2020-Q2,320000,4500,统计月报,");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let report = assert_json(
        upload(&app, &province, "", CSV, gbk.to_vec(), None).await,
        200,
    )
    .await;
    assert_eq!(report["encoding"], "gbk");
    assert_eq!(counts(&report), [3, 3, 0, 0, 0]);

    // The same figures as XLSX: nothing changes.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (row, column) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
            match cell.parse::<f64>() {
                Ok(n) if c == 3 && r > 0 => sheet.write_number(row, column, n).unwrap(),
                _ => sheet.write_string(row, column, cell).unwrap(),
            };
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let report = assert_json(upload(&app, &province, "", XLSX, bytes, None).await, 200).await;
    assert_eq!(report["file_format"], "xlsx");
    assert_eq!(counts(&report), [3, 0, 0, 3, 0]);
}

#[tokio::test]
async fn a_correction_by_import_needs_a_reason_and_makes_a_version() {
    let app = spawn().await;
    let province = app.province_token();
    let first = "measure,period,region_code,value,unit,source_document\n\
                 enterprise_rd_expense_yuan,2019,320000,2779.5,亿元,公报\n";
    assert_json(
        upload(&app, &province, "", CSV, first.into(), None).await,
        200,
    )
    .await;
    let changed = "measure,period,region_code,value,unit,source_document\n\
                   enterprise_rd_expense_yuan,2019,320000,2800,亿元,公报\n";
    let report = assert_json(
        upload(&app, &province, "", CSV, changed.into(), None).await,
        200,
    )
    .await;
    assert_eq!(report["status"], "rejected");
    assert_eq!(report["errors"][0]["column"], "reason");
    assert!(
        report["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("更正理由")
    );
    let with_reason = "measure,period,region_code,value,unit,source_document,更正理由\n\
                       enterprise_rd_expense_yuan,2019,320000,2800,亿元,公报,正式数\n";
    let report = assert_json(
        upload(&app, &province, "", CSV, with_reason.into(), None).await,
        200,
    )
    .await;
    assert_eq!(counts(&report), [1, 0, 1, 0, 0]);
    let history = app
        .get_json(
            &province,
            &format!(
                "{}/history",
                input_path("enterprise_rd_expense_yuan", "2019", "320000")
            ),
        )
        .await;
    assert_eq!(history["items"][1]["reason"], "正式数");
    assert_eq!(history["items"][1]["value_yuan"], 280_000_000_000_i64);
}

#[tokio::test]
async fn bad_files_keys_and_callers_are_refused() {
    let app = spawn().await;
    let province = app.province_token();
    let text = sheet_text("hightech_industry_output_yuan,2020-Q2,320000,4500,统计月报,");
    // A retried upload gets the first report; the key with another file is a 422.
    let first = assert_json(
        upload(&app, &province, "", CSV, text.clone().into(), Some("k-1")).await,
        200,
    )
    .await;
    let again = assert_json(
        upload(&app, &province, "", CSV, text.clone().into(), Some("k-1")).await,
        200,
    )
    .await;
    assert_eq!(first, again);
    assert_eq!(
        counts(&again),
        [3, 3, 0, 0, 0],
        "the replay did not import twice"
    );
    let other = upload(&app, &province, "", CSV, b"measure\n".to_vec(), Some("k-1")).await;
    assert_problem_type(other, 422, types::UNPROCESSABLE).await;

    let response = upload(
        &app,
        &province,
        "",
        "application/json",
        b"{}".to_vec(),
        None,
    )
    .await;
    assert_problem_type(response, 415, types::UNSUPPORTED_MEDIA_TYPE).await;
    let response = upload(&app, &province, "", CSV, Vec::new(), None).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem["errors"][0]["rule"], "not_empty");
    let response = upload(
        &app,
        &province,
        "",
        CSV,
        "颜色,统计期\n红,2019\n".into(),
        None,
    )
    .await;
    let problem = assert_problem(response, 422).await;
    assert!(
        problem["errors"].as_array().unwrap().len() >= 2,
        "{problem}"
    );
    let response = upload(
        &app,
        &province,
        "encoding=latin1",
        CSV,
        text.clone().into(),
        None,
    )
    .await;
    assert_problem(response, 400).await;
    for token in [
        app.token(Role::City, "320500"),
        app.token(Role::Auditor, "320000"),
    ] {
        let response = upload(&app, &token, "", CSV, text.clone().into(), None).await;
        assert_problem_type(response, 403, types::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn row_reasons_are_in_the_language_asked_for() {
    let app = spawn().await;
    let province = app.province_token();
    let text = sheet_text("hightech_industry_output_yuan,2020-13,320500,1,统计月报,");
    let reasons = |report: &Value| -> Vec<String> {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reason"].as_str().unwrap().to_owned())
            .collect()
    };
    let english = upload(
        &app,
        &province,
        "mode=dry_run",
        CSV,
        text.clone().into(),
        None,
    );
    let english = reasons(&assert_json(english.await, 200).await);
    let chinese = app
        .client
        .post(app.url("/api/v1/statistics-inputs/imports?mode=dry_run"))
        .bearer_auth(&province)
        .header("Content-Type", CSV)
        .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
        .body(text)
        .send()
        .await
        .unwrap();
    let chinese = reasons(&assert_json(chinese, 200).await);
    assert_eq!(english.len(), 1, "the bad period: {english:?}");
    assert!(english[0].contains("period"), "{english:?}");
    assert!(
        !english[0]
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "one language, not \"English (中文)\": {english:?}"
    );
    assert_eq!(chinese.len(), 1);
    assert!(chinese[0].contains("统计期"), "{chinese:?}");
    assert!(!chinese[0].contains("period"), "{chinese:?}");
}
