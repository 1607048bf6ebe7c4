//! Reporting periods (统计期): a month `2020-09`, a quarter `2020-Q3` or a year `2020`.
//!
//! Periods order by their last day, and among periods ending on the same day the longer one
//! comes later (`2020-12` < `2020-Q4` < `2020`): the greatest of a set is the latest and most
//! complete figure. The previous period (环比) is the one just before of the same kind; the
//! same period a year earlier (同比) has the same kind and position one year back.

use std::cmp::{Ordering, Reverse};
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Years a period may fall in (the plans' range).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// 月度, month 1–12.
    Month { year: i32, month: u32 },
    /// 季度, quarter 1–4.
    Quarter { year: i32, quarter: u32 },
    /// 年度.
    Year(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Month => "月度",
            Self::Quarter => "季度",
            Self::Year => "年度",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a period is a month 2020-09, a quarter 2020-Q3 or a year 2020, between 2000 and 2100 \
     (统计期格式为 2020-09、2020-Q3 或 2020); got {0:?}"
)]
pub struct PeriodError(pub String);

impl PeriodError {
    /// What is wrong, in both languages.
    pub fn text(&self) -> hte_shared::i18n::Text {
        let shown = hte_shared::i18n::quote(&self.0);
        hte_shared::text!(
            "a period is a month 2020-09, a quarter 2020-Q3 or a year 2020, between 2000 and \
             2100; got {shown}",
            "统计期须为月份（如 2020-09）、季度（如 2020-Q3）或年份（如 2020），且在 2000 至 \
             2100 年之间，收到的是 {shown}"
        )
    }
}

fn number(text: &str, digits: usize) -> Option<u32> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

