//! Parsing a line's cells into the domain value it holds, by the same rules as the API, so a
//! file and a request accept the same records.

use chrono::NaiveDate;
use hte_shared::i18n::Text;
use hte_shared::text;

use super::RowError;
use crate::domain::dates::{check_past_date, check_programme_year};
use crate::domain::import::{self, HeaderColumn, MoneyUnit};

pub(super) mod annual_reports;
pub(super) mod certificates;
pub(super) mod enterprises;
pub(super) mod labels;
pub(super) mod pool_entries;

/// One data line of a file and the record it holds, for the enterprise it names.
pub(super) struct Line<R> {
    /// Line in the file (CSV) or row (XLSX), counting the header as 1.
    pub number: u64,
    pub credit_code: String,
    pub record: R,
}

/// How one kind of record is read from a line's cells: `None` when a rule failed (each
/// failure recorded on the cells).
/// The credit code is the line's, when it has a valid one.
pub(super) type ParseRecord<R> = fn(&mut Cells<'_>, Option<&str>, NaiveDate) -> Option<R>;

/// `from_key` as a parse: a key the choices allow but the domain does not know is reported.
pub(super) fn known<T>(from_key: fn(&str) -> Option<T>) -> impl Fn(&str) -> Result<T, Text> {
    move |key| {
        from_key(key).ok_or_else(|| text!("{key:?} is not a known value", "{key:?} 不是可用的取值"))
    }
}

/// Parses one data line; every failing cell is reported.
pub(super) fn parse_line<R>(
    parse_record: ParseRecord<R>,
    header: &[HeaderColumn],
    (number, values): (u64, &[String]),
    unit: MoneyUnit,
    today: NaiveDate,
) -> Result<Line<R>, Vec<RowError>> {
    if values.len() > header.len() && values[header.len()..].iter().any(|v| !v.trim().is_empty()) {
        let (fields, headers) = (values.len(), header.len());
        let reason = text!(
            "the row has {fields} fields but the header has {headers}",
            "该行有 {fields} 个单元格，但表头只有 {headers} 列"
        );
        return Err(vec![RowError::new(number, None, reason)]);
    }
    let mut cells = Cells {
        header,
        values,
        unit,
        errors: Vec::new(),
    };
    let code = cells
        .required("credit_code")
        .map(|c| c.to_ascii_uppercase());
    let record = parse_record(&mut cells, code.as_deref(), today);
    match (code, record) {
        (Some(credit_code), Some(record)) if cells.errors.is_empty() => Ok(Line {
            number,
            credit_code,
            record,
        }),
        _ => Err({
            // Left to right, as the row reads.
            let mut errors = cells.errors;
            errors.sort_by_key(|(field, _)| header.iter().position(|c| c.field == field));
            errors
        }
        .into_iter()
        .map(|(column, reason)| RowError::new(number, Some(&column), reason))
        .collect()),
    }
}

/// The cells of one data line, read by field name; each failure is kept with its column.
pub(super) struct Cells<'a> {
    header: &'a [HeaderColumn],
    values: &'a [String],
    unit: MoneyUnit,
    errors: Vec<(String, Text)>,
}

impl<'a> Cells<'a> {
    pub(super) fn raw(&self, field: &str) -> Option<&'a str> {
        self.header
            .iter()
            .position(|c| c.field == field)
            .and_then(|i| self.values.get(i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Whether `field` has already been reported.
    pub(super) fn failed(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }

    pub(super) fn fail(&mut self, field: &str, reason: impl Into<Text>) {
        self.errors.push((field.to_owned(), reason.into()));
    }

    pub(super) fn text(&mut self, field: &str) -> Option<String> {
        let value = self.raw(field).map(str::to_owned);
        if let Some(v) = &value
            && v.contains('\u{fffd}')
        {
            self.fail(
                field,
                Text::fixed(
                    "contains characters that are not valid in the file's encoding",
                    "包含文件编码中无效的字符",
                ),
            );
        }
        value
    }

    pub(super) fn required(&mut self, field: &str) -> Option<String> {
        let value = self.text(field);
        if value.is_none() {
            self.fail(field, text!("required", "必填"));
        }
        value
    }

    pub(super) fn parse<T, E: Into<Text>>(
        &mut self,
        field: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = self.raw(field)?;
        match parse(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(field, e);
                None
            }
        }
    }

    pub(super) fn money(&mut self, field: &str) -> Option<i64> {
        let unit = self
            .header
            .iter()
            .find(|c| c.field == field)
            .and_then(|c| c.unit)
            .unwrap_or(self.unit);
        self.parse(field, |raw| import::parse_money(raw, unit))
    }

    pub(super) fn integer(&mut self, field: &str) -> Option<i64> {
        self.parse(field, import::parse_integer)
    }

    pub(super) fn year(&mut self, field: &str) -> Option<i32> {
        self.parse(field, |raw| {
            import::parse_integer(raw).and_then(|y| {
                i32::try_from(y).map_err(|_| {
                    let shown = hte_shared::i18n::quote(raw);
                    text!("{shown} is not a year", "{shown} 不是年份")
                })
            })
        })
    }

    /// A programme year (pool entries, labels); a missing or unreadable one is out of range
    /// too.
    pub(super) fn programme_year(&mut self, field: &str, today: NaiveDate) -> i32 {
        let year = self.year(field).unwrap_or(0);
        if let Err((_, e)) = check_programme_year(year, today) {
            self.fail(field, e);
        }
        year
    }

    pub(super) fn date(&mut self, field: &str) -> Option<NaiveDate> {
        self.parse(field, import::parse_date)
    }

    pub(super) fn choice(
        &mut self,
        field: &str,
        choices: &[(&'static str, &[&str])],
    ) -> Option<&'static str> {
        self.parse(field, |raw| import::parse_choice(raw, choices))
    }

    /// A date that must be present and neither in the future nor implausibly old.
    pub(super) fn past_date(
        &mut self,
        field: &str,
        required: bool,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        if required && self.raw(field).is_none() {
            self.fail(field, text!("required", "必填"));
            return None;
        }
        let date = self.date(field)?;
        let mut errors = Vec::new();
        check_past_date(field, date, today, &mut errors);
        for e in errors {
            self.fail(field, e.message);
        }
        Some(date)
    }

    /// An enumeration value, as the domain type `from_key` makes of its key.
    pub(super) fn choice_of<T>(
        &mut self,
        field: &str,
        choices: &[(&'static str, &[&str])],
        from_key: impl Fn(&str) -> Result<T, Text>,
    ) -> Option<T> {
        let key = self.choice(field, choices)?;
        match from_key(key) {
            Ok(value) => Some(value),
            Err(e) => {
                self.fail(field, e);
                None
            }
        }
    }

    /// An enumeration value that must be present.
    pub(super) fn required_choice_of<T>(
        &mut self,
        field: &str,
        choices: &[(&'static str, &[&str])],
        from_key: impl Fn(&str) -> Result<T, Text>,
    ) -> Option<T> {
        if self.raw(field).is_none() {
            self.fail(field, text!("required", "必填"));
            return None;
        }
        self.choice_of(field, choices, from_key)
    }
}
