//! Legacy `.xls` (BIFF) and OpenDocument `.ods` records. Their readers hold every sheet whole,
//! so each file is bounded before it opens (`compound` for `.xls`, `unpacked` for `.ods`);
//! the first sheet's cells then go through the XLSX path's rows, merges and limits.

use std::fs::File;
use std::io::BufReader;

use calamine::{Data, Ods, Range, Reader, Xls};
use hte_shared::problem::Problem;
use hte_shared::text;

use super::unpacked::MergedDown;
use super::xlsx::{self, SheetMessage};
use super::{FirstRow, Records, Source, file_problem};
use crate::app::imports::pipeline::column_letters;

/// Which reader a workbook needs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Book {
    Xls,
    Ods,
}

impl Book {
    fn label(self) -> &'static str {
        match self {
            Self::Xls => "xls",
            Self::Ods => "ods",
        }
    }
}

/// The first sheet of a workbook already checked against the limits, as records.
/// `merged_down` holds the `.ods` merges found by the check (`.xls` files list their own).
pub(super) fn records(
    file: File,
    book: Book,
    merged_down: Vec<MergedDown>,
) -> Result<(FirstRow, Records, Source), Problem> {
    xlsx::spawn_reader(book.label(), move |sender| {
        let sheet = match book {
            Book::Xls => first_xls_sheet(file),
            Book::Ods => first_ods_sheet(file, merged_down),
        };
        match sheet {
            Ok(sheet) => send_sheet(sheet, sender),
            Err(problem) => {
                let _ = sender.send(SheetMessage::Failed(problem));
                false
            }
        }
    })
}

/// The first worksheet: its name, values, formulas and merges down a column.
struct FirstSheet {
    name: String,
    values: Range<Data>,
    formulas: Range<String>,
    merged_down: Vec<MergedDown>,
}

fn first_xls_sheet(file: File) -> Result<FirstSheet, Problem> {
    let book: Xls<_> = Xls::new(BufReader::new(file)).map_err(|e| xlsx::unreadable(&e))?;
    first_sheet(book, |book, name| {
        book.worksheet_merge_cells(name)
            .into_iter()
            .flatten()
            .filter(|m| m.start.1 == m.end.1 && m.end.0 > m.start.0)
            .map(|m| MergedDown {
                column: m.start.1,
                first_row: m.start.0,
                last_row: m.end.0,
            })
            .collect()
    })
}

fn first_ods_sheet(file: File, merged_down: Vec<MergedDown>) -> Result<FirstSheet, Problem> {
    let book: Ods<_> = Ods::new(BufReader::new(file)).map_err(|e| xlsx::unreadable(&e))?;
    first_sheet(book, |_, _| merged_down)
}

/// The first sheet of a workbook whose reader holds it whole, with its cells merged
/// downwards as the format tells them (`merged_down`, asked before the cells are read).
fn first_sheet<R>(
    mut book: R,
    merged_down: impl FnOnce(&mut R, &str) -> Vec<MergedDown>,
) -> Result<FirstSheet, Problem>
where
    R: Reader<BufReader<File>>,
    R::Error: std::fmt::Display,
{
    let name = first_name(&book)?;
    let merged_down = merged_down(&mut book, &name);
    let (values, formulas) = ranges(&mut book, &name)?;
    Ok(FirstSheet {
        name,
        values,
        formulas,
        merged_down,
    })
}

fn first_name<R: Reader<BufReader<File>>>(book: &R) -> Result<String, Problem> {
    book.sheet_names().first().cloned().ok_or_else(|| {
        file_problem(
            "xlsx",
            text!("the workbook has no worksheet", "工作簿中没有工作表"),
        )
    })
}

fn ranges<R>(book: &mut R, name: &str) -> Result<(Range<Data>, Range<String>), Problem>
where
    R: Reader<BufReader<File>>,
    R::Error: std::fmt::Display,
{
    let values = book
        .worksheet_range(name)
        .map_err(|e| xlsx::unreadable(&e))?;
    let formulas = book
        .worksheet_formula(name)
        .map_err(|e| xlsx::unreadable(&e))?;
    Ok((values, formulas))
}

/// Cells with unsaved formulas named in a problem.
const MAX_NAMED_CELLS: usize = 20;

/// The cells (`H5`) whose formula has no saved value: the reader would take them for empty.
fn unsaved_formulas(sheet: &FirstSheet) -> Vec<String> {
    let (top, left) = sheet.formulas.start().unwrap_or((0, 0));
    sheet
        .formulas
        .used_cells()
        .filter(|(_, _, formula)| !formula.is_empty())
        .map(|(row, column, _)| (top + row as u32, left + column as u32))
        .filter(|position| match sheet.values.get_value(*position) {
            None | Some(Data::Empty) => true,
            Some(Data::String(s)) => s.is_empty(),
            Some(_) => false,
        })
        .take(MAX_NAMED_CELLS)
        .map(|(row, column)| format!("{}{}", column_letters(column as usize), row + 1))
        .collect()
}

/// Sends the sheet's name and its rows, as the XLSX reader does. Returns whether the sheet
/// was read to its end.
fn send_sheet(sheet: FirstSheet, sender: &xlsx::Sender) -> bool {
    let unsaved = unsaved_formulas(&sheet);
    if !unsaved.is_empty() {
        let _ = sender.send(SheetMessage::Failed(xlsx::unsaved_formulas(&unsaved)));
        return false;
    }
    if sender.send(SheetMessage::Sheet(sheet.name)).is_err() {
        return false;
    }
    let (top, left) = sheet.values.start().unwrap_or((0, 0));
    let mut merged_down = sheet.merged_down;
    merged_down.sort_by_key(|m| m.first_row);
    // `used_cells` goes row by row, left to right, as the XLSX cell reader does.
    let mut cells = sheet
        .values
        .used_cells()
        .map(|(row, column, value)| (top + row as u32, left + column as u32, value.clone()));
    let next_cell = || {
        Ok::<_, std::convert::Infallible>(
            cells
                .next()
                .map(|(row, column, value)| (row, column, xlsx::cell_text(value))),
        )
    };
    xlsx::send_cells(next_cell, &merged_down, sender)
}
