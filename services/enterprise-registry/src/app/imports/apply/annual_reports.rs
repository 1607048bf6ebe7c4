//! Annual reports from a file: a year not filed yet is filed, a filed one replaced over the
//! version read, the columns a file lacks kept.

use chrono::Datelike;

use super::{Batch, ChildKind, RowOutcome, RowResult, rejected};
use crate::app::annual_reports::{figures_of, record_filed, replace, row_of};
use crate::app::imports::parse::Line;
use crate::db::annual_reports::{self as queries, AnnualReportRow};
use crate::db::enterprises::EnterpriseRow;
use crate::domain::annual_report::{AnnualReport, check_year};
use crate::error::RegistryError;

pub(in crate::app::imports) const KIND: ChildKind<AnnualReport, AnnualReportRow, (String, i32)> =
    ChildKind {
        load: |conn, codes, _| queries::of_enterprises(conn, codes),
        keys: (
            |report| (report.credit_code.clone(), report.year),
            |line| (line.credit_code.clone(), line.record.year),
        ),
        insert_all: queries::insert_all,
        apply_line: file,
    };

fn file(
    batch: &mut Batch<'_>,
    new_rows: &mut Vec<AnnualReportRow>,
    firm: &EnterpriseRow,
    before: Option<&AnnualReportRow>,
    line: Line<AnnualReport>,
) -> Result<RowResult, RegistryError> {
    let AnnualReport { year, figures } = line.record;
    let stored_figures = before.map(figures_of).transpose()?;
    let figures = match &stored_figures {
        Some(stored) => figures.keeping_absent(stored, batch.present),
        None => figures,
    };
    if let Err(e) = check_year(year, firm.registered_on.year(), batch.today.year()) {
        return Ok(Err(rejected(line.number, Some("year"), e.message)));
    }
    let code = &line.credit_code;
    let Some(before) = before else {
        let row = row_of(code, year, &figures, 1);
        record_filed(batch.conn, &mut batch.trail, &row, Some(batch.reason))?;
        new_rows.push(row);
        return Ok(Ok(RowOutcome::Created));
    };
    if stored_figures.as_ref() == Some(&figures) {
        return Ok(Ok(RowOutcome::Unchanged));
    }
    let after = row_of(code, year, &figures, before.version + 1);
    if !replace(
        batch.conn,
        &mut batch.trail,
        before,
        &after,
        Some(batch.reason),
    )? {
        return Ok(Err(rejected(
            line.number,
            None,
            hte_shared::i18n::Text::fixed(
                "the report changed while importing; import the row again",
                "导入期间年报已被他人修改，请重新导入该行",
            ),
        )));
    }
    Ok(Ok(RowOutcome::Updated))
}
