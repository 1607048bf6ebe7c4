//! Statistics inputs from a spreadsheet (批量导入), with the registry importer's conventions:
//! CSV in UTF-8 (with or without BOM) or GBK, or XLSX (first worksheet); headers in Chinese or
//! English, a unit in brackets allowed (`数值（亿元）`); each refused row named by its line
//! and column. Modes: `dry_run` (check, write nothing), `atomic` (every row or none),
//! `partial` (good rows land). A row for a figure that exists with the same value, source
//! and note changes nothing; with another value it is a correction and needs a reason.
//!
//! Statistics files hold a few hundred rows, so a file is read whole (at most
//! [`MAX_FILE_BYTES`] and [`MAX_ROWS`]).

use std::collections::BTreeMap;
use std::io::Cursor;

use hte_shared::audit::Actor;
use hte_shared::db::DbConnection;
use hte_shared::i18n::{Lang, Text};
use hte_shared::problem::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inputs::{InputPath, write_version};
use crate::db::statistics_inputs::{self as queries, InputRow};
use crate::domain::inputs::{
    AmountUnit, InputMeasure, StatisticsInput, Submission, check_submission,
};
use crate::error::MonitoringError;

pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
pub const MAX_ROWS: usize = 10_000;
/// Refused rows kept in the report (the count is always exact).
pub const MAX_KEPT_ERRORS: usize = 1_000;

/// 导入方式.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// 试导入: check every row, write nothing.
    DryRun,
    /// 整体导入: every row lands, or none does.
    Atomic,
    /// 部分导入: good rows land; refused rows are reported.
    Partial,
}

/// Text encoding of a CSV file (编码).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 when the file is valid UTF-8 (or has a BOM), else GBK.
    Auto,
    Utf8,
    Gbk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

/// How a file is read.
#[derive(Debug, Clone, Copy)]
pub struct ImportSettings {
    pub mode: ImportMode,
    /// Unit of values whose row and column name none (default yuan).
    pub unit: AmountUnit,
    pub encoding: Encoding,
    pub format: FileFormat,
}

/// 导入统计.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportCounts {
    /// Data rows read (header excluded).
    pub rows: i64,
    /// New figures (version 1); for `dry_run`, those that would be.
    pub created: i64,
    /// Corrections (a new version with its reason).
    pub corrected: i64,
    /// Rows identical to the current figure.
    pub unchanged: i64,
    /// Rows refused.
    pub rejected: i64,
}

/// A refused row (被拒绝的行).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// Line of the CSV file or row of the worksheet, the header being 1.
    pub line: u64,
    /// The column at fault, as its header reads, when one is.
    pub column: Option<String>,
    /// Why (原因), in the request's language (`Accept-Language`: Chinese for `zh`, `zh-CN`,
    /// `zh-Hans`; English otherwise).
    pub reason: String,
}

/// A refused row before the report is written in the request's language.
#[derive(Debug, Clone)]
struct Refused {
    line: u64,
    column: Option<String>,
    reason: Text,
}

impl Refused {
    fn in_language(self, lang: Lang) -> RowError {
        RowError {
            line: self.line,
            column: self.column,
            reason: self.reason.get(lang).to_owned(),
        }
    }
}

/// 导入结果.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// 已完成: rows written (or, for dry_run, checked).
    Completed,
    /// 已拒绝: an atomic import with refused rows; nothing was written.
    Rejected,
}

/// What an import did (导入报告).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub mode: ImportMode,
    pub status: ImportStatus,
    /// `csv` or `xlsx`.
    pub file_format: String,
    /// `utf-8`, `gbk` or `xlsx`.
    pub encoding: String,
    pub counts: ImportCounts,
    /// Refused rows, at most 1,000 ([`MAX_KEPT_ERRORS`]).
    #[schema(max_items = 1000)]
    pub errors: Vec<RowError>,
    pub errors_truncated: bool,
}

fn file_problem(rule: &str, message: impl Into<hte_shared::i18n::Text>) -> Problem {
    Problem::validation(vec![FieldError::new("file", rule, message)])
}

/// A sheet read whole: header cells, then (line, cells) per data row.
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
    pub encoding: &'static str,
}

