//! Writing a batch of parsed lines, per kind, through the application layer: existing records
//! read in one query per table, each line authorised, compared and applied, new rows inserted
//! together at the end, and the audit entries chained and written in one go.

use std::collections::HashMap;
use std::hash::Hash;

use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::i18n::Text;
use hte_shared::text;

use super::RowError;
use super::parse::Line;
use crate::app::AuditTrail;
use crate::app::enterprises::stored_region;
use crate::app::facts::{self, Fact};
use crate::db::enterprises::{self as enterprise_queries, EnterpriseRow};
use crate::domain::status::{self, OutsideExistence};
use crate::error::RegistryError;

pub(super) mod annual_reports;
pub(super) mod certificates;
pub(super) mod enterprises;
pub(super) mod labels;
pub(super) mod pool_entries;

/// What became of a line that was accepted.
pub(super) enum RowOutcome {
    Created,
    Updated,
    Unchanged,
}

/// A line's outcome, or why it was refused.
pub(super) type RowResult = Result<RowOutcome, RowError>;

/// A batch being written: the connection, who writes, and what every line shares.
pub(super) struct Batch<'a> {
    pub conn: &'a mut DbConnection,
    pub caller: &'a Caller,
    pub trail: AuditTrail<'a>,
    /// The audit reason of every change, naming the import.
    pub reason: &'a str,
    /// Fields the file has columns for; the others keep their stored values.
    pub present: &'a [&'static str],
    pub today: NaiveDate,
}

pub(super) fn rejected(
    line: u64,
    column: Option<&str>,
    reason: impl Into<hte_shared::i18n::Text>,
) -> RowError {
    RowError::new(line, column, reason)
}

/// The stored enterprises the lines name, by credit code.
pub(super) fn firms_of<R>(
    conn: &mut DbConnection,
    lines: &[Line<R>],
) -> Result<HashMap<String, EnterpriseRow>, RegistryError> {
    let mut codes: Vec<String> = lines.iter().map(|l| l.credit_code.clone()).collect();
    codes.sort_unstable();
    codes.dedup();
    Ok(enterprise_queries::find_many(conn, &codes)?
        .into_iter()
        .map(|row| (row.credit_code.clone(), row))
        .collect())
}

/// The enterprise a report, entry, certificate or label belongs to, if the caller may write
/// it; other regions' firms look absent.
fn writable_firm<'f, R>(
    caller: &Caller,
    firms: &'f HashMap<String, EnterpriseRow>,
    line: &Line<R>,
) -> Result<Result<&'f EnterpriseRow, RowError>, RegistryError> {
    let refusal = |reason: Text| Ok(Err(rejected(line.number, Some("credit_code"), reason)));
    let not_found = || {
        text!(
            "no enterprise {} in your region; import the enterprise first",
            "您的辖区内未找到企业 {}，请先导入该企业",
            line.credit_code
        )
    };
    let Some(firm) = firms.get(&line.credit_code) else {
        return refusal(not_found());
    };
    let region = stored_region(firm)?;
    if caller.may_write(&region) {
        Ok(Ok(firm))
    } else if caller.may_read(&region) {
        refusal(Text::fixed(
            "your token may not write this enterprise's region",
            "您的令牌无权修改该企业所在地区的数据",
        ))
    } else {
        refusal(not_found())
    }
}

/// Reads the stored records a batch's lines may restate, given the lines' enterprises'
/// codes.
pub(super) type LoadStored<R, Row> =
    fn(&mut DbConnection, &[String], &[Line<R>]) -> diesel::QueryResult<Vec<Row>>;

/// A stored record's natural key.
pub(super) type KeyOfRow<Row, K> = fn(&Row) -> K;

/// The natural key a line names.
pub(super) type KeyOfLine<R, K> = fn(&Line<R>) -> K;

/// Applies one line: with its enterprise and the record stored under its key, if any; new
/// rows go to the batch's insert.
pub(super) type ApplyLine<R, Row> = fn(
    &mut Batch<'_>,
    &mut Vec<Row>,
    &EnterpriseRow,
    Option<&Row>,
    Line<R>,
) -> Result<RowResult, RegistryError>;

/// How the records of one kind that belong to an enterprise (reports, pool entries,
/// certificates, labels) are read and written in a batch.
pub(super) struct ChildKind<R, Row, K> {
    pub load: LoadStored<R, Row>,
    pub keys: (KeyOfRow<Row, K>, KeyOfLine<R, K>),
    pub insert_all: fn(&mut DbConnection, &[Row]) -> diesel::QueryResult<()>,
    pub apply_line: ApplyLine<R, Row>,
}

/// Applies each line whose enterprise the caller may write, then inserts the new rows
/// collected and writes the batch's audit entries (rows first).
pub(super) fn apply_children<R, Row, K: Hash + Eq>(
    batch: &mut Batch<'_>,
    lines: Vec<Line<R>>,
    kind: &ChildKind<R, Row, K>,
) -> Result<Vec<RowResult>, RegistryError> {
    let firms = firms_of(batch.conn, &lines)?;
    let codes: Vec<String> = firms.keys().cloned().collect();
    let (key_of_row, key_of_line) = kind.keys;
    let stored: HashMap<K, Row> = (kind.load)(batch.conn, &codes, &lines)?
        .into_iter()
        .map(|row| (key_of_row(&row), row))
        .collect();
    let mut new_rows = Vec::new();
    let mut results = Vec::with_capacity(lines.len());
    for line in lines {
        results.push(match writable_firm(batch.caller, &firms, &line)? {
            Ok(firm) => {
                let before = stored.get(&key_of_line(&line));
                (kind.apply_line)(batch, &mut new_rows, firm, before, line)?
            }
            Err(refused) => Err(refused),
        });
    }
    (kind.insert_all)(batch.conn, &new_rows)?;
    batch.trail.flush(batch.conn)?;
    Ok(results)
}

/// A new fact a line holds: audited now, inserted with the batch.
pub(super) fn created<F: Fact>(
    batch: &mut Batch<'_>,
    new_rows: &mut Vec<F>,
    row: F,
) -> Result<RowResult, RegistryError> {
    let action = ("create", Some(batch.reason));
    facts::record_change(batch.conn, &mut batch.trail, action, None, &row)?;
    new_rows.push(row);
    Ok(Ok(RowOutcome::Created))
}

/// A stored fact a line restates: unchanged, or replaced and audited.
pub(super) fn restated<F: Fact>(
    batch: &mut Batch<'_>,
    (before, after): (&F, &F),
    changed: bool,
) -> Result<RowResult, RegistryError> {
    if !changed {
        return Ok(Ok(RowOutcome::Unchanged));
    }
    facts::restate(batch.conn, &mut batch.trail, (before, after), batch.reason)?;
    Ok(Ok(RowOutcome::Updated))
}

/// Why a new fact dated `date` cannot belong to the firm, if it cannot (the API's rule).
pub(super) fn outside_existence(firm: &EnterpriseRow, date: NaiveDate) -> Option<Text> {
    status::outside_existence(firm.registered_on, firm.deregistered_on, date).map(|outside| {
        match outside {
            OutsideExistence::BeforeRegistration(registered) => text!(
                "before the enterprise was registered ({registered})",
                "早于企业注册日期（{registered}）"
            ),
            OutsideExistence::AfterDeregistration(gone) => text!(
                "after the enterprise was deregistered ({gone})",
                "晚于企业注销日期（{gone}）"
            ),
        }
    })
}