impl Period {
    pub fn parse(raw: &str) -> Result<Self, PeriodError> {
        let error = || PeriodError(raw.to_owned());
        let text = raw.trim();
        let (Some(year_text), Some(rest)) = (text.get(..4), text.get(4..)) else {
            return Err(error());
        };
        let year = number(year_text, 4)
            .and_then(|y| i32::try_from(y).ok())
            .filter(|y| YEARS.contains(y))
            .ok_or_else(error)?;
        let period = match rest {
            "" => Self::Year(year),
            _ => match rest.strip_prefix("-Q") {
                Some(q) => Self::Quarter {
                    year,
                    quarter: number(q, 1)
                        .filter(|q| (1..=4).contains(q))
                        .ok_or_else(error)?,
                },
                None => Self::Month {
                    year,
                    month: rest
                        .strip_prefix('-')
                        .and_then(|m| number(m, 2))
                        .filter(|m| (1..=12).contains(m))
                        .ok_or_else(error)?,
                },
            },
        };
        Ok(period)
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            Self::Month { .. } => PeriodKind::Month,
            Self::Quarter { .. } => PeriodKind::Quarter,
            Self::Year(_) => PeriodKind::Year,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Self::Month { year, .. } | Self::Quarter { year, .. } | Self::Year(year) => year,
        }
    }

    /// First and last month of the period.
    fn months(self) -> (u32, u32) {
        match self {
            Self::Month { month, .. } => (month, month),
            Self::Quarter { quarter, .. } => (quarter * 3 - 2, quarter * 3),
            Self::Year(_) => (1, 12),
        }
    }

    /// First day (起始日).
    pub fn starts_on(self) -> NaiveDate {
        let (first, _) = self.months();
        NaiveDate::from_ymd_opt(self.year(), first, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day (截止日).
    pub fn ends_on(self) -> NaiveDate {
        let (_, last) = self.months();
        let next = if last == 12 {
            NaiveDate::from_ymd_opt(self.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year(), last + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.starts_on() <= date && date <= self.ends_on()
    }

    /// The period of `kind` that contains `date`, if its year is in range.
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Option<Self> {
        let year = date.year();
        if !YEARS.contains(&year) {
            return None;
        }
        Some(match kind {
            PeriodKind::Month => Self::Month {
                year,
                month: date.month(),
            },
            PeriodKind::Quarter => Self::Quarter {
                year,
                quarter: date.month().div_ceil(3),
            },
            PeriodKind::Year => Self::Year(year),
        })
    }

    /// The period just before, of the same kind (环比 compares with it).
    pub fn previous(self) -> Option<Self> {
        let previous = match self {
            Self::Month { year, month } => {
                let (year, month) = one_back(year, month, 12);
                Self::Month { year, month }
            }
            Self::Quarter { year, quarter } => {
                let (year, quarter) = one_back(year, quarter, 4);
                Self::Quarter { year, quarter }
            }
            Self::Year(year) => Self::Year(year - 1),
        };
        YEARS.contains(&previous.year()).then_some(previous)
    }

    /// The same period one year earlier (同比 compares with it).
    pub fn year_earlier(self) -> Option<Self> {
        let year = self.year() - 1;
        if !YEARS.contains(&year) {
            return None;
        }
        Some(match self {
            Self::Month { month, .. } => Self::Month { year, month },
            Self::Quarter { quarter, .. } => Self::Quarter { year, quarter },
            Self::Year(_) => Self::Year(year),
        })
    }

    fn order_key(self) -> (NaiveDate, Reverse<NaiveDate>) {
        (self.ends_on(), Reverse(self.starts_on()))
    }
}

/// Position `n` (from 1) of `per_year` in `year`, one step back: `(year, n − 1)`, or the last
/// of the year before for the first.
fn one_back(year: i32, n: u32, per_year: u32) -> (i32, u32) {
    if n == 1 {
        (year - 1, per_year)
    } else {
        (year, n - 1)
    }
}

impl Ord for Period {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order_key().cmp(&other.order_key())
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Self::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Self::Year(year) => write!(f, "{year:04}"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_format_round_trip() {
        let cases = [
            (
                "2020-09",
                Period::Month {
                    year: 2020,
                    month: 9,
                },
            ),
            (
                "2020-01",
                Period::Month {
                    year: 2020,
                    month: 1,
                },
            ),
            (
                "2020-12",
                Period::Month {
                    year: 2020,
                    month: 12,
                },
            ),
            (
                "2020-Q3",
                Period::Quarter {
                    year: 2020,
                    quarter: 3,
                },
            ),
            (
                "2000-Q1",
                Period::Quarter {
                    year: 2000,
                    quarter: 1,
                },
            ),
            ("2020", Period::Year(2020)),
            ("2100", Period::Year(2100)),
        ];
        for (text, period) in cases {
            assert_eq!(Period::parse(text), Ok(period), "{text}");
            assert_eq!(period.to_string(), text);
        }
        assert_eq!(
            p(" 2020-Q3 "),
            Period::Quarter {
                year: 2020,
                quarter: 3
            }
        );
    }

    #[test]
    fn malformed_periods_are_refused() {
        for bad in [
            "",
            "20",
            "1999",
            "2101",
            "2020-9",
            "2020-00",
            "2020-13",
            "2020-Q0",
            "2020-Q5",
            "2020-q3",
            "2020Q3",
            "2020-Q",
            "2020-",
            "2020-09-01",
            "二〇二〇",
            "2020-Q33",
            "+202",
            "2020-H1",
        ] {
            let error = Period::parse(bad).unwrap_err();
            assert!(error.to_string().contains("统计期"), "{bad}");
        }
    }

    #[test]
    fn first_and_last_days() {
        let cases = [
            ("2020-02", "2020-02-01", "2020-02-29"),
            ("2019-02", "2019-02-01", "2019-02-28"),
            ("2020-12", "2020-12-01", "2020-12-31"),
            ("2020-Q1", "2020-01-01", "2020-03-31"),
            ("2020-Q3", "2020-07-01", "2020-09-30"),
            ("2020-Q4", "2020-10-01", "2020-12-31"),
            ("2020", "2020-01-01", "2020-12-31"),
        ];
        for (text, start, end) in cases {
            assert_eq!(p(text).starts_on(), d(start), "{text}");
            assert_eq!(p(text).ends_on(), d(end), "{text}");
            assert!(p(text).contains(d(start)) && p(text).contains(d(end)));
            assert!(!p(text).contains(d(end).succ_opt().unwrap()));
        }
    }

    #[test]
    fn previous_and_year_earlier() {
        let cases = [
            ("2020-09", Some("2020-08"), Some("2019-09")),
            ("2020-01", Some("2019-12"), Some("2019-01")),
            ("2020-Q1", Some("2019-Q4"), Some("2019-Q1")),
            ("2020-Q3", Some("2020-Q2"), Some("2019-Q3")),
            ("2020", Some("2019"), Some("2019")),
            ("2000-01", None, None),
            ("2000-Q1", None, None),
            ("2000", None, None),
            ("2000-02", Some("2000-01"), None),
        ];
        for (text, previous, earlier) in cases {
            assert_eq!(p(text).previous(), previous.map(p), "previous of {text}");
            assert_eq!(p(text).year_earlier(), earlier.map(p), "year before {text}");
        }
    }

    #[test]
    fn periods_order_by_last_day_then_length() {
        let mut list: Vec<Period> = [
            "2020", "2020-Q4", "2020-12", "2020-Q1", "2020-03", "2019", "2020-01",
        ]
        .into_iter()
        .map(p)
        .collect();
        list.sort();
        let texts: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "2019", "2020-01", "2020-03", "2020-Q1", "2020-12", "2020-Q4", "2020"
            ]
        );
        assert!(p("2020-Q3") > p("2020-09"));
        assert!(p("2020-10") > p("2020-Q3"));
    }

    #[test]
    fn the_period_containing_a_date() {
        let on = d("2020-08-15");
        assert_eq!(
            Period::containing(PeriodKind::Month, on),
            Some(p("2020-08"))
        );
        assert_eq!(
            Period::containing(PeriodKind::Quarter, on),
            Some(p("2020-Q3"))
        );
        assert_eq!(Period::containing(PeriodKind::Year, on), Some(p("2020")));
        assert_eq!(
            Period::containing(PeriodKind::Quarter, d("2020-12-31")),
            Some(p("2020-Q4"))
        );
        assert_eq!(Period::containing(PeriodKind::Year, d("1999-12-31")), None);
    }

    #[test]
    fn serde_uses_the_text_form() {
        let json = serde_json::to_string(&p("2020-Q3")).unwrap();
        assert_eq!(json, "\"2020-Q3\"");
        assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p("2020-Q3"));
        assert!(serde_json::from_str::<Period>("\"2020-Q9\"").is_err());
    }
}
