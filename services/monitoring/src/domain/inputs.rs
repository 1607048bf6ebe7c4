//! External statistics inputs (统计部门数据): figures the registry cannot hold, entered by the
//! province per measure, period and region, and versioned.
//!
//! The measures are a closed vocabulary: each has Chinese and English labels and a base unit
//! (all are money in integer yuan today). Officials copy figures from statistical bulletins
//! in 万元 or 亿元 with decimals; [`parse_amount`] converts them to yuan exactly and refuses a
//! figure that is not a whole number of yuan. A correction writes a new version with a reason
//! and keeps the earlier ones ([`plan_write`]).

use hte_shared::i18n::Text;
use hte_shared::regions::{self, RegionCode};
use hte_shared::text;

use super::period::Period;
use super::ratio::Ratio;
use super::vocabulary::closed_vocabulary;

closed_vocabulary! {
    /// A measure the statistics department (统计部门) publishes and monitoring needs.
    InputMeasure {
        /// 全社会研究与试验发展(R&D)经费支出: all R&D spend in the region (enterprises,
        /// institutes, universities).
        SocietyRdExpense = "society_rd_expense_yuan" => "全社会研究与试验发展经费支出",
        /// 全省企业研发经费投入: all enterprises' R&D spend (the 2020 plan's denominator).
        EnterpriseRdExpense = "enterprise_rd_expense_yuan" => "全省企业研发经费投入",
        /// 规模以上工业企业研发经费支出: above-scale industrial enterprises' R&D spend.
        AboveScaleIndustrialRdExpense = "above_scale_industrial_rd_expense_yuan" => "规模以上工业企业研发经费支出",
        /// 规模以上工业总产值: above-scale industrial output.
        AboveScaleIndustrialOutput = "above_scale_industrial_output_yuan" => "规模以上工业总产值",
        /// 高新技术产业产值: output of the high-tech industries (of above-scale industry).
        HightechIndustryOutput = "hightech_industry_output_yuan" => "高新技术产业产值",
    }
}

closed_vocabulary! {
    /// The unit a measure is stored in.
    BaseUnit {
        Yuan = "yuan" => "元",
    }
}

impl InputMeasure {
    pub fn name_en(self) -> &'static str {
        match self {
            Self::SocietyRdExpense => "R&D spend of the whole society",
            Self::EnterpriseRdExpense => "R&D spend of all enterprises",
            Self::AboveScaleIndustrialRdExpense => {
                "R&D spend of above-scale industrial enterprises"
            }
            Self::AboveScaleIndustrialOutput => "Above-scale industrial output",
            Self::HightechIndustryOutput => "High-tech industry output",
        }
    }

    pub fn unit(self) -> BaseUnit {
        BaseUnit::Yuan
    }
}

closed_vocabulary! {
    /// The unit a figure is written in when entered or imported (录入单位).
    AmountUnit {
        Yuan = "yuan" => "元",
        /// 万元 (10⁴ yuan)
        WanYuan = "wan_yuan" => "万元",
        /// 亿元 (10⁸ yuan)
        YiYuan = "yi_yuan" => "亿元",
    }
}

impl AmountUnit {
    fn yuan(self) -> i128 {
        match self {
            Self::Yuan => 1,
            Self::WanYuan => 10_000,
            Self::YiYuan => 100_000_000,
        }
    }
}

/// The largest amount accepted: 10¹⁵ yuan (一千万亿元), far above any Jiangsu aggregate
/// (its GDP is about 1.3·10¹³), so a slip of a unit or a few digits is caught.
pub const MAX_YUAN: i64 = 1_000_000_000_000_000;

/// Why an input was refused; each rule has a stable key for the API's field errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("value must be a decimal number such as 1234.56 (数值须为十进制数); got {0:?}")]
    NotANumber(String),
    #[error("value must not be negative (数值不能为负)")]
    Negative,
    #[error("value must be a whole number of yuan (换算后须为整数元); {0} is not")]
    FractionOfYuan(String),
    #[error("value must be at most {MAX_YUAN} yuan (数值超出上限)")]
    TooLarge,
    #[error("{field} must be {min}–{max} characters (长度须为{min}–{max}个字符); got {got}")]
    Length {
        field: &'static str,
        min: usize,
        max: usize,
        got: usize,
    },
}

impl InputError {
    /// The rule's key (`format`, `range`, `whole_yuan`, `length`).
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotANumber(_) => "format",
            Self::Negative => "range",
            // In yuan after the unit: the bound on what is sent depends on `unit`.
            Self::TooLarge => "max_yuan",
            Self::FractionOfYuan(_) => "whole_yuan",
            Self::Length { .. } => "length",
        }
    }
}

