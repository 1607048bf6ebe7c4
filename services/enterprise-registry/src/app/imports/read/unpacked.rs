//! Limits on what an XLSX workbook unpacks to, checked before the workbook is opened.
//!
//! XLSX is a ZIP archive of XML parts, and deflate packs a repeated byte about 1,000 to 1: a
//! 1 MB upload can hold a 1 GB cell, which the XML reader would buffer whole, or a
//! shared-strings table that the workbook reader unpacks whole into memory (and pre-sizes from
//! its `uniqueCount` attribute). So every part is decompressed once into a scanner that keeps
//! nothing but counters, and the workbook is refused (413) when a part, a cell, a tag or the
//! shared-strings table exceeds a limit; only then does the real reader open it.

use std::io::{Read, Seek};

use hte_shared::problem::{FieldError, Problem};
use hte_shared::text;

/// A worksheet is streamed cell by cell, so it may be large: 200,000 firms with 20 columns
/// are about 300 MB of XML.
pub const MAX_SHEET_PART_BYTES: u64 = 1024 * 1024 * 1024;
/// The shared-strings table is held in memory whole (about 1.5 times its XML).
pub const MAX_SHARED_STRINGS_PART_BYTES: u64 = 128 * 1024 * 1024;
/// Distinct texts of a workbook: a province's firms have a few hundred thousand.
pub const MAX_SHARED_STRINGS: u64 = 2_000_000;
/// Styles, workbook, relationships, images: small in any real workbook.
pub const MAX_OTHER_PART_BYTES: u64 = 32 * 1024 * 1024;
/// The text of one cell or shared string as stored (Excel allows 32,767 characters; escaped
/// as XML in UTF-8 they take at most about 200 KB).
pub const MAX_CELL_XML_BYTES: usize = 256 * 1024;
/// One XML tag with its attributes.
const MAX_TAG_BYTES: usize = 64 * 1024;
/// Parts of an archive: a workbook has a few dozen.
const MAX_PARTS: usize = 10_000;

/// Why a workbook is refused: a part, a cell, a tag or the strings table is too large.
#[derive(Debug, PartialEq, Eq)]
pub enum Exceeded {
    Parts(usize),
    Part { name: String, limit: u64 },
    Cell { name: String },
    Tag { name: String },
    SharedStrings,
}

impl Exceeded {
    /// A 413 on `file`, in both languages.
    pub fn problem(&self) -> Problem {
        let message = match self {
            Self::Parts(n) => text!(
                "the workbook has {n} parts; at most {MAX_PARTS} are read",
                "工作簿包含 {n} 个部件，最多读取 {MAX_PARTS} 个"
            ),
            Self::Part { name, limit } => text!(
                "part {name} of the workbook unpacks to more than {limit} bytes; save the sheet as CSV",
                "工作簿部件 {name} 解压后超过 {limit} 字节，请另存为 CSV"
            ),
            Self::Cell { name } => text!(
                "a cell in {name} holds more than {MAX_CELL_XML_BYTES} bytes of text (Excel allows 32,767 characters)",
                "{name} 中有单元格文本超过 {MAX_CELL_XML_BYTES} 字节（Excel 单元格最多 32,767 个字符）"
            ),
            Self::Tag { name } => text!(
                "an XML tag in {name} is longer than {MAX_TAG_BYTES} bytes; the file is damaged",
                "{name} 中有 XML 标记超过 {MAX_TAG_BYTES} 字节，文件已损坏"
            ),
            Self::SharedStrings => text!(
                "the workbook holds more than {MAX_SHARED_STRINGS} distinct texts; save the sheet as CSV",
                "工作簿包含超过 {MAX_SHARED_STRINGS} 个不同文本，请另存为 CSV"
            ),
        };
        Problem::payload_too_large(message.clone()).with_errors(vec![FieldError::new(
            "file",
            "xlsx_limits",
            message,
        )])
    }
}

/// What went wrong while checking: the archive is unreadable, or a limit is exceeded.
pub enum Refusal {
    Unreadable(String),
    Exceeded(Exceeded),
}

