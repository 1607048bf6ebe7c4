//! Limits on what a legacy `.xls` workbook makes its reader allocate, checked before it opens.
//!
//! An `.xls` file is an OLE compound file (sectors chained by an allocation table) holding a
//! BIFF record stream. The reader trusts both: a chain that loops is followed forever, a
//! table length or a sheet's DIMENSIONS record reserves whatever room it claims, and each
//! sheet is held as a dense grid spanning its first to its last cell, so two cells far apart
//! in a 1 KB file cost hundreds of megabytes. Nothing is compressed, so this walks the same
//! structures over the upload (itself capped in size), refusing damage (400) and any sheet
//! grid past [`MAX_WORKBOOK_CELLS`] (413); only then does the reader open the file.

use super::unpacked::{Exceeded, MAX_SHEETS, MAX_WORKBOOK_CELLS, MAX_WORKBOOK_TEXT, Refusal};

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Sector ids from here on are markers, not sectors.
const RESERVED: u32 = 0xFFFF_FFFA;
const DIFAT_SECTOR: u32 = 0xFFFF_FFFC;

/// Streams shorter than this live in the mini stream, in units of 64 bytes.
const MINI_STREAM_CUTOFF: usize = 4096;
const MINI_SECTOR: usize = 64;

fn damaged(what: &str) -> Refusal {
    Refusal::Unreadable(format!("damaged compound file: {what}"))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// The file's sectors after its header, in units of `size` bytes (the last may be short).
struct Units<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl<'a> Units<'a> {
    fn count(&self) -> usize {
        self.bytes.len().div_ceil(self.size)
    }

    fn get(&self, id: u32) -> Result<&'a [u8], Refusal> {
        let start = id as usize * self.size;
        let end = (start + self.size).min(self.bytes.len());
        self.bytes
            .get(start..end)
            .filter(|unit| !unit.is_empty())
            .ok_or_else(|| damaged("a sector beyond the end of the file"))
    }

    /// The bytes of the chain from `start`, at most `len`; a chain longer than the file has
    /// units loops.
    fn chain(&self, start: u32, table: &[u32], len: usize) -> Result<Vec<u8>, Refusal> {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0;
        while id != END_OF_CHAIN {
            steps += 1;
            if steps > self.count() {
                return Err(damaged("a sector chain loops"));
            }
            let unit = self.get(id)?;
            out.extend_from_slice(&unit[..unit.len().min(len - out.len())]);
            if out.len() >= len {
                break;
            }
            id = *table
                .get(id as usize)
                .ok_or_else(|| damaged("a chain leaves the allocation table"))?;
        }
        Ok(out)
    }
}

/// The workbook's BIFF stream, read as the `.xls` reader reads it, every step bounded.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    let header = bytes.get(..512).ok_or_else(|| damaged("no header"))?;
    let size = match u16_at(header, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err(damaged("sector size")),
    };
    let units = Units {
        bytes: bytes.get(size..).unwrap_or_default(),
        size,
    };
    let field = |at| u32_at(header, at).ok_or_else(|| damaged("header"));
    if field(44)? as usize > units.count() {
        return Err(damaged("more allocation sectors than the file has"));
    }
    let fat = allocation_table(header, &units)?;
    let directories = units.chain(field(48)?, &fat, usize::MAX)?;
    let entries: Vec<(String, u32, usize)> = directories
        .chunks_exact(128)
        .map(|entry| directory_entry(entry, size))
        .collect::<Result<_, _>>()?;
    let root = entries
        .first()
        .ok_or_else(|| damaged("no root directory"))?;
    let mini = if field(64)? > 0 {
        let stream = units.chain(root.1, &fat, root.2)?;
        let table_len = field(64)? as usize * size;
        let table = units.chain(field(60)?, &fat, table_len)?;
        Some((stream, words(&table).collect::<Vec<_>>()))
    } else {
        None
    };
    let (_, start, len) = ["Workbook", "Book", "WORKBOOK", "BOOK"]
        .iter()
        .find_map(|name| entries.iter().find(|(n, _, _)| n == name))
        .ok_or_else(|| damaged("no workbook stream"))?;
    if *len >= MINI_STREAM_CUTOFF {
        return units.chain(*start, &fat, *len);
    }
    let (stream, table) = mini.ok_or_else(|| damaged("no mini stream"))?;
    let mini_units = Units {
        bytes: &stream,
        size: MINI_SECTOR,
    };
    mini_units.chain(*start, &table, *len)
}

