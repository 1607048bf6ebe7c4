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
/// Cells the `.xls` and `.ods` readers may hold: they keep each sheet whole, as a grid from
/// its first cell to its last (about 65,000 rows of 30 columns; larger sheets go as CSV or
/// XLSX, which are streamed).
pub const MAX_WORKBOOK_CELLS: u64 = 2_000_000;
/// Text the `.xls` and `.ods` readers may hold for their cells: they copy a repeated cell's
/// text (a shared string, a cell repeated across columns or rows) into every cell it fills.
pub const MAX_WORKBOOK_TEXT: u64 = 128 * 1024 * 1024;
/// One XML tag with its attributes.
const MAX_TAG_BYTES: usize = 64 * 1024;
/// Sheets of a legacy or OpenDocument workbook, each read whole whichever is imported.
pub const MAX_SHEETS: usize = 256;
/// Parts of an archive: a workbook has a few dozen.
const MAX_PARTS: usize = 10_000;

/// Why a workbook is refused: a part, a cell, a tag or the strings table is too large.
#[derive(Debug, PartialEq, Eq)]
pub enum Exceeded {
    Parts(usize),
    Part {
        name: String,
        limit: u64,
    },
    Cell {
        name: String,
    },
    Tag {
        name: String,
    },
    SharedStrings,
    /// The sheets' grids hold more than [`MAX_WORKBOOK_CELLS`] cells.
    Cells,
    /// The cells' text, copied as the readers copy it, exceeds [`MAX_WORKBOOK_TEXT`].
    Text,
    Sheets(usize),
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
            Self::Cells => text!(
                "the workbook's sheets span more than {MAX_WORKBOOK_CELLS} cells from their first cell to their last; save the sheet as .xlsx or CSV",
                "工作簿各工作表从首个到末个单元格的范围超过 {MAX_WORKBOOK_CELLS} 个单元格，请另存为 .xlsx 或 CSV"
            ),
            Self::Text => text!(
                "the workbook's cells repeat their texts to more than {MAX_WORKBOOK_TEXT} bytes when read; save the sheet as .xlsx or CSV",
                "工作簿单元格读取时重复的文本超过 {MAX_WORKBOOK_TEXT} 字节，请另存为 .xlsx 或 CSV"
            ),
            Self::Sheets(n) => text!(
                "the workbook has {n} sheets; at most {MAX_SHEETS} are read",
                "工作簿包含 {n} 个工作表，最多读取 {MAX_SHEETS} 个"
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

/// What the scan learnt besides the limits: the cells of the first worksheet that hold a
/// formula without a trustworthy saved value, which a reader would take for empty cells or
/// zeros: no value at all, or any value in a workbook that asks to be recalculated when
/// opened (`fullCalcOnLoad`, as libraries that cannot calculate write it, with 0 saved).
#[derive(Debug, Default)]
pub struct Findings {
    pub unsaved_formulas: Vec<String>,
    /// An OpenDocument spreadsheet (`.ods`): a ZIP too, but not a workbook of parts.
    pub open_document: bool,
    /// Cells of the first worksheet merged down a column, whose value belongs to every row.
    pub merged_down: Vec<MergedDown>,
}

/// A vertical merge `A5:A7`, zero-based: the value of its first row fills the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedDown {
    pub column: u32,
    pub first_row: u32,
    pub last_row: u32,
}

/// Merged ranges kept per sheet; more are read as the file shows them (value on top only).
const MAX_MERGED: usize = 10_000;

/// `F7` as zero-based (row, column).
fn cell_position(reference: &str) -> Option<(u32, u32)> {
    let digits_at = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(digits_at);
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut column = 0u32;
    for b in letters.bytes() {
        if !b.is_ascii_uppercase() {
            return None;
        }
        column = column * 26 + u32::from(b - b'A') + 1;
    }
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, column - 1))
}

/// A merge reference (`A5:A7`) if it runs down one column.
fn merged_down(reference: &str) -> Option<MergedDown> {
    let (first, last) = reference.split_once(':')?;
    let (first_row, column) = cell_position(first)?;
    let (last_row, last_column) = cell_position(last)?;
    (column == last_column && last_row > first_row).then_some(MergedDown {
        column,
        first_row,
        last_row,
    })
}