/// Why a plain decimal the exact arithmetic cannot hold is refused: too large (more than
/// 19 whole digits) or too fine (a fraction of a yuan); anything else is not a number.
fn too_many_digits(raw: &str, unit: AmountUnit) -> InputError {
    let text = raw.trim().trim_start_matches('+');
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(whole) && digits(fraction)) {
        InputError::NotANumber(raw.to_owned())
    } else if whole.trim_start_matches('0').len() > 19 {
        InputError::TooLarge
    } else {
        InputError::FractionOfYuan(format!("{text} {}", unit.name_zh()))
    }
}

impl InputError {
    /// What is wrong, in both languages.
    pub fn text(&self) -> Text {
        match self {
            Self::NotANumber(raw) => {
                let shown = hte_shared::i18n::quote(raw);
                text!(
                    "value must be a decimal number such as 1234.56; got {shown}",
                    "数值须为十进制数，如 1234.56，收到的是 {shown}"
                )
            }
            Self::Negative => Text::fixed("value must not be negative", "数值不能为负"),
            Self::FractionOfYuan(value) => text!(
                "value must be a whole number of yuan; {value} is not",
                "数值换算后须为整数元，{value} 不是"
            ),
            Self::TooLarge => text!(
                "value must be at most {MAX_YUAN} yuan",
                "数值不得超过 {MAX_YUAN} 元"
            ),
            Self::Length {
                field,
                min,
                max,
                got,
            } => text!(
                "{field} must be {min}–{max} characters; got {got}",
                "{field} 长度须为 {min} 至 {max} 个字符，现为 {got} 个"
            ),
        }
    }
}

/// A figure written in `unit` (e.g. `"1234.56"` 亿元), converted to integer yuan exactly.
pub fn parse_amount(raw: &str, unit: AmountUnit) -> Result<i64, InputError> {
    let value = Ratio::parse_decimal(raw).map_err(|_| too_many_digits(raw, unit))?;
    if value.is_negative() {
        return Err(InputError::Negative);
    }
    let yuan = value
        .checked_mul(Ratio::new(unit.yuan(), 1).unwrap_or(Ratio::ONE))
        .ok_or(InputError::TooLarge)?;
    if yuan.denom() != 1 {
        return Err(InputError::FractionOfYuan(format!(
            "{} {}",
            raw.trim(),
            unit.name_zh()
        )));
    }
    check_yuan(i64::try_from(yuan.numer()).map_err(|_| InputError::TooLarge)?)
}

/// An amount already in yuan: non-negative and at most [`MAX_YUAN`].
pub fn check_yuan(value: i64) -> Result<i64, InputError> {
    if value < 0 {
        Err(InputError::Negative)
    } else if value > MAX_YUAN {
        Err(InputError::TooLarge)
    } else {
        Ok(value)
    }
}

/// Trimmed text of `min..=max` characters.
pub fn bounded_text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
) -> Result<String, InputError> {
    let text = raw.trim();
    let got = text.chars().count();
    if (min..=max).contains(&got) {
        Ok(text.to_owned())
    } else {
        Err(InputError::Length {
            field,
            min,
            max,
            got,
        })
    }
}

/// The document the figure comes from (来源文件), e.g. `江苏省2020年国民经济和社会发展统计公报`.
pub fn source_document(raw: &str) -> Result<String, InputError> {
    bounded_text("source_document", raw, 2, 200)
}

/// An optional note (备注): absent or blank means none.
pub fn note(raw: Option<&str>) -> Result<Option<String>, InputError> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => bounded_text("note", text, 1, 1000).map(Some),
    }
}

/// The reason for a correction (更正理由).
pub fn reason(raw: &str) -> Result<String, InputError> {
    bounded_text("reason", raw, 2, 500)
}

/// A statistics input as submitted (a PUT body with its path, or a spreadsheet row).
#[derive(Debug, Clone, Copy, Default)]
pub struct Submission<'a> {
    pub measure: &'a str,
    pub period: &'a str,
    pub region: &'a str,
    /// The figure as written, e.g. `1234.56`.
    pub value: &'a str,
    /// The unit it is written in (`yuan`, `wan_yuan`, `yi_yuan`); default yuan.
    pub unit: Option<&'a str>,
    pub source_document: &'a str,
    pub note: Option<&'a str>,
}

