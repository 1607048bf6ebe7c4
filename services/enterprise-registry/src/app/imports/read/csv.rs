//! CSV records, decoded from UTF-8 (with or without a byte-order mark) or GBK as they are read.

use std::fs::File;
use std::io::{BufReader, Read, Seek};

use hte_shared::problem::Problem;

use super::{Records, file_problem, io_problem};
use crate::app::imports::{EncodingChoice, MAX_RECORD_BYTES};

/// The header cells, the data rows and the encoding's label of a CSV file.
pub(super) fn records(
    mut file: File,
    choice: EncodingChoice,
) -> Result<(Vec<String>, Records, &'static str), Problem> {
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
