//! A line of an annual reports file: a year and its figures, money in the file's units.

use chrono::NaiveDate;

use super::Cells;
use crate::domain::annual_report::{AnnualReport, ReportFigures};
use crate::domain::import::RD_INSTITUTIONS;
use crate::domain::rd_institution::RdInstitution;

pub(in crate::app::imports) fn parse(
    cells: &mut Cells<'_>,
    _credit_code: Option<&str>,
    _today: NaiveDate,
) -> Option<AnnualReport> {
    let year = cells.year("year");
    if cells.raw("year").is_none() {
        cells.fail("year", hte_shared::text!("required", "必填"));
    }
    let figures = ReportFigures {
        employees: cells.integer("employees"),
        st_staff: cells.integer("st_staff"),
        total_income_yuan: cells.money("total_income_yuan"),
        sales_revenue_yuan: cells.money("sales_revenue_yuan"),
        hightech_income_yuan: cells.money("hightech_income_yuan"),
        rd_expense_yuan: cells.money("rd_expense_yuan"),
        rd_expense_domestic_yuan: cells.money("rd_expense_domestic_yuan"),
        total_costs_yuan: cells.money("total_costs_yuan"),
        net_assets_yuan: cells.money("net_assets_yuan"),
        total_assets_yuan: cells.money("total_assets_yuan"),
        industrial_output_yuan: cells.money("industrial_output_yuan"),
        tax_paid_yuan: cells.money("tax_paid_yuan"),
        invention_patents: cells.integer("invention_patents"),
        class1_ip: cells.integer("class1_ip"),
        class2_ip: cells.integer("class2_ip"),
        new_ip: cells.integer("new_ip"),
        conversions: cells.integer("conversions"),
        rd_institution: cells.choice_of("rd_institution", RD_INSTITUTIONS, RdInstitution::parse),
    };
    for e in figures.validate() {
        cells.fail(&e.field, e.message);
    }
    Some(AnnualReport {
        year: year?,
        figures,
    })
}
