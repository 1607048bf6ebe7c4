//! Bulk import of officials' files: CSV (UTF-8 with or without BOM, or GBK) or XLSX, read
//! record by record from a temporary file and written in batches of 5,000 rows, each row
//! validated by the same domain rules as the API, authorised for the caller's region,
//! upserted by its natural key (so a second import of the same file changes nothing) and
//! audited. Modes: `dry_run` rehearses and rolls back, `atomic` lands all rows or none,
//! `partial` lands the good rows and reports the bad ones.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use hte_shared::audit::{Actor, ChainWriter, Change};
use hte_shared::auth::Caller;
use hte_shared::db::{DbConnection, rehearse};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::RegionCode;
use hte_shared::time::{now, today};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::annual_reports::AnnualReportRow;
use crate::db::enterprises::EnterpriseRow;
use crate::db::programme::{CertificateRow, LabelRow, PoolEntryRow};
use crate::db::schema::{annual_reports, certificates, enterprises, labels, pool_entries};
use crate::domain::annual_report::{ReportFigures, check_year};
use crate::domain::enterprise::{ListingStatus, ZoneLevel, check_past_date, parse_reason};
use crate::domain::import::{
    self, HeaderColumn, ImportKind, LABEL_KINDS, LABEL_LEVELS, LISTING, MoneyUnit, RD_INSTITUTIONS,
    TECH_DOMAINS, ZONE_LEVELS,
};
use crate::domain::programme::{CertificateNo, certificate_expiry, check_programme_year};
use crate::domain::rd_institution::RdInstitution;
use crate::domain::status::{self, OutsideExistence};
use crate::domain::tech_domain::TechDomain;
use crate::error::RegistryError;
use crate::routes::annual_reports::{figures_of, row_of, view_of as report_view};
use crate::routes::enterprises::{NewEnterprise, record_json};

/// Rows per batch (one transaction in `partial` mode, one COPY per table on PostgreSQL):
/// 1,000 gave 20,400 rows/s at 20,000 firms, 5,000 gave 23,000; memory stays a few MiB.
pub const BATCH_ROWS: usize = 5_000;
/// Longer records are not spreadsheet rows but damaged files.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// At most this many row errors are kept with the import (the count is always exact).
pub const MAX_KEPT_ERRORS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 试导入: validate and rehearse; nothing is written.
    DryRun,
    /// 整体导入: every row lands, or none does.
    Atomic,
    /// 部分导入: good rows land; bad rows are reported.
    Partial,
}

impl Mode {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "dry_run" => Some(Self::DryRun),
            "atomic" => Some(Self::Atomic),
            "partial" => Some(Self::Partial),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::DryRun => "dry_run",
            Self::Atomic => "atomic",
            Self::Partial => "partial",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingChoice {
    Auto,
    Utf8,
    Gbk,
}

/// Counts of an import (导入统计).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// Data rows read (header excluded).
    pub rows: i64,
    /// New records (for `dry_run`, those that would be; for a rejected `atomic` import,
    /// which writes nothing, 0 like `updated` and `unchanged`).
    pub created: i64,
    /// Existing records changed.
    pub updated: i64,
    /// Rows identical to what is stored (a repeated import changes nothing).
    pub unchanged: i64,
    /// Rows refused.
    pub rejected: i64,
}

/// A refused row (被拒绝的行).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// Line in the file (CSV) or row (XLSX), counting the header as 1.
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// Why.
    pub reason: String,
}

pub struct Settings {
    pub kind: ImportKind,
    pub mode: Mode,
    pub unit: MoneyUnit,
    pub encoding: EncodingChoice,
    pub format: FileFormat,
}

pub struct Outcome {
    pub counts: Counts,
    pub errors: Vec<RowError>,
    pub errors_truncated: bool,
    pub encoding: &'static str,
    /// Whether the rows were written.
    pub committed: bool,
}

fn file_problem(rule: &str, message: impl Into<hte_shared::i18n::Text>) -> Problem {
    Problem::validation(vec![FieldError::new("file", rule, message)])
}

// ---- reading records ------------------------------------------------------------------------

type Records = Box<dyn Iterator<Item = Result<(u64, Vec<String>), Problem>> + Send>;

/// Opens the file and returns its header cells and an iterator of (line, cells).
fn open_records(
    path: &Path,
    settings: &Settings,
) -> Result<(Vec<String>, Records, &'static str), Problem> {
    let io = |e: std::io::Error| {
        tracing::error!(error = %e, "reading the uploaded file");
        Problem::internal()
    };
    let mut file = File::open(path).map_err(io)?;
    let length = file.metadata().map_err(io)?.len();
    if length == 0 {
        return Err(file_problem("not_empty", "the file is empty"));
    }
    match settings.format {
        FileFormat::Xlsx => xlsx_records(file),
        FileFormat::Csv => {
            let mut head = vec![0u8; 1 << 20];
            let read = read_up_to(&mut file, &mut head).map_err(io)?;
            head.truncate(read);
            file.rewind().map_err(io)?;
            let encoding = match settings.encoding {
                EncodingChoice::Utf8 => encoding_rs::UTF_8,
                EncodingChoice::Gbk => encoding_rs::GBK,
                EncodingChoice::Auto => detect_encoding(&head),
            };
            let label = if encoding == encoding_rs::UTF_8 {
                "utf-8"
            } else {
                "gbk"
            };
            let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(BufReader::new(file));
            let reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(decoded);
            let mut records = reader.into_records();
            let header = match records.next() {
                None => return Err(file_problem("not_empty", "the file has no header row")),
                Some(Err(e)) => {
                    return Err(file_problem(
                        "csv",
                        format!("the header cannot be read: {e}"),
                    ));
                }
                Some(Ok(record)) => record,
            };
            if header.as_slice().len() > MAX_RECORD_BYTES {
                return Err(file_problem(
                    "record_size",
                    format!(
                        "the first line has {} bytes; a header is at most {MAX_RECORD_BYTES} bytes — is this a CSV file?",
                        header.as_slice().len()
                    ),
                ));
            }
            let header: Vec<String> = header.iter().map(str::to_owned).collect();
            let rows = records.map(|record| match record {
                Ok(record) => {
                    let line = record.position().map_or(0, |p| p.line());
                    if record.as_slice().len() > MAX_RECORD_BYTES {
                        return Err(file_problem(
                            "record_size",
                            format!("line {line} is longer than {MAX_RECORD_BYTES} bytes"),
                        ));
                    }
                    Ok((line, record.iter().map(str::to_owned).collect()))
                }
                Err(e) => Err(file_problem(
                    "csv",
                    format!("the file cannot be read as CSV: {e}"),
                )),
            });
            Ok((header, Box::new(rows), label))
        }
    }
}

