//! Reading officials' spreadsheets: header names in Chinese or English, money in 元, 千元 or
//! 万元 converted exactly, and the Chinese words for enumerations. Pure functions; the
//! importer in `app::imports` drives them.

use chrono::NaiveDate;
use hte_shared::i18n::Text;
use hte_shared::text;
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
    (
        "name",
        true,
        &["企业名称", "名称", "单位名称", "单位详细名称"],
    ),
    (
        "region_code",
        true,
        &["所在县区", "区划代码", "县区代码", "行政区划代码"],
    ),
    (
        "registered_on",
        true,
        &["成立日期", "注册日期", "成立时间", "注册时间"],
    ),
    (
        "industry_code",
        true,
        &[
            "行业代码",
            "国民经济行业代码",
            "所属行业代码",
            "行业类别代码",
        ],
    ),
    (
        "tech_domain",
        false,
        &["技术领域", "所属技术领域", "高新技术领域"],
    ),
    ("zone_level", false, &["高新区级别"]),
    ("zone_id", false, &["所在高新区", "高新区", "所在园区"]),
    ("above_scale", false, &["规上企业", "是否规上", "规模以上"]),
    ("carrier_id", false, &["孵化载体"]),
    ("listing_status", false, &["上市状态"]),
];

/// The columns of an annual reports file (年报).
const ANNUAL_REPORT_COLUMNS: &[Column] = &[
    ("credit_code", true, &["统一社会信用代码", "信用代码"]),
    ("year", true, &["年度", "年份", "报告年度", "统计年度"]),
    (
        "employees",
        false,
        &[
            "职工总数",
            "从业人员",
            "从业人员期末人数",
            "从业人员年末人数",
            "年末从业人员",
            "期末从业人员",
            "从业人员数",
        ],
    ),
    (
        "st_staff",
        false,
        &[
            "科技人员",
            "科技人员数",
            "科技活动人员",
            "科技活动人员数",
            "研发人员",
            "研究开发人员",
        ],
    ),
    (
        "total_income_yuan",
        false,
        &["总收入", "收入总额", "收入总计"],
    ),
    (
        "sales_revenue_yuan",
        false,
        // 营业收入 is main-business plus other-business revenue: the HTE 销售收入.
        &["销售收入", "营业收入", "主营业务收入与其他业务收入"],
    ),
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
            "研究开发费用合计",
            "研发费用合计",
            "研究与试验发展经费支出",
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
    ("net_assets_yuan", false, &["净资产", "所有者权益合计"]),
    (
        "total_assets_yuan",
        false,
        &["资产总额", "总资产", "资产总计"],
    ),
    (
        "industrial_output_yuan",
        false,
        &["工业总产值", "工业总产值（当年价格）"],
    ),
    (
        "tax_paid_yuan",
        false,
        &[
            "上缴税费",
            "纳税额",
            "实际上缴税费总额",
            "实缴税费总额",
            "上缴税费总额",
        ],
    ),
    (
        "invention_patents",
        false,
        &[
            "有效发明专利",
            "有效发明专利数",
            "拥有有效发明专利数",
            "期末拥有有效发明专利数",
        ],
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
    (
        "conversions",
        false,
        &["科技成果转化数", "成果转化数", "科技成果转化项数"],
    ),
    ("rd_institution", false, &["研发机构", "研发机构级别"]),
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

/// A header cell resolved to a field (empty for a column read past), with the unit it
/// declares, e.g. `营业收入（千元）`, and the header as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderColumn {
    pub field: &'static str,
    pub unit: Option<MoneyUnit>,
    pub written: String,
}

/// How headers are read beyond the built-in names: headers the caller maps to fields
/// (normalised as [`normalise_header`] does), and whether unknown headers are refused.
#[derive(Debug, Clone, Default)]
pub struct HeaderRules {
    pub mapped: Vec<(String, &'static str)>,
    pub refuse_unknown: bool,
}

/// A resolved header row: a column per cell, and the headers no field has, read past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub columns: Vec<HeaderColumn>,
    pub unknown: Vec<String>,
}

/// Headers of statistics forms that carry no field of ours: read past without a warning.
pub const INFORMATIONAL: &[&str] = &[
    "序号",
    "编号",
    "行号",
    "企业名称",
    "单位名称",
    "名称",
    "备注",
    "说明",
    "填报人",
    "联系人",
    "联系电话",
    "所在地区",
    "所属地区",
    "所在市",
    "所在地",
    "no",
    "no.",
    "remark",
    "remarks",
];

/// A header as compared: full-width forms made ASCII (`（` → `(`), spaces and a trailing
/// required-mark `*` dropped, English in lower case.
pub fn normalise_header(cell: &str) -> String {
    cell.chars()
        .filter_map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0),
            '\u{feff}' => None,
            c if c.is_whitespace() => None,
            c => Some(c),
        })
        .collect::<String>()
        .trim_end_matches('*')
        .to_lowercase()
}

