//! Annual reports (年报): one per enterprise and year, money in integer yuan. Every figure is
//! optional (sources differ in what they carry); the rules between figures are checked
//! whenever both sides are present.

use hte_shared::problem::FieldError;
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rd_institution::RdInstitution;

/// The figures of one year. Field names are the data dictionary integrators map to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportFigures {
    /// Employees (职工总数), annual average.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 86)]
    pub employees: Option<i64>,
    /// S&T staff (科技人员), annual average.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 21)]
    pub st_staff: Option<i64>,
    /// Total income (总收入), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 48_000_000)]
    pub total_income_yuan: Option<i64>,
    /// Sales revenue (销售收入), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 46_500_000)]
    pub sales_revenue_yuan: Option<i64>,
    /// Income from high-tech products and services (高新技术产品（服务）收入), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 31_000_000)]
    pub hightech_income_yuan: Option<i64>,
    /// R&D expense (研究开发费用总额), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 2_600_000)]
    pub rd_expense_yuan: Option<i64>,
    /// R&D expense incurred in China (境内研究开发费用), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 2_600_000)]
    pub rd_expense_domestic_yuan: Option<i64>,
    /// Total costs and expenses (成本费用总额), yuan: the second base of the tech-SME R&D score.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 41_000_000)]
    pub total_costs_yuan: Option<i64>,
    /// Net assets (净资产), yuan; may be negative.
    #[schema(minimum = -10_000_000_000_000_i64, maximum = 10_000_000_000_000_i64, example = 22_000_000)]
    pub net_assets_yuan: Option<i64>,
    /// Total assets (资产总额), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 60_000_000)]
    pub total_assets_yuan: Option<i64>,
    /// Industrial output (工业总产值), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 45_000_000)]
    pub industrial_output_yuan: Option<i64>,
    /// Tax paid (上缴税费), yuan.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 1_900_000)]
    pub tax_paid_yuan: Option<i64>,
    /// Effective invention patents held (有效发明专利), at year end.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 3)]
    pub invention_patents: Option<i64>,
    /// Class-I IP held (Ⅰ类知识产权), invention patents included.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 3)]
    pub class1_ip: Option<i64>,
    /// Class-II IP held (Ⅱ类知识产权): utility models, designs, software copyrights.
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 7)]
    pub class2_ip: Option<i64>,
    /// IP newly obtained in the year (当年新增知识产权).
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 4)]
    pub new_ip: Option<i64>,
    /// S&T results converted in the year (科技成果转化数).
    #[schema(minimum = 0, maximum = 10_000_000_000_000_i64, example = 2)]
    pub conversions: Option<i64>,
    /// R&D institution (研发机构) at year end.
    pub rd_institution: Option<RdInstitution>,
}

/// A year's report as filed: the year and its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualReport {
    pub year: i32,
    pub figures: ReportFigures,
}

/// Upper bound for any single figure: ¥10 trillion, far above any firm, so a slipped unit
/// (fen instead of yuan, or a pasted phone number) is caught.
const MAX_FIGURE: i64 = 10_000_000_000_000;

