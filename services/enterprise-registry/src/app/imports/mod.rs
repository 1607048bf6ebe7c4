//! Bulk import of officials' files: CSV (UTF-8 with or without BOM, or GBK) or XLSX, in
//! three stages. `read` streams records from a temporary file; `parse` turns each line into a
//! domain value by the same rules as the API (on a thread of its own, a batch or two ahead);
//! `apply` writes batches of 5,000 through the same operations and `db` writes as the API,
//! authorised for the caller's region, upserted by natural key (so a second import of the same
//! file changes nothing) and audited. `pipeline` runs them per mode: `dry_run` rehearses and
//! rolls back, `atomic` lands all rows or none, `partial` lands the good rows and reports the
//! bad ones.

use std::path::Path;

use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{BatchTurn, DbConnection};
use hte_shared::i18n::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::import::{HeaderRules, ImportKind, MoneyUnit};
use crate::error::RegistryError;

mod apply;
mod columns;
mod header;
mod kinds;
mod parse;
mod pipeline;
mod read;
mod record;

pub use columns::{ImportColumn, ImportColumns, columns_of};
pub use header::MAX_TITLE_ROWS;
pub use read::MAX_XLSX_BYTES;
pub use record::{ImportView, find, import_file, location_of};

/// Rows per batch (one transaction in `partial` mode, one COPY per table on PostgreSQL):
/// 1,000 gave 20,400 rows/s at 20,000 firms, 5,000 gave 23,000; memory stays a few MiB.
pub const BATCH_ROWS: usize = 5_000;
/// Rows written per turn of SQLite's single writer (a batch is applied in slices of this
/// many, each its own transaction): an API write waits for at most one slice. At 5,000 rows
/// a turn was held about 1.1 s in a release build on a busy machine and single writes waited
/// up to 1.7 s during a 200,000-row import; a slice of 1,000 holds it about a fifth of that.
pub const SQLITE_TURN_ROWS: usize = 1_000;
/// Longer records are not spreadsheet rows but damaged files.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// At most this many row errors are kept with the import (the count is always exact).
pub const MAX_KEPT_ERRORS: usize = 1_000;
/// At most this many unknown columns are listed one warning each: a 64 KiB header row can
/// hold thousands; the rest are counted in one more warning (see [`kept_warnings`]).
pub const MAX_LISTED_COLUMNS: usize = 100;
/// The most warnings an import keeps: the title rows read past, the columns listed and the
/// count of those not listed. The document states it as `maxItems`.
pub const MAX_KEPT_WARNINGS: usize = MAX_LISTED_COLUMNS + 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 试导入: validate and rehearse; nothing is written.
    DryRun,
    /// 整体导入: every row lands, or none does.
    Atomic,
    /// 部分导入: good rows land; bad rows are reported.
    Partial,
}

impl Mode {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "dry_run" => Some(Self::DryRun),
            "atomic" => Some(Self::Atomic),
            "partial" => Some(Self::Partial),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::DryRun => "dry_run",
            Self::Atomic => "atomic",
            Self::Partial => "partial",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    /// XLSX, or OpenDocument (`.ods`): both ZIP archives, told apart by their parts.
    Xlsx,
    /// Legacy Excel (BIFF `.xls`), an OLE compound file.
    Xls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingChoice {
    Auto,
    Utf8,
    Gbk,
}

/// A CSV file's text encoding as `POST /imports?encoding=` names it (CSV 文件编码), exactly
/// one of these lowercase names: the document lists them, so a client generates only values
/// the server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CsvEncoding {
    /// 自动识别: UTF-8 when the file is valid UTF-8, else GBK
    #[serde(rename = "auto")]
    Auto,
    /// UTF-8
    #[serde(rename = "utf-8")]
    Utf8,
    /// UTF-8（别名）
    #[serde(rename = "utf8")]
    Utf8Alias,
    /// GBK（国标扩展）
    #[serde(rename = "gbk")]
    Gbk,
    /// GB2312, read as GBK, which contains it
    #[serde(rename = "gb2312")]
    Gb2312,
    /// GB18030, read by the same decoder as GBK
    #[serde(rename = "gb18030")]
    Gb18030,
}

impl CsvEncoding {
    pub const ALL: [Self; 6] = [
        Self::Auto,
        Self::Utf8,
        Self::Utf8Alias,
        Self::Gbk,
        Self::Gb2312,
        Self::Gb18030,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Utf8 => "utf-8",
            Self::Utf8Alias => "utf8",
            Self::Gbk => "gbk",
            Self::Gb2312 => "gb2312",
            Self::Gb18030 => "gb18030",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.key() == key)
    }

    /// How the reader decodes a file named with this encoding.
    pub fn choice(self) -> EncodingChoice {
        match self {
            Self::Auto => EncodingChoice::Auto,
            Self::Utf8 | Self::Utf8Alias => EncodingChoice::Utf8,
            Self::Gbk | Self::Gb2312 | Self::Gb18030 => EncodingChoice::Gbk,
        }
    }
}