/// Why a row is not the header it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    Twice(&'static str),
    Unknown {
        headers: Vec<String>,
        delimiter: bool,
    },
    Missing {
        fields: Vec<&'static str>,
        delimiter: bool,
    },
}

impl HeaderError {
    pub fn text(&self) -> Text {
        let hint = |delimiter: bool| {
            if delimiter {
                (
                    " — the file seems to use another delimiter: save it as comma-separated CSV",
                    "。文件似乎使用了其他分隔符，请另存为逗号分隔的 CSV",
                )
            } else {
                ("", "")
            }
        };
        match self {
            Self::Twice(field) => text!(
                "column {field} appears twice",
                "字段 {field} 对应的列出现了两次"
            ),
            Self::Unknown { headers, delimiter } => {
                let (headers, (en, zh)) = (headers.join(", "), hint(*delimiter));
                text!(
                    "unknown column(s) {headers}{en}",
                    "无法识别的列：{headers}{zh}"
                )
            }
            Self::Missing { fields, delimiter } => {
                let (en, zh) = hint(*delimiter);
                let zh_names: Vec<String> = fields.iter().map(|f| field_label(f)).collect();
                let (fields, zh_names) = (fields.join(", "), zh_names.join("、"));
                text!(
                    "required column(s) missing: {fields}{en}",
                    "缺少必填列：{zh_names}{zh}"
                )
            }
        }
    }
}

/// A field's Chinese header with its key, e.g. `年度（year）`.
fn field_label(field: &str) -> String {
    let zh = [
        ENTERPRISE_COLUMNS,
        ANNUAL_REPORT_COLUMNS,
        POOL_ENTRY_COLUMNS,
        CERTIFICATE_COLUMNS,
        LABEL_COLUMNS,
    ]
    .iter()
    .flat_map(|columns| columns.iter())
    .find(|(f, _, _)| *f == field)
    .and_then(|(_, _, aliases)| aliases.first());
    match zh {
        Some(zh) => format!("{zh}（{field}）"),
        None => field.to_owned(),
    }
}

/// Maps header cells to fields. A missing required column or one named twice is an error;
/// unknown headers are read past and listed (or refused with `refuse_unknown`, since a typo
/// would otherwise drop a column).
pub fn resolve_header(
    kind: ImportKind,
    cells: &[String],
    rules: &HeaderRules,
) -> Result<Header, HeaderError> {
    let mut columns = Vec::with_capacity(cells.len());
    let mut unknown = Vec::new();
    for cell in cells {
        let written = cell.trim().trim_start_matches('\u{feff}').trim().to_owned();
        let (base, unit) = split_unit(&normalise_header(&written));
        let field = field_of(kind, &base, rules);
        if let Some(field) = field.filter(|f| !f.is_empty()) {
            if columns.iter().any(|c: &HeaderColumn| c.field == field) {
                return Err(HeaderError::Twice(field));
            }
            columns.push(HeaderColumn {
                field,
                unit,
                written,
            });
            continue;
        }
        if field.is_none() {
            unknown.push(written.clone());
        }
        columns.push(HeaderColumn {
            field: "",
            unit: None,
            written,
        });
    }
    let delimiter = cells.len() == 1
        && (cells[0].contains(';') || cells[0].contains('\t') || cells[0].contains('|'));
    if !unknown.is_empty() && rules.refuse_unknown {
        return Err(HeaderError::Unknown {
            headers: unknown,
            delimiter,
        });
    }
    let missing = missing_required(kind, &columns);
    if !missing.is_empty() {
        return Err(HeaderError::Missing {
            fields: missing,
            delimiter,
        });
    }
    Ok(Header { columns, unknown })
}

/// The required fields no column has.
pub fn missing_required(kind: ImportKind, columns: &[HeaderColumn]) -> Vec<&'static str> {
    kind.columns()
        .iter()
        .filter(|(field, required, _)| *required && !columns.iter().any(|c| c.field == *field))
        .map(|(field, _, _)| *field)
        .collect()
}

