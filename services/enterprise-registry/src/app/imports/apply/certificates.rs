//! Certificates from a file: a new one is recorded, a stored one restated; a file without
//! revocation columns does not undo a revocation recorded since.

use std::collections::HashMap;

use hte_shared::time::now;

use super::{Batch, RowOutcome, RowResult, apply_lines, firms_of, outside_existence, rejected};
use crate::app::certificates::{record_change, restate, row_of};
use crate::app::imports::parse::Line;
use crate::db::certificates::{self as queries, CertificateRow};
use crate::db::enterprises::EnterpriseRow;
use crate::domain::certificates::Certificate;
use crate::error::RegistryError;

pub(in crate::app::imports) fn apply(
    batch: &mut Batch<'_>,
    lines: Vec<Line<Certificate>>,
) -> Result<Vec<RowResult>, RegistryError> {
    let firms = firms_of(batch.conn, &lines)?;
    let numbers: Vec<String> = lines
        .iter()
        .map(|l| l.record.number.as_str().to_owned())
        .collect();
    let stored: HashMap<String, CertificateRow> = queries::find_many(batch.conn, &numbers)?
        .into_iter()
        .map(|r| (r.certificate_no.clone(), r))
        .collect();
    apply_lines(
        batch,
        &firms,
        lines,
        queries::insert_all,
        |batch, new_rows, firm, line| {
            let before = stored.get(line.record.number.as_str());
            record(batch, new_rows, firm, before, line)
        },
    )
}

/// What a restatement compares: the holder, the issue date and the revocation.
fn facts(
    c: &CertificateRow,
) -> (
    &str,
    chrono::NaiveDate,
    Option<chrono::NaiveDate>,
    Option<&str>,
) {
    (
        &c.credit_code,
        c.issued_on,
        c.revoked_on,
        c.revoke_reason.as_deref(),
    )
}

fn record(
    batch: &mut Batch<'_>,
    new_rows: &mut Vec<CertificateRow>,
    firm: &EnterpriseRow,
    before: Option<&CertificateRow>,
    line: Line<Certificate>,
) -> Result<RowResult, RegistryError> {
    let Some(before) = before else {
        if let Some(why) = outside_existence(firm, line.record.issued_on) {
            return Ok(Err(rejected(
                line.number,
                Some("issued_on"),
                format!("issued {why}"),
            )));
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
    if before.credit_code != line.credit_code {
        let reason = format!(
            "certificate {} belongs to another enterprise",
            before.certificate_no
        );
        return Ok(Err(rejected(line.number, Some("certificate_no"), reason)));
    }
    let mut after = row_of(&line.credit_code, &line.record, before.created_at);
    if line.record.revocation.is_none() {
        after.revoked_on = before.revoked_on;
        after.revoke_reason.clone_from(&before.revoke_reason);
    }
    if facts(before) == facts(&after) {
        return Ok(Ok(RowOutcome::Unchanged));
    }
    restate(batch.conn, &mut batch.trail, before, &after, batch.reason)?;
    Ok(Ok(RowOutcome::Updated))
}
