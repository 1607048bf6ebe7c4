//! Running an import: the file read and parsed on a thread of its own a batch or two ahead of
//! the writes (the file and the database each keep a core busy), batches applied per mode.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::mpsc::SyncSender;

use diesel::Connection;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{BatchTurn, DbConnection, DbError, rehearse};
use hte_shared::problem::Problem;
use hte_shared::time::today;

use super::apply::{Batch, RowOutcome, rejected};
use super::header::find_header;
use super::kinds::RecordKind;
use super::parse::{Line, parse_line};
use super::read::{Records, open_records};
use super::{
    BATCH_ROWS, Counts, MAX_KEPT_ERRORS, Mode, Outcome, RowError, SQLITE_TURN_ROWS, Settings,
};
use crate::app::AuditTrail;
use crate::domain::import::HeaderColumn;
use crate::error::RegistryError;

/// An import to run: the file, how to read it, who imports it and why.
pub(super) struct Job<'a> {
    pub path: &'a Path,
    pub settings: &'a Settings,
    pub caller: &'a Caller,
    pub actor: &'a Actor,
    /// The audit reason of every change, naming the import.
    pub reason: String,
    /// SQLite's writer's turn, taken per batch (or for an atomic import's final apply).
    pub turn: &'a BatchTurn,
}

/// How each batch is written.
#[derive(Clone, Copy)]
enum Apply {
    /// Its own transaction (one per slice on SQLite), committed (partial imports).
    Commit,
    /// Its own transaction, rolled back (dry runs). Each batch is rehearsed alone so the
    /// writer's turn is never held between batches; a batch sees the database, not the
    /// rehearsed earlier batches.
    Rehearse,
    /// Inside the caller's transaction (atomic imports).
    Within,
}

/// Lines read and parsed by the reader thread, ready to be written.
struct Chunk<R> {
    read: i64,
    lines: Vec<Line<R>>,
    rejected: Vec<Vec<RowError>>,
}

