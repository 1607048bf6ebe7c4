//! The bulletin as an Excel workbook: one sheet per table (表1 主要指标, 表2 各市…, 预警,
//! 考核), then a sheet of notes. Each sheet has the table's title on row 1 and Chinese headers
//! on row 2, both frozen and repeated on printed pages (A4 portrait, one page wide).
//! Figures are numbers: counts exactly as the snapshot holds them, shares and rates as
//! decimals formatted as percentages, changes with a sign; a missing figure is an empty cell.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use super::RenderError;
use super::layout::{Cell, Table, tables};
use crate::bulletin::Bulletin;
use crate::bulletin::text::date_zh;

/// Excel's limit on a sheet name's length.
const SHEET_NAME_MAX: usize = 31;

/// `表2 各市高新技术企业总数`: the table's number and short name, without the characters
/// Excel refuses (`[]:*?/\`), at most 31 characters.
pub fn sheet_name(table: &Table) -> String {
    let name: String = format!("表{} {}", table.number, table.sheet)
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(SHEET_NAME_MAX)
        .collect();
    name.trim_end_matches(['\'', ' ']).to_owned()
}

struct Formats {
    title: Format,
    header: Format,
    text: Format,
    long_text: Format,
    integer: Format,
    decimal: Format,
    percent: Format,
    change: Format,
    change_points: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let figure = cell.clone().set_align(FormatAlign::Right);
        Self {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0xF2_F2_F2)),
            text: cell.clone().set_align(FormatAlign::Center),
            long_text: cell.set_text_wrap().set_align(FormatAlign::Left),
            integer: figure.clone().set_num_format("0"),
            decimal: figure.clone().set_num_format("0.00"),
            percent: figure.clone().set_num_format("0.00%"),
            change: figure.clone().set_num_format("+0;-0;0"),
            // A change of a share: the decimal difference, shown in points with a % sign.
            change_points: figure.set_num_format("+0.00%;-0.00%;0.00%"),
        }
    }
}

fn write_cell(
    sheet: &mut Worksheet,
    (row, col): (u32, u16),
    cell: &Cell,
    long: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(t) => {
            let format = if long { &f.long_text } else { &f.text };
            sheet.write_string_with_format(row, col, t, format)?;
        }
        // Counts stay far below 2^53: exact as f64.
        Cell::Integer(i) => {
            sheet.write_number_with_format(row, col, *i as f64, &f.integer)?;
        }
        Cell::Number(n) => {
            let format = if n.fract() == 0.0 {
                &f.integer
            } else {
                &f.decimal
            };
            sheet.write_number_with_format(row, col, *n, format)?;
        }
        Cell::Percent(p) => {
            sheet.write_number_with_format(row, col, *p, &f.percent)?;
        }
        Cell::Change { delta, share } => {
            let format = if *share { &f.change_points } else { &f.change };
            sheet.write_number_with_format(row, col, *delta, format)?;
        }
        Cell::Empty => {
            sheet.write_blank(row, col, &f.text)?;
        }
    }
    Ok(())
}

fn write_table(sheet: &mut Worksheet, table: &Table, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name(sheet_name(table))?;
    let last_col = u16::try_from(table.columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
    if last_col > 0 {
        sheet.merge_range(0, 0, 0, last_col, &table.title(), &f.title)?;
    } else {
        sheet.write_string_with_format(0, 0, table.title(), &f.title)?;
    }
    sheet.set_row_height(0, 24)?;
    for (col, column) in (0_u16..).zip(&table.columns) {
        sheet.set_column_width(col, (f64::from(column.weight) * 0.8).max(8.0))?;
        sheet.write_string_with_format(1, col, column.header.as_ref(), &f.header)?;
    }
    for (row, cells) in (2_u32..).zip(&table.rows) {
        for ((col, cell), column) in (0_u16..).zip(cells).zip(&table.columns) {
            write_cell(sheet, (row, col), cell, column.weight >= 20, f)?;
        }
    }
    sheet.set_freeze_panes(2, 0)?;
    sheet.set_repeat_rows(0, 1)?;
    sheet
        .set_paper_size(9)
        .set_portrait()
        .set_print_fit_to_pages(1, 0)
        .set_footer("&C— &P —");
    Ok(())
}

fn write_notes(sheet: &mut Worksheet, b: &Bulletin, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("说明")?;
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 90)?;
    sheet.write_string_with_format(0, 0, &b.title, &f.title)?;
    let facts = [
        ("发文机关", b.issuer.clone()),
        ("发文字号", b.document_number.clone().unwrap_or_default()),
        ("成文日期", date_zh(b.issued_on)),
        ("地区", format!("{}（{}）", b.scope.name, b.scope.code)),
        ("统计期", format!("{}（{}）", b.period_zh, b.period)),
        ("数据截至", date_zh(b.as_of)),
        (
            "快照",
            format!("{}（第{}版）", b.snapshot.id, b.snapshot.revision),
        ),
    ];
    let notes = b
        .notes
        .iter()
        .enumerate()
        .map(|(i, n)| (if i == 0 { "说明" } else { "" }, n.clone()));
    for (row, (label, text)) in (2_u32..).zip(facts.into_iter().chain(notes)) {
        sheet.write_string_with_format(row, 0, label, &f.header)?;
        sheet.write_string_with_format(row, 1, text, &f.long_text)?;
    }
    Ok(())
}

/// The bulletin as an `.xlsx` workbook.
pub fn render(b: &Bulletin) -> Result<Vec<u8>, RenderError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(
        u16::try_from(chrono::Datelike::year(&b.issued_on)).unwrap_or(1900),
        u8::try_from(chrono::Datelike::month(&b.issued_on)).unwrap_or(1),
        u8::try_from(chrono::Datelike::day(&b.issued_on)).unwrap_or(1),
    )?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&b.title)
            .set_author(&b.issuer)
            .set_creation_datetime(&created),
    );
    let formats = Formats::new();
    for table in tables(b) {
        write_table(workbook.add_worksheet(), &table, &formats)?;
    }
    write_notes(workbook.add_worksheet(), b, &formats)?;
    Ok(workbook.save_to_buffer()?)
}
