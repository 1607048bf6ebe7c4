//! Tables as files officials open in Excel: CSV (UTF-8 with a byte-order mark, so Excel
//! reads Chinese correctly) or XLSX, with Chinese or English headers.

use hte_shared::export::DateFormats;
use hte_shared::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Zh,
    En,
}

impl Language {
    pub fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        match raw.unwrap_or("zh") {
            "zh" => Ok(Self::Zh),
            "en" => Ok(Self::En),
            other => Err(Problem::invalid_field(
                "lang",
                "enum",
                hte_shared::text!(
                    "lang must be zh or en; got {other:?}",
                    "lang 须为 zh 或 en，收到的是 {other:?}"
                ),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub en: &'static str,
    pub zh: &'static str,
}

impl Column {
    /// A column headed `en` in English and `zh` in Chinese.
    pub const fn new(en: &'static str, zh: &'static str) -> Self {
        Self { en, zh }
    }
}

/// The columns of `parts` one after another, `N` in all (another count fails the build).
pub const fn columns<const N: usize>(parts: &[&[Column]]) -> [Column; N] {
    let mut all = [Column::new("", ""); N];
    let (mut part, mut filled) = (0, 0);
    while part < parts.len() {
        let mut i = 0;
        while i < parts[part].len() {
            all[filled] = parts[part][i];
            (filled, i) = (filled + 1, i + 1);
        }
        part += 1;
    }
    assert!(filled == N, "the parts do not hold N columns");
    all
}

pub use hte_shared::export::Cell;

fn header(column: &Column, language: Language) -> &'static str {
    match language {
        Language::Zh => column.zh,
        Language::En => column.en,
    }
}

pub fn csv_bytes(
    columns: &[Column],
    rows: &[Vec<Cell>],
    language: Language,
) -> Result<Vec<u8>, Problem> {
    csv_chunk(Some((columns, language)), rows)
}

/// CSV text for `rows`, preceded by the byte-order mark and header row when `header_of` is
/// given (the first chunk of a streamed file).
pub fn csv_chunk(
    header_of: Option<(&[Column], Language)>,
    rows: &[Vec<Cell>],
) -> Result<Vec<u8>, Problem> {
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "CSV export failed");
        Problem::internal()
    };
    let mut buffer = Vec::new();
    if header_of.is_some() {
        buffer.extend_from_slice(b"\xEF\xBB\xBF");
    }
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        if let Some((columns, language)) = header_of {
            writer
                .write_record(columns.iter().map(|c| header(c, language)))
                .map_err(fail)?;
        }
        for row in rows {
            writer
                // The importer takes the apostrophe of a neutralised cell off again.
                .write_record(row.iter().map(Cell::csv_text))
                .map_err(fail)?;
        }
        writer.flush().map_err(|e| fail(e.into()))?;
    }
    Ok(buffer)
}

pub fn xlsx_bytes(
    sheet: &str,
    columns: &[Column],
    rows: &[Vec<Cell>],
    language: Language,
) -> Result<Vec<u8>, Problem> {
    let mut writer = XlsxWriter::new(sheet, columns, language)?;
    for row in rows {
        writer.write_row(row)?;
    }
    writer.finish()
}

fn xlsx_failure(e: rust_xlsxwriter::XlsxError) -> Problem {
    tracing::error!(error = %e, "XLSX export failed");
    Problem::internal()
}

/// An XLSX sheet written row by row in constant memory (rows spill to a temporary file),
/// optionally below a header block (title, period, parameters, time made), its header row
/// frozen and, once finished, filtered.
pub struct XlsxWriter {
    workbook: rust_xlsxwriter::Workbook,
    header_row: u32,
    next_row: u32,
    columns: u16,
    dates: DateFormats,
}

impl XlsxWriter {
    pub fn new(sheet: &str, columns: &[Column], language: Language) -> Result<Self, Problem> {
        Self::with_preamble(sheet, &[], columns, language)
    }

