//! Tables as files officials open in Excel: CSV (UTF-8 with a byte-order mark, so Excel reads
//! Chinese correctly; text cells neutralised against formula injection as OWASP recommends)
//! or XLSX (Chinese headers in a frozen, bold first row; numbers as numbers), chosen by
//! `format=` or the `Accept` header, sent with an RFC 6266 / RFC 8187 `Content-Disposition`.

use actix_web::HttpResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{PartialSchema, ToSchema};

use crate::download::{attachment_with_fallback, neutralise_cell};
use crate::problem::Problem;

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV_MIME: &str = "text/csv; charset=utf-8";

/// What a client asked for: the JSON view, or a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    /// `format=` wins (`json`, `csv`, `xlsx`; anything else is a 400 naming `format`); else
    /// the `Accept` header (the XLSX media type or `text/csv`); else JSON.
    pub fn negotiate(param: Option<&str>, accept: Option<&HeaderValue>) -> Result<Self, Problem> {
        if let Some(raw) = param {
            return match raw.trim().to_ascii_lowercase().as_str() {
                "json" => Ok(Self::Json),
                "csv" => Ok(Self::Csv),
                "xlsx" => Ok(Self::Xlsx),
                _ => {
                    let shown: String = raw.chars().take(32).collect();
                    Err(Problem::invalid_field(
                        "format",
                        "enum",
                        crate::text!(
                            "format must be json, csv or xlsx; got {shown:?}",
                            "格式须为 json、csv 或 xlsx，收到的是 {shown:?}"
                        ),
                    ))
                }
            };
        }
        let accept = accept.and_then(|v| v.to_str().ok()).unwrap_or_default();
        Ok(if accept.contains(XLSX_MIME) {
            Self::Xlsx
        } else if accept.contains("text/csv") {
            Self::Csv
        } else {
            Self::Json
        })
    }
}

/// One cell: numbers stay numbers and dates dates in both formats.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    /// A calendar date: a real date in XLSX, `YYYY-MM-DD` in CSV.
    Date(chrono::NaiveDate),
    /// A moment (already in the reader's time zone): a real date and time in XLSX,
    /// `YYYY-MM-DD hh:mm:ss` in CSV.
    DateTime(chrono::NaiveDateTime),
    Empty,
}

impl Cell {
    /// The cell as CSV text; text neutralised so that `=HYPERLINK(…)` stays text in Excel
    /// (OWASP), which importers undo.
    pub fn csv_text(&self) -> String {
        match self {
            Self::Text(t) => neutralise_cell(t).into_owned(),
            Self::Int(i) => i.to_string(),
            Self::Number(n) => n.to_string(),
            Self::Date(d) => d.to_string(),
            Self::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            Self::Empty => String::new(),
        }
    }

    /// Writes the cell at (`row`, `column`); dates and moments in `formats`.
    pub fn write_xlsx(
        &self,
        sheet: &mut rust_xlsxwriter::Worksheet,
        (row, column): (u32, u16),
        formats: &DateFormats,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        match self {
            Self::Text(t) => sheet.write_string(row, column, t).map(|_| ()),
            // Exact for |i| < 2^53, far beyond any count or amount kept here.
            Self::Int(i) => sheet.write_number(row, column, *i as f64).map(|_| ()),
            Self::Number(n) => sheet.write_number(row, column, *n).map(|_| ()),
            // Excel counts days from 1900: an earlier (or later than 9999) date goes out as
            // its ISO text, which reads back as the same date.
            Self::Date(_) | Self::DateTime(_) if !self.excel_can_hold() => {
                sheet.write_string(row, column, self.csv_text()).map(|_| ())
            }
            Self::Date(d) => excel_date(d.and_time(chrono::NaiveTime::MIN))
                .and_then(|d| sheet.write_datetime_with_format(row, column, &d, &formats.date))
                .map(|_| ()),
            Self::DateTime(t) => excel_date(*t)
                .and_then(|t| sheet.write_datetime_with_format(row, column, &t, &formats.date_time))
                .map(|_| ()),
            Self::Empty => Ok(()),
        }
    }
}

impl Cell {
    /// Whether Excel's date serials reach this date (1900-01-01 to 9999-12-31).
    fn excel_can_hold(&self) -> bool {
        use chrono::Datelike;
        let year = match self {
            Self::Date(d) => d.year(),
            Self::DateTime(t) => t.year(),
            _ => return true,
        };
        (1900..=9999).contains(&year)
    }
}

