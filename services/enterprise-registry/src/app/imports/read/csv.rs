//! CSV records, decoded from UTF-8 (with or without a byte-order mark) or GBK as they are read.

use std::fs::File;
use std::io::{BufReader, Read, Seek};

use hte_shared::problem::Problem;
use hte_shared::text;

use super::{FirstRow, Records, Source, file_problem, io_problem};
use crate::app::imports::{EncodingChoice, MAX_RECORD_BYTES};

/// The header cells, the data rows and the encoding's label of a CSV file.
pub(super) fn records(
    mut file: File,
    choice: EncodingChoice,
) -> Result<(FirstRow, Records, Source), Problem> {
    let mut head = vec![0u8; 1 << 20];
    let read = read_up_to(&mut file, &mut head).map_err(io_problem)?;
    head.truncate(read);
    file.rewind().map_err(io_problem)?;
    let encoding = match choice {
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
        .from_reader(LineLimit::new(decoded));
    let mut records = reader.into_records();
    let header = match records.next() {
        None => {
            return Err(file_problem(
                "not_empty",
                text!("the file has no header row", "文件没有表头行"),
            ));
        }
        Some(Err(e)) => return Err(unreadable(&e)),
        Some(Ok(record)) => record,
    };
    if header.as_slice().len() > MAX_RECORD_BYTES {
        return Err(too_long(1));
    }
    let header: Vec<String> = header.iter().map(str::to_owned).collect();
    let rows = records.map(|record| match record {
        Ok(record) => {
            let line = record.position().map_or(0, |p| p.line());
            if record.as_slice().len() > MAX_RECORD_BYTES {
                return Err(too_long(line));
            }
            Ok((line, record.iter().map(str::to_owned).collect()))
        }
        Err(e) => Err(unreadable(&e)),
    });
    let source = Source {
        encoding: label,
        sheet: None,
    };
    Ok(((1, header), Box::new(rows), source))
}

fn too_long(line: u64) -> Problem {
    file_problem(
        "record_size",
        text!(
            "line {line} is longer than {MAX_RECORD_BYTES} bytes; is this a CSV file?",
            "第 {line} 行超过 {MAX_RECORD_BYTES} 字节，这是 CSV 文件吗？"
        ),
    )
}

/// A CSV error as a file problem; a line cut off by [`LineLimit`] names its line.
fn unreadable(e: &csv::Error) -> Problem {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(LineTooLong(line)) = io.get_ref().and_then(|e| e.downcast_ref())
    {
        return too_long(*line);
    }
    let line = e.position().map_or(0, csv::Position::line);
    tracing::info!(error = %e, "an uploaded CSV file cannot be read");
    file_problem(
        "csv",
        text!(
            "the file cannot be read as CSV near line {line} (an unclosed quote or a broken character?)",
            "第 {line} 行附近无法按 CSV 读取（引号未闭合或字符损坏？）"
        ),
    )
}

/// The line a reader stopped at because it grew past [`MAX_RECORD_BYTES`].
#[derive(Debug)]
struct LineTooLong(u64);

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is longer than {MAX_RECORD_BYTES} bytes", self.0)
    }
}

impl std::error::Error for LineTooLong {}

/// Fails the read as soon as a line grows past [`MAX_RECORD_BYTES`]: the CSV reader would
/// otherwise buffer a line of any length (a 300 MB line took 840 MB) before it is measured.
struct LineLimit<R> {
    inner: R,
    line: u64,
    since_newline: usize,
}

impl<R> LineLimit<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            line: 1,
            since_newline: 0,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        for &byte in &buffer[..n] {
            if byte == b'\n' {
                self.line += 1;
                self.since_newline = 0;
            } else if byte == b'\r' {
                // Old Mac files end lines with CR alone.
                self.since_newline = 0;
            } else {
                self.since_newline += 1;
                if self.since_newline > MAX_RECORD_BYTES {
                    let error = LineTooLong(self.line);
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, error));
                }
            }
        }
        Ok(n)
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
