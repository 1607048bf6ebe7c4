//! Eligibility assessment (对标找差): how far a firm is from the HTE, tech-SME and gazelle
//! thresholds, computed from its annual reports. Pure functions: no I/O.
//!
//! Periods, relative to the assessment date `as_of` (which plays the application date):
//! - the application year is `as_of.year()`;
//! - the latest year is the year before it;
//! - the assessed years ("last three fiscal years") are the three years before the application
//!   year, from the registration year on. A firm younger than that uses the years it operated,
//!   and its registration year counts as a full period even when it started part-way through
//!   (the consultancy practice; the rule text leaves it open). The same years feed the growth
//!   and conversion items of the innovation score.
//!
//! Missing figures make a condition `unknown` and are listed in `missing`; they never make it
//! fail. A condition fails on missing data only when even the most favourable value could not
//! make it pass (the innovation score's best case).
//!
//! A ratio whose denominator is zero or negative (no employees, no sales, no income, no R&D) is
//! undefined: the condition fails with no value, since the firm plainly does not meet it.

mod exact;
mod gazelle;
mod hte;
mod result;
mod rules;
mod tech_sme;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::declarations::DeclaredFacts;
use crate::domain::rd_institution::RdInstitution;
use crate::domain::tech_domain::TechDomain;

pub use gazelle::GazelleAssessment;
pub use hte::{HteAssessment, InnovationScore};
pub use result::{
    Comparator, ConditionKind, ConditionResult, Gap, Outcome, OverallOutcome, Readiness, ScoreItem,
    ScoreSource, Unit,
};
pub use rules::{
    AverageBand, CountBand, CountPoints, ExpertItem, GazelleRules, GrowthBand, GrowthRules,
    HteRules, Indicator, InnovationRules, IpQuantityRules, PointRange, RatioPoints,
    RdIntensityBand, RdScoreBand, RuleError, RuleSet, TechSmeRules,
};
pub use tech_sme::{TechSmeAssessment, TechSmeRoute};

/// One annual report's figures (年报数据). Every figure is optional: a missing one makes the
/// conditions that need it `unknown`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct YearFigures {
    /// Fiscal year the report covers (年度).
    pub year: i32,
    /// Total employees, annual average (职工总数).
    pub employees: Option<i64>,
    /// S&T staff, annual average (科技人员数).
    pub st_staff: Option<i64>,
    /// Total income less non-taxable income, yuan (总收入).
    pub total_income_yuan: Option<i64>,
    /// Sales revenue: main plus other business revenue, yuan (销售收入).
    pub sales_revenue_yuan: Option<i64>,
    /// High-tech products/services income, yuan (高新技术产品（服务）收入).
    pub hightech_income_yuan: Option<i64>,
    /// R&D expense, yuan (研发费用总额).
    pub rd_expense_yuan: Option<i64>,
    /// R&D expense spent in mainland China, yuan (境内研发费用).
    pub rd_expense_domestic_yuan: Option<i64>,
    /// Total costs and expenses, yuan (成本费用支出总额).
    pub total_costs_yuan: Option<i64>,
    /// Net assets at year end, yuan (净资产).
    pub net_assets_yuan: Option<i64>,
    /// Total assets at year end, yuan (资产总额).
    pub total_assets_yuan: Option<i64>,
    /// Invention patents held (发明专利数); a subset of Class I.
    pub invention_patents: Option<i64>,
    /// Class I IP items held (Ⅰ类知识产权数).
    pub class1_ip: Option<i64>,
    /// Class II IP items held (Ⅱ类知识产权数).
    pub class2_ip: Option<i64>,
    /// S&T results converted in the year (科技成果转化数).
    pub conversions: Option<i64>,
    /// Highest recognised R&D institution (研发机构级别).
    pub rd_institution: Option<RdInstitution>,
}