/// Reads a CSV or XLSX file.
pub fn read_sheet(bytes: &[u8], settings: &ImportSettings) -> Result<Sheet, Problem> {
    if bytes.is_empty() {
        return Err(file_problem(
            "not_empty",
            hte_shared::i18n::Text::fixed("the file is empty", "文件为空"),
        ));
    }
    let (mut lines, encoding) = match settings.format {
        FileFormat::Xlsx => (xlsx_lines(bytes)?, "xlsx"),
        FileFormat::Csv => csv_lines(bytes, settings.encoding)?,
    };
    // The header is the first row with text; rows of empty cells are no rows.
    lines.retain(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    if lines.len() > MAX_ROWS + 1 {
        return Err(file_problem(
            "rows",
            hte_shared::text!(
                "a file holds at most {MAX_ROWS} rows",
                "文件最多 {MAX_ROWS} 行，行数超出上限"
            ),
        ));
    }
    let mut lines = lines.into_iter();
    let (_, mut header) = lines.next().ok_or_else(|| {
        file_problem(
            "not_empty",
            hte_shared::i18n::Text::fixed("the file has no header row", "文件缺少表头行"),
        )
    })?;
    while header.last().is_some_and(|c| c.trim().is_empty()) {
        header.pop();
    }
    Ok(Sheet {
        header,
        rows: lines.collect(),
        encoding,
    })
}

/// Rows of a file as (line, cells).
type Lines = Vec<(u64, Vec<String>)>;

fn csv_lines(bytes: &[u8], choice: Encoding) -> Result<(Lines, &'static str), Problem> {
    let utf8 = bytes.starts_with(b"\xEF\xBB\xBF") || std::str::from_utf8(bytes).is_ok();
    let (encoding, label) = match choice {
        Encoding::Utf8 => (encoding_rs::UTF_8, "utf-8"),
        Encoding::Gbk => (encoding_rs::GBK, "gbk"),
        Encoding::Auto if utf8 => (encoding_rs::UTF_8, "utf-8"),
        Encoding::Auto => (encoding_rs::GBK, "gbk"),
    };
    let (text, _, malformed) = encoding.decode(bytes);
    if malformed {
        return Err(file_problem(
            "encoding",
            hte_shared::text!(
                "the file is not valid {label} text",
                "文件不是有效的 {label} 文本，编码错误"
            ),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            file_problem(
                "csv",
                hte_shared::text!(
                    "the file cannot be read as CSV: {e}",
                    "无法按 CSV 格式读取文件：{e}"
                ),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        lines.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok((lines, label))
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        // Whole numbers without a fraction; others as the shortest decimal that reads back.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn xlsx_lines(bytes: &[u8]) -> Result<Lines, Problem> {
    use calamine::{Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| {
        file_problem(
            "xlsx",
            hte_shared::text!(
                "the XLSX file cannot be read: {e}",
                "无法读取该 XLSX 文件：{e}"
            ),
        )
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let first = workbook.sheet_names().first().cloned().ok_or_else(|| {
        file_problem(
            "xlsx",
            hte_shared::i18n::Text::fixed("the workbook has no worksheet", "工作簿没有工作表"),
        )
    })?;
    let range = workbook
        .worksheet_range(&first)
        .map_err(|e| unreadable(&e))?;
    let top = range.start().map_or(0, |(row, _)| row);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let line = u64::from(top) + i as u64 + 1;
            (line, cells.iter().map(cell_text).collect())
        })
        .collect())
}

// ---- columns ---------------------------------------------------------------------------------

/// (field, required, header names besides the field's own).
const COLUMNS: &[(&str, bool, &[&str])] = &[
    ("measure", true, &["统计指标", "指标代码", "指标"]),
    ("period", true, &["统计期", "期别", "统计期别"]),
    (
        "region_code",
        true,
        &["地区代码", "行政区划代码", "区划代码", "region"],
    ),
    ("value", true, &["数值", "数据"]),
    ("unit", false, &["单位", "录入单位"]),
    (
        "source_document",
        true,
        &["来源文件", "资料来源", "数据来源"],
    ),
    ("note", false, &["备注"]),
    ("reason", false, &["更正理由", "理由"]),
];

/// Where each field's column is, the header text it had, and the unit a `value` header
/// declares (`数值（亿元）`).
#[derive(Debug)]
struct Columns {
    index: BTreeMap<&'static str, (usize, String)>,
    value_unit: Option<AmountUnit>,
}

fn unit_named(text: &str) -> Option<AmountUnit> {
    let text = text.trim();
    AmountUnit::from_key(text).or_else(|| {
        AmountUnit::ALL
            .iter()
            .copied()
            .find(|u| u.name_zh() == text)
    })
}

/// `数值（亿元）` → (`数值`, `亿元`).
fn split_unit(header: &str) -> (&str, Option<&str>) {
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(start) = header.find(open)
            && header.trim_end().ends_with(close)
        {
            let inner =
                &header[start + open.len_utf8()..header.trim_end().len() - close.len_utf8()];
            return (header[..start].trim(), Some(inner));
        }
    }
    (header.trim(), None)
}

fn resolve_columns(header: &[String]) -> Result<Columns, Problem> {
    let mut index = BTreeMap::new();
    let mut value_unit = None;
    let mut errors = Vec::new();
    for (i, cell) in header.iter().enumerate() {
        let text = cell.trim().trim_start_matches('\u{feff}').trim();
        let (base, unit) = split_unit(text);
        let Some((field, _, _)) = COLUMNS
            .iter()
            .find(|(field, _, names)| base.eq_ignore_ascii_case(field) || names.contains(&base))
        else {
            errors.push(FieldError::new(
                "file",
                "header",
                hte_shared::text!(
                    "column {i}: unknown header {text:?}",
                    "第 {i} 列：未知表头 {text:?}"
                ),
            ));
            continue;
        };
        if let Some(unit) = unit {
            match (*field, unit_named(unit)) {
                ("value", Some(u)) => value_unit = Some(u),
                _ => errors.push(FieldError::new(
                    "file",
                    "header",
                    hte_shared::text!(
                        "{text:?}: only the value column may name a unit, 元, 万元 or 亿元",
                        "{text:?}：表头单位错误，只有数值列可以注明单位（元、万元或亿元）"
                    ),
                )),
            }
        }
        if index.insert(*field, (i, text.to_owned())).is_some() {
            errors.push(FieldError::new(
                "file",
                "header",
                hte_shared::text!(
                    "{field} appears twice in the header",
                    "{field} 在表头中重复出现"
                ),
            ));
        }
    }
    for (field, required, names) in COLUMNS {
        if *required && !index.contains_key(field) {
            errors.push(FieldError::new(
                "file",
                "header",
                hte_shared::text!(
                    "the {field} column ({}) is missing",
                    "缺少必需的 {field} 列（{}）",
                    names[0]
                ),
            ));
        }
    }
    super::validated(errors, Columns { index, value_unit })
}

// ---- rows ------------------------------------------------------------------------------------

/// A checked row: the input, the reason given, and its line.
#[derive(Debug)]
struct Checked {
    line: u64,
    input: StatisticsInput,
    reason: Option<String>,
}

impl Columns {
    fn cell<'a>(&self, cells: &'a [String], field: &str) -> Option<&'a str> {
        let (i, _) = self.index.get(field)?;
        cells.get(*i).map(|c| c.trim()).filter(|c| !c.is_empty())
    }

    fn header(&self, field: &str) -> Option<String> {
        self.index.get(field).map(|(_, text)| text.clone())
    }

    /// Checks one row, or the errors naming its columns.
    fn check(
        &self,
        (line, cells): &(u64, Vec<String>),
        default_unit: AmountUnit,
    ) -> Result<Checked, Vec<Refused>> {
        let text = |field| self.cell(cells, field).unwrap_or("");
        let measure = InputMeasure::ALL
            .iter()
            .find(|m| m.name_zh() == text("measure"))
            .map_or(text("measure"), |m| m.key());
        let unit = self
            .cell(cells, "unit")
            .map(|u| unit_named(u).map_or(u, |u| u.key()));
        let fallback = self.value_unit.unwrap_or(default_unit).key();
        let submission = Submission {
            measure,
            period: text("period"),
            region: text("region_code"),
            value: text("value"),
            unit: Some(unit.unwrap_or(fallback)),
            source_document: text("source_document"),
            note: self.cell(cells, "note"),
        };
        let input = check_submission(&submission).map_err(|issues| {
            issues
                .into_iter()
                .map(|issue| {
                    let field = if issue.field == "region" {
                        "region_code"
                    } else {
                        issue.field
                    };
                    Refused {
                        line: *line,
                        column: self.header(field).or_else(|| Some(field.to_owned())),
                        reason: issue.message,
                    }
                })
                .collect::<Vec<_>>()
        })?;
        Ok(Checked {
            line: *line,
            input,
            reason: self.cell(cells, "reason").map(str::to_owned),
        })
    }
}

/// What a checked row will do to its figure.
enum Effect {
    Create,
    Correct { expected: i32 },
    Unchanged,
}

fn effect_of(row: &Checked, current: Option<&InputRow>) -> Result<Effect, Text> {
    let Some(current) = current else {
        return Ok(Effect::Create);
    };
    let input = &row.input;
    if current.value == input.value_yuan
        && current.source_document == input.source_document
        && current.note == input.note
    {
        return Ok(Effect::Unchanged);
    }
    if row.reason.is_none() {
        let version = current.version;
        return Err(hte_shared::text!(
            "version {version} exists with another figure; a correction needs a reason (column 更正理由 or reason)",
            "已有第 {version} 版数据且数值不同，更正须填写更正理由"
        ));
    }
    Ok(Effect::Correct {
        expected: current.version,
    })
}

/// Rows that pass, with what they will do, and the refused ones.
type Planned = (Vec<(Checked, Effect)>, Vec<Refused>);

/// Checks every row against the file, the stored figures and each other.
fn plan_rows(
    conn: &mut DbConnection,
    sheet: &Sheet,
    columns: &Columns,
    default_unit: AmountUnit,
) -> Result<Planned, MonitoringError> {
    let mut planned = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<(InputMeasure, String, String), u64> = BTreeMap::new();
    for row in &sheet.rows {
        let checked = match columns.check(row, default_unit) {
            Ok(checked) => checked,
            Err(row_errors) => {
                errors.extend(row_errors);
                continue;
            }
        };
        let input = &checked.input;
        let key = (
            input.measure,
            input.period.to_string(),
            input.region.to_string(),
        );
        if let Some(first) = seen.insert(key, checked.line) {
            errors.push(Refused {
                line: checked.line,
                column: None,
                reason: hte_shared::text!(
                    "the same figure is on line {first} already",
                    "与第 {first} 行重复"
                ),
            });
            continue;
        }
        let path = InputPath {
            measure: input.measure,
            period: input.period,
            region: input.region,
        };
        let current = queries::find_current(conn, &path.key())?;
        match effect_of(&checked, current.as_ref()) {
            Ok(effect) => planned.push((checked, effect)),
            Err(reason) => errors.push(Refused {
                line: checked.line,
                column: columns
                    .header("reason")
                    .or_else(|| Some("reason".to_owned())),
                reason,
            }),
        }
    }
    Ok((planned, errors))
}

/// Applies a read sheet; run it in a transaction. Nothing is written for `dry_run`, nor for
/// an `atomic` import with a refused row. Row reasons are written in `lang`.
pub fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    sheet: &Sheet,
    settings: &ImportSettings,
    lang: Lang,
) -> Result<ImportReport, MonitoringError> {
    let columns = resolve_columns(&sheet.header)?;
    let (planned, mut errors) = plan_rows(conn, sheet, &columns, settings.unit)?;
    errors.sort_by_key(|e| e.line);
    let mut counts = ImportCounts {
        rows: sheet.rows.len() as i64,
        rejected: errors
            .iter()
            .map(|e| e.line)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as i64,
        ..ImportCounts::default()
    };
    let refused = settings.mode == ImportMode::Atomic && counts.rejected > 0;
    let write = settings.mode != ImportMode::DryRun && !refused;
    for (row, effect) in &planned {
        let expected = match effect {
            Effect::Unchanged => {
                counts.unchanged += 1;
                continue;
            }
            Effect::Create => None,
            Effect::Correct { expected } => Some(*expected),
        };
        if expected.is_some() {
            counts.corrected += 1;
        } else {
            counts.created += 1;
        }
        if write {
            write_version(conn, actor, &row.input, expected, row.reason.as_deref())?;
        }
    }
    if refused {
        counts = ImportCounts {
            created: 0,
            corrected: 0,
            unchanged: 0,
            ..counts
        };
    }
    let truncated = errors.len() > MAX_KEPT_ERRORS;
    errors.truncate(MAX_KEPT_ERRORS);
    Ok(ImportReport {
        mode: settings.mode,
        status: if refused {
            ImportStatus::Rejected
        } else {
            ImportStatus::Completed
        },
        file_format: match settings.format {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
        .to_owned(),
        encoding: sheet.encoding.to_owned(),
        counts,
        errors: errors
            .into_iter()
            .map(|refused| refused.in_language(lang))
            .collect(),
        errors_truncated: truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(format: FileFormat) -> ImportSettings {
        ImportSettings {
            mode: ImportMode::DryRun,
            unit: AmountUnit::Yuan,
            encoding: Encoding::Auto,
            format,
        }
    }

    #[test]
    fn csv_in_gbk_and_utf8_with_bom_reads_the_same() {
        let text = "统计指标,统计期,地区代码,数值（亿元）,来源文件\n\
                    全省企业研发经费投入,2019,320000,2779.5,统计公报\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        for (bytes, label) in [(gbk.to_vec(), "gbk"), (bom, "utf-8")] {
            let sheet = read_sheet(&bytes, &settings(FileFormat::Csv)).unwrap();
            assert_eq!(sheet.encoding, label);
            let columns = resolve_columns(&sheet.header).unwrap();
            assert_eq!(columns.value_unit, Some(AmountUnit::YiYuan));
            let checked = columns.check(&sheet.rows[0], AmountUnit::Yuan).unwrap();
            assert_eq!(checked.input.measure, InputMeasure::EnterpriseRdExpense);
            assert_eq!(checked.input.value_yuan, 277_950_000_000);
            assert_eq!(checked.line, 2);
        }
    }

    #[test]
    fn headers_are_checked_and_row_errors_name_line_and_column() {
        let unknown = vec!["measure".to_owned(), "数值".to_owned(), "颜色".to_owned()];
        let problem = resolve_columns(&unknown).unwrap_err();
        let messages: Vec<&str> = problem.errors.iter().map(|e| e.message.en()).collect();
        assert!(messages.iter().any(|m| m.contains("颜色")), "{messages:?}");
        assert!(
            messages.iter().any(|m| m.contains("period")),
            "{messages:?}"
        );
        let header: Vec<String> = [
            "measure",
            "period",
            "地区代码",
            "value",
            "unit",
            "source_document",
        ]
        .map(str::to_owned)
        .to_vec();
        let columns = resolve_columns(&header).unwrap();
        let row = (
            7,
            [
                "enterprise_rd_expense_yuan",
                "2019-13",
                "110000",
                "12.5",
                "元",
                "公报",
            ]
            .map(str::to_owned)
            .to_vec(),
        );
        let errors = columns.check(&row, AmountUnit::Yuan).unwrap_err();
        let got: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (7, Some("period")),
                (7, Some("地区代码")),
                (7, Some("value"))
            ]
        );
    }

    #[test]
    fn units_in_brackets_are_split_from_the_header() {
        assert_eq!(split_unit("数值（亿元）"), ("数值", Some("亿元")));
        assert_eq!(split_unit("value(wan_yuan)"), ("value", Some("wan_yuan")));
        assert_eq!(split_unit("数值"), ("数值", None));
        assert_eq!(unit_named("万元"), Some(AmountUnit::WanYuan));
        assert_eq!(unit_named("yi_yuan"), Some(AmountUnit::YiYuan));
        assert_eq!(unit_named("千元"), None);
    }
}
