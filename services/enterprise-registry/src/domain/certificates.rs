//! HTE certificates (高新技术企业证书): numbers, validity, and the record a certificate is.

use chrono::{Datelike, Months, NaiveDate};

use super::dates::Ending;

/// Certificates are valid for three years (有效期三年), through the day before the third
/// anniversary of issue.
pub fn certificate_expiry(issued_on: NaiveDate) -> NaiveDate {
    issued_on
        .checked_add_months(Months::new(36))
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// HTE certificate number (证书编号): `GR` + issue year + 8 digits, e.g. `GR202332001234`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateNo(String);

impl CertificateNo {
    /// Checks the form, and that the year in the number is the year of issue.
    pub fn parse(
        raw: &str,
        issued_on: NaiveDate,
    ) -> Result<Self, (&'static str, hte_shared::i18n::Text)> {
        let number = raw.trim().to_ascii_uppercase();
        let digits = number
            .strip_prefix("GR")
            .filter(|d| d.len() == 12 && d.bytes().all(|b| b.is_ascii_digit()));
        let Some(digits) = digits else {
            return Err(("format", {
                let shown = hte_shared::i18n::quote(raw);
                hte_shared::text!(
                    "{shown} is not a certificate number: GR followed by 12 digits, e.g. GR202332001234",
                    "{shown} 不是高新技术企业证书编号：应为 GR 加 12 位数字，如 GR202332001234"
                )
            }));
        };
        let year = digits
            .bytes()
            .take(4)
            .fold(0, |year, digit| year * 10 + i32::from(digit - b'0'));
        if year != issued_on.year() {
            return Err((
                "year_matches_issue",
                hte_shared::text!(
                    "the number says {year} but the certificate was issued in {}",
                    "证书编号中的年份为 {year}，但证书发证年份为 {}",
                    issued_on.year()
                ),
            ));
        }
        Ok(Self(number))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A certificate as recorded (认定): its number, issue date and, once revoked, the revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub number: CertificateNo,
    pub issued_on: NaiveDate,
    pub revocation: Option<Ending>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn certificates_last_three_years() {
        assert_eq!(certificate_expiry(d("2023-12-12")), d("2026-12-11"));
        assert_eq!(certificate_expiry(d("2024-01-01")), d("2026-12-31"));
        assert!(CertificateNo::parse("gr202332001234", d("2023-12-12")).is_ok());
        assert_eq!(
            CertificateNo::parse("GR202332001234", d("2024-01-02"))
                .unwrap_err()
                .0,
            "year_matches_issue"
        );
        for bad in [
            "GR20233200123",
            "GX202332001234",
            "GR2023320012345",
            "GR20233200123A",
        ] {
            assert_eq!(
                CertificateNo::parse(bad, d("2023-12-12")).unwrap_err().0,
                "format",
                "{bad}"
            );
        }
    }
}
