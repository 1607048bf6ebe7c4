//! Enterprise exports: the list's filters, read in pages of 1,000 in credit-code order, as
//! spreadsheet rows that import back unchanged.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::db::DbConnection;

use super::{enterprises, region_name};
use crate::app::enterprises::EnterpriseView;
use crate::domain::dictionaries::RECORD_STATUSES;
use crate::domain::import::{LISTING, TECH_DOMAINS, ZONE_LEVELS, label_of};
use crate::domain::listing::{ListCursor, ListFilter, ListPage};
use crate::error::RegistryError;
use crate::export::{self, Cell, Column, Language};

const PAGE_ROWS: i64 = 1_000;

/// The columns naming a firm and where it is: first in the enterprise export (which imports
/// back), after the rank in the candidates' ranking.
pub const FIRM_COLUMNS: [Column; 6] = [
    Column::new("credit_code", "统一社会信用代码"),
    Column::new("name", "企业名称"),
    Column::new("region_code", "所在县区"),
    Column::new("region_name", "县区名称"),
    Column::new("city_code", "设区市"),
    Column::new("city_name", "设区市名称"),
];

/// A firm's cells under [`FIRM_COLUMNS`]: its code and name, its county and city with their
/// names.
pub fn firm_cells(
    (credit_code, name): (String, String),
    (county, city): (String, String),
) -> Result<[Cell; 6], RegistryError> {
    let (county_name, city_name) = (region_name(&county)?, region_name(&city)?);
    Ok([
        credit_code.into(),
        name.into(),
        county.into(),
        county_name.into(),
        city.into(),
        city_name.into(),
    ])
}

pub const COLUMNS: &[Column] = &export::columns::<16>(&[
    &FIRM_COLUMNS,
    &[
        Column::new("registered_on", "成立日期"),
        Column::new("industry_code", "行业代码"),
        Column::new("tech_domain", "技术领域"),
        Column::new("zone_level", "高新区级别"),
        Column::new("zone_id", "所在高新区"),
        Column::new("above_scale", "规上企业"),
        Column::new("carrier_id", "孵化载体"),
        Column::new("listing_status", "上市状态"),
        Column::new("status", "状态"),
        Column::new("status_as_of", "状态日期"),
    ],
]);

/// The next page of export rows after `after` (advanced), or `None` when done.
pub fn next_page(
    conn: &mut DbConnection,
    filter: &ListFilter,
    as_of: NaiveDate,
    after: &mut Option<ListCursor>,
    language: Language,
) -> Result<Option<Vec<Vec<Cell>>>, RegistryError> {
    let page = ListPage::by_credit_code(filter, after.as_ref(), PAGE_ROWS);
    let page = enterprises::list(conn, page, as_of)?;
    let Some(last) = page.last() else {
        return Ok(None);
    };
    *after = Some(ListCursor::at_credit_code(last.credit_code.clone()));
    let rows = page
        .into_iter()
        .map(|view| row_of(view, language))
        .collect::<Result<_, _>>()?;
    Ok(Some(rows))
}

/// One firm's row. In Chinese, code values are the names the importer reads back (电子信息,
/// 国家级, 是, 拟上市); region names stand beside the codes; dates are dates.
fn row_of(view: EnterpriseView, language: Language) -> Result<Vec<Cell>, RegistryError> {
    let zh = language == Language::Zh;
    let choice = |table: &[(&'static str, &[&'static str])], key: &'static str| {
        if zh { label_of(table, key) } else { key }
    };
    let status = view.status.key();
    let status = match RECORD_STATUSES.iter().find(|(k, _, _)| *k == status) {
        Some((_, label, _)) if zh => label,
        _ => status,
    };
    let above_scale = match (zh, view.above_scale) {
        (true, true) => "是".to_owned(),
        (true, false) => "否".to_owned(),
        (false, yes) => yes.to_string(),
    };
    let firm = (view.credit_code, view.name);
    let mut row = firm_cells(firm, (view.region_code, view.city_code))?.to_vec();
    row.extend([
        Cell::Date(view.registered_on),
        view.industry_code.into(),
        view.tech_domain
            .map(|d| choice(TECH_DOMAINS, d.key()))
            .into(),
        choice(ZONE_LEVELS, view.zone_level.key()).into(),
        view.zone_id.into(),
        above_scale.into(),
        view.carrier_id.into(),
        choice(LISTING, view.listing_status.key()).into(),
        status.into(),
        Cell::Date(view.status_as_of),
    ]);
    Ok(row)
}

/// The header block of a Chinese XLSX export: what it is, as of when, under which rule set
/// (the active one, whose assessments the statuses follow), where, made when (`made_at` in
/// UTC, shown in Beijing time). The importer reads past it as title rows.
pub fn preamble(
    conn: &mut DbConnection,
    as_of: NaiveDate,
    filter: &ListFilter,
    made_at: NaiveDateTime,
) -> Result<Vec<Vec<Cell>>, RegistryError> {
    let rule_set_version = super::assessment::resolve_rule_set(conn, None)?.version;
    header_block(
        ("企业名单", "截至日期"),
        (as_of, &rule_set_version),
        filter,
        made_at,
    )
}

/// A Chinese file's header block: its title, `date_label` with the date, the rule-set version,
/// the region filtered on (the province when none) and the time made (`made_at` in UTC, shown
/// in Beijing time).
pub fn header_block(
    (title, date_label): (&str, &str),
    (as_of, rule_set_version): (NaiveDate, &str),
    filter: &ListFilter,
    made_at: NaiveDateTime,
) -> Result<Vec<Vec<Cell>>, RegistryError> {
    let region = filter
        .county
        .or(filter.city)
        .map_or_else(|| "320000".to_owned(), |c| c.to_string());
    Ok(vec![
        vec![title.into()],
        vec![date_label.into(), Cell::Date(as_of)],
        vec!["规则集版本".into(), rule_set_version.into()],
        vec!["地区".into(), region_cell(&region)?],
        made_at_row(("制表时间", "北京时间"), made_at),
    ])
}

/// The region a sheet covers, named with its code: `南京市（320100）`.
pub fn region_cell(region: &str) -> Result<Cell, RegistryError> {
    Ok(format!("{}（{region}）", region_name(region)?).into())
}

/// The row saying when a sheet was made: `made_at` is UTC, shown in Beijing time, with the
/// row's label and the time zone's name in the sheet's language.
pub fn made_at_row((label, zone): (&str, &str), made_at: NaiveDateTime) -> Vec<Cell> {
    vec![
        label.into(),
        Cell::DateTime(made_at + chrono::Duration::hours(8)),
        zone.into(),
    ]
}
