//! Reading officials' spreadsheets: header names in Chinese or English, money in 元, 千元 or
//! 万元 converted exactly, and the Chinese words for enumerations. Pure functions; the
//! importer in `app::imports` drives them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// 企业基本信息
    Enterprises,
    /// 年报
    AnnualReports,
    /// 入库培育
    PoolEntries,
    /// 高企证书
    Certificates,
    /// 称号
    Labels,
}

impl ImportKind {
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "enterprises" => Some(Self::Enterprises),
            "annual_reports" => Some(Self::AnnualReports),
            "pool_entries" => Some(Self::PoolEntries),
            "certificates" => Some(Self::Certificates),
            "labels" => Some(Self::Labels),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Enterprises => "enterprises",
            Self::AnnualReports => "annual_reports",
            Self::PoolEntries => "pool_entries",
            Self::Certificates => "certificates",
            Self::Labels => "labels",
        }
    }

    /// (field, required, accepted header names besides the field name itself).
    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Enterprises => ENTERPRISE_COLUMNS,
            Self::AnnualReports => ANNUAL_REPORT_COLUMNS,
            Self::PoolEntries => POOL_ENTRY_COLUMNS,
            Self::Certificates => CERTIFICATE_COLUMNS,
            Self::Labels => LABEL_COLUMNS,
        }
    }
}

/// A column a file may have: its field, whether it is required, and the header names
/// accepted besides the field name itself.
pub type Column = (&'static str, bool, &'static [&'static str]);

/// The columns of an enterprises file (企业基本信息).
const ENTERPRISE_COLUMNS: &[Column] = &[
    ("credit_code", true, &["统一社会信用代码", "信用代码"]),
    ("name", true, &["企业名称", "名称"]),
    (
        "region_code",
        true,
        &["所在县区", "区划代码", "县区代码", "行政区划代码"],
    ),
    ("registered_on", true, &["成立日期", "注册日期"]),
    ("industry_code", true, &["行业代码", "国民经济行业代码"]),
    ("tech_domain", false, &["技术领域"]),
    ("zone_level", false, &["高新区级别"]),
    ("zone_id", false, &["所在高新区", "高新区"]),
    ("above_scale", false, &["规上企业", "是否规上", "规模以上"]),
    ("carrier_id", false, &["孵化载体"]),
    ("listing_status", false, &["上市状态"]),
];

/// The columns of an annual reports file (年报).
const ANNUAL_REPORT_COLUMNS: &[Column] = &[
    ("credit_code", true, &["统一社会信用代码", "信用代码"]),
    ("year", true, &["年度", "年份"]),
    ("employees", false, &["职工总数", "从业人员"]),
    ("st_staff", false, &["科技人员", "科技人员数"]),
    ("total_income_yuan", false, &["总收入"]),
    ("sales_revenue_yuan", false, &["销售收入"]),
    (
        "hightech_income_yuan",
        false,
        &[
            "高新技术产品收入",
            "高新技术产品（服务）收入",
            "高新技术产品(服务)收入",
        ],
    ),
    (
        "rd_expense_yuan",
        false,
        &[
            "研发费用",
            "研究开发费用",
            "研发费用总额",
            "研究开发费用总额",
        ],
    ),
    (
        "rd_expense_domestic_yuan",
        false,
        &["境内研发费用", "境内研究开发费用"],
    ),
    (
        "total_costs_yuan",
        false,
        &["成本费用总额", "成本费用支出总额"],
    ),
    ("net_assets_yuan", false, &["净资产"]),
    ("total_assets_yuan", false, &["资产总额", "总资产"]),
    ("industrial_output_yuan", false, &["工业总产值"]),
    ("tax_paid_yuan", false, &["上缴税费", "纳税额"]),
    (
        "invention_patents",
        false,
        &["有效发明专利", "有效发明专利数"],
    ),
    (
        "class1_ip",
        false,
        &["Ⅰ类知识产权", "I类知识产权", "一类知识产权"],
    ),
    (
        "class2_ip",
        false,
        &["Ⅱ类知识产权", "II类知识产权", "二类知识产权"],
    ),
    ("new_ip", false, &["新增知识产权"]),
    ("conversions", false, &["科技成果转化数", "成果转化数"]),
    ("rd_institution", false, &["研发机构"]),
];

/// The columns of a pool entries file (入库培育).
const POOL_ENTRY_COLUMNS: &[Column] = &[
    ("credit_code", true, &["统一社会信用代码", "信用代码"]),
    ("year", true, &["入库年度", "年度"]),
    ("batch", true, &["批次"]),
    ("source", true, &["来源"]),
    ("entered_on", true, &["入库日期"]),
    ("exited_on", false, &["出库日期"]),
    ("exit_reason", false, &["出库原因"]),
];

/// The columns of a certificates file (高企证书).
const CERTIFICATE_COLUMNS: &[Column] = &[
    ("credit_code", true, &["统一社会信用代码", "信用代码"]),
    ("certificate_no", true, &["证书编号"]),
    ("issued_on", true, &["发证日期", "认定日期"]),
    ("revoked_on", false, &["撤销日期"]),
    ("revoke_reason", false, &["撤销原因"]),
];

/// The columns of a labels file (称号).
const LABEL_COLUMNS: &[Column] = &[
    ("credit_code", true, &["统一社会信用代码", "信用代码"]),
    ("kind", true, &["称号", "称号类别"]),
    ("year", true, &["年度"]),
    ("level", true, &["级别"]),
    ("issuer", false, &["认定机构"]),
];

/// Money unit of a column (金额单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MoneyUnit {
    /// 元
    Yuan,
    /// 千元
    ThousandYuan,
    /// 万元
    TenThousandYuan,
}

impl MoneyUnit {
    pub fn from_key(key: &str) -> Option<Self> {
        match key.trim() {
            "yuan" | "元" => Some(Self::Yuan),
            "thousand_yuan" | "千元" => Some(Self::ThousandYuan),
            "ten_thousand_yuan" | "万元" => Some(Self::TenThousandYuan),
            _ => None,
        }
    }

    fn factor(self) -> i128 {
        match self {
            Self::Yuan => 1,
            Self::ThousandYuan => 1_000,
            Self::TenThousandYuan => 10_000,
        }
    }
}

/// A header cell resolved to a field, with the unit it declares, e.g. `总收入（万元）`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderColumn {
    pub field: &'static str,
    pub unit: Option<MoneyUnit>,
}

