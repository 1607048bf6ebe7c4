//! The headers each kind of file is read by, published so officials need not read the source
//! (`GET /imports/kinds/{kind}/columns`).

use serde::Serialize;
use utoipa::ToSchema;

use super::MAX_TITLE_ROWS;
use crate::domain::import::{EXPORT_ONLY, INFORMATIONAL, ImportKind};

/// A column a file of this kind may have (可导入的列).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportColumn {
    /// The field; its name is accepted as a header too.
    #[schema(example = "sales_revenue_yuan")]
    pub field: &'static str,
    /// The Chinese header of templates and exports.
    #[schema(example = "销售收入")]
    pub label_zh: &'static str,
    pub required: bool,
    /// Every header accepted for the field. Headers are compared with full-width letters and
    /// punctuation folded to ASCII, spaces and a trailing `*` dropped, and a trailing unit in
    /// brackets (`（千元）`, `(人)`) split off.
    #[schema(max_items = 100)] // fixed lists; a test holds them to it
    pub headers: Vec<&'static str>,
    /// Money in yuan: a header may declare 元, 千元 or 万元 in brackets; otherwise the
    /// `unit` parameter applies.
    pub money: bool,
}

/// The columns of one kind of file (导入列说明).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportColumns {
    pub kind: ImportKind,
    #[schema(max_items = 100)] // fixed lists; a test holds them to it
    pub columns: Vec<ImportColumn>,
    /// Headers read past without a warning (serial numbers, names, remarks, and for
    /// enterprises the read-only columns of exports).
    #[schema(max_items = 100)] // fixed lists; a test holds them to it
    pub ignored_headers: Vec<&'static str>,
    /// Rows looked at for the header row when `header_row` is not given.
    pub header_search_rows: u64,
}

pub fn columns_of(kind: ImportKind) -> ImportColumns {
    let columns = kind
        .columns()
        .iter()
        .map(|(field, required, aliases)| ImportColumn {
            field,
            label_zh: aliases.first().copied().unwrap_or(field),
            required: *required,
            headers: aliases.to_vec(),
            money: field.ends_with("_yuan"),
        })
        .collect();
    let mut ignored_headers = INFORMATIONAL.to_vec();
    if kind == ImportKind::Enterprises {
        ignored_headers.extend(EXPORT_ONLY.iter().flat_map(|(en, zh)| [*en, *zh]));
    }
    ImportColumns {
        kind,
        columns,
        ignored_headers,
        header_search_rows: MAX_TITLE_ROWS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `max_items` the document states for each list.
    const MAX_LISTED: usize = 100;

    #[test]
    fn every_list_stays_within_the_documented_bound() {
        let kinds = [
            ImportKind::Enterprises,
            ImportKind::AnnualReports,
            ImportKind::PoolEntries,
            ImportKind::Certificates,
            ImportKind::Labels,
        ];
        for kind in kinds {
            let listed = columns_of(kind);
            assert!(listed.columns.len() <= MAX_LISTED, "{kind:?} columns");
            assert!(
                listed.ignored_headers.len() <= MAX_LISTED,
                "{kind:?} ignored"
            );
            for column in &listed.columns {
                assert!(column.headers.len() <= MAX_LISTED, "{}", column.field);
            }
        }
    }
}