/// What the engine knows about a firm (企业基本情况与年报).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FirmFacts {
    /// Registration date (注册成立日期).
    pub registered_on: NaiveDate,
    /// Main technology domain (技术领域), if recorded.
    pub tech_domain: Option<TechDomain>,
    /// Holds an HTE certificate valid on the assessment date (有效期内高新技术企业).
    pub holds_valid_hte_certificate: bool,
    /// Last day of the unbroken HTE status that covers the assessment date (高新技术企业资格
    ///有效期至); null when no certificate is valid then.
    #[serde(default)]
    pub hte_valid_until: Option<NaiveDate>,
    /// No major safety or quality accident, serious environmental violation (and, for the
    /// tech-SME label, no listed dishonesty) in the period the rules look at (无重大安全、质量事故
    /// 和严重环境违法行为); null when not known.
    pub clean_record: Option<bool>,
    /// Awards, led standards and expert scores the firm's declarations establish on the
    /// assessment date (申报与评审事实).
    #[serde(default)]
    pub declared: DeclaredFacts,
    /// Annual reports in any order; gaps allowed. When a year appears twice, the later entry
    /// wins.
    pub reports: Vec<YearFigures>,
}

/// The assessment of one firm against one rule set on one date (对标找差结果).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    /// Version of the rule set applied (规则版本).
    pub rule_set_version: String,
    /// Assessment date, treated as the application date (评估日期).
    pub as_of: NaiveDate,
    /// Application year: the year of `as_of` (申报年度).
    pub application_year: i32,
    /// Fiscal years assessed, oldest first (评估所用年度): the (up to) three years before the
    /// application year.
    #[schema(max_items = 3)]
    pub assessed_years: Vec<i32>,
    /// High and New Technology Enterprise (高新技术企业).
    pub hte: HteAssessment,
    /// Technology-based SME (科技型中小企业).
    pub tech_sme: TechSmeAssessment,
    /// Gazelle enterprise (瞪羚企业); thresholds unconfirmed unless `confirmed_rules`.
    pub gazelle: GazelleAssessment,
}

/// Assess a firm on `as_of` (the application date) against `rules`.
///
/// `rules` should have passed [`RuleSet::validate`]; an invalid rule set gives meaningless
/// results but does not panic.
pub fn assess(facts: &FirmFacts, as_of: NaiveDate, rules: &RuleSet) -> Assessment {
    let ctx = Context::new(facts, as_of);
    Assessment {
        rule_set_version: rules.version.clone(),
        as_of,
        application_year: ctx.application_year,
        assessed_years: ctx.window.clone(),
        hte: hte::assess(&ctx, &rules.hte),
        tech_sme: tech_sme::assess(&ctx, &rules.tech_sme),
        gazelle: gazelle::assess(&ctx, &rules.gazelle),
    }
}

/// A numeric annual-report field: its JSON name and how to read it.
#[derive(Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub get: fn(&YearFigures) -> Option<i64>,
}

pub(crate) const EMPLOYEES: Field = Field {
    name: "employees",
    get: |y| y.employees,
};
pub(crate) const ST_STAFF: Field = Field {
    name: "st_staff",
    get: |y| y.st_staff,
};
pub(crate) const TOTAL_INCOME: Field = Field {
    name: "total_income_yuan",
    get: |y| y.total_income_yuan,
};
pub(crate) const SALES: Field = Field {
    name: "sales_revenue_yuan",
    get: |y| y.sales_revenue_yuan,
};
pub(crate) const HIGHTECH_INCOME: Field = Field {
    name: "hightech_income_yuan",
    get: |y| y.hightech_income_yuan,
};
pub(crate) const RD: Field = Field {
    name: "rd_expense_yuan",
    get: |y| y.rd_expense_yuan,
};
pub(crate) const RD_DOMESTIC: Field = Field {
    name: "rd_expense_domestic_yuan",
    get: |y| y.rd_expense_domestic_yuan,
};
pub(crate) const TOTAL_COSTS: Field = Field {
    name: "total_costs_yuan",
    get: |y| y.total_costs_yuan,
};
pub(crate) const NET_ASSETS: Field = Field {
    name: "net_assets_yuan",
    get: |y| y.net_assets_yuan,
};
pub(crate) const TOTAL_ASSETS: Field = Field {
    name: "total_assets_yuan",
    get: |y| y.total_assets_yuan,
};
pub(crate) const CLASS1_IP: Field = Field {
    name: "class1_ip",
    get: |y| y.class1_ip,
};
pub(crate) const CLASS2_IP: Field = Field {
    name: "class2_ip",
    get: |y| y.class2_ip,
};
pub(crate) const INVENTION_PATENTS: Field = Field {
    name: "invention_patents",
    get: |y| y.invention_patents,
};
pub(crate) const CONVERSIONS: Field = Field {
    name: "conversions",
    get: |y| y.conversions,
};

