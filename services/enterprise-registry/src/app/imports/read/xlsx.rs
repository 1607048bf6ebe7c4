//! XLSX records: the first worksheet, streamed cell by cell on a thread of its own.

use std::fs::File;
use std::io::{BufReader, Seek};

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use hte_shared::problem::Problem;
use hte_shared::text;

use super::unpacked::{self, MergedDown, Refusal};
use super::{FirstRow, Records, Source, file_problem, io_problem, workbook};
use crate::app::imports::MAX_RECORD_BYTES;

/// The first worksheet is streamed row by row, but its shared-strings table is unpacked whole
/// (that is how XLSX stores text), so the file size is capped; larger sheets should be CSV.
/// What the parts unpack to is bounded separately (`unpacked`).
pub const MAX_XLSX_BYTES: u64 = 64 * 1024 * 1024;

/// Excel's own limit; a row number beyond it is damage or a trap.
pub const MAX_XLSX_ROWS: u32 = 1_048_576;

/// Rows read ahead of the importer from an XLSX sheet.
const XLSX_ROWS_AHEAD: usize = 1_024;

pub(super) fn records(file: File, length: u64) -> Result<(FirstRow, Records, Source), Problem> {
    within_workbook_size(length)?;
    let mut file = file;
    let findings = match unpacked::check(&file) {
        Ok(findings) => findings,
        Err(Refusal::Unreadable(e)) => return Err(unreadable(&e)),
        Err(Refusal::Exceeded(exceeded)) => return Err(exceeded.problem()),
    };
    if !findings.unsaved_formulas.is_empty() {
        return Err(unsaved_formulas(&findings.unsaved_formulas));
    }
    file.rewind().map_err(io_problem)?;
    if findings.open_document {
        return workbook::records(file, workbook::Book::Ods, findings.merged_down);
    }
    let mut merged_down = findings.merged_down;
    merged_down.sort_by_key(|m| m.first_row);
    spawn_reader("xlsx", move |sender| send_rows(file, &merged_down, sender))
}

/// Workbooks (XLSX, and the `.xls` and `.ods` read whole by their readers) are capped in size.
pub(super) fn within_workbook_size(length: u64) -> Result<(), Problem> {
    if length > MAX_XLSX_BYTES {
        return Err(file_problem(
            "xlsx_size",
            text!(
                "workbooks are limited to {MAX_XLSX_BYTES} bytes; save larger sheets as CSV",
                "工作簿文件最大 {MAX_XLSX_BYTES} 字节，较大的表格请另存为 CSV"
            ),
        ));
    }
    Ok(())
}

/// The problem of formulas without saved values in the first sheet's cells (`H5`, …).
pub(super) fn unsaved_formulas(cells: &[String]) -> Problem {
    let cells = cells.join(", ");
    Problem::unprocessable(text!(
        "cells {cells} of the first sheet hold formulas without saved values; open the file in Excel or WPS and save it, or paste the values",
        "第一个工作表的单元格 {cells} 含有未保存计算结果的公式，请在 Excel 或 WPS 中打开并保存，或粘贴为数值"
    ))
    .with_errors(vec![hte_shared::problem::FieldError::new(
        "file",
        "unsaved_formula",
        text!(
            "formulas without saved values in cells {cells}",
            "单元格 {cells} 的公式没有保存计算结果"
        ),
    )])
}

/// Runs `read` on a thread of its own, which sends the first worksheet's name and rows
/// through a bounded channel (a workbook reader borrows its workbook, and the sheet is never
/// held whole here); returns the first row and the rows after it. Dropping the records (the
/// import stopped) ends the thread at its next send. `label` names the format in the report.
pub(super) fn spawn_reader(
    label: &'static str,
    read: impl FnOnce(&Sender) -> bool + Send + 'static,
) -> Result<(FirstRow, Records, Source), Problem> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(XLSX_ROWS_AHEAD);
    std::thread::Builder::new()
        .name(format!("{label}-reader"))
        .spawn(move || {
            if read(&sender) {
                let _ = sender.send(SheetMessage::End);
            }
        })
        .map_err(|e| {
            tracing::error!(error = %e, "cannot start the workbook reader");
            Problem::internal()
        })?;
    let mut rows = SheetRows {
        receiver,
        done: false,
        sheet: None,
    };
    let first = match rows.next() {
        None => {
            return Err(file_problem(
                "not_empty",
                text!("the worksheet is empty", "工作表为空"),
            ));
        }
        Some(Err(problem)) => return Err(problem),
        Some(Ok(first)) => first,
    };
    let source = Source {
        encoding: label,
        sheet: rows.sheet.take(),
    };
    Ok((first, Box::new(rows), source))
}

