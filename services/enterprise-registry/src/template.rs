//! Import templates (导入模板): a file officials fill in and import without edits. The XLSX
//! has the Chinese headers (money declared in 元), a list to choose from in every column with
//! fixed values, a frozen header row, and a second sheet explaining each column with an
//! example; the CSV has the headers alone.

use hte_shared::problem::Problem;
use rust_xlsxwriter::{DataValidation, Format, Workbook, Worksheet, XlsxError};

use crate::app::imports::{ImportColumn, columns_of};
use crate::domain::import::{
    ImportKind, LABEL_KINDS, LABEL_LEVELS, LISTING, RD_INSTITUTIONS, TECH_DOMAINS, ZONE_LEVELS,
};

/// Rows of the template sheet that offer the lists of fixed values.
const LIST_ROWS: u32 = 10_000;

/// The header a template writes for a column: money columns declare 元.
pub fn header_of(column: &ImportColumn) -> String {
    if column.money {
        format!("{}（元）", column.label_zh)
    } else {
        column.label_zh.to_owned()
    }
}

/// The values a column is limited to, in the Chinese the importer reads.
fn fixed_values(kind: ImportKind, field: &str) -> Option<Vec<&'static str>> {
    let choices: &[(&str, &[&str])] = match (kind, field) {
        (_, "tech_domain") => TECH_DOMAINS,
        (_, "zone_level") => ZONE_LEVELS,
        (_, "listing_status") => LISTING,
        (_, "rd_institution") => RD_INSTITUTIONS,
        (ImportKind::Labels, "kind") => LABEL_KINDS,
        (ImportKind::Labels, "level") => LABEL_LEVELS,
        (_, "above_scale") => return Some(vec!["是", "否"]),
        _ => return None,
    };
    Some(
        choices
            .iter()
            .filter_map(|(_, names)| names.first().copied())
            .filter(|name| !name.is_empty())
            .collect(),
    )
}

/// A value that imports for the field, shown on the explanation sheet.
fn example(field: &str) -> &'static str {
    match field {
        "credit_code" => "91320583MA1N2P3Q0J",
        "name" => "昆山示例智能装备有限公司",
        "region_code" => "320583",
        "registered_on" | "entered_on" => "2019-05-01",
        "industry_code" => "C3491",
        "tech_domain" => "先进制造与自动化",
        "zone_level" => "国家级",
        "zone_id" => "昆山高新技术产业开发区",
        "above_scale" => "是",
        "listing_status" => "未上市",
        "year" => "2024",
        "batch" => "1",
        "source" => "市级推荐",
        "exited_on" | "revoked_on" => "",
        "certificate_no" => "GR202432001234",
        "issued_on" => "2024-12-01",
        "kind" => "瞪羚企业",
        "level" => "省级",
        "issuer" => "江苏省科学技术厅",
        "rd_institution" => "省级",
        "employees" => "120",
        "st_staff" => "30",
        f if f.ends_with("_yuan") => "12000000",
        _ => "",
    }
}

fn failed(e: XlsxError) -> Problem {
    tracing::error!(error = %e, "writing an import template failed");
    Problem::internal()
}

/// The CSV template: a byte-order mark (so Excel reads the Chinese) and the header row.
pub fn csv_template(kind: ImportKind) -> Vec<u8> {
    let headers: Vec<String> = columns_of(kind).columns.iter().map(header_of).collect();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(headers.join(",").as_bytes());
    bytes.extend_from_slice(b"\r\n");
    bytes
}

/// The XLSX template: the sheet to fill, then the explanation sheet.
pub fn xlsx_template(kind: ImportKind) -> Result<Vec<u8>, Problem> {
    let columns = columns_of(kind).columns;
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    fill_sheet(sheet, kind, &columns, &bold).map_err(failed)?;
    let notes = workbook.add_worksheet();
    explain(notes, kind, &columns, &bold).map_err(failed)?;
    workbook.save_to_buffer().map_err(failed)
}

fn fill_sheet(
    sheet: &mut Worksheet,
    kind: ImportKind,
    columns: &[ImportColumn],
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("导入模板")?;
    sheet.set_freeze_panes(1, 0)?;
    for (index, column) in columns.iter().enumerate() {
        let col = u16::try_from(index).unwrap_or(u16::MAX);
        sheet.set_column_width(col, 18)?;
        sheet.write_string_with_format(0, col, header_of(column), bold)?;
        if let Some(values) = fixed_values(kind, column.field) {
            let validation = DataValidation::new().allow_list_strings(&values)?;
            sheet.add_data_validation(1, col, LIST_ROWS, col, &validation)?;
        }
        if !column.money && !matches!(column.field, "employees" | "st_staff") {
            // Codes and dates as text, so Excel neither drops leading zeros nor reformats.
            let text = Format::new().set_num_format("@");
            sheet.set_column_format(col, &text)?;
        }
    }
    Ok(())
}

fn explain(
    notes: &mut Worksheet,
    kind: ImportKind,
    columns: &[ImportColumn],
    bold: &Format,
) -> Result<(), XlsxError> {
    notes.set_name("填写说明")?;
    let titles = [
        "表头",
        "字段",
        "是否必填",
        "单位",
        "可选值",
        "示例",
        "也接受的表头",
    ];
    for (col, title) in titles.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        notes.set_column_width(col, 22)?;
        notes.write_string_with_format(0, col, *title, bold)?;
    }
    for (index, column) in columns.iter().enumerate() {
        let row = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let unit = if column.money {
            "元（表头可改为千元、万元）"
        } else {
            ""
        };
        let values = fixed_values(kind, column.field).map_or(String::new(), |v| v.join("、"));
        notes.write_string(row, 0, header_of(column))?;
        notes.write_string(row, 1, column.field)?;
        notes.write_string(row, 2, if column.required { "必填" } else { "选填" })?;
        notes.write_string(row, 3, unit)?;
        notes.write_string(row, 4, values)?;
        notes.write_string(row, 5, example(column.field))?;
        notes.write_string(row, 6, column.headers.join("、"))?;
    }
    let after = u32::try_from(columns.len() + 2).unwrap_or(u32::MAX);
    notes.write_string(
        after,
        0,
        "日期可写作 2019-05-01、2019/5/1 或 2019年5月1日；第一行为表头，每行一条记录，同一记录在一个文件中只出现一次。",
    )?;
    Ok(())
}
