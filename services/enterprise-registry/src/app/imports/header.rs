//! Finding the header row: below title rows that officials' sheets carry (`2024年高新技术企业
//! 年报`, a unit line), or on the row the caller names.

use hte_shared::problem::Problem;
use hte_shared::text;

use super::read::{FirstRow, Records, file_problem};
use super::{ImportWarning, Settings};
use crate::domain::import::{self, Header};

/// Rows looked at for the header when the caller does not name it.
pub const MAX_TITLE_ROWS: u64 = 20;

/// The header and the rows after it, with a warning for each row read past above it and each
/// column no field has.
pub(super) fn find_header(
    settings: &Settings,
    first: FirstRow,
    mut records: Records,
) -> Result<(Header, Records, Vec<ImportWarning>), Problem> {
    let mut candidate = first;
    let mut skipped: Vec<u64> = Vec::new();
    // The failure of the fullest row tried: the header with a problem, not a title.
    let mut best_failure: Option<(usize, import::HeaderError)> = None;
    loop {
        let (line, cells) = &candidate;
        let wanted = settings.header_row.is_none_or(|row| row == *line);
        if wanted {
            match import::resolve_header(settings.kind, cells, &settings.header_rules) {
                Ok(header) => {
                    let warnings = warnings_of(&header, &skipped);
                    return Ok((header, records, warnings));
                }
                Err(e) if settings.header_row.is_some() => return Err(header_problem(e)),
                Err(e) => {
                    let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
                    if best_failure.as_ref().is_none_or(|(most, _)| filled > *most) {
                        best_failure = Some((filled, e));
                    }
                }
            }
        }
        skipped.push(*line);
        let past_header_row = settings.header_row.is_some_and(|row| row <= *line);
        if past_header_row || settings.header_row.is_none() && skipped.len() as u64 > MAX_TITLE_ROWS
        {
            break;
        }
        candidate = match records.next() {
            Some(row) => row?,
            None => break,
        };
    }
    Err(match (settings.header_row, best_failure) {
        (None, Some((_, e))) => header_problem(e),
        (row, _) => {
            let row = row.unwrap_or(1);
            file_problem(
                "header_row",
                text!(
                    "row {row} of the file is empty or absent: no header there",
                    "文件第 {row} 行为空或不存在，找不到表头"
                ),
            )
        }
    })
}

fn header_problem(e: import::HeaderError) -> Problem {
    file_problem("header", e.text())
}

fn warnings_of(header: &Header, skipped: &[u64]) -> Vec<ImportWarning> {
    let mut warnings = Vec::new();
    let reason = match (skipped.first(), skipped.last()) {
        (Some(first), Some(last)) if first == last => Some((
            format!("row {first} above the header was read past as a title"),
            format!("表头上方第 {first} 行视为标题，未导入"),
        )),
        (Some(first), Some(last)) => Some((
            format!("rows {first} to {last} above the header were read past as titles"),
            format!("表头上方第 {first} 至 {last} 行视为标题，未导入"),
        )),
        _ => None,
    };
    if let Some((reason, reason_zh)) = reason {
        warnings.push(ImportWarning {
            column: None,
            reason,
            reason_zh,
        });
    }
    for unknown in &header.unknown {
        warnings.push(ImportWarning {
            column: Some(unknown.clone()),
            reason: "no field has this header: the column was read past (map it with `columns`)"
                .to_owned(),
            reason_zh: "没有与此表头对应的字段，该列未导入（可用 `columns` 参数映射）".to_owned(),
        });
    }
    super::kept_warnings(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::imports::{ImportView, MAX_KEPT_WARNINGS, MAX_LISTED_COLUMNS};

    #[test]
    fn unknown_columns_beyond_the_listed_ones_are_counted_in_one_warning() {
        let unknown: Vec<String> = (0..500).map(|n| format!("列{n}")).collect();
        let header = Header {
            columns: Vec::new(),
            unknown,
        };
        let warnings = warnings_of(&header, &[1, 2]);
        assert_eq!(warnings.len(), MAX_KEPT_WARNINGS);
        assert!(warnings[0].column.is_none(), "the title rows come first");
        assert_eq!(warnings[1].column.as_deref(), Some("列0"));
        assert_eq!(warnings[MAX_LISTED_COLUMNS].column.as_deref(), Some("列99"));
        let last = &warnings[MAX_KEPT_WARNINGS - 1];
        assert!(last.column.is_none() && last.reason.starts_with("400 more"));
        assert!(last.reason_zh.contains("400"));
        let folded_again = super::super::kept_warnings(warnings.clone());
        assert!(folded_again == warnings, "folding twice changes nothing");

        let schema = serde_json::to_value(<ImportView as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["properties"]["warnings"]["maxItems"],
            MAX_KEPT_WARNINGS
        );
    }
}
