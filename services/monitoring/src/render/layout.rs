//! The bulletin's body as format-neutral blocks: headings, paragraphs, numbered tables and
//! charts. Word and HTML lay out the same blocks and Excel writes the same tables (one sheet
//! each), so the three show the same figures in the same places.

use std::borrow::Cow;

use hte_shared::regions::RegionLevel;

use super::svg;
use crate::bulletin::text::{self, ordinal_zh};
use crate::bulletin::{AssessedLevel, Assessment, Bulletin, IndicatorLine, Reading, RegionTable};

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// 一级标题: 一、总体进展
    Heading(String),
    /// 二级标题: （一）高新技术企业总数
    Subheading(String),
    Paragraph(String),
    Table(Table),
    /// A chart; HTML draws it, Word and Excel leave it out (the table beside it has the
    /// figures).
    Chart(Chart),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Progress bars of the headline indicators against 时序进度.
    Progress(Vec<svg::Progress>),
    /// The subdivisions ranked.
    Ranking(svg::Ranking),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// 表1, 表2, … in order of appearance.
    pub number: usize,
    /// The caption without its number, e.g. 主要指标完成情况.
    pub caption: String,
    /// A short name for the table's Excel sheet, e.g. 主要指标.
    pub sheet: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// 表1　主要指标完成情况
    pub fn title(&self) -> String {
        format!("表{}　{}", self.number, self.caption)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: Cow<'static, str>,
    /// Relative width; Word turns the weights into twips that add up to the text width.
    pub weight: u32,
}

const fn col(header: &'static str, weight: u32) -> Column {
    Column {
        header: Cow::Borrowed(header),
        weight,
    }
}

/// A table cell: text, or a figure each format prints its own way (Excel as a number).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A count, exactly as stored.
    Integer(i64),
    /// A count or amount that may have decimals (a target).
    Number(f64),
    /// A decimal share or rate, shown as a percentage.
    Percent(f64),
    /// A change: of a count in its unit, of a share in percentage points.
    Change {
        delta: f64,
        share: bool,
    },
    /// No figure: —.
    Empty,
}

impl Cell {
    /// How Word and HTML print the cell.
    pub fn display(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Integer(i) => i.to_string(),
            Self::Number(n) => text::number(*n),
            Self::Percent(p) => text::percent(*p),
            Self::Change { delta, share: true } => {
                format!("{}个百分点", text::signed(*delta, true))
            }
            Self::Change {
                delta,
                share: false,
            } => text::signed(*delta, false),
            Self::Empty => "—".to_owned(),
        }
    }

    /// Whether the cell holds a figure (aligned right, written as a number).
    pub fn is_figure(&self) -> bool {
        !matches!(self, Self::Text(_) | Self::Empty)
    }
}

fn is_share(unit: &str) -> bool {
    unit == "ratio"
}

fn value_cell(unit: &str, reading: &Reading) -> Cell {
    match reading.value {
        Some(v) if is_share(unit) => Cell::Percent(v.value),
        Some(v) => Cell::Integer(v.numerator),
        None => Cell::Empty,
    }
}

fn target_cell(unit: &str, reading: &Reading) -> Cell {
    match reading.target {
        Some(t) if is_share(unit) => Cell::Percent(t),
        Some(t) => Cell::Number(t),
        None => Cell::Empty,
    }
}

fn opt<T>(value: Option<T>, cell: impl Fn(T) -> Cell) -> Cell {
    value.map_or(Cell::Empty, cell)
}

fn change_cell(unit: &str, change: Option<crate::bulletin::Change>) -> Cell {
    opt(change, |c| Cell::Change {
        delta: c.delta,
        share: is_share(unit),
    })
}

/// 已完成 / 达到 / 落后 / —: where the figure stands against 时序进度.
fn pace_cell(reading: &Reading) -> Cell {
    match (reading.met, reading.on_track) {
        (Some(true), _) => Cell::Text("已完成".to_owned()),
        (_, Some(true)) => Cell::Text("达到".to_owned()),
        (_, Some(false)) => Cell::Text("落后".to_owned()),
        _ => Cell::Empty,
    }
}

fn headline_table(number: usize, lines: &[IndicatorLine]) -> Table {
    let rows = lines
        .iter()
        .map(|line| {
            let r = &line.reading;
            let unit = line.unit.as_str();
            vec![
                Cell::Text(format!("{}（{}）", line.name_zh, unit_label(unit))),
                target_cell(unit, r),
                value_cell(unit, r),
                opt(r.completion, Cell::Percent),
                Cell::Percent(line.expected_completion),
                pace_cell(r),
                change_cell(unit, r.change_from_previous),
                change_cell(unit, r.change_from_year_earlier),
            ]
        })
        .collect();
    Table {
        number,
        caption: "主要指标完成情况".to_owned(),
        sheet: "主要指标".to_owned(),
        columns: vec![
            col("指标", 26),
            col("目标值", 11),
            col("完成值", 11),
            col("完成率", 10),
            col("时序进度", 10),
            col("进度", 8),
            col("环比", 12),
            col("同比", 12),
        ],
        rows,
    }
}