pub(super) enum SheetMessage {
    /// The worksheet's name, sent before its rows.
    Sheet(String),
    Row(u64, Vec<String>),
    Failed(Problem),
    /// The sheet was read to its end; without it a closed channel means the reader died.
    End,
}

/// The rows the XLSX reader thread sends, as the importer's records.
struct SheetRows {
    receiver: std::sync::mpsc::Receiver<SheetMessage>,
    done: bool,
    sheet: Option<String>,
}

impl Iterator for SheetRows {
    type Item = Result<(u64, Vec<String>), Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.receiver.recv() {
            Ok(SheetMessage::Sheet(name)) => {
                self.sheet = Some(name);
                self.next()
            }
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
pub(super) type Sender = std::sync::mpsc::SyncSender<SheetMessage>;

pub(super) fn unreadable(e: &dyn std::fmt::Display) -> Problem {
    tracing::info!(error = %e, "an uploaded workbook cannot be read");
    file_problem(
        "xlsx",
        text!(
            "the workbook cannot be read (truncated, encrypted, or not XLSX, XLS or ODS?)",
            "无法读取该工作簿（文件不完整、已加密，或不是 XLSX、XLS、ODS 格式？）"
        ),
    )
}

/// Opens the first worksheet and sends its rows. Returns whether the sheet was read to its
/// end (a failure has been sent otherwise).
fn send_rows(file: File, merged_down: &[MergedDown], sender: &Sender) -> bool {
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
            text!("the workbook has no worksheet", "工作簿中没有工作表"),
        )));
        return false;
    };
    if sender.send(SheetMessage::Sheet(first.clone())).is_err() {
        return false;
    }
    let mut cells = match workbook.worksheet_cells_reader(&first) {
        Ok(cells) => cells,
        Err(e) => {
            let _ = sender.send(SheetMessage::Failed(unreadable(&e)));
            return false;
        }
    };
    let next_cell = || {
        cells.next_cell().map(|cell| {
            cell.map(|cell| {
                let (row, column) = cell.get_position();
                (row, column, cell_text(Data::from(cell.get_value().clone())))
            })
        })
    };
    send_cells(next_cell, merged_down, sender)
}

/// The values of vertical merges over the rows read so far: a merge's value (its first
/// row's) belongs to each row it covers, as the sheet shows it.
struct MergedValues<'a> {
    merges: &'a [MergedDown],
    next: usize,
    active: Vec<(MergedDown, String)>,
}

impl<'a> MergedValues<'a> {
    fn new(merges: &'a [MergedDown]) -> Self {
        Self {
            merges,
            next: 0,
            active: Vec::new(),
        }
    }

    /// Fills a finished row's empty cells under a merge begun above it, then takes note of
    /// the merges it begins.
    fn fill(&mut self, row: u32, values: &mut Vec<String>) {
        self.active.retain(|(m, _)| m.last_row >= row);
        // A row of nothing but a merge's continuation is no data row.
        let has_own = values.iter().any(|v| !v.is_empty());
        for (merge, value) in self.active.iter().filter(|_| has_own) {
            let index = merge.column as usize;
            if values.len() <= index {
                values.resize(index + 1, String::new());
            }
            if values[index].is_empty() {
                values[index].clone_from(value);
            }
        }
        while let Some(merge) = self.merges.get(self.next).filter(|m| m.first_row <= row) {
            self.next += 1;
            let value = values.get(merge.column as usize).cloned();
            if merge.first_row == row
                && let Some(value) = value.filter(|v| !v.is_empty())
            {
                self.active.push((*merge, value));
            }
        }
    }
}

