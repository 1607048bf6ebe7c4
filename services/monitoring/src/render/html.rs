//! The bulletin as one self-contained HTML page: inline CSS, inline SVG charts, no script,
//! no external asset (intranet machines have no internet). It prints on A4 with the text
//! block and fonts of the Word version, table headers repeated on each printed page and page
//! numbers "— 1 —" at the foot. Every text is escaped; every figure cell also carries its
//! number in `data-value`.

use super::escape;
use super::layout::{Block, Cell, Chart, Table, layout};
use super::svg;
use crate::bulletin::Bulletin;
use crate::bulletin::text::date_zh;

const STYLE: &str = r#"
@page { size: A4; margin: 37mm 26mm 35mm 28mm;
  @bottom-center { content: "— " counter(page) " —"; font-family: "SimSun", "宋体", serif; font-size: 14pt; } }
:root { --title: "方正小标宋简体", "FZXiaoBiaoSong-B05S", "SimSun", "宋体", "Songti SC", "Noto Serif CJK SC", serif;
  --body: "仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", serif;
  --hei: "黑体", "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif;
  --kai: "楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti", "Noto Serif CJK SC", serif; }
body { font-family: var(--body); font-size: 16pt; line-height: 28pt; color: #000; background: #fff;
  max-width: 156mm; margin: 0 auto; padding: 16mm 8mm; }
.issuer { font-family: var(--title); font-size: 26pt; line-height: 40pt; text-align: center; }
.doc-number { text-align: center; }
.masthead { border-bottom: 2px solid #000; padding-bottom: 6pt; margin-bottom: 28pt; }
h1 { font-family: var(--title); font-size: 22pt; line-height: 35pt; font-weight: normal; text-align: center; margin: 0 0 28pt; }
h2 { font-family: var(--hei); font-size: 16pt; font-weight: normal; text-indent: 2em; margin: 0; break-after: avoid; }
h3 { font-family: var(--kai); font-size: 16pt; font-weight: normal; text-indent: 2em; margin: 0; break-after: avoid; }
p { text-indent: 2em; margin: 0; text-align: justify; }
p.addressees { text-indent: 0; }
table { width: 100%; border-collapse: collapse; font-size: 10.5pt; line-height: 1.45; margin: 4pt 0 12pt; }
caption { font-family: var(--hei); font-size: 14pt; line-height: 20pt; padding: 8pt 0 6pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #000; padding: 2pt 4pt; text-align: center; vertical-align: middle; }
th { font-family: var(--hei); font-weight: normal; background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.long { text-align: left; }
figure.chart { margin: 4pt 0 12pt; break-inside: avoid; page-break-inside: avoid; }
figure.chart svg { max-width: 100%; height: auto; }
.signature { text-align: right; padding-right: 4em; margin-top: 28pt; }
.notes { font-size: 14pt; line-height: 20pt; margin-top: 28pt; }
.notes p { text-indent: 0; }
.notes ol { margin: 0; padding-left: 2em; }
@media print { body { max-width: none; padding: 0; } }
"#;

fn cell(cell: &Cell, long: bool) -> String {
    let shown = escape(&cell.display());
    let value = match cell {
        Cell::Integer(i) => Some(i.to_string()),
        Cell::Number(n) | Cell::Percent(n) | Cell::Change { delta: n, .. } => Some(n.to_string()),
        Cell::Text(_) | Cell::Empty => None,
    };
    match value {
        Some(v) => format!("<td class=\"num\" data-value=\"{v}\">{shown}</td>"),
        None if long => format!("<td class=\"long\">{shown}</td>"),
        None => format!("<td>{shown}</td>"),
    }
}

fn table(table: &Table) -> String {
    let total: u32 = table.columns.iter().map(|c| c.weight).sum::<u32>().max(1);
    let mut html = format!(
        "<table data-table=\"{}\"><caption>{}</caption><colgroup>",
        table.number,
        escape(&table.title())
    );
    for column in &table.columns {
        html.push_str(&format!(
            "<col style=\"width:{:.2}%\">",
            f64::from(column.weight) * 100.0 / f64::from(total)
        ));
    }
    html.push_str("</colgroup><thead><tr>");
    for column in &table.columns {
        html.push_str(&format!(
            "<th scope=\"col\">{}</th>",
            escape(&column.header)
        ));
    }
    html.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        html.push_str("<tr>");
        for (value, column) in row.iter().zip(&table.columns) {
            html.push_str(&cell(value, column.weight >= 20));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

fn chart(chart: &Chart) -> String {
    let svg = match chart {
        Chart::Progress(bars) => svg::progress("主要指标完成进度（虚线为时序进度）", bars),
        Chart::Ranking(ranking) => svg::ranking(ranking),
    };
    format!("<figure class=\"chart\">{svg}</figure>")
}

fn head(b: &Bulletin) -> String {
    let mut html = format!(
        "<header class=\"masthead\"><div class=\"issuer\">{}</div>",
        escape(&b.issuer)
    );
    if let Some(number) = &b.document_number {
        html.push_str(&format!(
            "<div class=\"doc-number\">{}</div>",
            escape(number)
        ));
    }
    html.push_str(&format!(
        "</header><h1>{}</h1><p class=\"addressees\">{}：</p>",
        escape(&b.title),
        escape(&b.addressees)
    ));
    html
}

fn tail(b: &Bulletin) -> String {
    let mut html = format!(
        "<div class=\"signature\"><div>{}</div><div>{}</div></div>\
         <section class=\"notes\"><p>说明：</p><ol>",
        escape(&b.issuer),
        date_zh(b.issued_on)
    );
    for note in &b.notes {
        html.push_str(&format!("<li>{}</li>", escape(note)));
    }
    html.push_str("</ol></section>");
    html
}

/// The bulletin as a complete HTML document.
pub fn render(b: &Bulletin) -> String {
    let mut body = head(b);
    body.push_str("<main>");
    for block in layout(b) {
        match block {
            Block::Heading(text) => body.push_str(&format!("<h2>{}</h2>", escape(&text))),
            Block::Subheading(text) => body.push_str(&format!("<h3>{}</h3>", escape(&text))),
            Block::Paragraph(text) => body.push_str(&format!("<p>{}</p>", escape(&text))),
            Block::Table(t) => body.push_str(&table(&t)),
            Block::Chart(c) => body.push_str(&chart(&c)),
        }
    }
    body.push_str("</main>");
    body.push_str(&tail(b));
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(&b.title)
    )
}