/// Counts of an import (导入统计).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// Data rows read (header excluded).
    pub rows: i64,
    /// New records (for `dry_run`, those that would be; for a rejected `atomic` import,
    /// which writes nothing, 0 like `updated` and `unchanged`).
    pub created: i64,
    /// Existing records changed.
    pub updated: i64,
    /// Rows identical to what is stored (a repeated import changes nothing).
    pub unchanged: i64,
    /// Rows refused.
    pub rejected: i64,
}

/// A refused row (被拒绝的行).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// Line in the file (CSV) or row number of the sheet (XLSX).
    pub line: u64,
    /// The field at fault, when one is.
    pub column: Option<String>,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese, where the reason has been written in Chinese.
    #[serde(default)]
    pub reason_zh: Option<String>,
    /// The worksheet read (XLSX).
    #[serde(default)]
    pub sheet: Option<String>,
    /// The cell at fault as a spreadsheet names it, e.g. `F7`.
    #[serde(default)]
    pub cell: Option<String>,
    /// The header of the column at fault as written in the file, e.g. `营业收入（千元）`.
    #[serde(default)]
    pub header: Option<String>,
}

impl RowError {
    pub fn new(line: u64, column: Option<&str>, reason: impl Into<Text>) -> Self {
        let reason = reason.into();
        Self {
            line,
            column: column.map(str::to_owned),
            reason_zh: reason.has_chinese().then(|| reason.zh().to_owned()),
            reason: reason.en().to_owned(),
            sheet: None,
            cell: None,
            header: None,
        }
    }
}

/// Something read past or assumed that the importer should know of (导入提示): a title row
/// above the header, a column no field has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportWarning {
    /// The header as written in the file, when the warning is about a column.
    pub column: Option<String>,
    pub reason: String,
    /// The reason in Chinese (empty in imports recorded before it was kept).
    #[serde(default)]
    pub reason_zh: String,
}

/// `warnings` with the columns beyond [`MAX_LISTED_COLUMNS`] folded into one warning that
/// counts them. Applied when an import is recorded and again when it is read, so a record
/// kept before the bound holds to it too; folding a folded list changes nothing.
pub fn kept_warnings(warnings: Vec<ImportWarning>) -> Vec<ImportWarning> {
    let mut listed = 0;
    let mut beyond = 0;
    let mut kept: Vec<ImportWarning> = warnings
        .into_iter()
        .filter(|w| {
            let column = w.column.is_some();
            listed += usize::from(column);
            let keep = !column || listed <= MAX_LISTED_COLUMNS;
            beyond += usize::from(!keep);
            keep
        })
        .collect();
    if beyond > 0 {
        kept.push(ImportWarning {
            column: None,
            reason: format!(
                "{beyond} more columns no field has were read past; they are not listed one by one"
            ),
            reason_zh: format!("另有 {beyond} 列没有对应的字段，未导入，未逐一列出"),
        });
    }
    kept
}

pub struct Settings {
    pub kind: ImportKind,
    pub mode: Mode,
    pub unit: MoneyUnit,
    pub encoding: EncodingChoice,
    pub format: FileFormat,
    /// The header's row (1 = the first line), or `None` to find it below title rows.
    pub header_row: Option<u64>,
    /// Headers mapped by the caller, and whether unknown headers are refused.
    pub header_rules: HeaderRules,
}

pub struct Outcome {
    pub counts: Counts,
    pub warnings: Vec<ImportWarning>,
    pub errors: Vec<RowError>,
    pub errors_truncated: bool,
    pub encoding: &'static str,
    /// Whether the rows were written.
    pub committed: bool,
}

/// Reads the file and applies it per `settings.mode`. File-level problems (unreadable,
/// empty, wrong header) are returned as errors before anything is written.
pub fn run(
    conn: &mut DbConnection,
    path: &Path,
    settings: &Settings,
    caller: &Caller,
    actor: &Actor,
    import_id: &str,
    turn: &BatchTurn,
) -> Result<Outcome, RegistryError> {
    let job = pipeline::Job {
        path,
        settings,
        caller,
        actor,
        reason: format!("import {import_id}"),
        turn,
    };
    match settings.kind {
        ImportKind::Enterprises => job.run::<kinds::Enterprises>(conn),
        ImportKind::AnnualReports => job.run::<kinds::AnnualReports>(conn),
        ImportKind::PoolEntries => job.run::<kinds::PoolEntries>(conn),
        ImportKind::Certificates => job.run::<kinds::Certificates>(conn),
        ImportKind::Labels => job.run::<kinds::Labels>(conn),
    }
}