/// A cell as the text a CSV file would hold.
pub(super) fn cell_text(cell: Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DurationIso(s) => s,
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            excel_date(d.as_f64()).map_or_else(|| d.as_f64().to_string(), |d| d.to_string())
        }
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Sends each row as (Excel row number, cells), columns counted from the header's first.
/// Returns whether the cells were read to their end.
pub(super) fn send_cells<E: std::fmt::Display>(
    mut next_cell: impl FnMut() -> Result<Option<(u32, u32, String)>, E>,
    merged_down: &[MergedDown],
    sender: &Sender,
) -> bool {
    let mut merged = MergedValues::new(merged_down);
    let mut send_row = |(r, mut values): (u32, Vec<String>)| {
        merged.fill(r, &mut values);
        // Rows of formatted but empty cells are not rows (nor the header).
        values.is_empty()
            || sender
                .send(SheetMessage::Row(u64::from(r) + 1, values))
                .is_ok()
    };
    // Cells arrive in row order; a row is complete when the next row's first cell arrives.
    let mut current: Option<(u32, Vec<String>)> = None;
    loop {
        let (row, column, text) = match next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                let _ = sender.send(SheetMessage::Failed(unreadable(&e)));
                return false;
            }
        };
        if current.as_ref().is_some_and(|(r, _)| *r != row)
            && let Some(done) = current.take()
            && !send_row(done)
        {
            return false;
        }
        if let Err(problem) = within_limits(row, current.as_ref(), &text) {
            let _ = sender.send(SheetMessage::Failed(problem));
            return false;
        }
        let (_, values) = current.get_or_insert_with(|| (row, Vec::new()));
        if text.is_empty() {
            continue;
        }
        // Columns count from A, whatever the first row (a title, perhaps) starts with: cells
        // under empty header cells are read past.
        let index = usize::try_from(column).unwrap_or(usize::MAX);
        if index >= MAX_XLSX_COLUMNS {
            let row = row + 1;
            let _ = sender.send(SheetMessage::Failed(file_problem(
                "xlsx",
                text!(
                    "row {row} has a cell beyond column {MAX_XLSX_COLUMNS} of the table",
                    "第 {row} 行有单元格超出表格的第 {MAX_XLSX_COLUMNS} 列"
                ),
            )));
            return false;
        }
        if values.len() <= index {
            values.resize(index + 1, String::new());
        }
        values[index] = text;
    }
    current.is_none_or(send_row)
}

/// A row within Excel's rows whose text, with this cell's, stays within a record's size.
fn within_limits(
    row: u32,
    current: Option<&(u32, Vec<String>)>,
    text: &str,
) -> Result<(), Problem> {
    if row >= MAX_XLSX_ROWS {
        return Err(file_problem(
            "xlsx",
            text!(
                "the sheet has a row beyond row {MAX_XLSX_ROWS}, Excel's last",
                "工作表有超出第 {MAX_XLSX_ROWS} 行（Excel 最后一行）的行"
            ),
        ));
    }
    let so_far = current.filter(|(r, _)| *r == row).map_or(0, |(_, values)| {
        values.iter().map(String::len).sum::<usize>()
    });
    if so_far + text.len() > MAX_RECORD_BYTES {
        let row = row + 1;
        return Err(file_problem(
            "record_size",
            text!(
                "row {row} holds more than {MAX_RECORD_BYTES} bytes of text",
                "第 {row} 行文本超过 {MAX_RECORD_BYTES} 字节"
            ),
        ));
    }
    Ok(())
}

/// No sheet of ours has more than a few dozen columns; a cell far to the right is damage.
const MAX_XLSX_COLUMNS: usize = 1_024;

fn excel_date(serial: f64) -> Option<NaiveDate> {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(chrono::Duration::days(serial.trunc() as i64))
}
