//! Progress, proposals and assessments as the tables officials open in Excel: Chinese
//! headers, region names, numbers as numbers (written as CSV or XLSX by
//! [`hte_shared::export`]).

use hte_shared::export::{Cell, FileName, Table};

use super::allocations::AllocationView;
use super::assessments::AssessmentView;
use super::plans::Indicator;
use super::progress::{ProgressReport, ProgressRow};

/// The file's name: the Chinese and the ASCII title, each followed by `-` and `what` (the
/// same record keys in both).
fn file_name(display: &str, ascii: &str, what: String) -> FileName {
    FileName {
        display: format!("{display}-{what}"),
        ascii: format!("{ascii}-{what}"),
    }
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

fn progress_row(row: &ProgressRow) -> Vec<Cell> {
    vec![
        row.region_code.as_str().into(),
        row.name.as_str().into(),
        row.target.into(),
        row.actual.into(),
        row.completion_rate.into(),
        row.gap.into(),
        row.on_track.map(|on| if on { "是" } else { "否" }).into(),
        row.rank.map(i64::from).into(),
    ]
}

/// Progress (进度): the parent's line first, then one per region.
pub fn progress(report: &ProgressReport) -> (FileName, Table) {
    let what = format!(
        "{}-{}-{}-{}",
        report.plan_id, report.indicator, report.period, report.as_of
    );
    let name = file_name("进度", "progress", what);
    let mut rows = vec![progress_row(&report.parent)];
    rows.extend(report.items.iter().map(progress_row));
    let table = Table {
        sheet: "进度".to_owned(),
        headers: headers(&[
            "地区代码",
            "地区名称",
            "目标值",
            "实际完成",
            "完成率",
            "差距",
            "达到时序进度",
            "排名",
        ]),
        rows,
    };
    (name, table)
}

/// A proposed split (分解方案): one line per child region.
pub fn allocation(view: &AllocationView) -> (FileName, Table) {
    let what = format!("{}-{}-{}", view.region_code, view.indicator, view.period);
    let name = file_name("分解方案", "allocation", what);
    let rows = view
        .children
        .iter()
        .map(|c| {
            vec![
                c.region_code.as_str().into(),
                c.name.as_str().into(),
                c.weight.and_then(|w| i64::try_from(w).ok()).into(),
                c.minimum.into(),
                c.quota.into(),
                c.share.into(),
                if c.forced_to_minimum { "是" } else { "否" }.into(),
                c.current.into(),
            ]
        })
        .collect();
    let table = Table {
        sheet: "分解方案".to_owned(),
        headers: headers(&[
            "地区代码",
            "地区名称",
            "分解基数",
            "保底数",
            "精确份额",
            "分解目标",
            "按保底数确定",
            "现有目标",
        ]),
        rows,
    };
    (name, table)
}

/// An assessment (考核结果): per region, each indicator's inputs and points, the
/// adjustments, the total and the rank; the scheme version on every line.
pub fn assessment(view: &AssessmentView, indicators: &[Indicator]) -> (FileName, Table) {
    let what = format!("{}-{}-{}", view.plan_id, view.period, view.parent_code);
    let name = file_name("考核结果", "assessment", what);
    let mut head = headers(&["地区代码", "地区名称"]);
    for item in &view.scheme.rules.items {
        let label = indicators
            .iter()
            .find(|i| i.key == item.indicator)
            .map_or(item.indicator.as_str(), |i| i.name_zh.as_str());
        for column in [
            "目标",
            "完成数",
            "完成率",
            "时序进度",
            "基础得分",
            "加分",
            "扣分",
            "得分",
        ] {
            head.push(format!("{label} {column}"));
        }
    }
    head.extend(headers(&["加减分", "总分", "排名", "考核办法版本"]));
    let rows = view
        .rows
        .iter()
        .map(|line| {
            let mut cells: Vec<Cell> =
                vec![line.region_code.as_str().into(), line.name.as_str().into()];
            for s in &line.items {
                cells.extend([
                    s.target.into(),
                    s.achieved.into(),
                    s.completion_rate.into(),
                    s.expected_completion.into(),
                    s.base_points.into(),
                    s.bonus_points.into(),
                    s.deduction_points.into(),
                    s.score.into(),
                ]);
            }
            cells.extend([
                line.adjustment_points.into(),
                line.total.into(),
                i64::from(line.rank).into(),
                i64::from(view.scheme.version).into(),
            ]);
            cells
        })
        .collect();
    let table = Table {
        sheet: "考核结果".to_owned(),
        headers: head,
        rows,
    };
    (name, table)
}
