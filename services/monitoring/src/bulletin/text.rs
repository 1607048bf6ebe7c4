//! How figures read in Chinese: counts as plain digits (表格中不加千分撇, as 通报 tables
//! usually print them), shares and rates as percentages with two decimals, changes of a
//! share in percentage points (个百分点), dates as 2020年9月30日. Every format uses these,
//! so a figure reads the same in Word, HTML and the JSON's sentences.

use chrono::{Datelike, NaiveDate};

use crate::domain::period::Period;

/// What a count's unit reads as after a number (家, 件, 元); empty for a share.
pub fn unit_zh(unit: &str) -> &str {
    match unit {
        "ratio" => "",
        "enterprises" => "家",
        "patents" => "件",
        "yuan" => "元",
        "people" => "人",
        other => other,
    }
}

/// A decimal rounded to `places`, never `-0.00`.
pub fn fixed(value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    if text.starts_with('-') && text[1..].bytes().all(|b| b == b'0' || b == b'.') {
        text[1..].to_owned()
    } else {
        text
    }
}

/// A count or amount: whole numbers as digits, others with two decimals.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        format!("{value:.0}")
    } else {
        fixed(value, 2)
    }
}

/// A decimal 0–1 as a percentage, `0.5712` → `57.12%`.
pub fn percent(value: f64) -> String {
    format!("{}%", fixed(value * 100.0, 2))
}

/// A decimal share difference in percentage points without the unit, `0.0123` → `1.23`.
pub fn points(value: f64) -> String {
    fixed(value * 100.0, 2)
}

/// A signed change: `+120`, `-3`, `+1.23` (points for a share).
pub fn signed(delta: f64, share: bool) -> String {
    let body = if share { points(delta) } else { number(delta) };
    if body.starts_with('-') || body.bytes().all(|b| b == b'0' || b == b'.') {
        body
    } else {
        format!("+{body}")
    }
}

/// A value of an indicator with its unit: `16501家`, `57.12%`.
pub fn value_with_unit(value: f64, unit: &str) -> String {
    if unit == "ratio" {
        percent(value)
    } else {
        format!("{}{}", number(value), unit_zh(unit))
    }
}

/// A change in words: 增加120家 / 减少3件 / 提高1.23个百分点 / 下降… / 持平.
pub fn change_words(delta: f64, unit: &str) -> String {
    let share = unit == "ratio";
    let magnitude = if share {
        points(delta.abs())
    } else {
        number(delta.abs())
    };
    if magnitude.bytes().all(|b| b == b'0' || b == b'.') {
        return "持平".to_owned();
    }
    match (share, delta > 0.0) {
        (true, true) => format!("提高{magnitude}个百分点"),
        (true, false) => format!("下降{magnitude}个百分点"),
        (false, true) => format!("增加{magnitude}{}", unit_zh(unit)),
        (false, false) => format!("减少{magnitude}{}", unit_zh(unit)),
    }
}

pub fn date_zh(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// 2020年9月, 2020年第三季度, 2020年度.
pub fn period_zh(period: Period) -> String {
    const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];
    match period {
        Period::Month { year, month } => format!("{year}年{month}月"),
        Period::Quarter { year, quarter } => {
            let q = QUARTERS
                .get(quarter.saturating_sub(1) as usize)
                .copied()
                .unwrap_or("");
            format!("{year}年第{q}季度")
        }
        Period::Year(year) => format!("{year}年度"),
    }
}

/// 一、二、… for section headings (up to 十).
pub fn ordinal_zh(n: usize) -> &'static str {
    const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    NUMERALS.get(n.saturating_sub(1)).copied().unwrap_or("十")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_in_chinese() {
        assert_eq!(number(16501.0), "16501");
        assert_eq!(number(1.5), "1.50");
        assert_eq!(percent(0.571234), "57.12%");
        assert_eq!(percent(-0.00001), "0.00%");
        assert_eq!(signed(120.0, false), "+120");
        assert_eq!(signed(-3.0, false), "-3");
        assert_eq!(signed(0.0123, true), "+1.23");
        assert_eq!(signed(0.0, true), "0.00");
        assert_eq!(value_with_unit(16501.0, "enterprises"), "16501家");
        assert_eq!(value_with_unit(0.5, "ratio"), "50.00%");
        assert_eq!(change_words(120.0, "enterprises"), "增加120家");
        assert_eq!(change_words(-0.0123, "ratio"), "下降1.23个百分点");
        assert_eq!(change_words(0.0, "patents"), "持平");
        assert_eq!(
            date_zh(NaiveDate::from_ymd_opt(2020, 9, 30).unwrap()),
            "2020年9月30日"
        );
        let p = |s: &str| Period::parse(s).unwrap();
        assert_eq!(period_zh(p("2020-09")), "2020年9月");
        assert_eq!(period_zh(p("2020-Q3")), "2020年第三季度");
        assert_eq!(period_zh(p("2020")), "2020年度");
        assert_eq!(ordinal_zh(3), "三");
    }
}
