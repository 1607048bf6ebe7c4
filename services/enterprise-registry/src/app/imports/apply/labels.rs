//! Labels from a file: a new one is granted, a stored one restated (its revocation kept).

use std::collections::HashMap;

use hte_shared::time::now;

use super::{
    Batch, RowOutcome, RowResult, apply_lines, codes_of, firms_of, outside_existence, rejected,
};
use crate::app::imports::parse::Line;
use crate::app::labels::{record_change, restate, row_of};
use crate::db::enterprises::EnterpriseRow;
use crate::db::labels::{self as queries, LabelRow};
use crate::domain::labels::{Label, holds_from};
use crate::error::RegistryError;

pub(in crate::app::imports) fn apply(
    batch: &mut Batch<'_>,
    lines: Vec<Line<Label>>,
) -> Result<Vec<RowResult>, RegistryError> {
    let firms = firms_of(batch.conn, &lines)?;
    let stored: HashMap<(String, String, i32), LabelRow> =
        queries::of_enterprises(batch.conn, &codes_of(&firms))?
            .into_iter()
            .map(|r| ((r.credit_code.clone(), r.kind.clone(), r.year), r))
            .collect();
    apply_lines(
        batch,
        &firms,
        lines,
        queries::insert_all,
        |batch, new_rows, firm, line| {
            let kind = line.record.kind.key().to_owned();
            let before = stored.get(&(line.credit_code.clone(), kind, line.record.year));
            grant(batch, new_rows, firm, before, line)
        },
    )
}

fn grant(
    batch: &mut Batch<'_>,
    new_rows: &mut Vec<LabelRow>,
    firm: &EnterpriseRow,
    before: Option<&LabelRow>,
    line: Line<Label>,
) -> Result<RowResult, RegistryError> {
    let Some(before) = before else {
        let first_day = holds_from(line.record.year, firm.registered_on);
        if let Some(why) = outside_existence(firm, first_day) {
            let reason = format!("a label for {} would start {why}", line.record.year);
            return Ok(Err(rejected(line.number, Some("year"), reason)));
        }
        let row = row_of(&line.credit_code, &line.record, now());
        record_change(
            batch.conn,
            &mut batch.trail,
            ("create", Some(batch.reason)),
            None,
            &row,
        )?;
        new_rows.push(row);
        return Ok(Ok(RowOutcome::Created));
    };
    if before.level == line.record.level.key() && before.issuer == line.record.issuer {
        return Ok(Ok(RowOutcome::Unchanged));
    }
    let after = LabelRow {
        created_at: before.created_at,
        revoked_on: before.revoked_on,
        revoke_reason: before.revoke_reason.clone(),
        ..row_of(&line.credit_code, &line.record, before.created_at)
    };
    restate(batch.conn, &mut batch.trail, before, &after, batch.reason)?;
    Ok(Ok(RowOutcome::Updated))
}