/// A checked statistics input, ready to store as a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticsInput {
    pub measure: InputMeasure,
    pub period: Period,
    pub region: RegionCode,
    pub value_yuan: i64,
    pub entered_value: String,
    pub entered_unit: AmountUnit,
    pub source_document: String,
    pub note: Option<String>,
}

/// One refused field of a submission, with the rule's key and a bilingual message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    pub field: &'static str,
    pub rule: &'static str,
    pub message: Text,
}

impl FieldIssue {
    fn new(field: &'static str, rule: &'static str, message: Text) -> Self {
        Self {
            field,
            rule,
            message,
        }
    }

    fn from_input(field: &'static str, error: &InputError) -> Self {
        Self::new(field, error.rule(), error.text())
    }
}

/// Checks every field of a submission, reporting all that fail.
pub fn check_submission(s: &Submission<'_>) -> Result<StatisticsInput, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let measure = InputMeasure::from_key(s.measure.trim());
    if measure.is_none() {
        issues.push(FieldIssue::new(
            "measure",
            "enum",
            text!(
                "measure must be one of {}",
                "统计指标不在目录中，须为以下之一：{}",
                InputMeasure::keys()
            ),
        ));
    }
    let period = Period::parse(s.period)
        .map_err(|e| issues.push(FieldIssue::new("period", "format", e.text())))
        .ok();
    let region = match RegionCode::parse(s.region) {
        Ok(code) if regions::find(&code).is_some() => Some(code),
        Ok(code) => {
            issues.push(FieldIssue::new(
                "region",
                "jiangsu_region",
                text!(
                    "{code} is not a Jiangsu division",
                    "{code} 不是江苏省行政区划代码"
                ),
            ));
            None
        }
        Err(e) => {
            issues.push(FieldIssue::new("region", "format", e.text()));
            None
        }
    };
    let unit = match s.unit.map(str::trim) {
        None | Some("") => Some(AmountUnit::Yuan),
        Some(raw) => AmountUnit::from_key(raw).or_else(|| {
            issues.push(FieldIssue::new(
                "unit",
                "enum",
                text!(
                    "unit must be one of {}",
                    "单位须为元、万元或亿元（{}）",
                    AmountUnit::keys()
                ),
            ));
            None
        }),
    };
    let value = unit.and_then(|unit| {
        parse_amount(s.value, unit)
            .map_err(|e| issues.push(FieldIssue::from_input("value", &e)))
            .ok()
    });
    let source = source_document(s.source_document)
        .map_err(|e| issues.push(FieldIssue::from_input("source_document", &e)))
        .ok();
    let note = note(s.note)
        .map_err(|e| issues.push(FieldIssue::from_input("note", &e)))
        .ok();
    match (measure, period, region, unit, value, source, note) {
        (
            Some(measure),
            Some(period),
            Some(region),
            Some(unit),
            Some(value),
            Some(source),
            Some(note),
        ) if issues.is_empty() => Ok(StatisticsInput {
            measure,
            period,
            region,
            value_yuan: value,
            entered_value: s.value.trim().to_owned(),
            entered_unit: unit,
            source_document: source,
            note,
        }),
        _ => Err(issues),
    }
}

/// What a write of an input must do, decided from the current version and the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritePlan {
    /// The version to write: 1 for a new figure, current + 1 for a correction.
    pub version: i32,
    /// The reason, required for a correction.
    pub reason: Option<String>,
}

/// Why a write cannot go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteRefusal {
    /// A figure exists: a correction must name the version it corrects (If-Match).
    #[error("version {current} exists; send If-Match with it to correct it (更正须携带当前版本)")]
    VersionRequired { current: i32 },
    /// The version named is not the current one: someone else corrected it first.
    #[error(
        "the current version is {current:?}, not {expected}; reload and retry (数据已被他人更新)"
    )]
    Stale { current: Option<i32>, expected: i32 },
    /// A correction needs a reason (who and why are kept with every version).
    #[error("a correction needs a reason (更正须说明理由)")]
    ReasonRequired,
    #[error(transparent)]
    Invalid(#[from] InputError),
}