fn read_up_to(file: &mut File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut total = 0;
    while total < buffer.len() {
        let n = file.read(&mut buffer[total..])?;
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok(total)
}

/// UTF-8 when the start of the file is valid UTF-8 (or has a BOM); otherwise GBK, which is
/// what Chinese Excel writes for "CSV".
fn detect_encoding(head: &[u8]) -> &'static encoding_rs::Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return encoding_rs::UTF_8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => encoding_rs::UTF_8,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => encoding_rs::UTF_8,
        Err(_) => encoding_rs::GBK,
    }
}

/// The first worksheet is streamed row by row, but its shared-strings table is unpacked whole
/// (that is how XLSX stores text), so the file size is capped; larger sheets should be CSV.
pub const MAX_XLSX_BYTES: u64 = 64 * 1024 * 1024;

/// Rows read ahead of the importer from an XLSX sheet.
const XLSX_ROWS_AHEAD: usize = 1_024;

fn xlsx_records(file: File) -> Result<(Vec<String>, Records, &'static str), Problem> {
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    if length > MAX_XLSX_BYTES {
        return Err(file_problem(
            "xlsx_size",
            format!("XLSX files are limited to {MAX_XLSX_BYTES} bytes; save larger sheets as CSV"),
        ));
    }
    // The cell reader borrows the workbook, so both live on a thread of their own that sends
    // rows through a bounded channel: the sheet is never held whole. Dropping the receiver
    // (the import stopped) ends the thread at its next send.
    let (sender, receiver) = std::sync::mpsc::sync_channel(XLSX_ROWS_AHEAD);
    std::thread::Builder::new()
        .name("xlsx-reader".into())
        .spawn(move || {
            if send_xlsx_rows(file, &sender) {
                let _ = sender.send(SheetMessage::End);
            }
        })
        .map_err(|e| {
            tracing::error!(error = %e, "cannot start the XLSX reader");
            Problem::internal()
        })?;
    let mut rows = SheetRows {
        receiver,
        done: false,
    };
    let header = match rows.next() {
        None => return Err(file_problem("not_empty", "the worksheet is empty")),
        Some(Err(problem)) => return Err(problem),
        Some(Ok((_, header))) => header,
    };
    // The header may carry trailing empty cells from formatting.
    let mut header: Vec<String> = header;
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    Ok((header, Box::new(rows), "xlsx"))
}

enum SheetMessage {
    Row(u64, Vec<String>),
    Failed(Problem),
    /// The sheet was read to its end; without it a closed channel means the reader died.
    End,
}

/// The rows the XLSX reader thread sends, as the importer's records.
struct SheetRows {
    receiver: std::sync::mpsc::Receiver<SheetMessage>,
    done: bool,
}

impl Iterator for SheetRows {
    type Item = Result<(u64, Vec<String>), Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.receiver.recv() {
            Ok(SheetMessage::Row(line, values)) => Some(Ok((line, values))),
            Ok(SheetMessage::End) => {
                self.done = true;
                None
            }
            Ok(SheetMessage::Failed(problem)) => {
                self.done = true;
                Some(Err(problem))
            }
            Err(_) => {
                self.done = true;
                tracing::error!("the XLSX reader stopped before the end of the sheet");
                Some(Err(Problem::internal()))
            }
        }
    }
}

/// Reads the first worksheet cell by cell and sends each row as (Excel row number, cells),
/// columns counted from the header's first. Returns whether the sheet was read to its end.
fn send_xlsx_rows(file: File, sender: &std::sync::mpsc::SyncSender<SheetMessage>) -> bool {
    use calamine::{DataRef, Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| {
        file_problem(
            "xlsx",
            format!("the XLSX file cannot be read (truncated or not XLSX?): {e}"),
        )
    };
    let mut workbook: Xlsx<_> = match Xlsx::new(BufReader::new(file)) {
        Ok(workbook) => workbook,
        Err(e) => {
            let _ = sender.send(SheetMessage::Failed(unreadable(&e)));
            return false;
        }
    };
    let Some(first) = workbook.sheet_names().first().cloned() else {
        let _ = sender.send(SheetMessage::Failed(file_problem(
            "xlsx",
            "the workbook has no worksheet",
        )));
        return false;
    };
    let mut cells = match workbook.worksheet_cells_reader(&first) {
        Ok(cells) => cells,
        Err(e) => {
            let _ = sender.send(SheetMessage::Failed(file_problem(
                "xlsx",
                format!("the first worksheet cannot be read: {e}"),
            )));
            return false;
        }
    };
    let cell_text = |cell: &DataRef<'_>| match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => {
            excel_date(d.as_f64()).map_or_else(|| d.as_f64().to_string(), |d| d.to_string())
        }
        DataRef::DateTimeIso(s) => s.chars().take(10).collect(),
        DataRef::Error(e) => format!("#{e:?}"),
    };
    // Cells arrive in row order; a row is complete when the next row's first cell arrives.
    // Columns count from the header's first cell, so a table may start right of column A.
    let mut first_column: Option<u32> = None;
    let mut current: Option<(u32, Vec<String>)> = None;
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                let _ = sender.send(SheetMessage::Failed(unreadable(&e)));
                return false;
            }
        };
        let (row, column) = cell.get_position();
        if current.as_ref().is_some_and(|(r, _)| *r != row)
            && let Some((r, values)) = current.take()
            // Rows of formatted but empty cells are not rows (nor the header).
            && !values.is_empty()
            && sender
                .send(SheetMessage::Row(u64::from(r) + 1, values))
                .is_err()
        {
            return false;
        }
        let text = cell_text(cell.get_value());
        let (_, values) = current.get_or_insert_with(|| (row, Vec::new()));
        if text.is_empty() {
            continue;
        }
        // The header row is the first with text; its first cell (cells come in column
        // order) fixes the first column.
        let start = *first_column.get_or_insert(column);
        let Some(index) = column.checked_sub(start) else {
            continue; // left of the table
        };
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        if index >= MAX_XLSX_COLUMNS {
            let _ = sender.send(SheetMessage::Failed(file_problem(
                "xlsx",
                format!(
                    "row {} has a cell beyond column {MAX_XLSX_COLUMNS}",
                    row + 1
                ),
            )));
            return false;
        }
        if values.len() <= index {
            values.resize(index + 1, String::new());
        }
        values[index] = text;
    }
    if let Some((r, values)) = current
        && !values.is_empty()
        && sender
            .send(SheetMessage::Row(u64::from(r) + 1, values))
            .is_err()
    {
        return false;
    }
    true
}