/// Cells with unsaved formulas named in a problem.
const MAX_NAMED_CELLS: usize = 20;

/// Decompresses every part of the archive through the scanner; reads `reader` from its start.
pub fn check<R: Read + Seek>(reader: R) -> Result<Findings, Refusal> {
    let unreadable = |e: &dyn std::fmt::Display| Refusal::Unreadable(e.to_string());
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| unreadable(&e))?;
    if archive.len() > MAX_PARTS {
        return Err(Refusal::Exceeded(Exceeded::Parts(archive.len())));
    }
    let mut first_sheet = FirstSheet::default();
    let mut open_document = false;
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name = part.name().map_err(|e| unreadable(&e))?.replace('\\', "/");
        open_document |= name == "content.xml";
        let kind = PartKind::of(&name);
        // The central directory's sizes refuse a bomb before a byte is unpacked; the scan
        // counts what really comes out, whatever a crafted directory says.
        if part.size() > kind.limit() {
            return Err(Refusal::Exceeded(Exceeded::Part {
                name,
                limit: kind.limit(),
            }));
        }
        let mut scan = Scan::new(kind, name);
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = part.read(&mut buffer).map_err(|e| unreadable(&e))?;
            if n == 0 {
                break;
            }
            scan.feed(&buffer[..n]).map_err(Refusal::Exceeded)?;
        }
        if scan.tables.open > 0 {
            return Err(Refusal::Unreadable(
                "content.xml ends inside a table".into(),
            ));
        }
        first_sheet.learn(&scan);
    }
    let merged_down = if open_document {
        std::mem::take(&mut first_sheet.open_document_merges)
    } else {
        first_sheet.merged_down()
    };
    Ok(Findings {
        unsaved_formulas: first_sheet.unsaved_formulas(),
        open_document,
        merged_down,
    })
}

/// Which part is the first worksheet (workbook.xml names its relationship, the workbook's
/// relationships name the part), and the unsaved formulas of every sheet part.
#[derive(Default)]
struct FirstSheet {
    relationship: Option<String>,
    recalculate_on_load: bool,
    targets: Vec<(String, String)>,
    /// Per sheet part: the formulas without a value, and all formulas.
    formulas: Vec<(String, Vec<String>, Vec<String>)>,
    /// Per sheet part: its merges down a column.
    merges: Vec<(String, Vec<MergedDown>)>,
    /// The merges down a column of an OpenDocument file's first table.
    open_document_merges: Vec<MergedDown>,
}

impl FirstSheet {
    fn learn(&mut self, scan: &Scan) {
        let lower = scan.name.to_ascii_lowercase();
        if lower == "xl/workbook.xml" {
            self.relationship.clone_from(&scan.first_sheet_relationship);
            self.recalculate_on_load = scan.recalculate_on_load;
        } else if lower == "xl/_rels/workbook.xml.rels" {
            self.targets.clone_from(&scan.relationships);
        } else if scan.kind == PartKind::OpenDocumentContent {
            self.open_document_merges
                .clone_from(&scan.tables.merged_down);
        } else if scan.kind == PartKind::Sheet {
            let (unsaved, all) = (scan.unsaved_formulas.clone(), scan.formulas.clone());
            self.formulas.push((scan.name.clone(), unsaved, all));
            self.merges
                .push((scan.name.clone(), scan.merged_down.clone()));
        }
    }

    /// The part name of the first worksheet, from the workbook's relationships.
    fn part(&self) -> Option<String> {
        let id = self.relationship.as_ref()?;
        let (_, target) = self.targets.iter().find(|(i, _)| i == id)?;
        let target = target.trim_start_matches('/');
        Some(if target.starts_with("xl/") {
            target.to_owned()
        } else {
            format!("xl/{target}")
        })
    }

