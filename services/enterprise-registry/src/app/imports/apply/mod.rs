//! Writing a batch of parsed lines, per kind, through the application layer: existing records
//! read in one query per table, each line authorised, compared and applied, new rows inserted
//! together at the end, and the audit entries chained and written in one go.

use std::collections::HashMap;

use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;

use super::RowError;
use super::parse::Line;
use crate::app::AuditTrail;
use crate::app::enterprises::stored_region;
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

pub(super) fn rejected(line: u64, column: Option<&str>, reason: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.map(str::to_owned),
        reason: reason.into(),
    }
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

/// The credit codes of a batch's lines, each once.
pub(super) fn codes_of(firms: &HashMap<String, EnterpriseRow>) -> Vec<String> {
    firms.keys().cloned().collect()
}

/// The enterprise a report, entry, certificate or label belongs to, if the caller may write
/// it; other regions' firms look absent.
fn writable_firm<'f, R>(
    caller: &Caller,
    firms: &'f HashMap<String, EnterpriseRow>,
    line: &Line<R>,
) -> Result<Result<&'f EnterpriseRow, RowError>, RegistryError> {
    let refusal = |reason: String| Ok(Err(rejected(line.number, Some("credit_code"), reason)));
    let Some(firm) = firms.get(&line.credit_code) else {
        return refusal(format!(
            "no enterprise {} in your region; import the enterprise first",
            line.credit_code
        ));
    };
    let region = stored_region(firm)?;
    if caller.may_write(&region) {
        Ok(Ok(firm))
    } else if caller.may_read(&region) {
        refusal("your token may not write this enterprise's region".to_owned())
    } else {
        refusal(format!(
            "no enterprise {} in your region; import the enterprise first",
            line.credit_code
        ))
    }
}

/// Applies each line whose enterprise the caller may write with `apply_line`, then inserts
/// the new rows it collected and writes the batch's audit entries (rows first).
pub(super) fn apply_lines<R, Row>(
    batch: &mut Batch<'_>,
    firms: &HashMap<String, EnterpriseRow>,
    lines: Vec<Line<R>>,
    insert_all: fn(&mut DbConnection, &[Row]) -> diesel::QueryResult<()>,
    mut apply_line: impl FnMut(
        &mut Batch<'_>,
        &mut Vec<Row>,
        &EnterpriseRow,
        Line<R>,
    ) -> Result<RowResult, RegistryError>,
) -> Result<Vec<RowResult>, RegistryError> {
    let mut new_rows = Vec::new();
    let mut results = Vec::with_capacity(lines.len());
    for line in lines {
        results.push(match writable_firm(batch.caller, firms, &line)? {
            Ok(firm) => apply_line(batch, &mut new_rows, firm, line)?,
            Err(refused) => Err(refused),
        });
    }
    insert_all(batch.conn, &new_rows)?;
    batch.trail.flush(batch.conn)?;
    Ok(results)
}

/// Why a new fact dated `date` cannot belong to the firm, if it cannot (the API's rule).
pub(super) fn outside_existence(firm: &EnterpriseRow, date: NaiveDate) -> Option<String> {
    status::outside_existence(firm.registered_on, firm.deregistered_on, date).map(|outside| {
        match outside {
            OutsideExistence::BeforeRegistration(registered) => {
                format!("before the enterprise was registered ({registered})")
            }
            OutsideExistence::AfterDeregistration(gone) => {
                format!("after the enterprise was deregistered ({gone})")
            }
        }
    })
}