/// How dates and moments look in a workbook.
#[derive(Debug, Clone)]
pub struct DateFormats {
    pub date: rust_xlsxwriter::Format,
    pub date_time: rust_xlsxwriter::Format,
}

impl Default for DateFormats {
    fn default() -> Self {
        Self {
            date: rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
            date_time: rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        }
    }
}

/// A date and time as Excel stores it (rust_xlsxwriter checks the range, 1900–9999).
fn excel_date(
    t: chrono::NaiveDateTime,
) -> Result<rust_xlsxwriter::ExcelDateTime, rust_xlsxwriter::XlsxError> {
    use chrono::{Datelike, Timelike};
    let year = u16::try_from(t.year()).map_err(|_| {
        rust_xlsxwriter::XlsxError::ParameterError(format!("year {} out of range", t.year()))
    })?;
    // Month, day, hour, minute and second always fit in a byte; the casts cannot truncate.
    rust_xlsxwriter::ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
        t.hour() as u16,
        t.minute() as u8,
        t.second(),
    )
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Empty, Into::into)
    }
}

/// A sheet: its name, its header row (Chinese, bilingual where useful) and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name (at most 31 characters, no `[]:*?/\`).
    pub sheet: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A download's file name: as people see it (may be Chinese) and an ASCII fallback for old
/// clients. Both without the extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    pub display: String,
    pub ascii: String,
}

/// The CSV file: byte-order mark, header row, rows; text cells neutralised.
pub fn csv_bytes(table: &Table) -> Result<Vec<u8>, Problem> {
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "CSV export failed");
        Problem::internal()
    };
    let mut buffer = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        writer
            .write_record(
                table
                    .headers
                    .iter()
                    .map(|h| neutralise_cell(h).into_owned()),
            )
            .map_err(fail)?;
        for row in &table.rows {
            writer
                .write_record(row.iter().map(Cell::csv_text))
                .map_err(fail)?;
        }
        writer.flush().map_err(|e| fail(e.into()))?;
    }
    Ok(buffer)
}

fn xlsx_failure(e: rust_xlsxwriter::XlsxError) -> Problem {
    tracing::error!(error = %e, "XLSX export failed");
    Problem::internal()
}

/// The XLSX workbook: one sheet, a bold header row frozen above the rows.
pub fn xlsx_bytes(table: &Table) -> Result<Vec<u8>, Problem> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(&table.sheet).map_err(xlsx_failure)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_failure)?;
    for (col, text) in table.headers.iter().enumerate() {
        let col = u16::try_from(col).map_err(|_| Problem::internal())?;
        sheet.set_column_width(col, 16).map_err(xlsx_failure)?;
        sheet
            .write_string_with_format(0, col, text, &bold)
            .map_err(xlsx_failure)?;
    }
    let formats = DateFormats::default();
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| Problem::internal())?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| Problem::internal())?;
            cell.write_xlsx(sheet, (r, c), &formats)
                .map_err(xlsx_failure)?;
        }
    }
    workbook.save_to_buffer().map_err(xlsx_failure)
}

/// The download's `Content-Disposition` (RFC 6266 with RFC 8187): the display name for
/// clients that read `filename*`, the ASCII name for the others.
pub fn content_disposition(name: &FileName, extension: &str) -> (HeaderName, HeaderValue) {
    attachment_with_fallback(
        &format!("{}.{extension}", name.display),
        &format!("{}.{extension}", name.ascii),
    )
}

/// The table as a download in `format` (CSV or XLSX; JSON is the caller's own answer).
pub fn download(format: Format, name: &FileName, table: &Table) -> Result<HttpResponse, Problem> {
    let (mime, extension, bytes) = match format {
        Format::Xlsx => (XLSX_MIME, "xlsx", xlsx_bytes(table)?),
        Format::Csv | Format::Json => (CSV_MIME, "csv", csv_bytes(table)?),
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header(content_disposition(name, extension))
        .body(bytes))
}

/// A downloaded file in the OpenAPI document: `type: string, format: binary`, so generated
/// clients keep the bytes as they are.
pub struct BinaryFile;

impl PartialSchema for BinaryFile {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes (文件内容)"))
            .into()
    }
}

impl ToSchema for BinaryFile {}