/// The sector allocation table, from the header's DIFAT and the DIFAT sectors chained on.
fn allocation_table(header: &[u8], units: &Units<'_>) -> Result<Vec<u32>, Refusal> {
    let mut difat: Vec<u32> = words(&header[76..512]).collect();
    let mut next = u32_at(header, 68).ok_or_else(|| damaged("header"))?;
    let mut steps = 0;
    while next < RESERVED {
        steps += 1;
        if steps > units.count() {
            return Err(damaged("the DIFAT chain loops"));
        }
        difat.extend(words(units.get(next)?));
        next = difat.pop().ok_or_else(|| damaged("DIFAT"))?;
    }
    let sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFAT_SECTOR).collect();
    if sectors.len() > units.count() {
        return Err(damaged("more allocation sectors than the file has"));
    }
    let mut fat = Vec::new();
    for id in sectors {
        fat.extend(words(units.get(id)?));
    }
    Ok(fat)
}

/// A directory entry's name, first sector and length.
fn directory_entry(entry: &[u8], sector: usize) -> Result<(String, u32, usize), Refusal> {
    let name: Vec<u16> = entry[..64]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|c| *c != 0)
        .collect();
    let start = u32_at(entry, 116).ok_or_else(|| damaged("directory"))?;
    let len = if sector == 512 {
        u64::from(u32_at(entry, 120).ok_or_else(|| damaged("directory"))?)
    } else {
        u64::from_le_bytes(
            entry[120..128]
                .try_into()
                .map_err(|_| damaged("directory"))?,
        )
    };
    let len = usize::try_from(len).map_err(|_| damaged("a stream longer than memory"))?;
    Ok((String::from_utf16_lossy(&name), start, len))
}

/// The BIFF records of `stream` from `at`: (type, data), up to an end-of-file record.
fn records(stream: &[u8], at: usize) -> impl Iterator<Item = Result<(u16, &[u8]), Refusal>> {
    let mut rest = stream.get(at..);
    std::iter::from_fn(move || {
        let bytes = rest?;
        if bytes.is_empty() {
            return None;
        }
        let (Some(kind), Some(len)) = (u16_at(bytes, 0), u16_at(bytes, 2)) else {
            rest = None;
            return Some(Err(damaged("a record cut off")));
        };
        let Some(data) = bytes.get(4..4 + usize::from(len)) else {
            rest = None;
            return Some(Err(damaged("a record cut off")));
        };
        rest = if kind == 0x000A {
            None
        } else {
            bytes.get(4 + usize::from(len)..)
        };
        Some(Ok((kind, data)))
    })
}

/// Refuses a workbook whose sheets the `.xls` reader would hold in more than
/// [`MAX_WORKBOOK_CELLS`] cells, or whose structure would make it loop or fail.
pub fn check(bytes: &[u8]) -> Result<(), Refusal> {
    let stream = workbook_stream(bytes)?;
    let mut sheets = Vec::new();
    // The shared-strings table and the CONTINUE records after it (the last table counts).
    let mut table: Vec<&[u8]> = Vec::new();
    let mut in_table = false;
    for record in records(&stream, 0) {
        let (kind, data) = record?;
        match kind {
            0x00FC => (table, in_table) = (vec![data], true),
            0x003C if in_table => table.push(data),
            _ => in_table = false,
        }
        // BoundSheet8: where a sheet's records begin.
        if kind == 0x0085 {
            let at = u32_at(data, 0).filter(|_| data.len() >= 6);
            let at = at.ok_or_else(|| damaged("a sheet entry cut off"))? as usize;
            if at > stream.len() {
                return Err(damaged("a sheet beyond the stream"));
            }
            sheets.push(at);
        }
    }
    if sheets.len() > MAX_SHEETS {
        return Err(Refusal::Exceeded(Exceeded::Sheets(sheets.len())));
    }
    let strings = shared_string_sizes(&table);
    let mut grids = Grids::default();
    for at in sheets {
        grids.add(&sheet_grid(&stream, at, &strings)?)?;
    }
    Ok(())
}

/// What a sheet costs the reader: the room its DIMENSIONS reserve, and the grids of its
/// values and of its formulas.
#[derive(Default)]
struct Grids {
    reserved: u64,
    values: u64,
    formulas: u64,
    text: u64,
}