/// Maps header cells to fields. Unknown headers are an error (a typo would silently drop a
/// column otherwise), as are missing required ones and duplicates.
pub fn resolve_header(kind: ImportKind, cells: &[String]) -> Result<Vec<HeaderColumn>, String> {
    let mut resolved = Vec::with_capacity(cells.len());
    let mut unknown = Vec::new();
    for cell in cells {
        let text = cell.trim().trim_start_matches('\u{feff}').trim();
        let (base, unit) = split_unit(text);
        let lowered = base.to_ascii_lowercase();
        // Read-only columns of our own exports, so an exported file imports unchanged.
        if kind == ImportKind::Enterprises
            && EXPORT_ONLY
                .iter()
                .any(|(en, zh)| *en == lowered || *zh == base)
        {
            resolved.push(HeaderColumn {
                field: "",
                unit: None,
            });
            continue;
        }
        let found = kind
            .columns()
            .iter()
            .find(|(field, _, aliases)| *field == lowered || aliases.contains(&base));
        match found {
            Some((field, _, _)) => {
                if resolved.iter().any(|c: &HeaderColumn| c.field == *field) {
                    return Err(format!("column {field} appears twice"));
                }
                resolved.push(HeaderColumn { field, unit });
            }
            None => unknown.push(text.to_owned()),
        }
    }
    if !unknown.is_empty() {
        let hint = if cells.len() == 1
            && (cells[0].contains(';') || cells[0].contains('\t') || cells[0].contains('|'))
        {
            " — the file seems to use another delimiter: save it as comma-separated CSV"
        } else {
            ""
        };
        return Err(format!("unknown column(s) {}{hint}", unknown.join(", ")));
    }
    let missing: Vec<&str> = kind
        .columns()
        .iter()
        .filter(|(field, required, _)| *required && !resolved.iter().any(|c| c.field == *field))
        .map(|(field, _, _)| *field)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "required column(s) missing: {}",
            missing.join(", ")
        ));
    }
    Ok(resolved)
}

