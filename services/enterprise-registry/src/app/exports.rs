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
    Column {
        en: "credit_code",
        zh: "统一社会信用代码",
    },
    Column {
        en: "name",
        zh: "企业名称",
    },
    Column {
        en: "region_code",
        zh: "所在县区",
    },
    Column {
        en: "city_code",
        zh: "设区市",
    },
    Column {
        en: "registered_on",
        zh: "成立日期",
    },
    Column {
        en: "industry_code",
        zh: "行业代码",
    },
    Column {
        en: "tech_domain",
        zh: "技术领域",
    },
    Column {
        en: "zone_level",
        zh: "高新区级别",
    },
    Column {
        en: "zone_id",
        zh: "所在高新区",
    },
    Column {
        en: "above_scale",
        zh: "规上企业",
    },
    Column {
        en: "carrier_id",
        zh: "孵化载体",
    },
    Column {
        en: "listing_status",
        zh: "上市状态",
    },
    Column {
        en: "status",
        zh: "状态",
    },
    Column {
        en: "status_as_of",
        zh: "状态日期",
    },
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