/// The field a normalised header names: `Some("")` for a column read past on purpose (empty,
/// informational, or a read-only column of our exports), `None` when unknown.
fn field_of(kind: ImportKind, base: &str, rules: &HeaderRules) -> Option<&'static str> {
    if let Some((_, field)) = rules.mapped.iter().find(|(header, _)| header == base) {
        return Some(field);
    }
    let found = kind.columns().iter().find(|(field, _, aliases)| {
        *field == base || aliases.iter().any(|a| normalise_header(a) == base)
    });
    if let Some((field, _, _)) = found {
        return Some(field);
    }
    let informational = base.is_empty() || INFORMATIONAL.contains(&base);
    // Read-only columns of our own exports, so an exported file imports unchanged.
    let exported = kind == ImportKind::Enterprises
        && EXPORT_ONLY
            .iter()
            .any(|(en, zh)| *en == base || *zh == base);
    (informational || exported).then_some("")
}

/// Columns the enterprise export adds that an import ignores.
pub const EXPORT_ONLY: &[(&str, &str)] = &[
    ("region_name", "县区名称"),
    ("city_code", "设区市"),
    ("city_name", "设区市名称"),
    ("status", "状态"),
    ("status_as_of", "状态日期"),
    ("version", "版本"),
];

/// Longest unit in brackets at the end of a header (`（人）`, `（项）`, `(%)`) that is read past.
const MAX_UNIT_CHARS: usize = 6;

/// A normalised header without its trailing unit in brackets, and the money unit it was.
fn split_unit(text: &str) -> (String, Option<MoneyUnit>) {
    if let Some(start) = text.rfind('(')
        && text.ends_with(')')
        && start > 0
    {
        let inner = &text[start + 1..text.len() - 1];
        if let Some(unit) = MoneyUnit::from_key(inner) {
            return (text[..start].to_owned(), Some(unit));
        }
        if inner.chars().count() <= MAX_UNIT_CHARS && !inner.contains('(') {
            // Only when the header means something without it: `高新技术产品(服务)收入`
            // keeps its brackets because they are not at the end.
            return (text[..start].to_owned(), None);
        }
    }
    (text.to_owned(), None)
}

/// Converts a decimal amount in `unit` to whole yuan, exactly; thousands separators allowed.
pub fn parse_money(raw: &str, unit: MoneyUnit) -> Result<i64, Text> {
    let shown = hte_shared::i18n::quote(raw);
    let not_amount = || text!("{shown} is not an amount", "{shown} 不是金额");
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
        return Err(not_amount());
    }
    let scale = 10i128.pow(fraction.len() as u32);
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| not_amount())?
    };
    let fraction_value: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| not_amount())?
    };
    let scaled = (whole * scale + fraction_value) * unit.factor();
    if scaled % scale != 0 {
        return Err(text!(
            "{shown} in this unit is not a whole number of yuan",
            "{shown} 按此单位换算后不是整数元"
        ));
    }
    let yuan = scaled / scale;
    let yuan = if negative { -yuan } else { yuan };
    i64::try_from(yuan).map_err(|_| text!("{shown} is too large", "{shown} 过大"))
}

pub fn parse_integer(raw: &str) -> Result<i64, Text> {
    let cleaned: String = raw
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    // Spreadsheets often turn 12 into "12.0".
    let cleaned = cleaned.strip_suffix(".0").unwrap_or(&cleaned);
    cleaned.parse().map_err(|_| {
        let shown = hte_shared::i18n::quote(raw);
        text!("{shown} is not a whole number", "{shown} 不是整数")
    })
}

/// A date as officials type or save it: `2019-01-01`, `2019/1/1`, `2019.1.1`, `2019年1月1日`,
/// `20190101`, with a time after it, or an Excel serial number saved as text (`43466`).
pub fn parse_date(raw: &str) -> Result<NaiveDate, Text> {
    let text = raw.trim();
    let text = text.split_once([' ', 'T']).map_or(text, |(date, _)| date);
    let eight_digits = text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit());
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .chain(eight_digits.then_some(&"%Y%m%d"))
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .or_else(|| excel_serial(text))
        .ok_or_else(|| {
            let shown = hte_shared::i18n::quote(raw);
            text!(
                "{shown} is not a date (use 2025-12-31)",
                "{shown} 不是日期（请写作 2025-12-31）"
            )
        })
}

/// An Excel date serial of five digits (1927 to 2173), as a sheet saved as text holds it;
/// day 0 is 1899-12-30 for every date after February 1900.
fn excel_serial(text: &str) -> Option<NaiveDate> {
    let digits = text.strip_suffix(".0").unwrap_or(text);
    if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let days: i64 = digits.parse().ok()?;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(days))
}

pub fn parse_bool(raw: &str) -> Result<bool, Text> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "是" => Ok(true),
        "false" | "0" | "no" | "n" | "否" => Ok(false),
        _ => {
            let shown = hte_shared::i18n::quote(raw);
            Err(text!(
                "{shown} is not yes/no (use true/false or 是/否)",
                "{shown} 不是“是/否”"
            ))
        }
    }
}