/// Columns the enterprise export adds that an import ignores.
pub const EXPORT_ONLY: &[(&str, &str)] = &[
    ("city_code", "设区市"),
    ("status", "状态"),
    ("status_as_of", "状态日期"),
    ("version", "版本"),
];

fn split_unit(text: &str) -> (&str, Option<MoneyUnit>) {
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(start) = text.rfind(open)
            && text.ends_with(close)
        {
            let inner = &text[start + open.len_utf8()..text.len() - close.len_utf8()];
            if let Some(unit) = MoneyUnit::from_key(inner) {
                return (text[..start].trim(), Some(unit));
            }
        }
    }
    (text, None)
}

/// Converts a decimal amount in `unit` to whole yuan, exactly; thousands separators allowed.
pub fn parse_money(raw: &str, unit: MoneyUnit) -> Result<i64, String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 18
        || fraction.len() > 8
    {
        return Err(format!("{raw:?} is not an amount"));
    }
    let scale = 10i128.pow(fraction.len() as u32);
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("{raw:?} is not an amount"))?
    };
    let fraction_value: i128 = if fraction.is_empty() {
        0
    } else {
        fraction
            .parse()
            .map_err(|_| format!("{raw:?} is not an amount"))?
    };
    let scaled = (whole * scale + fraction_value) * unit.factor();
    if scaled % scale != 0 {
        return Err(format!(
            "{raw:?} in this unit is not a whole number of yuan"
        ));
    }
    let yuan = scaled / scale;
    let yuan = if negative { -yuan } else { yuan };
    i64::try_from(yuan).map_err(|_| format!("{raw:?} is too large"))
}

pub fn parse_integer(raw: &str) -> Result<i64, String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    // Spreadsheets often turn 12 into "12.0".
    let cleaned = cleaned.strip_suffix(".0").unwrap_or(&cleaned);
    cleaned
        .parse()
        .map_err(|_| format!("{raw:?} is not a whole number"))
}

pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let text = raw.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .ok_or_else(|| format!("{raw:?} is not a date (use 2025-12-31)"))
}

pub fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "是" => Ok(true),
        "false" | "0" | "no" | "n" | "否" => Ok(false),
        _ => Err(format!("{raw:?} is not yes/no (use true/false or 是/否)")),
    }
}

/// An enumeration value given as its English key or its Chinese name.
pub fn parse_choice<'a>(raw: &str, choices: &[(&'a str, &[&str])]) -> Result<&'a str, String> {
    let text = raw.trim();
    let lowered = text.to_ascii_lowercase();
    choices
        .iter()
        .find(|(key, names)| *key == lowered || names.contains(&text))
        .map(|(key, _)| *key)
        .ok_or_else(|| {
            let keys: Vec<&str> = choices.iter().map(|(k, _)| *k).collect();
            format!("{raw:?} is not one of {}", keys.join(", "))
        })
}

