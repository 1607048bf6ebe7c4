//! A line of a certificates file: a certificate, and its revocation when the file records one.

use chrono::NaiveDate;
use hte_shared::i18n::Text;

use super::Cells;
use crate::domain::certificates::{Certificate, CertificateNo};
use crate::domain::dates::Ending;
use crate::domain::enterprise::parse_reason;

pub(in crate::app::imports) fn parse(
    cells: &mut Cells<'_>,
    _credit_code: Option<&str>,
    today: NaiveDate,
) -> Option<Certificate> {
    let issued_on = cells.past_date("issued_on", true, today);
    let number = match (cells.required("certificate_no"), issued_on) {
        (Some(raw), Some(issued)) => match CertificateNo::parse(&raw, issued) {
            Ok(number) => Some(number),
            Err((_, message)) => {
                cells.fail("certificate_no", message);
                None
            }
        },
        _ => None,
    };
    let revoked_on = cells.past_date("revoked_on", false, today);
    if let (Some(issued), Some(revoked)) = (issued_on, revoked_on)
        && revoked < issued
    {
        cells.fail(
            "revoked_on",
            Text::fixed("revoked_on is before issued_on", "撤销日期早于发证日期"),
        );
    }
    let revoke_reason = cells.text("revoke_reason");
    if revoked_on.is_some() != revoke_reason.is_some() {
        cells.fail(
            "revoke_reason",
            Text::fixed(
                "revoked_on and revoke_reason go together",
                "撤销日期与撤销理由须同时填写",
            ),
        );
    }
    if let Some(reason) = &revoke_reason
        && let Err(e) = parse_reason(reason)
    {
        cells.fail("revoke_reason", e);
    }
    Some(Certificate {
        number: number?,
        issued_on: issued_on?,
        revocation: revoked_on
            .zip(revoke_reason)
            .map(|(on, reason)| Ending { on, reason }),
    })
}
