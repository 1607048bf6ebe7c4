//! Reading a file's records: the header's cells, then each data row as (line, cells).

use std::fs::File;
use std::path::Path;

use hte_shared::download;
use hte_shared::problem::{FieldError, Problem};

use super::{FileFormat, Settings};

mod compound;
mod csv;
mod unpacked;
mod workbook;
mod xlsx;

pub use xlsx::MAX_XLSX_BYTES;

/// A problem with the file as a whole (unreadable, empty, wrong header): a 400 on `file`.
pub(super) fn file_problem(rule: &str, message: impl Into<hte_shared::i18n::Text>) -> Problem {
    Problem::validation(vec![FieldError::new("file", rule, message)])
}

/// The data rows of a file: (line in the file, cells), or the problem that stopped reading.
pub(super) type Records = Box<dyn Iterator<Item = Result<(u64, Vec<String>), Problem>> + Send>;

/// The first row with text of a file, with its line: the header, or a title above it.
pub(super) type FirstRow = (u64, Vec<String>);

/// How a file was read: its encoding (`xlsx` for workbooks) and the worksheet read.
pub(super) struct Source {
    pub encoding: &'static str,
    pub sheet: Option<String>,
}

/// Opens the file and returns its first row, an iterator of the rows after it, and the
/// encoding it was read in.
pub(super) fn open_records(
    path: &Path,
    settings: &Settings,
) -> Result<(FirstRow, Records, Source), Problem> {
    let file = File::open(path).map_err(io_problem)?;
    let length = file.metadata().map_err(io_problem)?.len();
    if length == 0 {
        return Err(file_problem(
            "not_empty",
            hte_shared::text!("the file is empty", "文件为空"),
        ));
    }
    let (header, rows, encoding) = match settings.format {
        FileFormat::Xlsx => xlsx::records(file, length)?,
        FileFormat::Xls => xls_records(file, length)?,
        FileFormat::Csv => csv::records(file, settings.encoding)?,
    };
    let rows = rows.map(|row| row.map(|(line, cells)| (line, restored(cells))));
    Ok(((header.0, restored(header.1)), Box::new(rows), encoding))
}

/// A legacy workbook, checked whole in memory (it is not compressed, and capped in size)
/// before its reader opens it.
fn xls_records(mut file: File, length: u64) -> Result<(FirstRow, Records, Source), Problem> {
    use std::io::{Read, Seek};
    xlsx::within_workbook_size(length)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_problem)?;
    match compound::check(&bytes) {
        Ok(()) => {}
        Err(unpacked::Refusal::Unreadable(e)) => return Err(xlsx::unreadable(&e)),
        Err(unpacked::Refusal::Exceeded(exceeded)) => return Err(exceeded.problem()),
    }
    drop(bytes);
    file.rewind().map_err(io_problem)?;
    workbook::records(file, workbook::Book::Xls, Vec::new())
}

/// The cells without the apostrophe our CSV exports put before formula-like text, so an
/// export imports back unchanged.
fn restored(mut cells: Vec<String>) -> Vec<String> {
    for cell in &mut cells {
        if download::restore_cell(cell).len() != cell.len() {
            cell.remove(0);
        }
    }
    cells
}

/// Reading our own temporary file failed: logged, a 500.
fn io_problem(e: std::io::Error) -> Problem {
    tracing::error!(error = %e, "reading the uploaded file");
    Problem::internal()
}