/// The Chinese name a file shows for `key` (the first one the importer reads back), or the
/// key itself when it has none.
pub fn label_of<'a>(choices: &[(&'a str, &[&'a str])], key: &'a str) -> &'a str {
    choices
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, names)| names.first().copied())
        .filter(|name| !name.is_empty())
        .unwrap_or(key)
}

/// An enumeration value given as its English key or its Chinese name.
pub fn parse_choice<'a>(raw: &str, choices: &[(&'a str, &[&str])]) -> Result<&'a str, Text> {
    let text = raw.trim();
    let lowered = text.to_ascii_lowercase();
    choices
        .iter()
        .find(|(key, names)| *key == lowered || names.contains(&text))
        .map(|(key, _)| *key)
        .ok_or_else(|| {
            let keys: Vec<&str> = choices.iter().map(|(k, _)| *k).collect();
            let names: Vec<&str> = choices
                .iter()
                .filter_map(|(_, names)| names.first().copied())
                .filter(|n| !n.is_empty())
                .collect();
            let (shown, keys, names) = (
                hte_shared::i18n::quote(raw),
                keys.join(", "),
                names.join("、"),
            );
            text!(
                "{shown} is not one of {keys}",
                "{shown} 不是可选值之一：{names}"
            )
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
                .en()
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
        let rules = HeaderRules::default();
        let header = resolve_header(ImportKind::AnnualReports, &cells, &rules).unwrap();
        let header = header.columns;
        assert_eq!(header[0].field, "credit_code");
        assert_eq!(
            header[2],
            HeaderColumn {
                field: "total_income_yuan",
                unit: Some(MoneyUnit::TenThousandYuan),
                written: "总收入（万元）".to_owned(),
            }
        );
        assert_eq!(header[3].unit, Some(MoneyUnit::ThousandYuan));
        assert_eq!(header[4].unit, None);
        let wrong = resolve_header(
            ImportKind::AnnualReports,
            &["credit_code;year".to_owned()],
            &rules,
        )
        .unwrap_err()
        .text();
        assert!(wrong.en().contains("delimiter"), "{wrong:?}");
        assert!(
            resolve_header(
                ImportKind::AnnualReports,
                &["credit_code".to_owned()],
                &rules
            )
            .unwrap_err()
            .text()
            .en()
            .contains("year")
        );
        let twice = ["credit_code".into(), "kind".into(), "kind".into()];
        let twice = resolve_header(ImportKind::Labels, &twice, &rules).unwrap_err();
        assert_eq!(twice, HeaderError::Twice("kind"));
    }

    #[test]
    fn statistics_form_headers_resolve_and_others_are_listed() {
        let cells: Vec<String> = [
            "序号",
            "企业名称",
            "统一社会信用代码",
            "年度",
            "从业人员期末人数（人）",
            "科技活动人员",
            "营业收入（千元）",
            "研究开发费用合计（千元）",
            "资产总计",
            "实际上缴税费总额",
            "拥有有效发明专利数（件）",
            "是否有研发机构",
            "备注",
            "ＦＵＬＬ　ＷＩＤＴＨ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut rules = HeaderRules::default();
        let header = resolve_header(ImportKind::AnnualReports, &cells, &rules).unwrap();
        let fields: Vec<&str> = header.columns.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "",
                "",
                "credit_code",
                "year",
                "employees",
                "st_staff",
                "sales_revenue_yuan",
                "rd_expense_yuan",
                "total_assets_yuan",
                "tax_paid_yuan",
                "invention_patents",
                "",
                "",
                ""
            ]
        );
        assert_eq!(header.columns[6].unit, Some(MoneyUnit::ThousandYuan));
        assert_eq!(header.unknown, ["是否有研发机构", "ＦＵＬＬ　ＷＩＤＴＨ"]);
        rules.mapped = vec![(normalise_header("full width"), "rd_institution")];
        let mapped = resolve_header(ImportKind::AnnualReports, &cells, &rules).unwrap();
        assert_eq!(mapped.columns[13].field, "rd_institution");
        rules.refuse_unknown = true;
        let refused = resolve_header(ImportKind::AnnualReports, &cells, &rules).unwrap_err();
        assert!(
            refused.text().zh().contains("是否有研发机构"),
            "{refused:?}"
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
        for typed in [
            "2019/1/1",
            "2019年1月1日",
            "43466",
            "2019-01-01 00:00:00",
            "20190101",
        ] {
            assert_eq!(
                parse_date(typed).unwrap(),
                NaiveDate::from_ymd_opt(2019, 1, 1).unwrap(),
                "{typed}"
            );
        }
        assert!(parse_date("1234").is_err());
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