impl WriteRefusal {
    /// Why, in both languages.
    pub fn text(&self) -> Text {
        match self {
            Self::VersionRequired { current } => text!(
                "version {current} exists; send If-Match with it to correct it",
                "已有第 {current} 版；更正须在 If-Match 中携带当前版本"
            ),
            Self::Stale { current, expected } => {
                let now_zh = current.map_or("无".to_owned(), |v| format!("第 {v} 版"));
                Text::new(
                    format!("the current version is {current:?}, not {expected}; reload and retry"),
                    format!(
                        "当前版本为{now_zh}，不是第 {expected} 版；数据已被他人更新，请重新读取后再试"
                    ),
                )
            }
            Self::ReasonRequired => Text::fixed("a correction needs a reason", "更正须说明理由"),
            Self::Invalid(error) => error.text(),
        }
    }
}

/// Decides the version of a write: the first value needs no reason; a correction must name
/// the current version and give a reason.
pub fn plan_write(
    current: Option<i32>,
    expected: Option<i32>,
    raw_reason: Option<&str>,
) -> Result<WritePlan, WriteRefusal> {
    let given_reason = raw_reason.map(str::trim).filter(|t| !t.is_empty());
    match (current, expected) {
        (None, None) => Ok(WritePlan {
            version: 1,
            reason: given_reason.map(reason).transpose()?,
        }),
        (current, Some(expected)) if current != Some(expected) => {
            Err(WriteRefusal::Stale { current, expected })
        }
        (Some(current), None) => Err(WriteRefusal::VersionRequired { current }),
        (_, Some(expected)) => Ok(WritePlan {
            version: expected + 1,
            reason: Some(reason(given_reason.ok_or(WriteRefusal::ReasonRequired)?)?),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_closed_and_labelled() {
        for measure in InputMeasure::ALL {
            assert_eq!(InputMeasure::from_key(measure.key()), Some(*measure));
            assert!(measure.key().ends_with("_yuan"), "money keys end in _yuan");
            assert!(!measure.name_zh().is_empty() && !measure.name_en().is_empty());
            assert_eq!(measure.unit(), BaseUnit::Yuan);
        }
        assert_eq!(InputMeasure::from_key("gdp_yuan"), None);
        assert!(InputMeasure::keys().contains("hightech_industry_output_yuan"));
        let json = serde_json::to_string(&InputMeasure::AboveScaleIndustrialOutput).unwrap();
        assert_eq!(json, "\"above_scale_industrial_output_yuan\"");
    }

    #[test]
    fn amounts_convert_to_whole_yuan_exactly() {
        let cases: [(&str, AmountUnit, Result<i64, &str>); 14] = [
            ("0", AmountUnit::Yuan, Ok(0)),
            ("123", AmountUnit::Yuan, Ok(123)),
            ("1234.56", AmountUnit::YiYuan, Ok(123_456_000_000)),
            ("0.0001", AmountUnit::WanYuan, Ok(1)),
            ("0.00001", AmountUnit::WanYuan, Err("whole_yuan")),
            ("12.5", AmountUnit::Yuan, Err("whole_yuan")),
            ("10000000", AmountUnit::YiYuan, Ok(MAX_YUAN)),
            ("10000000.00000001", AmountUnit::YiYuan, Err("max_yuan")),
            ("1000000000000001", AmountUnit::Yuan, Err("max_yuan")),
            ("-1", AmountUnit::Yuan, Err("range")),
            ("1e5", AmountUnit::Yuan, Err("format")),
            ("1,000", AmountUnit::Yuan, Err("format")),
            ("", AmountUnit::Yuan, Err("format")),
            (
                "99999999999999999999999999",
                AmountUnit::YiYuan,
                Err("max_yuan"),
            ),
        ];
        for (raw, unit, expected) in cases {
            let got = parse_amount(raw, unit).map_err(|e| e.rule());
            assert_eq!(got, expected, "{raw} {unit:?}");
        }
        let message = parse_amount("12.5", AmountUnit::Yuan)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("12.5 元") && message.contains("整数元"),
            "{message}"
        );
    }

    #[test]
    fn texts_are_trimmed_and_bounded_in_characters() {
        assert_eq!(source_document("  统计公报 ").unwrap(), "统计公报");
        assert!(source_document("公").is_err());
        assert!(source_document(&"统".repeat(200)).is_ok());
        assert_eq!(
            source_document(&"统".repeat(201)).unwrap_err().rule(),
            "length"
        );
        assert_eq!(note(None).unwrap(), None);
        assert_eq!(note(Some("   ")).unwrap(), None);
        assert_eq!(note(Some(" 初步数 ")).unwrap().as_deref(), Some("初步数"));
        assert!(note(Some(&"注".repeat(1001))).is_err());
        assert!(reason("x").is_err());
        assert!(reason("更正").is_ok());
    }

    fn submission() -> Submission<'static> {
        Submission {
            measure: "enterprise_rd_expense_yuan",
            period: "2019",
            region: "320000",
            value: "2779.5",
            unit: Some("yi_yuan"),
            source_document: "2019年江苏省科技经费投入统计公报",
            note: Some("初步核算数"),
        }
    }

    #[test]
    fn a_sound_submission_becomes_an_input_in_yuan() {
        let input = check_submission(&submission()).unwrap();
        assert_eq!(input.measure, InputMeasure::EnterpriseRdExpense);
        assert_eq!(input.period, Period::Year(2019));
        assert_eq!(input.region.to_string(), "320000");
        assert_eq!(input.value_yuan, 277_950_000_000);
        assert_eq!(
            (input.entered_value.as_str(), input.entered_unit),
            ("2779.5", AmountUnit::YiYuan)
        );
        assert_eq!(input.note.as_deref(), Some("初步核算数"));
        let plain = Submission {
            unit: None,
            value: "5",
            note: None,
            ..submission()
        };
        assert_eq!(check_submission(&plain).unwrap().value_yuan, 5);
    }

    #[test]
    fn every_failing_field_of_a_submission_is_reported() {
        let cases: [(Submission<'static>, &[(&str, &str)]); 8] = [
            (
                Submission {
                    measure: "gdp_yuan",
                    ..submission()
                },
                &[("measure", "enum")],
            ),
            (
                Submission {
                    period: "2019-13",
                    ..submission()
                },
                &[("period", "format")],
            ),
            (
                Submission {
                    region: "3205",
                    ..submission()
                },
                &[("region", "format")],
            ),
            (
                Submission {
                    region: "110000",
                    ..submission()
                },
                &[("region", "jiangsu_region")],
            ),
            (
                Submission {
                    unit: Some("jiao"),
                    ..submission()
                },
                &[("unit", "enum")],
            ),
            (
                Submission {
                    value: "-3",
                    ..submission()
                },
                &[("value", "range")],
            ),
            (
                Submission {
                    source_document: "",
                    note: Some(""),
                    ..submission()
                },
                &[("source_document", "length")],
            ),
            (
                Submission {
                    measure: "x",
                    period: "x",
                    region: "x",
                    value: "x",
                    unit: None,
                    source_document: "x",
                    note: None,
                },
                &[
                    ("measure", "enum"),
                    ("period", "format"),
                    ("region", "format"),
                    ("value", "format"),
                    ("source_document", "length"),
                ],
            ),
        ];
        for (sub, expected) in cases {
            let issues = check_submission(&sub).unwrap_err();
            let got: Vec<(&str, &str)> = issues.iter().map(|i| (i.field, i.rule)).collect();
            assert_eq!(got, expected, "{sub:?}");
            assert!(issues.iter().all(|i| !i.message.is_empty()));
        }
    }

    #[test]
    fn versions_follow_the_current_one_and_corrections_need_a_reason() {
        use WriteRefusal::*;
        let ok = |version, reason: Option<&str>| {
            Ok(WritePlan {
                version,
                reason: reason.map(str::to_owned),
            })
        };
        type Case<'a> = (
            Option<i32>,
            Option<i32>,
            Option<&'a str>,
            Result<WritePlan, WriteRefusal>,
        );
        let cases: [Case; 9] = [
            (None, None, None, ok(1, None)),
            (None, None, Some("首次录入"), ok(1, Some("首次录入"))),
            (None, None, Some("  "), ok(1, None)),
            (
                None,
                Some(1),
                Some("更正"),
                Err(Stale {
                    current: None,
                    expected: 1,
                }),
            ),
            (
                Some(1),
                None,
                Some("更正"),
                Err(VersionRequired { current: 1 }),
            ),
            (
                Some(1),
                Some(1),
                Some("统计局更正数"),
                ok(2, Some("统计局更正数")),
            ),
            (
                Some(3),
                Some(2),
                Some("更正"),
                Err(Stale {
                    current: Some(3),
                    expected: 2,
                }),
            ),
            (Some(1), Some(1), None, Err(ReasonRequired)),
            (
                Some(1),
                Some(1),
                Some("x"),
                Err(Invalid(reason("x").unwrap_err())),
            ),
        ];
        for (current, expected, reason, outcome) in cases {
            assert_eq!(
                plan_write(current, expected, reason),
                outcome,
                "{current:?} {expected:?} {reason:?}"
            );
        }
        assert!(ReasonRequired.to_string().contains("理由"));
    }
}