impl<R> Default for Chunk<R> {
    fn default() -> Self {
        Self {
            read: 0,
            lines: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

/// The counts and the refused lines so far, and where the file's cells are (to name them).
#[derive(Default)]
struct Tally {
    counts: Counts,
    errors: Vec<RowError>,
    truncated: bool,
    /// Each field's column and header as written.
    columns: Vec<(&'static str, usize, String)>,
    sheet: Option<String>,
}

/// A column as a spreadsheet names it: 0 is `A`, 26 is `AA`.
pub(super) fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(char::from(b'A' + rest as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

impl Tally {
    fn new(header: &[HeaderColumn], sheet: Option<&str>) -> Self {
        let columns = header
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.field.is_empty())
            .map(|(i, c)| (c.field, i, c.written.clone()))
            .collect();
        Self {
            columns,
            sheet: sheet.map(str::to_owned),
            ..Self::default()
        }
    }

    /// Names the sheet, and the cell and header of the field at fault.
    fn locate(&self, mut error: RowError) -> RowError {
        error.sheet.clone_from(&self.sheet);
        let column = self
            .columns
            .iter()
            .find(|(field, _, _)| Some(*field) == error.column.as_deref());
        if let Some((_, index, written)) = column {
            error.cell = Some(format!("{}{}", column_letters(*index), error.line));
            error.header = Some(written.clone());
        }
        error
    }

    fn reject(&mut self, errors: Vec<RowError>) {
        self.counts.rejected += 1;
        for error in errors {
            if self.errors.len() < MAX_KEPT_ERRORS {
                let error = self.locate(error);
                self.errors.push(error);
            } else {
                self.truncated = true;
            }
        }
    }

    fn count(&mut self, outcome: RowOutcome) {
        match outcome {
            RowOutcome::Created => self.counts.created += 1,
            RowOutcome::Updated => self.counts.updated += 1,
            RowOutcome::Unchanged => self.counts.unchanged += 1,
        }
    }
}

/// A 64-bit hash of a natural key: first lines are remembered by it, a few MiB for a
/// province, where the keys themselves would take tens.
fn key_hash(key: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// What the reader thread runs: reads, parses and sends lines in chunks of a batch, each
/// natural key once.
fn read_ahead<K: RecordKind>(
    records: Records,
    header: &[HeaderColumn],
    settings: &Settings,
    sender: SyncSender<Result<Chunk<K::Record>, Problem>>,
) {
    let today = today();
    let mut chunk = Chunk::default();
    let mut first_line: HashMap<u64, u64> = HashMap::new();
    for record in records {
        let (number, values) = match record {
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
        let line = (number, values.as_slice());
        match parse_line(K::PARSE, header, line, settings.unit, today) {
            Ok(line) => {
                let (key, column) = (K::NATURAL_KEY)(&line);
                match first_line.entry(key_hash(&key)) {
                    Entry::Occupied(first) => {
                        let first = first.get();
                        let reason = hte_shared::text!(
                            "the same record as line {first} ({key}); a file may hold each record once",
                            "与第 {first} 行是同一条记录（{key}），一个文件中每条记录只能出现一次"
                        );
                        chunk
                            .rejected
                            .push(vec![rejected(number, Some(column), reason)]);
                    }
                    Entry::Vacant(slot) => {
                        slot.insert(number);
                        chunk.lines.push(line);
                    }
                }
            }
            Err(errors) => chunk.rejected.push(errors),
        }
        if chunk.lines.len() == BATCH_ROWS && sender.send(Ok(std::mem::take(&mut chunk))).is_err() {
            return;
        }
    }
    // Whatever follows the last full batch, blank trailing rows included.
    let _ = sender.send(Ok(chunk));
}

impl Job<'_> {
    /// Reads the file and applies it per `settings.mode`. File-level problems (unreadable,
    /// empty, wrong header) are returned as errors before anything is written.
    pub(super) fn run<K: RecordKind>(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Outcome, RegistryError> {
        if self.settings.mode != Mode::DryRun {
            // Batches are committed as they go, so a file that breaks off half-way (a damaged
            // line, a truncated sheet) must be found before the first one: read it through
            // (before the real reader opens, so an XLSX workbook is unpacked once at a time).
            // An atomic import reads it through before it takes the writer's turn.
            let (_, check, _) = open_records(self.path, self.settings)?;
            for record in check {
                record?;
            }
        }
        let (first, records, source) = open_records(self.path, self.settings)?;
        let sheet = source.sheet.as_deref();
        let (header, records, warnings) = find_header(self.settings, first, records)?;
        let header = header.columns;
        let mut tally = Tally::new(&header, sheet);
        let committed = match self.settings.mode {
            Mode::DryRun => {
                self.process::<K>(conn, records, &header, Apply::Rehearse, &mut tally)?;
                false
            }
            Mode::Partial => {
                self.process::<K>(conn, records, &header, Apply::Commit, &mut tally)?;
                true
            }
            Mode::Atomic => self.all_or_nothing::<K>(conn, records, &header, &mut tally)?,
        };
        Ok(Outcome {
            counts: tally.counts,
            warnings,
            errors: tally.errors,
            errors_truncated: tally.truncated,
            encoding: source.encoding,
            committed,
        })
    }

    /// One transaction; any refused line rolls everything back. Whether the rows landed.
    fn all_or_nothing<K: RecordKind>(
        &self,
        conn: &mut DbConnection,
        records: Records,
        header: &[HeaderColumn],
        tally: &mut Tally,
    ) -> Result<bool, RegistryError> {
        let mut all_good = false;
        let _turn = self.turn.take();
        let result = conn.transaction::<_, RegistryError, _>(|conn| {
            self.process::<K>(conn, records, header, Apply::Within, tally)?;
            all_good = tally.counts.rejected == 0;
            if all_good {
                Ok(())
            } else {
                Err(diesel::result::Error::RollbackTransaction.into())
            }
        });
        match result {
            Ok(()) => Ok(true),
            Err(RegistryError::Db(DbError::Query(diesel::result::Error::RollbackTransaction)))
                if !all_good =>
            {
                // Nothing was written: no row counts as created, updated or unchanged.
                tally.counts.created = 0;
                tally.counts.updated = 0;
                tally.counts.unchanged = 0;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Runs the reader thread and writes what it sends, batch by batch.
    fn process<K: RecordKind>(
        &self,
        conn: &mut DbConnection,
        records: Records,
        header: &[HeaderColumn],
        apply: Apply,
        tally: &mut Tally,
    ) -> Result<(), RegistryError> {
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel(2);
            let settings = self.settings;
            scope.spawn(move || read_ahead::<K>(records, header, settings, sender));
            for chunk in receiver {
                let chunk = chunk?;
                tally.counts.rows += chunk.read;
                for errors in chunk.rejected {
                    tally.reject(errors);
                }
                if chunk.lines.is_empty() {
                    continue;
                }
                let results = match apply {
                    Apply::Commit | Apply::Rehearse => {
                        self.apply_in_turns::<K>(conn, header, chunk.lines, apply)?
                    }
                    Apply::Within => self.apply_batch::<K>(conn, header, chunk.lines)?,
                };
                for result in results {
                    match result {
                        Ok(outcome) => tally.count(outcome),
                        Err(error) => tally.reject(vec![error]),
                    }
                }
            }
            Ok(())
        })
    }

    /// A batch in transactions of its own (committed or rolled back), each under the writer's
    /// turn: on SQLite in slices of [`SQLITE_TURN_ROWS`], so an API write waits for one slice,
    /// never a whole batch; on PostgreSQL (no turn) the batch at once.
    fn apply_in_turns<K: RecordKind>(
        &self,
        conn: &mut DbConnection,
        header: &[HeaderColumn],
        mut lines: Vec<Line<K::Record>>,
        apply: Apply,
    ) -> Result<Vec<super::apply::RowResult>, RegistryError> {
        let slice = match conn {
            DbConnection::Sqlite(_) => SQLITE_TURN_ROWS,
            DbConnection::Postgresql(_) => lines.len().max(1),
        };
        let mut results = Vec::with_capacity(lines.len());
        while !lines.is_empty() {
            let rest = lines.split_off(slice.min(lines.len()));
            let part = std::mem::replace(&mut lines, rest);
            let _turn = self.turn.take();
            results.extend(match apply {
                Apply::Rehearse => {
                    rehearse(conn, |conn| self.apply_batch::<K>(conn, header, part))?
                }
                _ => conn.transaction(|conn| self.apply_batch::<K>(conn, header, part))?,
            });
        }
        Ok(results)
    }

    fn apply_batch<K: RecordKind>(
        &self,
        conn: &mut DbConnection,
        header: &[HeaderColumn],
        lines: Vec<Line<K::Record>>,
    ) -> Result<Vec<super::apply::RowResult>, RegistryError> {
        let present: Vec<&'static str> = header
            .iter()
            .map(|c| c.field)
            .filter(|f| !f.is_empty())
            .collect();
        let mut batch = Batch {
            conn,
            caller: self.caller,
            trail: AuditTrail::batch(self.actor),
            reason: &self.reason,
            present: &present,
            today: today(),
        };
        (K::APPLY)(&mut batch, lines)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        let names: Vec<String> = [0, 5, 25, 26, 27, 701, 702]
            .into_iter()
            .map(super::column_letters)
            .collect();
        assert_eq!(names, ["A", "F", "Z", "AA", "AB", "ZZ", "AAA"]);
    }
}