/// 家, 件, 元 or % for a column heading.
fn unit_label(unit: &str) -> &str {
    if is_share(unit) {
        "%"
    } else {
        text::unit_zh(unit)
    }
}

fn region_table(number: usize, table: &RegionTable) -> Table {
    let unit = table.unit.as_str();
    let share = is_share(unit);
    let mut columns = vec![col("排名", 7), col("地区", 15)];
    if share {
        columns.extend([col("分子", 11), col("分母", 11)]);
    }
    columns.extend([
        col("目标值", 11),
        col("完成值", 11),
        col("完成率", 10),
        col("进度", 7),
        col("环比", 11),
        col("同比", 11),
    ]);
    let rows = table
        .rows
        .iter()
        .map(|row| {
            let r = &row.reading;
            let mut cells = vec![
                opt(row.rank, |rank| Cell::Integer(i64::from(rank))),
                Cell::Text(row.name.clone()),
            ];
            if share {
                cells.push(opt(r.value, |v| Cell::Integer(v.numerator)));
                cells.push(opt(r.value.and_then(|v| v.denominator), Cell::Integer));
            }
            cells.extend([
                target_cell(unit, r),
                value_cell(unit, r),
                opt(r.completion, Cell::Percent),
                pace_cell(r),
                change_cell(unit, r.change_from_previous),
                change_cell(unit, r.change_from_year_earlier),
            ]);
            cells
        })
        .collect();
    let (level, short) = match table.level {
        RegionLevel::City => ("各设区市", "各市"),
        _ => ("各县（市、区）", "各县"),
    };
    Table {
        number,
        sheet: format!("{short}{}", table.indicator_name_zh),
        caption: format!(
            "{level}{}完成情况（{}；时序进度{}）",
            table.indicator_name_zh,
            unit_label(unit),
            text::percent(table.expected_completion)
        ),
        columns,
        rows,
    }
}

fn alerts_table(number: usize, b: &Bulletin) -> Table {
    let rows = b
        .alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            vec![
                Cell::Integer(i64::try_from(i + 1).unwrap_or(i64::MAX)),
                Cell::Text(a.region_name.clone()),
                Cell::Text(a.kind_zh.clone()),
                Cell::Text(a.severity_zh.clone()),
                Cell::Text(a.message_zh.clone()),
                Cell::Text(
                    if a.acknowledged {
                        "已确认"
                    } else {
                        "未确认"
                    }
                    .to_owned(),
                ),
            ]
        })
        .collect();
    Table {
        number,
        caption: "预警事项".to_owned(),
        sheet: "预警事项".to_owned(),
        columns: vec![
            col("序号", 6),
            col("地区", 13),
            col("预警类型", 15),
            col("级别", 7),
            col("预警内容", 49),
            col("处理", 10),
        ],
        rows,
    }
}

/// One assessment: per region its completion and points on each indicator of the scheme,
/// the province's bonus/penalty points, the total and the rank, as allocation published them.
fn assessment_table(number: usize, a: &Assessment, names: &[IndicatorLine]) -> Table {
    let rows = a
        .rows
        .iter()
        .map(|line| {
            let mut cells = vec![
                Cell::Integer(i64::from(line.rank)),
                Cell::Text(line.name.clone()),
            ];
            for score in &line.scores {
                cells.push(Cell::Percent(score.completion_rate));
                cells.push(Cell::Number(score.score));
            }
            cells.push(Cell::Number(line.adjustment_points));
            cells.push(Cell::Number(line.total));
            cells
        })
        .collect();
    let mut columns = vec![col("排名", 8), col("地区", 16)];
    for key in &a.indicators {
        let name = indicator_name(names, key);
        columns.push(Column {
            header: Cow::Owned(format!("{name}完成率")),
            weight: 12,
        });
        columns.push(Column {
            header: Cow::Owned(format!("{name}得分")),
            weight: 12,
        });
    }
    columns.extend([col("加减分", 10), col("总分", 12)]);
    let level = match a.level {
        AssessedLevel::City => "设区市",
        AssessedLevel::County => "县（市、区）",
    };
    Table {
        number,
        caption: format!("{}年度{level}考核结果", a.period),
        sheet: format!("{}年度考核", a.period),
        columns,
        rows,
    }
}