    /// A sheet opening with `preamble` rows (their first cells bold) and a blank row above the
    /// header row; the importer reads past such rows as titles.
    pub fn with_preamble(
        sheet: &str,
        preamble: &[Vec<Cell>],
        columns: &[Column],
        language: Language,
    ) -> Result<Self, Problem> {
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let mut writer = Self {
            workbook: rust_xlsxwriter::Workbook::new(),
            header_row: 0,
            next_row: 0,
            columns: u16::try_from(columns.len()).map_err(|_| Problem::internal())?,
            dates: DateFormats::default(),
        };
        let worksheet = writer
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_failure)?;
        worksheet.set_name(sheet).map_err(xlsx_failure)?;
        for line in preamble {
            writer.write_row(line)?;
            if let Some(Cell::Text(label)) = line.first() {
                let row = writer.next_row - 1;
                writer
                    .sheet()?
                    .write_string_with_format(row, 0, label, &bold)
                    .map_err(xlsx_failure)?;
            }
        }
        if !preamble.is_empty() {
            writer.next_row += 1;
        }
        writer.header_row = writer.next_row;
        let header_row = writer.header_row;
        let worksheet = writer.sheet()?;
        worksheet
            .set_freeze_panes(header_row + 1, 0)
            .map_err(xlsx_failure)?;
        for (col, column) in columns.iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| Problem::internal())?;
            worksheet.set_column_width(col, 16).map_err(xlsx_failure)?;
            worksheet
                .write_string_with_format(header_row, col, header(column, language), &bold)
                .map_err(xlsx_failure)?;
        }
        writer.next_row += 1;
        Ok(writer)
    }

    fn sheet(&mut self) -> Result<&mut rust_xlsxwriter::Worksheet, Problem> {
        self.workbook.worksheet_from_index(0).map_err(xlsx_failure)
    }

    pub fn write_row(&mut self, row: &[Cell]) -> Result<(), Problem> {
        let r = self.next_row;
        let worksheet = self
            .workbook
            .worksheet_from_index(0)
            .map_err(xlsx_failure)?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| Problem::internal())?;
            cell.write_xlsx(worksheet, (r, c), &self.dates)
                .map_err(xlsx_failure)?;
        }
        self.next_row += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, Problem> {
        let (last_row, last_column) = (self.next_row - 1, self.columns.saturating_sub(1));
        let header_row = self.header_row;
        self.sheet()?
            .autofilter(header_row, 0, last_row, last_column)
            .map_err(xlsx_failure)?;
        self.workbook.save_to_buffer().map_err(xlsx_failure)
    }

    /// The finished file in an anonymous temporary file, rewound: a zip archive is written
    /// with seeks, so it cannot go to the response as it is made, but it need not sit in
    /// memory either; [`file_chunks`] sends it on.
    pub fn finish_to_file(mut self) -> Result<std::fs::File, Problem> {
        use std::io::{Seek, SeekFrom};
        let unwritable = |e: std::io::Error| {
            tracing::error!(error = %e, "XLSX export: temporary file");
            Problem::internal()
        };
        let mut file = tempfile::tempfile().map_err(unwritable)?;
        self.workbook
            .save_to_writer(&mut file)
            .map_err(xlsx_failure)?;
        file.seek(SeekFrom::Start(0)).map_err(unwritable)?;
        Ok(file)
    }
}

/// Bytes of a file sent per chunk.
const FILE_CHUNK: usize = 64 * 1024;

/// A file's content as a response body, 64 KiB at a time, read on the blocking pool.
pub fn file_chunks(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::Error>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = actix_web::web::block(move || {
            use std::io::Read;
            let mut buffer = vec![0; FILE_CHUNK];
            let n = file.read(&mut buffer)?;
            buffer.truncate(n);
            Ok::<_, std::io::Error>((file, buffer))
        })
        .await;
        match read {
            Ok(Ok((_, buffer))) if buffer.is_empty() => None,
            Ok(Ok((file, buffer))) => Some((Ok(actix_web::web::Bytes::from(buffer)), Some(file))),
            Ok(Err(e)) => {
                // The status line is gone; ending early makes the truncation visible.
                tracing::error!(error = %e, "export file unreadable");
                Some((
                    Err(actix_web::error::ErrorInternalServerError(
                        "export interrupted",
                    )),
                    None,
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "export file read cancelled");
                Some((
                    Err(actix_web::error::ErrorInternalServerError(
                        "export interrupted",
                    )),
                    None,
                ))
            }
        }
    })
}