    fn merged_down(&self) -> Vec<MergedDown> {
        let Some(part) = self.part() else {
            return Vec::new();
        };
        self.merges
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&part))
            .map(|(_, merges)| merges.clone())
            .unwrap_or_default()
    }

    fn unsaved_formulas(self) -> Vec<String> {
        let Some(part) = self.part() else {
            return Vec::new();
        };
        let recalculate = self.recalculate_on_load;
        self.formulas
            .into_iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case(&part))
            .map(|(_, unsaved, all)| if recalculate { all } else { unsaved })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Sheet,
    SharedStrings,
    /// An OpenDocument spreadsheet's `content.xml`: every table, which its reader holds whole.
    OpenDocumentContent,
    /// XML the workbook reader parses (styles, workbook, relationships).
    OtherXml,
    /// Images and the like, which the reader never parses.
    Binary,
}

impl PartKind {
    fn of(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower == "content.xml" {
            Self::OpenDocumentContent
        } else if lower.ends_with("sharedstrings.xml") {
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
            Self::Sheet | Self::OpenDocumentContent => MAX_SHEET_PART_BYTES,
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
    /// The current cell's reference, whether it has a formula, and whether a value.
    cell: Option<(String, bool, bool)>,
    in_value: bool,
    unsaved_formulas: Vec<String>,
    formulas: Vec<String>,
    merged_down: Vec<MergedDown>,
    recalculate_on_load: bool,
    first_sheet_relationship: Option<String>,
    relationships: Vec<(String, String)>,
    tables: Tables,
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
            cell: None,
            in_value: false,
            unsaved_formulas: Vec::new(),
            formulas: Vec::new(),
            merged_down: Vec::new(),
            recalculate_on_load: false,
            first_sheet_relationship: None,
            relationships: Vec::new(),
            tables: Tables::default(),
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
                if self.in_value
                    && let Some((_, _, valued)) = &mut self.cell
                {
                    *valued = true;
                }
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
        let local = qualified
            .rsplit(|b| *b == b':')
            .next()
            .unwrap_or(qualified)
            .to_vec();
        let local = local.as_slice();
        if self.kind == PartKind::Sheet {
            self.note_cell(local, closing);
        } else if self.kind == PartKind::OtherXml && !closing {
            self.note_relationship(local.to_vec());
        }
        let cell_scoped = match self.kind {
            PartKind::Sheet | PartKind::SharedStrings => true,
            PartKind::OpenDocumentContent => self.tables.in_cell,
            PartKind::OtherXml | PartKind::Binary => false,
        };
        if !cell_scoped || local == b"c" || local == b"si" {
            self.text = 0;
        }
        if self.kind == PartKind::OpenDocumentContent {
            self.note_table(local, closing)?;
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

impl Scan {
    /// Follows cells, their formulas and values, keeping those with a formula and no value.
    fn note_cell(&mut self, local: &[u8], closing: bool) {
        let self_closing = self.tag.last() == Some(&b'/');
        match (local, closing) {
            (b"c", false) if !self_closing => {
                let reference = attribute(&self.tag, "r").unwrap_or_default();
                self.cell = Some((reference, false, false));
            }
            (b"c", true) => {
                if let Some((reference, true, valued)) = self.cell.take() {
                    if !valued && self.unsaved_formulas.len() < MAX_NAMED_CELLS {
                        self.unsaved_formulas.push(reference.clone());
                    }
                    if self.formulas.len() < MAX_NAMED_CELLS {
                        self.formulas.push(reference);
                    }
                }
            }
            (b"f", false) => {
                if let Some((_, formula, _)) = &mut self.cell {
                    *formula = true;
                }
            }
            (b"mergeCell", false) if self.merged_down.len() < MAX_MERGED => {
                let merge = attribute(&self.tag, "ref").and_then(|r| merged_down(&r));
                self.merged_down.extend(merge);
            }
            (b"v", false) => self.in_value = !self_closing,
            (b"v", true) => self.in_value = false,
            _ => {}
        }
    }

    /// The first `<sheet r:id=…>` of a workbook and the `<Relationship Id Target>` of its
    /// relationships.
    fn note_relationship(&mut self, local: Vec<u8>) {
        if local == b"calcPr" {
            let flag = attribute(&self.tag, "fullCalcOnLoad");
            self.recalculate_on_load = matches!(flag.as_deref(), Some("1" | "true"));
        } else if local == b"sheet" && self.first_sheet_relationship.is_none() {
            self.first_sheet_relationship = attribute(&self.tag, "r:id");
        } else if local == b"Relationship"
            && let (Some(id), Some(target)) =
                (attribute(&self.tag, "Id"), attribute(&self.tag, "Target"))
        {
            self.relationships.push((id, target));
        }
    }
}

/// What an OpenDocument reader makes of `content.xml`'s tables: it holds each whole, as a
/// grid from its first filled row to its last and as wide as its widest filled row (a
/// repeated cell or row counts as often as it is repeated), and spells out `<text:s text:c>`
/// as that many spaces.
#[derive(Debug, Default)]
struct Tables {
    begun: u32,
    /// Tables begun and not ended: the reader would wait for their end forever.
    open: u32,
    /// Rows of the current table so far, repeats counted.
    row: u64,
    row_repeats: u64,
    /// Columns of the current row so far, and the end of its last filled cell.
    column: u64,
    row_width: u64,
    /// The first filled row and the end of the last, and the widest filled row.
    filled_rows: Option<(u64, u64)>,
    width: u64,
    /// Cells of the grids of the tables ended so far.
    cells: u64,
    /// The opening tag's length and repeats of the filled cell being read.
    filled_cell: Option<(u64, u64)>,
    /// Text of the current row's filled cells, each as often as it is repeated.
    row_text: u64,
    /// Text of the rows so far, each as often as it is repeated.
    text: u64,
    in_cell: bool,
    merged_down: Vec<MergedDown>,
}

/// A count attribute of an OpenDocument tag; the reader refuses one that is no number.
fn count_of(tag: &[u8], name: &str) -> u64 {
    attribute(tag, name)
        .and_then(|value| value.parse().ok())
        .unwrap_or(1)
}

/// Attributes that give an OpenDocument cell a value (or a formula) the reader keeps.
const FILLED_CELL: [&str; 6] = [
    "office:value",
    "office:date-value",
    "office:time-value",
    "office:string-value",
    "office:boolean-value",
    "table:formula",
];

impl Scan {
    fn note_table(&mut self, local: &[u8], closing: bool) -> Result<(), Exceeded> {
        let self_closing = self.tag.last() == Some(&b'/');
        let tables = &mut self.tables;
        match (local, closing) {
            (b"table", false) => {
                tables.begun += 1;
                tables.open += 1;
                (tables.row, tables.filled_rows, tables.width) = (0, None, 0);
                if self_closing {
                    tables.end_table()?;
                }
            }
            (b"table", true) => tables.end_table()?,
            (b"table-row", false) => {
                tables.row_repeats = count_of(&self.tag, "table:number-rows-repeated");
                (tables.column, tables.row_width, tables.row_text) = (0, 0, 0);
                if self_closing {
                    tables.end_row()?;
                }
            }
            (b"table-row", true) => tables.end_row()?,
            (b"table-cell" | b"covered-table-cell", false) => {
                let tag = &self.tag;
                let filled = FILLED_CELL.iter().any(|a| attribute(tag, a).is_some())
                    || attribute(tag, "office:value-type").as_deref() == Some("string");
                let spanned = count_of(tag, "table:number-rows-spanned");
                let repeats = count_of(tag, "table:number-columns-repeated");
                tables.cell(repeats, filled, spanned);
                tables.filled_cell = filled.then_some((tag.len() as u64, repeats));
                tables.in_cell = !self_closing;
                self.text = 0;
                if self_closing {
                    tables.end_cell(0);
                }
            }
            (b"table-cell" | b"covered-table-cell", true) => {
                tables.in_cell = false;
                tables.end_cell(self.text as u64);
            }
            (b"s", false) => {
                let spaces = usize::try_from(count_of(&self.tag, "text:c")).unwrap_or(usize::MAX);
                self.text = self.text.saturating_add(spaces);
                if self.text > MAX_CELL_XML_BYTES {
                    return Err(Exceeded::Cell {
                        name: self.name.clone(),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl Tables {
    fn cell(&mut self, repeats: u64, filled: bool, spanned: u64) {
        if filled && self.begun == 1 && spanned > 1 && self.merged_down.len() < MAX_MERGED {
            let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            self.merged_down.push(MergedDown {
                column: to_u32(self.column),
                first_row: to_u32(self.row),
                last_row: to_u32(self.row.saturating_add(spanned - 1)),
            });
        }
        self.column = self.column.saturating_add(repeats);
        if filled {
            self.row_width = self.column;
        }
    }

    /// A filled cell's text (its attributes' and its content's) counts once per repeat.
    fn end_cell(&mut self, text: u64) {
        if let Some((tag, repeats)) = self.filled_cell.take() {
            let copied = (tag + text).saturating_mul(repeats);
            self.row_text = self.row_text.saturating_add(copied);
        }
    }

    fn end_row(&mut self) -> Result<(), Exceeded> {
        let end = self.row.saturating_add(self.row_repeats);
        if self.row_width > 0 {
            let first = self.filled_rows.map_or(self.row, |(first, _)| first);
            self.filled_rows = Some((first, end));
            self.width = self.width.max(self.row_width);
        }
        self.row = end;
        if self.cells.saturating_add(self.grid()) > MAX_WORKBOOK_CELLS {
            return Err(Exceeded::Cells);
        }
        let copied = self.row_text.saturating_mul(self.row_repeats);
        self.text = self.text.saturating_add(copied);
        if self.text > MAX_WORKBOOK_TEXT {
            return Err(Exceeded::Text);
        }
        Ok(())
    }

    /// The current table's grid so far.
    fn grid(&self) -> u64 {
        let rows = self.filled_rows.map_or(0, |(first, end)| end - first);
        rows.saturating_mul(self.width)
    }

    fn end_table(&mut self) -> Result<(), Exceeded> {
        self.open = self.open.saturating_sub(1);
        self.cells = self.cells.saturating_add(self.grid());
        if self.cells > MAX_WORKBOOK_CELLS {
            return Err(Exceeded::Cells);
        }
        if self.begun as usize > MAX_SHEETS {
            return Err(Exceeded::Sheets(self.begun as usize));
        }
        Ok(())
    }
}

/// The value of attribute `name` in a tag's bytes (`name="value"` or `name='value'`).
fn attribute(tag: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(tag);
    let mut rest = text.as_ref();
    while let Some(at) = rest.find(name) {
        let preceded = rest[..at].ends_with(|c: char| c.is_ascii_whitespace());
        rest = &rest[at + name.len()..];
        let Some(after) = rest.strip_prefix('=') else {
            continue;
        };
        let Some(quote) = after.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            continue;
        };
        if preceded && let Some(end) = after[1..].find(quote) {
            return Some(after[1..=end].to_owned());
        }
    }
    None
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

#[cfg(test)]
mod formula_tests {
    use super::*;

    #[test]
    fn formulas_without_saved_values_in_the_first_sheet_are_named() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_number(0, 0, 1.0).unwrap();
        let unsaved = rust_xlsxwriter::Formula::new("=A1*2").set_result("");
        sheet.write_formula(1, 3, unsaved).unwrap();
        let saved = rust_xlsxwriter::Formula::new("=A1*3").set_result("3");
        sheet.write_formula(2, 3, saved).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        // The library saves 0 for every formula and asks for recalculation on load.
        let findings = check(std::io::Cursor::new(bytes))
            .map_err(|_| "refused")
            .unwrap();
        assert_eq!(findings.unsaved_formulas, ["D2", "D3"]);
        let mut scan = Scan::new(PartKind::Sheet, "xl/worksheets/sheet1.xml".into());
        let sheet =
            br#"<c r="D2"><f>A1*2</f><v></v></c><c r="D3"><f>A1</f><v>3</v></c><c r="D4"/>"#;
        scan.feed(sheet).map_err(|e| format!("{e:?}")).unwrap();
        assert_eq!(scan.unsaved_formulas, ["D2"]);
        assert_eq!(scan.formulas, ["D2", "D3"]);
        let merges =
            br#"<mergeCells><mergeCell ref="A5:A7"/><mergeCell ref="B1:D1"/></mergeCells>"#;
        scan.feed(merges).map_err(|e| format!("{e:?}")).unwrap();
        let down = MergedDown {
            column: 0,
            first_row: 4,
            last_row: 6,
        };
        assert_eq!(scan.merged_down, [down]);
        assert_eq!(cell_position("AB12"), Some((11, 27)));
    }
}
