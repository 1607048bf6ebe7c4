//! Certificates from a file: a new one is recorded, a stored one restated; a file without
//! revocation columns does not undo a revocation recorded since.

use hte_shared::time::now;

use super::{Batch, ChildKind, RowResult, created, outside_existence, rejected, restated};
use crate::app::certificates::row_of;
use crate::app::imports::parse::Line;
use crate::db::certificates::{self as queries, CertificateRow};
use crate::db::enterprises::EnterpriseRow;
use crate::domain::certificates::Certificate;
use crate::error::RegistryError;

pub(in crate::app::imports) const KIND: ChildKind<Certificate, CertificateRow, String> =
    ChildKind {
        load: |conn, _, lines| queries::find_many(conn, &numbers_of(lines)),
        keys: (
            |certificate| certificate.certificate_no.clone(),
            |line| line.record.number.as_str().to_owned(),
        ),
        insert_all: queries::insert_all,
        apply_line: record,
    };

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

fn numbers_of(lines: &[Line<Certificate>]) -> Vec<String> {
    lines
        .iter()
        .map(|line| line.record.number.as_str().to_owned())
        .collect()
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
            let reason = hte_shared::i18n::Text::new(
                format!("issued {why}"),
                format!("发证日期{}", why.zh()),
            );
            return Ok(Err(rejected(line.number, Some("issued_on"), reason)));
        }
        let row = row_of(&line.credit_code, &line.record, now());
        return created(batch, new_rows, row);
    };
    if before.credit_code != line.credit_code {
        let reason = hte_shared::text!(
            "certificate {} belongs to another enterprise",
            "高新技术企业证书 {} 属于其他企业",
            before.certificate_no
        );
        return Ok(Err(rejected(line.number, Some("certificate_no"), reason)));
    }
    let mut after = row_of(&line.credit_code, &line.record, before.created_at);
    if line.record.revocation.is_none() {
        after.revoked_on = before.revoked_on;
        after.revoke_reason.clone_from(&before.revoke_reason);
    }
    let changed = facts(before) != facts(&after);
    restated(batch, (before, &after), changed)
}