/// Decompresses every part of the archive through the scanner; reads `reader` from its start.
pub fn check<R: Read + Seek>(reader: R) -> Result<(), Refusal> {
    let unreadable = |e: &dyn std::fmt::Display| Refusal::Unreadable(e.to_string());
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| unreadable(&e))?;
    if archive.len() > MAX_PARTS {
        return Err(Refusal::Exceeded(Exceeded::Parts(archive.len())));
    }
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name = part.name().map_err(|e| unreadable(&e))?.replace('\\', "/");
        let kind = PartKind::of(&name);
        let mut scan = Scan::new(kind, name);
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = part.read(&mut buffer).map_err(|e| unreadable(&e))?;
            if n == 0 {
                break;
            }
            scan.feed(&buffer[..n]).map_err(Refusal::Exceeded)?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Sheet,
    SharedStrings,
    /// XML the workbook reader parses (styles, workbook, relationships).
    OtherXml,
    /// Images and the like, which the reader never parses.
    Binary,
}

impl PartKind {
    fn of(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("sharedstrings.xml") {
            Self::SharedStrings
        } else if lower.contains("worksheets/") && lower.ends_with(".xml") {
            Self::Sheet
        } else if lower.ends_with(".xml") || lower.ends_with(".rels") {
            Self::OtherXml
        } else {
            Self::Binary
        }
    }

    fn limit(self) -> u64 {
        match self {
            Self::Sheet => MAX_SHEET_PART_BYTES,
            Self::SharedStrings => MAX_SHARED_STRINGS_PART_BYTES,
            Self::OtherXml | Self::Binary => MAX_OTHER_PART_BYTES,
        }
    }
}

/// A streaming look at one part's bytes: its size, and for XML the length of each tag and of
/// the text of each cell (`<c>`) or shared string (`<si>`), which the reader would buffer.
struct Scan {
    kind: PartKind,
    name: String,
    size: u64,
    in_tag: bool,
    quote: Option<u8>,
    tag: Vec<u8>,
    /// Text since the current cell or shared string began (in other parts: since the last tag).
    text: usize,
    shared_strings: u64,
}