impl Grids {
    fn add(&mut self, sheet: &SheetGrid) -> Result<(), Refusal> {
        self.reserved += sheet.reserved;
        self.values += sheet.values.area();
        self.formulas += sheet.formulas.area();
        self.text = self.text.saturating_add(sheet.shared_text);
        let largest = self.reserved.max(self.values).max(self.formulas);
        if largest > MAX_WORKBOOK_CELLS {
            return Err(Refusal::Exceeded(Exceeded::Cells));
        }
        if self.text > MAX_WORKBOOK_TEXT {
            return Err(Refusal::Exceeded(Exceeded::Text));
        }
        Ok(())
    }
}

/// The rectangle from a sheet's first cell to its last.
#[derive(Default)]
struct Bounds(Option<(u32, u32, u32, u32)>);

impl Bounds {
    fn include(&mut self, row: u16, first: u16, last: u16) {
        let (row, first, last) = (u32::from(row), u32::from(first), u32::from(last));
        self.0 = Some(match self.0 {
            None => (row, row, first, last),
            Some((top, bottom, left, right)) => (
                top.min(row),
                bottom.max(row),
                left.min(first),
                right.max(last),
            ),
        });
    }

    fn area(&self) -> u64 {
        self.0.map_or(0, |(top, bottom, left, right)| {
            u64::from(bottom - top + 1) * u64::from(right - left + 1)
        })
    }
}

#[derive(Default)]
struct SheetGrid {
    reserved: u64,
    values: Bounds,
    formulas: Bounds,
    /// The shared strings its cells copy.
    shared_text: u64,
}

/// The cells of one sheet's records, as the reader places them.
fn sheet_grid(stream: &[u8], at: usize, strings: &[u64]) -> Result<SheetGrid, Refusal> {
    let mut grid = SheetGrid::default();
    for record in records(stream, at) {
        let (kind, data) = record?;
        let position = (u16_at(data, 0), u16_at(data, 2));
        match (kind, position) {
            (0x0200, _) => grid.reserved += reserved_by_dimensions(data)?,
            // Number, Label, BoolErr, RK, LabelSST.
            (0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD, (Some(row), Some(column))) => {
                grid.values.include(row, column, column);
                // LabelSST: the reader copies the shared string into the cell.
                if let Some(index) = u32_at(data, 6).filter(|_| kind == 0x00FD) {
                    let size = strings.get(index as usize).copied().unwrap_or(0);
                    grid.shared_text = grid.shared_text.saturating_add(size);
                }
            }
            (0x0006, (Some(row), Some(column))) => {
                grid.values.include(row, column, column);
                grid.formulas.include(row, column, column);
            }
            // MulRk: a run of cells in one row, the last column at the record's end.
            (0x00BD, (Some(row), Some(first))) if data.len() >= 6 => {
                let last = u16_at(data, data.len() - 2).unwrap_or(first);
                if last < first {
                    return Err(damaged("a run of cells ends before it begins"));
                }
                grid.values.include(row, first, last);
            }
            _ => {}
        }
    }
    Ok(grid)
}

/// The bytes each string of a shared-strings table (its record's data, then its CONTINUE
/// records') decodes to at most, walked as the reader walks it; a cut-off table ends early.
fn shared_string_sizes(table: &[&[u8]]) -> Vec<u64> {
    let mut parts = Parts {
        rest: table.get(1..).unwrap_or_default(),
        data: table
            .first()
            .and_then(|first| first.get(8..))
            .unwrap_or_default(),
    };
    let mut sizes = Vec::new();
    while let Some(size) = parts.next_string() {
        sizes.push(size);
    }
    sizes
}

/// The bytes of a record and its continuations, read across their boundaries.
struct Parts<'a> {
    data: &'a [u8],
    rest: &'a [&'a [u8]],
}