/// The indicator's Chinese name where the bulletin has it, else its key.
fn indicator_name<'a>(names: &'a [IndicatorLine], key: &'a str) -> &'a str {
    names
        .iter()
        .find(|line| line.key == key)
        .map_or(key, |line| line.name_zh.as_str())
}

fn ranking_chart(table: &RegionTable) -> Chart {
    let bars = table
        .rows
        .iter()
        .map(|row| {
            let r = &row.reading;
            let value = if table.ranked_by_completion {
                r.completion
            } else {
                r.value.map(|v| v.value)
            };
            svg::Bar {
                code: row.region_code.clone(),
                label: row.name.clone(),
                value,
                on_track: r.on_track,
            }
        })
        .collect();
    Chart::Ranking(svg::Ranking {
        title: format!("{}排名", table.indicator_name_zh),
        percent: table.ranked_by_completion || is_share(&table.unit),
        marker: table
            .ranked_by_completion
            .then_some(table.expected_completion),
        bars,
    })
}

fn progress_chart(lines: &[IndicatorLine]) -> Option<Chart> {
    let bars: Vec<svg::Progress> = lines
        .iter()
        .filter_map(|line| {
            Some(svg::Progress {
                key: line.key.clone(),
                label: line.name_zh.clone(),
                completion: line.reading.completion?,
                expected: line.expected_completion,
                on_track: line.reading.on_track.unwrap_or(false),
            })
        })
        .collect();
    (!bars.is_empty()).then_some(Chart::Progress(bars))
}

/// Numbers sections and tables as they come.
struct Numbering {
    section: usize,
    table: usize,
}

impl Numbering {
    fn heading(&mut self, text: &str) -> Block {
        self.section += 1;
        Block::Heading(format!("{}、{text}", ordinal_zh(self.section)))
    }

    fn table(&mut self) -> usize {
        self.table += 1;
        self.table
    }
}

/// The body of the bulletin, between the title block and the signature.
pub fn layout(b: &Bulletin) -> Vec<Block> {
    let mut n = Numbering {
        section: 0,
        table: 0,
    };
    let mut blocks = vec![Block::Paragraph(b.introduction.clone())];
    blocks.push(n.heading("总体进展"));
    blocks.extend(b.summary.iter().cloned().map(Block::Paragraph));
    blocks.push(Block::Table(headline_table(n.table(), &b.indicators)));
    blocks.extend(progress_chart(&b.indicators).map(Block::Chart));
    if let Some(first) = b.region_tables.first() {
        let level = match first.level {
            RegionLevel::City => "各设区市",
            _ => "各县（市、区）",
        };
        blocks.push(n.heading(&format!("{level}进展情况")));
        for (i, table) in b.region_tables.iter().enumerate() {
            blocks.push(Block::Subheading(format!(
                "（{}）{}",
                ordinal_zh(i + 1),
                table.indicator_name_zh
            )));
            blocks.push(Block::Paragraph(table.remark.clone()));
            blocks.push(Block::Table(region_table(n.table(), table)));
            blocks.push(Block::Chart(ranking_chart(table)));
        }
        blocks.push(n.heading("进度滞后地区"));
        blocks.extend(b.lagging_summary.iter().cloned().map(Block::Paragraph));
    }
    blocks.push(n.heading("预警情况"));
    blocks.push(Block::Paragraph(b.alerts_summary.clone()));
    if !b.alerts.is_empty() {
        blocks.push(Block::Table(alerts_table(n.table(), b)));
    }
    if !b.assessments.is_empty() {
        blocks.push(n.heading("考核结果"));
        for a in &b.assessments {
            let indicators: Vec<&str> = a
                .indicators
                .iter()
                .map(|key| indicator_name(&b.indicators, key))
                .collect();
            blocks.push(Block::Paragraph(format!(
                "{}年度考核结果已于{}发布，数据截至{}，按考核办法第{}版计分，考核指标为{}。",
                a.period,
                a.published_at
                    .map_or_else(|| "—".to_owned(), |t| text::date_zh(t.date())),
                text::date_zh(a.as_of),
                a.scheme_version,
                indicators.join("、")
            )));
            blocks.push(Block::Table(assessment_table(n.table(), a, &b.indicators)));
        }
    }
    blocks.push(n.heading("工作要求"));
    blocks.extend(b.requirements.iter().cloned().map(Block::Paragraph));
    blocks
}

/// Every table of the bulletin, in order.
pub fn tables(b: &Bulletin) -> Vec<Table> {
    layout(b)
        .into_iter()
        .filter_map(|block| match block {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .collect()
}