pub const TECH_DOMAINS: &[(&str, &[&str])] = &[
    ("electronic_information", &["电子信息"]),
    ("biotech_and_new_medicine", &["生物与新医药"]),
    ("aerospace", &["航空航天"]),
    ("new_materials", &["新材料"]),
    ("high_tech_services", &["高技术服务"]),
    ("new_energy_and_energy_saving", &["新能源与节能"]),
    ("resources_and_environment", &["资源与环境"]),
    (
        "advanced_manufacturing_and_automation",
        &["先进制造与自动化"],
    ),
];
pub const ZONE_LEVELS: &[(&str, &[&str])] = &[
    ("none", &["无", "否", ""]),
    ("provincial", &["省级"]),
    ("national", &["国家级"]),
];
pub const LISTING: &[(&str, &[&str])] = &[
    ("unlisted", &["未上市"]),
    ("preparing", &["拟上市", "辅导备案"]),
    ("listed", &["已上市"]),
];
pub const RD_INSTITUTIONS: &[(&str, &[&str])] = &[
    ("none", &["无"]),
    ("enterprise", &["企业级"]),
    ("municipal", &["市级"]),
    ("provincial", &["省级"]),
    ("national", &["国家级"]),
];
pub const LABEL_KINDS: &[(&str, &[&str])] = &[
    ("gazelle", &["瞪羚企业", "瞪羚"]),
    (
        "little_giant",
        &["专精特新小巨人", "小巨人", "专精特新\"小巨人\""],
    ),
    ("single_champion", &["单项冠军", "制造业单项冠军"]),
    ("innovative_leader", &["创新型领军企业"]),
    ("top100", &["百强创新型企业"]),
    ("listing_pipeline", &["上市后备企业"]),
    ("tech_sme", &["科技型中小企业"]),
];
pub const LABEL_LEVELS: &[(&str, &[&str])] = &[
    ("national", &["国家级"]),
    ("provincial", &["省级"]),
    ("municipal", &["市级"]),
    ("county", &["县级", "区级", "县（区）级"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_converts_exactly() {
        assert_eq!(parse_money("1,234", MoneyUnit::Yuan).unwrap(), 1234);
        assert_eq!(
            parse_money("1.5", MoneyUnit::TenThousandYuan).unwrap(),
            15_000
        );
        assert_eq!(
            parse_money("0.0001", MoneyUnit::TenThousandYuan).unwrap(),
            1
        );
        assert_eq!(
            parse_money("123.456", MoneyUnit::ThousandYuan).unwrap(),
            123_456
        );
        assert_eq!(
            parse_money("-2.5", MoneyUnit::ThousandYuan).unwrap(),
            -2_500
        );
        assert!(
            parse_money("0.00001", MoneyUnit::TenThousandYuan)
                .unwrap_err()
                .contains("whole number")
        );
        assert!(parse_money("1.5", MoneyUnit::Yuan).is_err());
        assert!(parse_money("abc", MoneyUnit::Yuan).is_err());
        assert!(parse_money("", MoneyUnit::Yuan).is_err());
    }

    #[test]
    fn headers_in_chinese_or_english_with_units() {
        let cells: Vec<String> = [
            "统一社会信用代码",
            "year",
            "总收入（万元）",
            "销售收入(千元)",
            "研发费用",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let header = resolve_header(ImportKind::AnnualReports, &cells).unwrap();
        assert_eq!(header[0].field, "credit_code");
        assert_eq!(
            header[2],
            HeaderColumn {
                field: "total_income_yuan",
                unit: Some(MoneyUnit::TenThousandYuan)
            }
        );
        assert_eq!(header[3].unit, Some(MoneyUnit::ThousandYuan));
        assert_eq!(header[4].unit, None);
        let wrong = resolve_header(ImportKind::AnnualReports, &["credit_code;year".to_owned()])
            .unwrap_err();
        assert!(wrong.contains("delimiter"), "{wrong}");
        assert!(
            resolve_header(ImportKind::AnnualReports, &["credit_code".to_owned()])
                .unwrap_err()
                .contains("year")
        );
        assert!(
            resolve_header(
                ImportKind::Labels,
                &["credit_code".into(), "kind".into(), "kind".into()]
            )
            .unwrap_err()
            .contains("twice")
        );
    }

    #[test]
    fn values() {
        assert_eq!(
            parse_date("2025/3/1").unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
        );
        assert_eq!(
            parse_date("2025年3月1日").unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
        );
        assert!(parse_bool("是").unwrap());
        assert_eq!(parse_choice("国家级", ZONE_LEVELS).unwrap(), "national");
        assert_eq!(
            parse_choice("new_materials", TECH_DOMAINS).unwrap(),
            "new_materials"
        );
        assert_eq!(parse_integer("12.0").unwrap(), 12);
        assert!(parse_choice("unicorn", LABEL_KINDS).is_err());
    }
}
