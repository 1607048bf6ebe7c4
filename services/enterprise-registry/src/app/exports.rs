//! Enterprise exports: the list's filters, read in pages of 1,000 in credit-code order, as
//! spreadsheet rows that import back unchanged.

use chrono::NaiveDate;
use hte_shared::db::DbConnection;

use super::enterprises;
use crate::domain::listing::{ListCursor, ListFilter, SortKey};
use crate::error::RegistryError;
use crate::export::{Cell, Column};

const PAGE_ROWS: i64 = 1_000;

pub const COLUMNS: &[Column] = &[
    Column::new("credit_code", "统一社会信用代码"),
    Column::new("name", "企业名称"),
    Column::new("region_code", "所在县区"),
    Column::new("city_code", "设区市"),
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
];

/// The next page of export rows after `after` (advanced), or `None` when done.
pub fn next_page(
    conn: &mut DbConnection,
    filter: &ListFilter,
    as_of: NaiveDate,
    after: &mut Option<ListCursor>,
) -> Result<Option<Vec<Vec<Cell>>>, RegistryError> {
    let page = enterprises::list(
        conn,
        filter,
        SortKey::CreditCode,
        after.as_ref(),
        PAGE_ROWS,
        as_of,
    )?;
    let Some(last) = page.last() else {
        return Ok(None);
    };
    *after = Some(ListCursor {
        sort: "credit_code".into(),
        value: last.credit_code.clone(),
        credit_code: last.credit_code.clone(),
    });
    let rows = page
        .into_iter()
        .map(|view| {
            vec![
                view.credit_code.into(),
                view.name.into(),
                view.region_code.into(),
                view.city_code.into(),
                view.registered_on.to_string().into(),
                view.industry_code.into(),
                view.tech_domain.map(|d| d.key().to_owned()).into(),
                view.zone_level.key().into(),
                view.zone_id.into(),
                view.above_scale.to_string().into(),
                view.carrier_id.into(),
                view.listing_status.key().into(),
                view.status.key().into(),
                view.status_as_of.to_string().into(),
            ]
        })
        .collect();
    Ok(Some(rows))
}