/// No sheet of ours has more than a few dozen columns; a cell far to the right is damage.
const MAX_XLSX_COLUMNS: usize = 1_024;

fn excel_date(serial: f64) -> Option<NaiveDate> {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(chrono::Duration::days(serial.trunc() as i64))
}

// ---- parsing rows ---------------------------------------------------------------------------

enum Item {
    Enterprise(Box<NewEnterprise>),
    Report { year: i32, figures: ReportFigures },
    Pool(PoolEntryRow),
    Certificate(CertificateRow),
    Label(LabelRow),
}

struct ParsedRow {
    line: u64,
    credit_code: String,
    item: Item,
}

impl ParsedRow {
    /// The record's natural key and the column that names it: a file may hold each record
    /// once, or a second import of it would not be a no-op.
    fn natural_key(&self) -> (String, &'static str) {
        let code = &self.credit_code;
        match &self.item {
            Item::Enterprise(_) => (code.clone(), "credit_code"),
            Item::Report { year, .. } => (format!("{code}/{year}"), "year"),
            Item::Pool(entry) => (format!("{code}/{}", entry.year), "year"),
            Item::Certificate(c) => (c.certificate_no.clone(), "certificate_no"),
            Item::Label(l) => (format!("{code}/{}/{}", l.kind, l.year), "year"),
        }
    }
}

/// Why a new fact dated `date` cannot belong to the firm, if it cannot (the API's rule).
fn outside_existence(firm: Option<&EnterpriseRow>, date: NaiveDate) -> Option<String> {
    let firm = firm?;
    status::outside_existence(firm.registered_on, firm.deregistered_on, date).map(|outside| {
        match outside {
            OutsideExistence::BeforeRegistration(registered) => {
                format!("before the enterprise was registered ({registered})")
            }
            OutsideExistence::AfterDeregistration(gone) => {
                format!("after the enterprise was deregistered ({gone})")
            }
        }
    })
}

/// `from_file` with every field whose column the file lacks taken from `stored`: a column
/// left out of a file means "keep", never "clear". (Field and column names are the same.)
fn keep_absent<T: Serialize + serde::de::DeserializeOwned + Clone>(
    from_file: &T,
    stored: &T,
    present: &[&str],
) -> T {
    let (Ok(mut merged), Ok(stored_value)) = (
        serde_json::to_value(from_file),
        serde_json::to_value(stored),
    ) else {
        return from_file.clone();
    };
    if let (Some(merged_map), Some(stored_map)) = (merged.as_object_mut(), stored_value.as_object())
    {
        for (field, value) in stored_map {
            if !present.contains(&field.as_str()) {
                merged_map.insert(field.clone(), value.clone());
            }
        }
    }
    serde_json::from_value(merged).unwrap_or_else(|_| from_file.clone())
}

struct Cells<'a> {
    header: &'a [HeaderColumn],
    values: &'a [String],
    unit: MoneyUnit,
    errors: Vec<(String, String)>,
}

