//! Clock helpers: timestamps are UTC with microsecond precision (what both backends store
//! exactly); calendar dates ("today") are China Standard Time, where the officials are.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, Utc};

pub fn now() -> NaiveDateTime {
    let now = Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros())
        .map_or(now.naive_utc(), |t| t.naive_utc())
}

pub fn today() -> NaiveDate {
    match FixedOffset::east_opt(8 * 3600) {
        Some(china) => Utc::now().with_timezone(&china).date_naive(),
        None => Utc::now().date_naive(),
    }
}

/// Parses an optional `YYYY-MM-DD` query parameter, naming it on failure. Only an absent
/// parameter is "no date": `?as_of=` is not a date (the document says `format: date`), and
/// reading it as absent would answer a different question than the one asked.
pub fn parse_date_param(
    name: &str,
    raw: Option<&str>,
) -> Result<Option<NaiveDate>, crate::problem::Problem> {
    match raw {
        None => Ok(None),
        // RFC 3339 full-date exactly (`format: date`): chrono alone would also take blanks
        // around it.
        Some(text) => Some(text)
            .filter(|t| t.len() == 10 && t.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
            .and_then(|t| t.parse::<NaiveDate>().ok())
            .map(Some)
            .ok_or_else(|| {
                let got = crate::i18n::quote(text);
                crate::problem::Problem::invalid_field(
                    name,
                    "date",
                    crate::text!(
                        "{name} must be a date like 2025-12-31; got {got}",
                        "{name} 须为日期，例如 2025-12-31；收到的是 {got}"
                    ),
                )
            }),
    }
}

/// Serde for UTC timestamps as RFC 3339 with the `Z` offset (`2026-11-29T03:03:35.020018Z`),
/// which `format: date-time` requires; a value without an offset is still read as UTC.
/// Use as `#[serde(with = "hte_shared::time::utc")]`, or `utc::option` for `Option`s.
pub mod utc {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &NaiveDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<NaiveDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).ok_or_else(|| not_a_timestamp(&text))
    }

    /// The field error for a value that is not a timestamp, in both languages.
    fn not_a_timestamp<E: serde::de::Error>(text: &str) -> E {
        let shown = crate::i18n::quote(text);
        crate::rejection::custom(crate::text!(
            "{shown} is not an RFC 3339 timestamp",
            "{shown} 不是 RFC 3339 格式的时间"
        ))
    }

    fn parse(text: &str) -> Option<NaiveDateTime> {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.naive_utc())
            .ok()
            .or_else(|| text.parse::<NaiveDateTime>().ok())
    }

    pub mod option {
        use chrono::NaiveDateTime;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            value: &Option<NaiveDateTime>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(value) => super::serialize(value, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<NaiveDateTime>, D::Error> {
            match Option::<String>::deserialize(deserializer)? {
                None => Ok(None),
                Some(text) => super::parse(&text)
                    .map(Some)
                    .ok_or_else(|| super::not_a_timestamp(&text)),
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct At {
            #[serde(with = "super")]
            at: chrono::NaiveDateTime,
            #[serde(with = "super::option")]
            maybe: Option<chrono::NaiveDateTime>,
        }

        #[test]
        fn timestamps_carry_their_utc_offset_and_read_back() {
            let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
                .and_then(|d| d.and_hms_micro_opt(3, 3, 35, 20_018))
                .expect("a valid time");
            let value = At { at, maybe: None };
            let json = serde_json::to_string(&value).expect("serialises");
            assert_eq!(json, r#"{"at":"2026-11-29T03:03:35.020018Z","maybe":null}"#);
            assert_eq!(
                serde_json::from_str::<At>(&json).expect("reads back"),
                value
            );
            let offset: At = serde_json::from_str(
                r#"{"at":"2026-11-29T11:03:35.020018+08:00","maybe":"2026-11-29T03:03:35.020018"}"#,
            )
            .expect("reads an offset and a bare time");
            assert_eq!(offset.at, at);
            assert_eq!(offset.maybe, Some(at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_date_param;

    #[test]
    fn only_an_absent_date_parameter_is_no_date() {
        assert_eq!(parse_date_param("as_of", None).expect("absent"), None);
        let date = parse_date_param("as_of", Some("2025-12-31")).expect("a date");
        assert_eq!(date, chrono::NaiveDate::from_ymd_opt(2025, 12, 31));
        for raw in ["", " ", " 2025-12-31", "2025-13-01"] {
            let problem = parse_date_param("as_of", Some(raw)).expect_err(raw);
            assert_eq!(problem.status, 400, "{raw:?}");
            assert_eq!(problem.errors[0].field, "as_of");
            assert_eq!(problem.errors[0].rule, "date");
        }
    }
}