impl ReportFigures {
    /// Checks signs, magnitudes and the rules between figures; every broken rule is reported.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.check_magnitudes(&mut errors);
        self.check_parts_within_wholes(&mut errors);
        errors
    }

    /// Counts and amounts are non-negative (net assets may be) and within [`MAX_FIGURE`].
    fn check_magnitudes(&self, errors: &mut Vec<FieldError>) {
        let non_negative = [
            ("employees", self.employees),
            ("st_staff", self.st_staff),
            ("total_income_yuan", self.total_income_yuan),
            ("sales_revenue_yuan", self.sales_revenue_yuan),
            ("hightech_income_yuan", self.hightech_income_yuan),
            ("rd_expense_yuan", self.rd_expense_yuan),
            ("rd_expense_domestic_yuan", self.rd_expense_domestic_yuan),
            ("total_costs_yuan", self.total_costs_yuan),
            ("total_assets_yuan", self.total_assets_yuan),
            ("industrial_output_yuan", self.industrial_output_yuan),
            ("tax_paid_yuan", self.tax_paid_yuan),
            ("invention_patents", self.invention_patents),
            ("class1_ip", self.class1_ip),
            ("class2_ip", self.class2_ip),
            ("new_ip", self.new_ip),
            ("conversions", self.conversions),
        ];
        for (field, value) in non_negative {
            if let Some(v) = value {
                if v < 0 {
                    errors.push(FieldError::new(
                        field,
                        "non_negative",
                        text!(
                            "{field} must not be negative; got {v}",
                            "{field} 不得为负数，现为 {v}"
                        ),
                    ));
                } else if v > MAX_FIGURE {
                    errors.push(FieldError::new(
                        field,
                        "range",
                        if field.ends_with("_yuan") {
                            text!(
                                "{field} is implausibly large ({v}); amounts are in yuan",
                                "{field} 数值过大，不合常理（{v}）；金额单位为元"
                            )
                        } else {
                            text!(
                                "{field} is implausibly large ({v})",
                                "{field} 数值过大，不合常理（{v}）"
                            )
                        },
                    ));
                }
            }
        }
        if let Some(v) = self
            .net_assets_yuan
            .filter(|v| v.unsigned_abs() > MAX_FIGURE.unsigned_abs())
        {
            errors.push(FieldError::new(
                "net_assets_yuan",
                "range",
                text!(
                    "net_assets_yuan is implausibly large ({v}); amounts are in yuan",
                    "net_assets_yuan 数值过大，不合常理（{v}）；金额单位为元"
                ),
            ));
        }
    }

    /// A part never exceeds its whole (S&T staff within employees, domestic R&D within R&D…).
    fn check_parts_within_wholes(&self, errors: &mut Vec<FieldError>) {
        let at_most = [
            (
                "st_staff",
                self.st_staff,
                "employees",
                self.employees,
                (
                    "S&T staff cannot exceed employees",
                    "科技人员数不得超过职工总数",
                ),
            ),
            (
                "rd_expense_domestic_yuan",
                self.rd_expense_domestic_yuan,
                "rd_expense_yuan",
                self.rd_expense_yuan,
                (
                    "R&D spent in China cannot exceed total R&D expense",
                    "境内研究开发费用不得超过研究开发费用总额",
                ),
            ),
            (
                "hightech_income_yuan",
                self.hightech_income_yuan,
                "total_income_yuan",
                self.total_income_yuan,
                (
                    "high-tech income cannot exceed total income",
                    "高新技术产品（服务）收入不得超过总收入",
                ),
            ),
            (
                "sales_revenue_yuan",
                self.sales_revenue_yuan,
                "total_income_yuan",
                self.total_income_yuan,
                (
                    "sales revenue is part of total income and cannot exceed it",
                    "销售收入是总收入的一部分，不得超过总收入",
                ),
            ),
            (
                "invention_patents",
                self.invention_patents,
                "class1_ip",
                self.class1_ip,
                (
                    "invention patents are class-I IP, so class1_ip must count them",
                    "发明专利属于Ⅰ类知识产权，class1_ip 须包含发明专利数",
                ),
            ),
        ];
        for (field, value, limit_field, limit, (rule_en, rule_zh)) in at_most {
            if let (Some(v), Some(l)) = (value, limit)
                && v > l
            {
                errors.push(FieldError::new(
                    field,
                    format!("at_most_{limit_field}"),
                    text!(
                        "{rule_en}: {field} = {v} > {limit_field} = {l}",
                        "{rule_zh}：{field} = {v} > {limit_field} = {l}"
                    ),
                ));
            }
        }
    }
}