impl<'a> Cells<'a> {
    fn raw(&self, field: &str) -> Option<&'a str> {
        self.header
            .iter()
            .position(|c| c.field == field)
            .and_then(|i| self.values.get(i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn fail(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push((field.to_owned(), reason.into()));
    }

    fn text(&mut self, field: &str) -> Option<String> {
        let value = self.raw(field).map(str::to_owned);
        if let Some(v) = &value
            && v.contains('\u{fffd}')
        {
            self.fail(
                field,
                "contains characters that are not valid in the file's encoding",
            );
        }
        value
    }

    fn required(&mut self, field: &str) -> Option<String> {
        let value = self.text(field);
        if value.is_none() {
            self.fail(field, "required");
        }
        value
    }

    fn parse<T>(&mut self, field: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.raw(field)?;
        match parse(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(field, e);
                None
            }
        }
    }

    fn money(&mut self, field: &str) -> Option<i64> {
        let unit = self
            .header
            .iter()
            .find(|c| c.field == field)
            .and_then(|c| c.unit)
            .unwrap_or(self.unit);
        self.parse(field, |raw| import::parse_money(raw, unit))
    }

    fn integer(&mut self, field: &str) -> Option<i64> {
        self.parse(field, import::parse_integer)
    }

    fn year(&mut self, field: &str) -> Option<i32> {
        self.parse(field, |raw| {
            import::parse_integer(raw)
                .and_then(|y| i32::try_from(y).map_err(|_| format!("{raw:?} is not a year")))
        })
    }

    fn date(&mut self, field: &str) -> Option<NaiveDate> {
        self.parse(field, import::parse_date)
    }

    fn choice(&mut self, field: &str, choices: &[(&'static str, &[&str])]) -> Option<&'static str> {
        self.parse(field, |raw| import::parse_choice(raw, choices))
    }

    /// A date that must be present and neither in the future nor implausibly old.
    fn past_date(&mut self, field: &str, required: bool, today: NaiveDate) -> Option<NaiveDate> {
        if required && self.raw(field).is_none() {
            self.fail(field, "required");
            return None;
        }
        let date = self.date(field)?;
        let mut errors = Vec::new();
        check_past_date(field, date, today, &mut errors);
        for e in errors {
            self.fail(field, e.message);
        }
        Some(date)
    }

    fn required_choice(
        &mut self,
        field: &str,
        choices: &[(&'static str, &[&str])],
    ) -> Option<&'static str> {
        if self.raw(field).is_none() {
            self.fail(field, "required");
            return None;
        }
        self.choice(field, choices)
    }
}

fn parse_row(
    kind: ImportKind,
    header: &[HeaderColumn],
    line: u64,
    values: &[String],
    unit: MoneyUnit,
    today: NaiveDate,
) -> Result<ParsedRow, Vec<RowError>> {
    let mut cells = Cells {
        header,
        values,
        unit,
        errors: Vec::new(),
    };
    let row_errors = |errors: Vec<(String, String)>| {
        errors
            .into_iter()
            .map(|(column, reason)| RowError {
                line,
                column: Some(column),
                reason,
            })
            .collect::<Vec<_>>()
    };
    if values.len() > header.len() && values[header.len()..].iter().any(|v| !v.trim().is_empty()) {
        return Err(vec![RowError {
            line,
            column: None,
            reason: format!(
                "the row has {} fields but the header has {}",
                values.len(),
                header.len()
            ),
        }]);
    }
    let code = cells
        .required("credit_code")
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_default();
    let item = match kind {
        ImportKind::Enterprises => {
            let request = NewEnterprise {
                credit_code: code.clone(),
                name: cells.required("name").unwrap_or_default(),
                region_code: cells.required("region_code").unwrap_or_default(),
                registered_on: cells.date("registered_on").unwrap_or(today),
                industry_code: cells.required("industry_code").unwrap_or_default(),
                tech_domain: cells
                    .choice("tech_domain", TECH_DOMAINS)
                    .and_then(|d| TechDomain::parse(d).ok()),
                zone_level: cells
                    .choice("zone_level", ZONE_LEVELS)
                    .and_then(ZoneLevel::from_key)
                    .unwrap_or_default(),
                zone_id: cells.text("zone_id"),
                above_scale: cells
                    .parse("above_scale", import::parse_bool)
                    .unwrap_or(false),
                carrier_id: cells.text("carrier_id"),
                listing_status: cells
                    .choice("listing_status", LISTING)
                    .and_then(ListingStatus::from_key)
                    .unwrap_or_default(),
            };
            if cells.raw("registered_on").is_none() {
                cells.fail("registered_on", "required");
            }
            if cells.errors.is_empty() {
                // The API's own rules, so a file and a POST accept the same records.
                if let Err(problem) = request.parse(today) {
                    for e in problem.errors {
                        cells.fail(&e.field, e.message);
                    }
                }
            }
            Item::Enterprise(Box::new(request))
        }
        ImportKind::AnnualReports => {
            let year = cells.year("year");
            if cells.raw("year").is_none() {
                cells.fail("year", "required");
            }
            let figures = ReportFigures {
                employees: cells.integer("employees"),
                st_staff: cells.integer("st_staff"),
                total_income_yuan: cells.money("total_income_yuan"),
                sales_revenue_yuan: cells.money("sales_revenue_yuan"),
                hightech_income_yuan: cells.money("hightech_income_yuan"),
                rd_expense_yuan: cells.money("rd_expense_yuan"),
                rd_expense_domestic_yuan: cells.money("rd_expense_domestic_yuan"),
                total_costs_yuan: cells.money("total_costs_yuan"),
                net_assets_yuan: cells.money("net_assets_yuan"),
                total_assets_yuan: cells.money("total_assets_yuan"),
                industrial_output_yuan: cells.money("industrial_output_yuan"),
                tax_paid_yuan: cells.money("tax_paid_yuan"),
                invention_patents: cells.integer("invention_patents"),
                class1_ip: cells.integer("class1_ip"),
                class2_ip: cells.integer("class2_ip"),
                new_ip: cells.integer("new_ip"),
                conversions: cells.integer("conversions"),
                rd_institution: cells
                    .choice("rd_institution", RD_INSTITUTIONS)
                    .and_then(|r| RdInstitution::parse(r).ok()),
            };
            for e in figures.validate() {
                cells.fail(&e.field, e.message);
            }
            Item::Report {
                year: year.unwrap_or_default(),
                figures,
            }
        }
        ImportKind::PoolEntries => {
            let year = cells.year("year").unwrap_or_default();
            if let Err(e) = check_programme_year(year, today) {
                cells.fail("year", e);
            }
            let batch = cells.integer("batch").unwrap_or_default();
            if !(1..=99).contains(&batch) {
                cells.fail("batch", "batch must be between 1 and 99");
            }
            let entered_on = cells.past_date("entered_on", true, today);
            let exited_on = cells.past_date("exited_on", false, today);
            let exit_reason = cells.text("exit_reason");
            if exited_on.is_some() != exit_reason.is_some() {
                cells.fail("exit_reason", "exited_on and exit_reason go together");
            }
            if let (Some(entered), Some(exited)) = (entered_on, exited_on)
                && exited < entered
            {
                cells.fail("exited_on", "exited_on is before entered_on");
            }
            Item::Pool(PoolEntryRow {
                credit_code: code.clone(),
                year,
                batch: batch as i32,
                source: cells.required("source").unwrap_or_default(),
                entered_on: entered_on.unwrap_or(today),
                exited_on,
                exit_reason,
                created_at: now(),
            })
        }
        ImportKind::Certificates => {
            let issued_on = cells.past_date("issued_on", true, today);
            let number = match (cells.required("certificate_no"), issued_on) {
                (Some(raw), Some(issued)) => match CertificateNo::parse(&raw, issued) {
                    Ok(n) => n.as_str().to_owned(),
                    Err((_, message)) => {
                        cells.fail("certificate_no", message);
                        raw
                    }
                },
                (raw, _) => raw.unwrap_or_default(),
            };
            let revoked_on = cells.past_date("revoked_on", false, today);
            if let (Some(issued), Some(revoked)) = (issued_on, revoked_on)
                && revoked < issued
            {
                cells.fail("revoked_on", "revoked_on is before issued_on");
            }
            let issued_on = issued_on.unwrap_or(today);
            let revoke_reason = cells.text("revoke_reason");
            if revoked_on.is_some() != revoke_reason.is_some() {
                cells.fail("revoke_reason", "revoked_on and revoke_reason go together");
            }
            if let Some(reason) = &revoke_reason
                && let Err(e) = parse_reason(reason)
            {
                cells.fail("revoke_reason", e);
            }
            Item::Certificate(CertificateRow {
                certificate_no: number,
                credit_code: code.clone(),
                issued_on,
                expires_on: certificate_expiry(issued_on),
                revoked_on,
                revoke_reason,
                created_at: now(),
            })
        }
        ImportKind::Labels => {
            let year = cells.year("year").unwrap_or_default();
            if let Err(e) = check_programme_year(year, today) {
                cells.fail("year", e);
            }
            Item::Label(LabelRow {
                credit_code: code.clone(),
                kind: cells
                    .required_choice("kind", LABEL_KINDS)
                    .unwrap_or_default()
                    .to_owned(),
                year,
                level: cells
                    .required_choice("level", LABEL_LEVELS)
                    .unwrap_or_default()
                    .to_owned(),
                issuer: cells.text("issuer"),
                revoked_on: None,
                revoke_reason: None,
                created_at: now(),
            })
        }
    };
    if !cells.errors.is_empty() {
        return Err(row_errors(cells.errors));
    }
    Ok(ParsedRow {
        line,
        credit_code: code,
        item,
    })
}

// ---- writing batches ------------------------------------------------------------------------

enum Applied {
    Created,
    Updated,
    Unchanged,
}

fn rejected(line: u64, column: Option<&str>, reason: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.map(str::to_owned),
        reason: reason.into(),
    }
}

/// Rows created by a batch, inserted together at its end (several hundred per statement).
#[derive(Default)]
struct NewRows {
    enterprises: Vec<EnterpriseRow>,
    reports: Vec<AnnualReportRow>,
    pool: Vec<PoolEntryRow>,
    certificates: Vec<CertificateRow>,
    labels: Vec<LabelRow>,
}

macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {{
        // Backend-specific in diesel, so through the concrete connection: PostgreSQL takes
        // the whole batch as one binary COPY (several times faster than multi-row INSERTs
        // and still inside the batch's transaction); SQLite takes multi-row INSERTs.
        if !$rows.is_empty() {
            match &mut *$conn {
                DbConnection::Postgresql(pg) => {
                    diesel::copy_from($table)
                        .from_insertable(&$rows)
                        .execute(pg)?;
                }
                DbConnection::Sqlite(sqlite) => {
                    for chunk in $rows.chunks(500) {
                        diesel::insert_into($table).values(chunk).execute(sqlite)?;
                    }
                }
            }
        }
    }};
}

impl NewRows {
    fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        // Parents first: the other tables refer to enterprises.
        insert_many!(conn, enterprises::table, self.enterprises);
        insert_many!(conn, annual_reports::table, self.reports);
        insert_many!(conn, pool_entries::table, self.pool);
        insert_many!(conn, certificates::table, self.certificates);
        insert_many!(conn, labels::table, self.labels);
        Ok(())
    }
}

/// What is stored already for a batch's keys, read in one query per table.
struct Existing {
    firms: HashMap<String, EnterpriseRow>,
    reports: HashMap<(String, i32), AnnualReportRow>,
    pool: HashMap<(String, i32), PoolEntryRow>,
    certificates: HashMap<String, CertificateRow>,
    labels: HashMap<(String, String, i32), LabelRow>,
}

impl Existing {
    fn load(conn: &mut DbConnection, kind: ImportKind, rows: &[ParsedRow]) -> QueryResult<Self> {
        let mut codes: Vec<String> = rows.iter().map(|r| r.credit_code.clone()).collect();
        codes.sort_unstable();
        codes.dedup();
        let firms = enterprises::table
            .filter(enterprises::credit_code.eq_any(&codes))
            .select(EnterpriseRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|row| (row.credit_code.clone(), row))
            .collect();
        let mut existing = Self {
            firms,
            reports: HashMap::new(),
            pool: HashMap::new(),
            certificates: HashMap::new(),
            labels: HashMap::new(),
        };
        match kind {
            ImportKind::Enterprises => {}
            ImportKind::AnnualReports => {
                existing.reports = annual_reports::table
                    .filter(annual_reports::credit_code.eq_any(&codes))
                    .select(AnnualReportRow::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(|r| ((r.credit_code.clone(), r.year), r))
                    .collect();
            }
            ImportKind::PoolEntries => {
                existing.pool = pool_entries::table
                    .filter(pool_entries::credit_code.eq_any(&codes))
                    .select(PoolEntryRow::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(|r| ((r.credit_code.clone(), r.year), r))
                    .collect();
            }
            ImportKind::Certificates => {
                let numbers: Vec<String> = rows
                    .iter()
                    .filter_map(|r| match &r.item {
                        Item::Certificate(c) => Some(c.certificate_no.clone()),
                        _ => None,
                    })
                    .collect();
                existing.certificates = certificates::table
                    .filter(certificates::certificate_no.eq_any(&numbers))
                    .select(CertificateRow::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(|r| (r.certificate_no.clone(), r))
                    .collect();
            }
            ImportKind::Labels => {
                existing.labels = labels::table
                    .filter(labels::credit_code.eq_any(&codes))
                    .select(LabelRow::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(|r| ((r.credit_code.clone(), r.kind.clone(), r.year), r))
                    .collect();
            }
        }
        Ok(existing)
    }
}

/// Writes one batch of parsed rows; returns per-row results in order. Existing rows are read
/// in one query per table, new rows are inserted together at the end, and the audit entries
/// are chained and written in one go.
fn apply_batch(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    reason: &str,
    kind: ImportKind,
    present: &[&str],
    rows: Vec<ParsedRow>,
) -> Result<Vec<Result<Applied, RowError>>, RegistryError> {
    let mut existing = Existing::load(conn, kind, &rows)?;
    let mut created = NewRows::default();
    // Where a key created earlier in this batch sits in `created`, for repeated keys.
    let mut pending_at: HashMap<String, usize> = HashMap::new();
    let mut chain = ChainWriter::new();
    let mut results = Vec::with_capacity(rows.len());
    let today = today();
    for row in rows {
        let region_ok = |firm: &EnterpriseRow| {
            RegionCode::parse(&firm.region_code).is_ok_and(|region| caller.may_write(&region))
        };
        let firm = existing.firms.get(&row.credit_code).cloned();
        // Child records need a firm the caller may write; other regions' firms look absent.
        if !matches!(row.item, Item::Enterprise(_)) {
            match &firm {
                Some(f) if region_ok(f) => {}
                Some(f)
                    if caller.may_read(
                        &RegionCode::parse(&f.region_code)
                            .unwrap_or(hte_shared::regions::PROVINCE_CODE),
                    ) =>
                {
                    results.push(Err(rejected(
                        row.line,
                        Some("credit_code"),
                        "your token may not write this enterprise's region",
                    )));
                    continue;
                }
                _ => {
                    results.push(Err(rejected(
                        row.line,
                        Some("credit_code"),
                        format!(
                            "no enterprise {} in your region; import the enterprise first",
                            row.credit_code
                        ),
                    )));
                    continue;
                }
            }
        }
        let code = row.credit_code.clone();
        let result = match row.item {
            Item::Enterprise(request) => {
                let request = match &firm {
                    Some(stored) => {
                        keep_absent(&*request, &NewEnterprise::from_row(stored), present)
                    }
                    None => *request,
                };
                let fields = match request.parse(today) {
                    Ok(fields) => fields,
                    Err(problem) => {
                        results.push(Err(rejected(
                            row.line,
                            problem.errors.first().map(|e| e.field.as_str()),
                            problem.detail.unwrap_or_default(),
                        )));
                        continue;
                    }
                };
                // Name the region that is not the caller's: the new one, or where the firm
                // is registered now (moving a firm needs a right over both).
                let refused_region = if !caller.may_write(&fields.county.code()) {
                    Some(fields.county.code().to_string())
                } else {
                    firm.as_ref()
                        .filter(|f| !region_ok(f))
                        .map(|f| f.region_code.clone())
                };
                if let Some(region) = refused_region {
                    results.push(Err(rejected(
                        row.line,
                        Some("region_code"),
                        format!("your token may not write region {region}"),
                    )));
                    continue;
                }
                let candidate = fields.into_row(firm.as_ref());
                let pending = pending_at.get(&code).copied();
                match (&firm, pending) {
                    (Some(existing_row), _) if existing_row.same_facts(&candidate) => {
                        Applied::Unchanged
                    }
                    (Some(_), Some(index)) => {
                        // The same firm twice in one batch: the later row wins.
                        created.enterprises[index] = EnterpriseRow {
                            version: 1,
                            ..candidate.clone()
                        };
                        existing.firms.insert(code.clone(), candidate);
                        Applied::Updated
                    }
                    (Some(existing_row), None) => {
                        // Only over the version read: a concurrent API update is not overwritten.
                        let written = diesel::update(
                            enterprises::table
                                .find(&code)
                                .filter(enterprises::version.eq(existing_row.version)),
                        )
                        .set(&candidate)
                        .execute(conn)?;
                        if written == 0 {
                            results.push(Err(rejected(
                                row.line,
                                None,
                                "the enterprise changed while importing; import the row again",
                            )));
                            continue;
                        }
                        chain.push(
                            actor,
                            Change {
                                entity_type: "enterprise",
                                entity_key: &code,
                                action: "update",
                                reason: Some(reason),
                                before: Some(record_json(existing_row)),
                                after: Some(record_json(&candidate)),
                            },
                        );
                        existing.firms.insert(code.clone(), candidate);
                        Applied::Updated
                    }
                    (None, _) => {
                        chain.push(
                            actor,
                            Change {
                                entity_type: "enterprise",
                                entity_key: &code,
                                action: "create",
                                reason: Some(reason),
                                before: None,
                                after: Some(record_json(&candidate)),
                            },
                        );
                        existing.firms.insert(code.clone(), candidate.clone());
                        pending_at.insert(code.clone(), created.enterprises.len());
                        created.enterprises.push(candidate);
                        Applied::Created
                    }
                }
            }
            Item::Report { year, figures } => {
                let figures = match existing.reports.get(&(code.clone(), year)) {
                    Some(stored) => keep_absent(&figures, &figures_of(stored), present),
                    None => figures,
                };
                let registered = firm.as_ref().map_or(today, |f| f.registered_on);
                if let Err(e) = check_year(year, registered.year(), today.year()) {
                    results.push(Err(rejected(row.line, Some("year"), e.message)));
                    continue;
                }
                let key = (code.clone(), year);
                let pending_key = format!("{code}/{year}");
                let pending = pending_at.get(&pending_key).copied();
                match (existing.reports.get(&key).cloned(), pending) {
                    (Some(before), _) if figures_of(&before) == figures => Applied::Unchanged,
                    (Some(_), Some(index)) => {
                        created.reports[index] = row_of(&code, year, &figures, 1);
                        existing.reports.insert(key, created.reports[index].clone());
                        Applied::Updated
                    }
                    (Some(before), None) => {
                        let after = row_of(&code, year, &figures, before.version + 1);
                        let written = diesel::update(
                            annual_reports::table
                                .find((&code, year))
                                .filter(annual_reports::version.eq(before.version)),
                        )
                        .set(&after)
                        .execute(conn)?;
                        if written == 0 {
                            results.push(Err(rejected(
                                row.line,
                                None,
                                "the report changed while importing; import the row again",
                            )));
                            continue;
                        }
                        chain.push(
                            actor,
                            Change {
                                entity_type: "annual_report",
                                entity_key: &code,
                                action: "replace",
                                reason: Some(reason),
                                // As the API records it: which report, which version.
                                before: serde_json::to_value(report_view(&before)).ok(),
                                after: serde_json::to_value(report_view(&after)).ok(),
                            },
                        );
                        existing.reports.insert(key, after);
                        Applied::Updated
                    }
                    (None, _) => {
                        let after = row_of(&code, year, &figures, 1);
                        chain.push(
                            actor,
                            Change {
                                entity_type: "annual_report",
                                entity_key: &code,
                                action: "create",
                                reason: Some(reason),
                                before: None,
                                after: serde_json::to_value(report_view(&after)).ok(),
                            },
                        );
                        existing.reports.insert(key, after.clone());
                        pending_at.insert(pending_key, created.reports.len());
                        created.reports.push(after);
                        Applied::Created
                    }
                }
            }
            Item::Pool(entry) => {
                let key = (code.clone(), entry.year);
                let stored = existing.pool.get(&key).cloned();
                if stored.is_none()
                    && let Some(why) = outside_existence(firm.as_ref(), entry.entered_on)
                {
                    results.push(Err(rejected(
                        row.line,
                        Some("entered_on"),
                        format!("entered the pool {why}"),
                    )));
                    continue;
                }
                // A file without exit columns does not reopen an exit recorded since.
                let entry = match &stored {
                    Some(before) if entry.exited_on.is_none() => PoolEntryRow {
                        exited_on: before.exited_on,
                        exit_reason: before.exit_reason.clone(),
                        ..entry
                    },
                    _ => entry,
                };
                let same = |e: &PoolEntryRow| {
                    (
                        e.batch,
                        e.source.clone(),
                        e.entered_on,
                        e.exited_on,
                        e.exit_reason.clone(),
                    )
                };
                let json = |e: &PoolEntryRow| serde_json::json!({"year": e.year, "batch": e.batch, "source": e.source, "entered_on": e.entered_on, "exited_on": e.exited_on, "exit_reason": e.exit_reason});
                let pending_key = format!("{code}/{}", entry.year);
                let pending = pending_at.get(&pending_key).copied();
                match (stored, pending) {
                    (Some(before), _) if same(&before) == same(&entry) => Applied::Unchanged,
                    (Some(_), Some(index)) => {
                        created.pool[index] = entry.clone();
                        existing.pool.insert(key, entry);
                        Applied::Updated
                    }
                    (Some(before), None) => {
                        let after = PoolEntryRow {
                            created_at: before.created_at,
                            ..entry
                        };
                        diesel::update(pool_entries::table.find((&code, after.year)))
                            .set(&after)
                            .execute(conn)?;
                        chain.push(
                            actor,
                            Change {
                                entity_type: "pool_entry",
                                entity_key: &code,
                                action: "update",
                                reason: Some(reason),
                                before: Some(json(&before)),
                                after: Some(json(&after)),
                            },
                        );
                        existing.pool.insert(key, after);
                        Applied::Updated
                    }
                    (None, _) => {
                        chain.push(
                            actor,
                            Change {
                                entity_type: "pool_entry",
                                entity_key: &code,
                                action: "create",
                                reason: Some(reason),
                                before: None,
                                after: Some(json(&entry)),
                            },
                        );
                        existing.pool.insert(key, entry.clone());
                        pending_at.insert(pending_key, created.pool.len());
                        created.pool.push(entry);
                        Applied::Created
                    }
                }
            }
            Item::Certificate(certificate) => {
                let stored = existing
                    .certificates
                    .get(&certificate.certificate_no)
                    .cloned();
                // A file without revocation columns does not undo a revocation recorded since.
                let certificate = match &stored {
                    Some(before) if certificate.revoked_on.is_none() => CertificateRow {
                        revoked_on: before.revoked_on,
                        revoke_reason: before.revoke_reason.clone(),
                        ..certificate
                    },
                    _ => certificate,
                };
                let same = |c: &CertificateRow| {
                    (
                        c.credit_code.clone(),
                        c.issued_on,
                        c.revoked_on,
                        c.revoke_reason.clone(),
                    )
                };
                let json = |c: &CertificateRow| serde_json::json!({"certificate_no": c.certificate_no, "issued_on": c.issued_on, "expires_on": c.expires_on, "revoked_on": c.revoked_on, "revoke_reason": c.revoke_reason});
                let pending = pending_at.get(&certificate.certificate_no).copied();
                match (stored, pending) {
                    (Some(before), _) if before.credit_code != code => {
                        results.push(Err(rejected(
                            row.line,
                            Some("certificate_no"),
                            format!(
                                "certificate {} belongs to another enterprise",
                                before.certificate_no
                            ),
                        )));
                        continue;
                    }
                    (Some(before), _) if same(&before) == same(&certificate) => Applied::Unchanged,
                    (Some(_), Some(index)) => {
                        created.certificates[index] = certificate.clone();
                        existing
                            .certificates
                            .insert(certificate.certificate_no.clone(), certificate);
                        Applied::Updated
                    }
                    (Some(before), None) => {
                        let after = CertificateRow {
                            created_at: before.created_at,
                            ..certificate
                        };
                        diesel::update(certificates::table.find(&after.certificate_no))
                            .set(&after)
                            .execute(conn)?;
                        chain.push(
                            actor,
                            Change {
                                entity_type: "certificate",
                                entity_key: &code,
                                action: "update",
                                reason: Some(reason),
                                before: Some(json(&before)),
                                after: Some(json(&after)),
                            },
                        );
                        existing
                            .certificates
                            .insert(after.certificate_no.clone(), after);
                        Applied::Updated
                    }
                    (None, _) => {
                        if let Some(why) = outside_existence(firm.as_ref(), certificate.issued_on) {
                            results.push(Err(rejected(
                                row.line,
                                Some("issued_on"),
                                format!("issued {why}"),
                            )));
                            continue;
                        }
                        chain.push(
                            actor,
                            Change {
                                entity_type: "certificate",
                                entity_key: &code,
                                action: "create",
                                reason: Some(reason),
                                before: None,
                                after: Some(json(&certificate)),
                            },
                        );
                        existing
                            .certificates
                            .insert(certificate.certificate_no.clone(), certificate.clone());
                        pending_at.insert(
                            certificate.certificate_no.clone(),
                            created.certificates.len(),
                        );
                        created.certificates.push(certificate);
                        Applied::Created
                    }
                }
            }
            Item::Label(label) => {
                let key = (code.clone(), label.kind.clone(), label.year);
                let first_day = NaiveDate::from_ymd_opt(label.year, 1, 1)
                    .zip(firm.as_ref())
                    .map(|(day, f)| day.max(f.registered_on));
                if !existing.labels.contains_key(&key)
                    && let Some(why) =
                        first_day.and_then(|day| outside_existence(firm.as_ref(), day))
                {
                    results.push(Err(rejected(
                        row.line,
                        Some("year"),
                        format!("a label for {} would start {why}", label.year),
                    )));
                    continue;
                }
                let json = |l: &LabelRow| serde_json::json!({"kind": l.kind, "year": l.year, "level": l.level, "issuer": l.issuer});
                let pending_key = format!("{code}/{}/{}", label.kind, label.year);
                let pending = pending_at.get(&pending_key).copied();
                match (existing.labels.get(&key).cloned(), pending) {
                    (Some(before), _)
                        if before.level == label.level && before.issuer == label.issuer =>
                    {
                        Applied::Unchanged
                    }
                    (Some(_), Some(index)) => {
                        created.labels[index] = label.clone();
                        existing.labels.insert(key, label);
                        Applied::Updated
                    }
                    (Some(before), None) => {
                        let after = LabelRow {
                            created_at: before.created_at,
                            revoked_on: before.revoked_on,
                            revoke_reason: before.revoke_reason.clone(),
                            ..label
                        };
                        diesel::update(labels::table.find((&code, &after.kind, after.year)))
                            .set(&after)
                            .execute(conn)?;
                        chain.push(
                            actor,
                            Change {
                                entity_type: "label",
                                entity_key: &code,
                                action: "update",
                                reason: Some(reason),
                                before: Some(json(&before)),
                                after: Some(json(&after)),
                            },
                        );
                        existing.labels.insert(key, after);
                        Applied::Updated
                    }
                    (None, _) => {
                        chain.push(
                            actor,
                            Change {
                                entity_type: "label",
                                entity_key: &code,
                                action: "create",
                                reason: Some(reason),
                                before: None,
                                after: Some(json(&label)),
                            },
                        );
                        existing.labels.insert(key, label.clone());
                        pending_at.insert(pending_key, created.labels.len());
                        created.labels.push(label);
                        Applied::Created
                    }
                }
            }
        };
        results.push(Ok(result));
    }
    created.insert(conn)?;
    chain.flush(conn)?;
    Ok(results)
}

/// Rows read and parsed by the reader thread, ready to be written.
#[derive(Default)]
struct Parsed {
    read: i64,
    rows: Vec<ParsedRow>,
    rejected: Vec<Vec<RowError>>,
}

struct Tally {
    counts: Counts,
    errors: Vec<RowError>,
    truncated: bool,
}

impl Tally {
    fn reject(&mut self, errors: Vec<RowError>) {
        self.counts.rejected += 1;
        for error in errors {
            if self.errors.len() < MAX_KEPT_ERRORS {
                self.errors.push(error);
            } else {
                self.truncated = true;
            }
        }
    }
}

/// Reads the file and applies it per `settings.mode`. File-level problems (unreadable,
/// empty, wrong header) are returned as errors before anything is written.
pub fn run(
    conn: &mut DbConnection,
    path: &Path,
    settings: &Settings,
    caller: &Caller,
    actor: &Actor,
    import_id: &str,
) -> Result<Outcome, RegistryError> {
    if settings.mode == Mode::Partial {
        // Batches are committed as they go, so a file that breaks off half-way (a damaged
        // line, a truncated sheet) must be found before the first one: read it through
        // (before the real reader opens, so an XLSX workbook is unpacked once at a time).
        let (_, check, _) = open_records(path, settings)?;
        for record in check {
            record?;
        }
    }
    let (header_cells, records, encoding) = open_records(path, settings)?;
    let header = import::resolve_header(settings.kind, &header_cells)
        .map_err(|e| file_problem("header", e))?;
    let reason = format!("import {import_id}");
    let present: Vec<&'static str> = header
        .iter()
        .map(|c| c.field)
        .filter(|f| !f.is_empty())
        .collect();
    let today = today();
    let mut tally = Tally {
        counts: Counts::default(),
        errors: Vec::new(),
        truncated: false,
    };

    let process = |conn: &mut DbConnection,
                   records: Records,
                   per_batch_transactions: bool,
                   tally: &mut Tally|
     -> Result<(), RegistryError> {
        let mut flush = |batch: Vec<ParsedRow>, tally: &mut Tally| -> Result<(), RegistryError> {
            let results = if per_batch_transactions {
                conn.transaction(|conn| {
                    apply_batch(conn, caller, actor, &reason, settings.kind, &present, batch)
                })?
            } else {
                apply_batch(conn, caller, actor, &reason, settings.kind, &present, batch)?
            };
            for result in results {
                match result {
                    Ok(Applied::Created) => tally.counts.created += 1,
                    Ok(Applied::Updated) => tally.counts.updated += 1,
                    Ok(Applied::Unchanged) => tally.counts.unchanged += 1,
                    Err(error) => tally.reject(vec![error]),
                }
            }
            Ok(())
        };
        // Reading, decoding and validating run on their own thread, a batch or two ahead of
        // the writes: the file and the database each keep a core busy.
        std::thread::scope(|scope| -> Result<(), RegistryError> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Parsed, Problem>>(2);
            let header = &header;
            scope.spawn(move || {
                let mut chunk = Parsed::default();
                // First line of each natural key, by a 64-bit hash of it (a few MiB for a
                // province, where the keys themselves would take tens).
                let mut first_line: HashMap<u64, u64> = HashMap::new();
                for record in records {
                    let (line, values) = match record {
                        Ok(record) => record,
                        Err(problem) => {
                            let _ = sender.send(Err(problem));
                            return;
                        }
                    };
                    if values.iter().all(|v| v.trim().is_empty()) {
                        continue;
                    }
                    chunk.read += 1;
                    match parse_row(settings.kind, header, line, &values, settings.unit, today) {
                        Ok(row) => {
                            let (key, column) = row.natural_key();
                            let hash = {
                                use std::hash::{Hash, Hasher};
                                let mut hasher = std::hash::DefaultHasher::new();
                                key.hash(&mut hasher);
                                hasher.finish()
                            };
                            match first_line.entry(hash) {
                                std::collections::hash_map::Entry::Occupied(first) => {
                                    chunk.rejected.push(vec![rejected(
                                        line,
                                        Some(column),
                                        format!(
                                            "the same record as line {} ({key}); a file may hold each record once",
                                            first.get()
                                        ),
                                    )]);
                                }
                                std::collections::hash_map::Entry::Vacant(slot) => {
                                    slot.insert(line);
                                    chunk.rows.push(row);
                                }
                            }
                        }
                        Err(errors) => chunk.rejected.push(errors),
                    }
                    if chunk.rows.len() == BATCH_ROWS
                        && sender.send(Ok(std::mem::take(&mut chunk))).is_err()
                    {
                        return;
                    }
                }
                // Whatever follows the last full batch, blank trailing rows included.
                let _ = sender.send(Ok(chunk));
            });
            for chunk in receiver {
                let chunk = chunk?;
                tally.counts.rows += chunk.read;
                for errors in chunk.rejected {
                    tally.reject(errors);
                }
                if !chunk.rows.is_empty() {
                    flush(chunk.rows, tally)?;
                }
            }
            Ok(())
        })?;
        Ok(())
    };

    let committed = match settings.mode {
        Mode::DryRun => {
            rehearse(conn, |conn| process(conn, records, false, &mut tally))?;
            false
        }
        Mode::Partial => {
            process(conn, records, true, &mut tally)?;
            true
        }
        Mode::Atomic => {
            // One transaction; any refused row rolls everything back.
            let mut all_good = false;
            let result = conn.transaction::<_, RegistryError, _>(|conn| {
                process(conn, records, false, &mut tally)?;
                all_good = tally.counts.rejected == 0;
                if all_good {
                    Ok(())
                } else {
                    Err(RegistryError::from(
                        diesel::result::Error::RollbackTransaction,
                    ))
                }
            });
            match result {
                Ok(()) => true,
                Err(RegistryError::Db(hte_shared::db::DbError::Query(
                    diesel::result::Error::RollbackTransaction,
                ))) if !all_good => {
                    // Nothing was written: no row counts as created, updated or unchanged.
                    tally.counts.created = 0;
                    tally.counts.updated = 0;
                    tally.counts.unchanged = 0;
                    false
                }
                Err(e) => return Err(e),
            }
        }
    };
    Ok(Outcome {
        counts: tally.counts,
        errors: tally.errors,
        errors_truncated: tally.truncated,
        encoding,
        committed,
    })
}
