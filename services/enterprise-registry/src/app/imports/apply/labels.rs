//! Labels from a file: a new one is granted, a stored one restated (its revocation kept).

use hte_shared::time::now;

use super::{Batch, ChildKind, RowResult, created, outside_existence, rejected, restated};
use crate::app::imports::parse::Line;
use crate::app::labels::row_of;
use crate::db::enterprises::EnterpriseRow;
use crate::db::labels::{self as queries, LabelRow};
use crate::domain::labels::{Label, holds_from};
use crate::error::RegistryError;

pub(in crate::app::imports) const KIND: ChildKind<Label, LabelRow, (String, String, i32)> =
    ChildKind {
        load: |conn, codes, _| queries::of_enterprises(conn, codes),
        keys: (
            |label| (label.credit_code.clone(), label.kind.clone(), label.year),
            |line| {
                let Label { kind, year, .. } = &line.record;
                (line.credit_code.clone(), kind.key().to_owned(), *year)
            },
        ),
        insert_all: queries::insert_all,
        apply_line: grant,
    };

fn grant(
    batch: &mut Batch<'_>,
    new_rows: &mut Vec<LabelRow>,
    firm: &EnterpriseRow,
    before: Option<&LabelRow>,
    line: Line<Label>,
) -> Result<RowResult, RegistryError> {
    let Label { year, .. } = line.record;
    let Some(before) = before else {
        let first_day = holds_from(year, firm.registered_on);
        if let Some(why) = outside_existence(firm, first_day) {
            let reason = hte_shared::i18n::Text::new(
                format!("a label for {year} would start {why}"),
                format!("{year} 年度称号的起始日期{}", why.zh()),
            );
            return Ok(Err(rejected(line.number, Some("year"), reason)));
        }
        let row = row_of(&line.credit_code, &line.record, now());
        return created(batch, new_rows, row);
    };
    // A restatement keeps the label's revocation.
    let after = LabelRow {
        revoked_on: before.revoked_on,
        revoke_reason: before.revoke_reason.clone(),
        ..row_of(&line.credit_code, &line.record, before.created_at)
    };
    let changed = (&before.level, &before.issuer) != (&after.level, &after.issuer);
    restated(batch, (before, &after), changed)
}
