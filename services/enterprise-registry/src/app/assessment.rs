//! Benchmarking an enterprise against the HTE criteria (对标找差): the engine's inputs read in
//! bulk, and the rule set that applies.

use std::collections::HashMap;

use chrono::NaiveDate;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;
use hte_shared::text;

use super::annual_reports::figures_of;
use super::declarations::declaration_of;
use super::enterprises::load_visible;
use crate::db::annual_reports::{self as reports, AnnualReportRow};
use crate::db::declarations as declaration_queries;
use crate::db::enterprises::{self as enterprise_queries, EnterpriseRow};
use crate::db::rule_sets as queries;
use crate::domain::assessment::{Assessment, FirmFacts, RuleSet, YearFigures, assess};
use crate::domain::credit_code::CreditCode;
use crate::domain::declarations::{Declaration, clean_record, declared_facts};
use crate::domain::status::{CertificateSpan, hte_valid_until};
use crate::domain::tech_domain::TechDomain;
use crate::error::RegistryError;

fn year_figures(row: &AnnualReportRow) -> Result<YearFigures, RegistryError> {
    let f = figures_of(row)?;
    Ok(YearFigures {
        year: row.year,
        employees: f.employees,
        st_staff: f.st_staff,
        total_income_yuan: f.total_income_yuan,
        sales_revenue_yuan: f.sales_revenue_yuan,
        hightech_income_yuan: f.hightech_income_yuan,
        rd_expense_yuan: f.rd_expense_yuan,
        rd_expense_domestic_yuan: f.rd_expense_domestic_yuan,
        total_costs_yuan: f.total_costs_yuan,
        net_assets_yuan: f.net_assets_yuan,
        total_assets_yuan: f.total_assets_yuan,
        invention_patents: f.invention_patents,
        class1_ip: f.class1_ip,
        class2_ip: f.class2_ip,
        conversions: f.conversions,
        rd_institution: f.rd_institution,
    })
}

/// The engine's inputs for a batch of enterprises, in four queries whatever the batch size.
pub fn facts_for(
    conn: &mut DbConnection,
    rows: &[EnterpriseRow],
    as_of: NaiveDate,
) -> Result<Vec<FirmFacts>, RegistryError> {
    let codes: Vec<String> = rows.iter().map(|r| r.credit_code.clone()).collect();
    let certificates = enterprise_queries::certificate_spans(conn, &codes)?;
    facts_with_certificates(conn, rows, as_of, &certificates)
}

/// [`facts_for`] with the firms' certificate spans already read (the readiness build needs
/// them for the status too, and read them twice per batch before).
pub fn facts_with_certificates(
    conn: &mut DbConnection,
    rows: &[EnterpriseRow],
    as_of: NaiveDate,
    certificates: &HashMap<String, Vec<CertificateSpan>>,
) -> Result<Vec<FirmFacts>, RegistryError> {
    let codes: Vec<String> = rows.iter().map(|r| r.credit_code.clone()).collect();
    let mut by_code: HashMap<String, Vec<YearFigures>> = HashMap::new();
    for report in &reports::of_enterprises(conn, &codes)? {
        by_code
            .entry(report.credit_code.clone())
            .or_default()
            .push(year_figures(report)?);
    }
    let mut declared: HashMap<String, Vec<Declaration>> = HashMap::new();
    for row in &declaration_queries::in_force(conn, &codes, as_of)? {
        declared
            .entry(row.credit_code.clone())
            .or_default()
            .push(declaration_of(row)?);
    }
    rows.iter()
        .map(|row| {
            let spans = certificates
                .get(&row.credit_code)
                .map_or(&[][..], Vec::as_slice);
            let hte_valid_until = hte_valid_until(spans, as_of);
            let declarations = declared
                .get(&row.credit_code)
                .map_or(&[][..], Vec::as_slice);
            Ok(FirmFacts {
                registered_on: row.registered_on,
                tech_domain: row
                    .tech_domain
                    .as_deref()
                    .map(TechDomain::parse)
                    .transpose()
                    .map_err(|e| RegistryError::internal("stored tech_domain does not parse", e))?,
                holds_valid_hte_certificate: hte_valid_until.is_some(),
                hte_valid_until,
                clean_record: clean_record(declarations, as_of),
                declared: declared_facts(declarations, as_of),
                reports: by_code.remove(&row.credit_code).unwrap_or_default(),
            })
        })
        .collect()
}

/// The rules a stored rule set holds.
pub fn stored_rules(row: &queries::RuleSetRow) -> Result<RuleSet, RegistryError> {
    serde_json::from_str(&row.rules_json).map_err(|e| {
        RegistryError::internal(
            "stored rule set does not parse",
            format!("{}: {e}", row.version),
        )
    })
}

/// The rule set to apply: the requested version, else the active one, else the built-in
/// national 2016 rules.
pub fn resolve_rule_set(
    conn: &mut DbConnection,
    requested: Option<&str>,
) -> Result<RuleSet, RegistryError> {
    let builtin = RuleSet::national_2016();
    let row = match requested {
        Some(version) if version == builtin.version => return Ok(builtin),
        Some(version) if !super::rule_sets::is_version_id(version) => {
            return Err(Problem::invalid_field(
                "rule_set",
                "format",
                text!(
                    "rule_set is a version of 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                    "rule_set 为 1 至 64 个字母、数字、“.”、“_”或“-”组成的版本号，以字母或数字开头"
                ),
            )
            .into());
        }
        Some(version) => Some(queries::find(conn, version)?.ok_or_else(|| {
            Problem::invalid_field(
                "rule_set",
                "unknown",
                hte_shared::text!("no rule set {version:?}", "未找到规则集 {version:?}"),
            )
        })?),
        None => queries::active(conn)?,
    };
    match row {
        None => Ok(builtin),
        Some(row) => stored_rules(&row),
    }
}

/// Benchmarks a visible enterprise on `as_of` under the requested (or active) rule set.
pub fn assess_enterprise(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    as_of: NaiveDate,
    rule_set: Option<&str>,
) -> Result<Assessment, RegistryError> {
    let row = load_visible(conn, caller, code)?;
    let rules = resolve_rule_set(conn, rule_set)?;
    let facts = facts_for(conn, std::slice::from_ref(&row), as_of)?;
    let facts = facts
        .first()
        .ok_or_else(|| RegistryError::internal("no facts for a loaded enterprise", code))?;
    Ok(assess(facts, as_of, &rules))
}