impl Scan {
    fn new(kind: PartKind, name: String) -> Self {
        Self {
            kind,
            name,
            size: 0,
            in_tag: false,
            quote: None,
            tag: Vec::new(),
            text: 0,
            shared_strings: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), Exceeded> {
        self.size += bytes.len() as u64;
        if self.size > self.kind.limit() {
            return Err(Exceeded::Part {
                name: self.name.clone(),
                limit: self.kind.limit(),
            });
        }
        if self.kind == PartKind::Binary {
            return Ok(());
        }
        for &byte in bytes {
            if self.in_tag {
                self.tag_byte(byte)?;
            } else if byte == b'<' {
                self.in_tag = true;
                self.tag.clear();
            } else {
                self.text += 1;
                if self.text > MAX_CELL_XML_BYTES {
                    return Err(Exceeded::Cell {
                        name: self.name.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// A byte inside `<…>`; a `>` inside a quoted attribute value does not end the tag.
    fn tag_byte(&mut self, byte: u8) -> Result<(), Exceeded> {
        match (self.quote, byte) {
            (Some(quote), _) if byte == quote => self.quote = None,
            (None, b'"' | b'\'') => self.quote = Some(byte),
            (None, b'>') => {
                self.in_tag = false;
                return self.end_of_tag();
            }
            _ => {}
        }
        if self.tag.len() == MAX_TAG_BYTES {
            return Err(Exceeded::Tag {
                name: self.name.clone(),
            });
        }
        self.tag.push(byte);
        Ok(())
    }

    fn end_of_tag(&mut self) -> Result<(), Exceeded> {
        let closing = self.tag.first() == Some(&b'/');
        let name_end = self
            .tag
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/' && !closing)
            .unwrap_or(self.tag.len());
        let qualified = &self.tag[usize::from(closing)..name_end.max(usize::from(closing))];
        let local = qualified.rsplit(|b| *b == b':').next().unwrap_or(qualified);
        let cell_scoped = matches!(self.kind, PartKind::Sheet | PartKind::SharedStrings);
        if !cell_scoped || local == b"c" || local == b"si" {
            self.text = 0;
        }
        if self.kind == PartKind::SharedStrings && !closing {
            if local == b"si" {
                self.shared_strings += 1;
            }
            let declared = if local == b"sst" {
                declared_count(&self.tag)
            } else {
                0
            };
            if self.shared_strings > MAX_SHARED_STRINGS || declared > MAX_SHARED_STRINGS {
                return Err(Exceeded::SharedStrings);
            }
        }
        Ok(())
    }
}

/// The larger of the `count` and `uniqueCount` attributes of `<sst …>` (the reader reserves
/// room for `uniqueCount` strings up front); an unreadable number counts as too many.
fn declared_count(tag: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(tag);
    let mut largest = 0;
    for attribute in ["count=", "uniqueCount="] {
        let mut rest = text.as_ref();
        while let Some(at) = rest.find(attribute) {
            let preceded = rest[..at].ends_with(|c: char| c.is_ascii_whitespace());
            rest = &rest[at + attribute.len()..];
            if !preceded {
                continue;
            }
            let value = rest.trim_start_matches(['"', '\'']);
            let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
            largest = largest.max(digits.parse::<u64>().unwrap_or(u64::MAX));
        }
    }
    largest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(kind: PartKind, chunks: &[&[u8]]) -> Result<Scan, Exceeded> {
        let mut scan = Scan::new(kind, "xl/part.xml".into());
        for chunk in chunks {
            scan.feed(chunk)?;
        }
        Ok(scan)
    }

    #[test]
    fn shared_strings_are_counted_and_a_declared_count_is_checked() {
        let table = br#"<?xml version="1.0"?><sst xmlns="x" count="3" uniqueCount="2"><si><t>a</t></si><x:si><t>b&gt;</t></x:si></sst>"#;
        let counted = scan(PartKind::SharedStrings, &[table]).map_err(|e| format!("{e:?}"));
        assert_eq!(counted.unwrap().shared_strings, 2);
        let huge = br#"<sst xmlns="x" uniqueCount="999999999999">"#;
        assert_eq!(
            scan(PartKind::SharedStrings, &[huge]).err(),
            Some(Exceeded::SharedStrings)
        );
    }

    #[test]
    fn the_text_of_one_cell_is_bounded_across_its_runs_and_chunks() {
        let run = vec![b'x'; 100 * 1024];
        let mut cell = b"<c r=\"A1\" t=\"inlineStr\"><is>".to_vec();
        for _ in 0..3 {
            cell.extend_from_slice(b"<r><t>");
            cell.extend_from_slice(&run);
            cell.extend_from_slice(b"</t></r>");
        }
        let refused = scan(PartKind::Sheet, &[&cell[..1000], &cell[1000..]]).err();
        assert!(
            matches!(refused, Some(Exceeded::Cell { .. })),
            "{refused:?}"
        );
        // Many cells of 100 KB each are fine: the count restarts at every cell.
        let mut row = Vec::new();
        for _ in 0..5 {
            row.extend_from_slice(b"<c t=\"inlineStr\"><is><t>");
            row.extend_from_slice(&run);
            row.extend_from_slice(b"</t></is></c>");
        }
        assert!(scan(PartKind::Sheet, &[&row]).is_ok());
    }

    #[test]
    fn a_quoted_greater_than_does_not_end_a_tag_and_long_tags_are_refused() {
        let mut tag = b"<c r=\"".to_vec();
        tag.extend(std::iter::repeat_n(b'>', MAX_TAG_BYTES + 1));
        let refused = scan(PartKind::Sheet, &[&tag]).err();
        assert!(matches!(refused, Some(Exceeded::Tag { .. })), "{refused:?}");
    }
}