impl ReportFigures {
    /// These figures with every one whose column a file lacks taken from `stored`: a column
    /// left out of a file means "keep", never "clear". (Field and column names agree.)
    pub fn keeping_absent(mut self, stored: &ReportFigures, present: &[&str]) -> Self {
        macro_rules! keep {
            ($($field:ident),* $(,)?) => {$(
                if !present.contains(&stringify!($field)) {
                    self.$field = stored.$field;
                }
            )*};
        }
        keep!(
            employees,
            st_staff,
            total_income_yuan,
            sales_revenue_yuan,
            hightech_income_yuan,
            rd_expense_yuan,
            rd_expense_domestic_yuan,
            total_costs_yuan,
            net_assets_yuan,
            total_assets_yuan,
            industrial_output_yuan,
            tax_paid_yuan,
            invention_patents,
            class1_ip,
            class2_ip,
            new_ip,
            conversions,
            rd_institution,
        );
        self
    }
}

/// The years a report may be filed for: from the registration year to the current year.
pub fn check_year(year: i32, registration_year: i32, current_year: i32) -> Result<(), FieldError> {
    if year < registration_year {
        Err(FieldError::new(
            "year",
            "not_before_registration",
            text!(
                "{year} is before the enterprise was registered ({registration_year})",
                "{year} 年早于企业注册年份（{registration_year} 年）"
            ),
        ))
    } else if year > current_year {
        Err(FieldError::new(
            "year",
            "not_in_future",
            text!(
                "{year} is in the future (current year {current_year})",
                "{year} 年晚于当前年份（{current_year} 年）"
            ),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_broken(figures: ReportFigures) -> Vec<String> {
        figures.validate().into_iter().map(|e| e.rule).collect()
    }

    #[test]
    fn cross_field_rules() {
        let ok = ReportFigures {
            employees: Some(100),
            st_staff: Some(100),
            total_income_yuan: Some(10),
            sales_revenue_yuan: Some(10),
            hightech_income_yuan: Some(10),
            rd_expense_yuan: Some(5),
            rd_expense_domestic_yuan: Some(5),
            net_assets_yuan: Some(-3),
            invention_patents: Some(2),
            class1_ip: Some(2),
            ..Default::default()
        };
        assert!(ok.validate().is_empty(), "{:?}", ok.validate());
        let cases = [
            (
                ReportFigures {
                    st_staff: Some(101),
                    ..ok.clone()
                },
                "at_most_employees",
            ),
            (
                ReportFigures {
                    rd_expense_domestic_yuan: Some(6),
                    ..ok.clone()
                },
                "at_most_rd_expense_yuan",
            ),
            (
                ReportFigures {
                    hightech_income_yuan: Some(11),
                    ..ok.clone()
                },
                "at_most_total_income_yuan",
            ),
            (
                ReportFigures {
                    sales_revenue_yuan: Some(11),
                    hightech_income_yuan: Some(1),
                    ..ok.clone()
                },
                "at_most_total_income_yuan",
            ),
            (
                ReportFigures {
                    invention_patents: Some(3),
                    ..ok.clone()
                },
                "at_most_class1_ip",
            ),
            (
                ReportFigures {
                    employees: Some(-1),
                    st_staff: None,
                    ..ok.clone()
                },
                "non_negative",
            ),
            (
                ReportFigures {
                    tax_paid_yuan: Some(MAX_FIGURE + 1),
                    ..ok.clone()
                },
                "range",
            ),
        ];
        for (figures, rule) in cases {
            assert_eq!(rules_broken(figures), vec![rule.to_owned()]);
        }
        // A rule needs both sides; one missing figure is not an error.
        assert!(
            ReportFigures {
                st_staff: Some(5),
                ..Default::default()
            }
            .validate()
            .is_empty()
        );
    }

    #[test]
    fn years() {
        assert!(check_year(2020, 2020, 2026).is_ok());
        assert_eq!(
            check_year(2019, 2020, 2026).unwrap_err().rule,
            "not_before_registration"
        );
        assert_eq!(
            check_year(2027, 2020, 2026).unwrap_err().rule,
            "not_in_future"
        );
    }
}