/// Every figure a condition can find missing: `ConditionResult::missing` names only these.
pub(crate) const FIGURES: [Field; 14] = [
    EMPLOYEES,
    ST_STAFF,
    TOTAL_INCOME,
    SALES,
    HIGHTECH_INCOME,
    RD,
    RD_DOMESTIC,
    TOTAL_COSTS,
    NET_ASSETS,
    TOTAL_ASSETS,
    CLASS1_IP,
    CLASS2_IP,
    INVENTION_PATENTS,
    CONVERSIONS,
];

/// The fiscal years one condition reads at most: the three assessed years, and for sales
/// growth the base year before them.
pub const MAX_YEARS_READ: usize = 4;

/// The most entries `ConditionResult::missing` holds: each (year, figure) once. The document
/// states it as `maxItems` (a test holds the two together).
pub const MAX_MISSING: usize = MAX_YEARS_READ * FIGURES.len();

/// The firm's facts arranged by year, with the periods fixed by the assessment date.
pub(crate) struct Context<'a> {
    pub facts: &'a FirmFacts,
    pub as_of: NaiveDate,
    pub application_year: i32,
    pub latest_year: i32,
    pub registration_year: i32,
    /// The assessed fiscal years, oldest first; empty when no fiscal year has closed since
    /// registration.
    pub window: Vec<i32>,
    by_year: BTreeMap<i32, &'a YearFigures>,
}

impl<'a> Context<'a> {
    pub fn new(facts: &'a FirmFacts, as_of: NaiveDate) -> Self {
        let application_year = as_of.year();
        let registration_year = facts.registered_on.year();
        let window = (application_year - 3..application_year)
            .filter(|year| *year >= registration_year)
            .collect();
        let mut by_year = BTreeMap::new();
        for report in &facts.reports {
            by_year.insert(report.year, report);
        }
        Context {
            facts,
            as_of,
            application_year,
            latest_year: application_year - 1,
            registration_year,
            window,
            by_year,
        }
    }

    pub fn report(&self, year: i32) -> Option<&'a YearFigures> {
        self.by_year.get(&year).copied()
    }

    /// Whether the firm existed in `year`.
    pub fn operated_in(&self, year: i32) -> bool {
        year >= self.registration_year && year < self.application_year
    }

    /// Start a lookup that records what is missing.
    pub fn lookup(&self) -> Lookup<'_, 'a> {
        Lookup {
            ctx: self,
            missing: Vec::new(),
        }
    }
}

/// Reads figures and records the missing ones as `year.field`.
pub(crate) struct Lookup<'c, 'a> {
    ctx: &'c Context<'a>,
    pub missing: Vec<String>,
}

impl Lookup<'_, '_> {
    pub fn get(&mut self, year: i32, field: Field) -> Option<i64> {
        let value = self.ctx.report(year).and_then(field.get);
        if value.is_none() {
            self.note_missing(year, field);
        }
        value
    }

    /// Value without recording it as missing.
    pub fn peek(&self, year: i32, field: Field) -> Option<i64> {
        self.ctx.report(year).and_then(field.get)
    }

    /// Records a figure as missing; only a figure of [`FIGURES`] can be.
    pub fn note_missing(&mut self, year: i32, field: Field) {
        let entry = format!("{year}.{}", field.name);
        if !self.missing.contains(&entry) {
            self.missing.push(entry);
        }
    }

    /// Sum over `years`; `None` when any year is missing (all of them get recorded) or when
    /// `years` is empty (recorded as the latest year's figure, which a firm registered in the
    /// application year cannot have).
    pub fn sum(&mut self, years: &[i32], field: Field) -> Option<i128> {
        if years.is_empty() {
            self.note_missing(self.ctx.latest_year, field);
            return None;
        }
        let mut total: Option<i128> = Some(0);
        for &year in years {
            match self.get(year, field) {
                Some(v) => total = total.map(|t| t + i128::from(v)),
                None => total = None,
            }
        }
        total
    }

    /// A figure of the latest year, or `None` (recorded).
    pub fn latest(&mut self, field: Field) -> Option<i128> {
        let year = self.ctx.latest_year;
        self.get(year, field).map(i128::from)
    }

    pub fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.missing)
    }
}