impl Parts<'_> {
    /// Moves to the next continuation; `false` when there is none.
    fn advance(&mut self) -> bool {
        let Some((next, rest)) = self.rest.split_first() else {
            return false;
        };
        (self.data, self.rest) = (next, rest);
        true
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (taken, data) = (self.data.get(..n)?, self.data.get(n..)?);
        self.data = data;
        Some(taken)
    }

    fn skip(&mut self, mut n: u64) -> Option<()> {
        while n > 0 {
            if self.data.is_empty() && !self.advance() {
                return None;
            }
            let step = self
                .data
                .len()
                .min(usize::try_from(n).unwrap_or(usize::MAX));
            self.data = &self.data[step..];
            n -= step as u64;
        }
        Some(())
    }

    /// One XLUnicodeRichExtendedString: its characters (one or two bytes each, a
    /// continuation restating the width), then its formatting runs and phonetic block.
    fn next_string(&mut self) -> Option<u64> {
        if self.data.is_empty() && !self.advance() {
            return None;
        }
        let head = self.take(3)?;
        let (characters, flags) = (usize::from(u16::from_le_bytes([head[0], head[1]])), head[2]);
        let runs = if flags & 0x8 != 0 {
            self.take(2).map(|r| u16::from_le_bytes([r[0], r[1]]))?
        } else {
            0
        };
        let phonetic = if flags & 0x4 != 0 {
            self.take(4)
                .map(|p| i32::from_le_bytes([p[0], p[1], p[2], p[3]]))?
        } else {
            0
        };
        let (mut left, mut wide) = (characters, flags & 0x1 != 0);
        while left > 0 {
            let width = if wide { 2 } else { 1 };
            let here = (self.data.len() / width).min(left);
            self.data = &self.data[here * width..];
            left -= here;
            if left > 0 {
                if !self.advance() {
                    return None;
                }
                wide = self.take(1)?[0] & 0x1 != 0;
            }
        }
        // The reader skips a negative phonetic size as a huge one, and fails.
        let phonetic = u64::try_from(phonetic).unwrap_or(u64::MAX);
        self.skip(u64::from(runs) * 4)?;
        self.skip(phonetic)?;
        // A UTF-16 unit or a Latin-1 byte is at most three bytes of UTF-8.
        Some(characters as u64 * 3)
    }
}

/// The cells a DIMENSIONS record makes the reader reserve, read as the reader reads it.
fn reserved_by_dimensions(data: &[u8]) -> Result<u64, Refusal> {
    let field = |at| u32_at(data, at).map(u64::from);
    let short = |at| u16_at(data, at).map(u64::from);
    let fields = match data.len() {
        10 => (short(0), short(2), short(4), short(6)),
        14 => (field(0), field(4), short(8), short(10)),
        // The reader refuses other lengths itself.
        _ => return Ok(0),
    };
    let (Some(first_row), Some(row_end), Some(first_column), Some(column_end)) = fields else {
        return Ok(0);
    };
    let first_column = if first_column > 0xFF || column_end < first_column {
        0
    } else {
        first_column
    };
    if row_end == 0 || column_end == 0 {
        return Ok(1);
    }
    if row_end <= first_row || column_end <= first_column {
        return Err(damaged("a sheet's dimensions end before they begin"));
    }
    Ok((row_end - first_row) * (column_end - first_column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_read_as_the_reader_reads_them() {
        // Rows 0..65536 (end exclusive) by columns 0..256: the whole sheet reserved.
        let mut whole = Vec::new();
        for field in [0u32, 65_536] {
            whole.extend_from_slice(&field.to_le_bytes());
        }
        whole.extend_from_slice(&[0, 0, 0, 1, 0, 0]);
        assert_eq!(reserved_by_dimensions(&whole).ok(), Some(65_536 * 256));
        // An end before the start would underflow in the reader.
        let mut backwards = Vec::new();
        for field in [10u32, 5] {
            backwards.extend_from_slice(&field.to_le_bytes());
        }
        backwards.extend_from_slice(&[0, 0, 3, 0, 0, 0]);
        assert!(reserved_by_dimensions(&backwards).is_err());
    }

    #[test]
    fn a_run_of_cells_widens_the_grid_and_a_backward_run_is_damage() {
        let mut stream = Vec::new();
        let mut record = |kind: u16, data: &[u8]| {
            stream.extend_from_slice(&kind.to_le_bytes());
            stream.extend_from_slice(&u16::try_from(data.len()).unwrap().to_le_bytes());
            stream.extend_from_slice(data);
        };
        // MulRk in row 2 from column 1 to column 3 (three 6-byte RK values).
        let mut run = vec![2, 0, 1, 0];
        run.extend_from_slice(&[0; 18]);
        run.extend_from_slice(&[3, 0]);
        record(0x00BD, &run);
        record(0x0203, &[9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        record(0x000A, &[]);
        let grid = sheet_grid(&stream, 0, &[]).map_err(|_| "refused").unwrap();
        assert_eq!(grid.values.area(), 8 * 4, "rows 2 to 9, columns 0 to 3");
        stream[4 + 2] = 5; // the run now begins at column 5 and ends at 3
        assert!(sheet_grid(&stream, 0, &[]).is_err());
    }
}