/// An uploaded file in the OpenAPI document: binary, at least one byte (an empty body is
/// refused) and at most `max_bytes` (the route's cap, refused with 413 beyond it).
pub fn upload_schema(max_bytes: u64) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .min_length(Some(1))
        .max_length(Some(usize::try_from(max_bytes).unwrap_or(usize::MAX)))
        .description(Some(format!(
            "The file's bytes (文件内容), 1 to {max_bytes} bytes"
        )))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_numbers_kept() {
        let table = Table {
            sheet: "t".into(),
            headers: vec!["名称".into(), "数".into()],
            rows: vec![
                vec![Cell::from("=HYPERLINK(\"x\")"), Cell::Int(-5)],
                vec![Cell::from("+cmd|' /C calc'!A0"), Cell::Number(0.5)],
                vec![Cell::from("@SUM(A1)"), Cell::Empty],
                vec![Cell::from("\tx"), Cell::from("-1")],
                vec![Cell::from("苏州市"), Cell::from("\rx")],
            ],
        };
        let bytes = csv_bytes(&table).unwrap();
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap();
        let mut reader = csv::Reader::from_reader(body);
        assert_eq!(reader.headers().unwrap(), vec!["名称", "数"]);
        let cells: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(cells[0], ["'=HYPERLINK(\"x\")", "-5"]);
        assert_eq!(cells[1], ["'+cmd|' /C calc'!A0", "0.5"]);
        assert_eq!(cells[2], ["'@SUM(A1)", ""]);
        // A plain number is read as a number by a spreadsheet, never as a formula.
        assert_eq!(cells[3], ["'\tx", "-1"]);
        assert_eq!(cells[4], ["苏州市", "'\rx"]);
    }

    #[test]
    fn workbooks_keep_numbers_and_freeze_the_chinese_header() {
        let table = Table {
            sheet: "考核结果".into(),
            headers: vec!["地区名称".into(), "得分".into(), "排名".into()],
            rows: vec![vec![
                Cell::from("苏州市"),
                Cell::Number(96.142857),
                Cell::Int(2),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()),
            ]],
        };
        let sheet = crate::testing::read_xlsx(&xlsx_bytes(&table).unwrap());
        assert_eq!(sheet.name, "考核结果");
        assert!(sheet.header_frozen);
        assert_eq!(sheet.rows[0][0], "地区名称");
        assert_eq!(sheet.rows[1][1], 96.142857);
        assert_eq!(sheet.rows[1][2], 2.0);
        assert_eq!(
            sheet.rows[1][3], "45352",
            "a real date, 2024-03-01's serial"
        );
        let moment = chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        assert_eq!(Cell::DateTime(moment).csv_text(), "2024-03-01 09:30:00");
    }

    #[test]
    fn dates_excel_cannot_hold_are_written_as_their_iso_text() {
        let early = chrono::NaiveDate::from_ymd_opt(237, 11, 11).unwrap();
        let table = Table {
            sheet: "日期".into(),
            headers: vec!["截至日期".into(), "时间".into()],
            rows: vec![vec![
                Cell::Date(early),
                Cell::DateTime(early.and_hms_opt(8, 0, 0).unwrap()),
            ]],
        };
        let sheet = crate::testing::read_xlsx(&xlsx_bytes(&table).unwrap());
        assert_eq!(sheet.rows[1][0], "0237-11-11");
        assert_eq!(sheet.rows[1][1], "0237-11-11 08:00:00");
    }

    #[test]
    fn file_names_are_encoded_and_cannot_add_parameters() {
        let name = FileName {
            display: "考核结果-2020".into(),
            ascii: "sec-x\"; filename=\"evil.html".into(),
        };
        let (_, value) = content_disposition(&name, "xlsx");
        let value = value.to_str().unwrap();
        assert_eq!(
            value,
            "attachment; filename=\"sec-x_filename_evil.html.xlsx\"; \
             filename*=UTF-8''%E8%80%83%E6%A0%B8%E7%BB%93%E6%9E%9C-2020.xlsx"
        );
        assert_eq!(value.matches("filename=").count(), 1);
    }

    #[test]
    fn format_follows_the_parameter_then_accept() {
        let xlsx = HeaderValue::from_static(XLSX_MIME);
        let csv = HeaderValue::from_static("text/csv");
        assert_eq!(Format::negotiate(None, Some(&xlsx)).unwrap(), Format::Xlsx);
        assert_eq!(Format::negotiate(None, Some(&csv)).unwrap(), Format::Csv);
        assert_eq!(Format::negotiate(None, None).unwrap(), Format::Json);
        assert_eq!(
            Format::negotiate(Some("csv"), Some(&xlsx)).unwrap(),
            Format::Csv
        );
        let refused = Format::negotiate(Some("pdf"), None).unwrap_err();
        assert_eq!(refused.errors[0].field, "format");
    }
}
