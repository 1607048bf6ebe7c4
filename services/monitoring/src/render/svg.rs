//! Charts as server-rendered SVG: progress against target with the 时序进度 marker, the
//! subdivisions ranked, small multiples of their completion, and a series over snapshots.
//!
//! Each chart is one `<svg role="img">` with an `aria-label` and a `<title>`, every mark has
//! its own `<title>` (a tooltip that reads the figure in Chinese), and every figure is also
//! an attribute a test or a script can read: `data-value`, `data-completion`,
//! `data-expected`, `data-region`, `data-key`, `data-label` — decimals as Rust prints an
//! `f64` (the shortest text that reads back as the same number). Text is escaped; the
//! charts need no script and no external asset.

use super::escape;
use crate::bulletin::text;

const FONT: &str =
    "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC','SimHei',sans-serif";
const ON_TRACK: &str = "#2e7d32";
const BEHIND: &str = "#c62828";
const NEUTRAL: &str = "#1565c0";
const TRACK: &str = "#e0e0e0";
const MARKER: &str = "#424242";

/// One headline indicator's progress (完成率) against 时序进度.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub key: String,
    pub label: String,
    /// value ÷ target, a decimal.
    pub completion: f64,
    /// 时序进度, a decimal.
    pub expected: f64,
    pub on_track: bool,
}

/// A region's bar in a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub code: String,
    pub label: String,
    /// Completion or value; `None` draws no bar (—).
    pub value: Option<f64>,
    /// Green when on track for 时序进度, red when not, blue when it does not apply.
    pub on_track: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub title: String,
    /// Values are decimals shown as percentages.
    pub percent: bool,
    /// 时序进度, drawn as a dashed line across the bars.
    pub marker: Option<f64>,
    pub bars: Vec<Bar>,
}

/// One region of the small multiples.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub code: String,
    pub label: String,
    pub completion: Option<f64>,
    pub expected: f64,
    pub on_track: Option<bool>,
}

/// A series over snapshots, e.g. the HTE count by period.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub title: String,
    /// The unit of the values (`enterprises`, `ratio`, …).
    pub unit: String,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The period, e.g. `2020-09`.
    pub label: String,
    pub value: f64,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Opens the root element; the caller appends marks and `</svg>`.
fn open(kind: &str, title: &str, width: u32, height: u32) -> String {
    let title = escape(title);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-{kind}\" role=\"img\" \
         aria-label=\"{title}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" \
         height=\"{height}\" font-family=\"{FONT}\" font-size=\"13\"><title>{title}</title>"
    )
}

/// A coordinate with one decimal: enough for a screen, short in the page.
fn px(x: f64) -> String {
    text::fixed(x, 1)
}

fn label_of(value: f64, percent: bool, unit: &str) -> String {
    if percent {
        text::percent(value)
    } else {
        text::value_with_unit(value, unit)
    }
}

const PROGRESS_WIDTH: f64 = 640.0;

/// Progress bars of indicators against their targets, with the 时序进度 marker.
pub fn progress(title: &str, bars: &[Progress]) -> String {
    let row = 52.0;
    let height = (bars.len() as f64 * row + 8.0).ceil() as u32;
    let mut svg = open("progress", title, PROGRESS_WIDTH as u32, height);
    let (x0, width) = (0.0, PROGRESS_WIDTH - 70.0);
    for (i, bar) in bars.iter().enumerate() {
        let (Some(completion), Some(expected)) = (finite(bar.completion), finite(bar.expected))
        else {
            continue;
        };
        let y = i as f64 * row + 4.0;
        let scale = completion.max(expected).max(1.0);
        let color = fill(Some(bar.on_track));
        let at = |share: f64| x0 + width * (share / scale).clamp(0.0, 1.0);
        let tip = format!(
            "{}：完成率{}，时序进度{}",
            bar.label,
            text::percent(completion),
            text::percent(expected)
        );
        svg.push_str(&format!(
            "<g class=\"progress\" data-key=\"{key}\" data-completion=\"{completion}\" \
             data-expected=\"{expected}\" data-on-track=\"{on}\"><title>{tip}</title>\
             <text x=\"0\" y=\"{ty}\">{label}</text>\
             <rect x=\"{x0}\" y=\"{by}\" width=\"{width}\" height=\"16\" fill=\"{TRACK}\"/>\
             <rect class=\"bar\" x=\"{x0}\" y=\"{by}\" width=\"{fw}\" height=\"16\" fill=\"{color}\"/>\
             <line class=\"marker\" x1=\"{mx}\" x2=\"{mx}\" y1=\"{my1}\" y2=\"{my2}\" \
             stroke=\"{MARKER}\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>\
             <text x=\"{vx}\" y=\"{vy}\">{value}</text></g>",
            key = escape(&bar.key),
            on = bar.on_track,
            tip = escape(&tip),
            ty = px(y + 13.0),
            label = escape(&bar.label),
            by = px(y + 20.0),
            fw = px(at(completion) - x0),
            mx = px(at(expected)),
            my1 = px(y + 16.0),
            my2 = px(y + 40.0),
            vx = px(width + 6.0),
            vy = px(y + 33.0),
            value = text::percent(completion),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn best_first(bars: &[Bar]) -> Vec<&Bar> {
    let mut sorted: Vec<&Bar> = bars.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |bar: &Bar| bar.value.and_then(finite);
        match (key(a), key(b)) {
            (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.code.cmp(&b.code)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.code.cmp(&b.code),
        }
    });
    sorted
}

fn fill(on_track: Option<bool>) -> &'static str {
    match on_track {
        Some(true) => ON_TRACK,
        Some(false) => BEHIND,
        None => NEUTRAL,
    }
}

/// The regions as horizontal bars, best first (regions without a figure last), with the
/// 时序进度 line labelled above them.
pub fn ranking(chart: &Ranking) -> String {
    let bars = best_first(&chart.bars);
    let (row, top) = (24.0, 24.0);
    let (label_w, value_w, width) = (110.0, 80.0, 640.0);
    let plot = width - label_w - value_w;
    let height = (bars.len() as f64 * row + top + 6.0).ceil() as u32;
    let max = bars
        .iter()
        .filter_map(|b| b.value.and_then(finite))
        .chain(chart.marker.and_then(finite))
        .fold(0.0_f64, f64::max);
    let scale = if chart.percent && max <= 1.0 {
        1.0
    } else {
        max.max(f64::MIN_POSITIVE)
    };
    let x_of = |v: f64| label_w + plot * (v / scale).clamp(0.0, 1.0);
    let mut svg = open("ranking", &chart.title, width as u32, height);
    for (i, bar) in bars.iter().enumerate() {
        let y = top + i as f64 * row;
        let label = escape(&bar.label);
        svg.push_str(&format!(
            "<g class=\"bar\" data-region=\"{}\" data-label=\"{label}\" data-position=\"{}\"",
            escape(&bar.code),
            i + 1
        ));
        let ty = px(y + 15.0);
        let Some(value) = bar.value.and_then(finite) else {
            svg.push_str(&format!(
                "><title>{label}：无数据</title><text x=\"0\" y=\"{ty}\">{label}</text>\
                 <text x=\"{}\" y=\"{ty}\">—</text></g>",
                px(label_w)
            ));
            continue;
        };
        let shown = label_of(value, chart.percent, "");
        let w = x_of(value) - label_w;
        svg.push_str(&format!(
            " data-value=\"{value}\"><title>{label}：{shown}</title>\
             <text x=\"0\" y=\"{ty}\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{by}\" width=\"{bw}\" height=\"16\" fill=\"{color}\"/>\
             <text x=\"{vx}\" y=\"{ty}\">{shown}</text></g>",
            by = px(y + 3.0),
            bw = px(w),
            color = fill(bar.on_track),
            vx = px(label_w + w + 6.0),
        ));
    }
    if let Some(marker) = chart.marker.and_then(finite) {
        let x = px(x_of(marker));
        let shown = format!("时序进度{}", text::percent(marker));
        svg.push_str(&format!(
            "<g class=\"marker\" data-value=\"{marker}\"><title>{shown}</title>\
             <text x=\"{x}\" y=\"14\" text-anchor=\"middle\" font-size=\"12\">{shown}</text>\
             <line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"{MARKER}\" \
             stroke-width=\"2\" stroke-dasharray=\"4 3\"/></g>",
            px(top - 4.0),
            px(f64::from(height) - 2.0),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// One small chart per region: its completion against 时序进度, in a grid.
pub fn small_multiples(title: &str, tiles: &[Tile]) -> String {
    let columns = 4_usize;
    let (tile_w, tile_h) = (160.0, 64.0);
    let rows = tiles.len().div_ceil(columns).max(1);
    let width = (columns as f64 * tile_w) as u32;
    let height = (rows as f64 * tile_h) as u32;
    let mut svg = open("small-multiples", title, width, height);
    for (i, tile) in tiles.iter().enumerate() {
        let x = (i % columns) as f64 * tile_w;
        let y = (i / columns) as f64 * tile_h;
        let label = escape(&tile.label);
        let bar_w = tile_w - 16.0;
        let completion = tile.completion.and_then(finite);
        let expected = finite(tile.expected).unwrap_or(0.0);
        let scale = completion.unwrap_or(0.0).max(expected).max(1.0);
        let at = |share: f64| bar_w * (share / scale).clamp(0.0, 1.0);
        let color = fill(tile.on_track);
        let shown = completion.map_or_else(|| "—".to_owned(), text::percent);
        svg.push_str(&format!(
            "<g class=\"tile\" transform=\"translate({},{})\" data-region=\"{}\" \
             data-label=\"{label}\" data-expected=\"{expected}\"",
            px(x),
            px(y),
            escape(&tile.code)
        ));
        if let Some(c) = completion {
            svg.push_str(&format!(" data-completion=\"{c}\""));
        }
        svg.push_str(&format!(
            "><title>{label}：完成率{shown}，时序进度{exp}</title>\
             <text x=\"8\" y=\"18\">{label}</text><text x=\"{vx}\" y=\"18\" \
             text-anchor=\"end\" font-weight=\"bold\">{shown}</text>\
             <rect x=\"8\" y=\"28\" width=\"{bar_w}\" height=\"12\" fill=\"{TRACK}\"/>\
             <rect class=\"bar\" x=\"8\" y=\"28\" width=\"{fw}\" height=\"12\" fill=\"{color}\"/>\
             <line class=\"marker\" x1=\"{mx}\" x2=\"{mx}\" y1=\"24\" y2=\"44\" \
             stroke=\"{MARKER}\" stroke-width=\"2\"/></g>",
            exp = text::percent(expected),
            vx = px(tile_w - 8.0),
            fw = px(completion.map_or(0.0, at)),
            mx = px(8.0 + at(expected)),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A rounded-up axis maximum: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten.
fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let power = 10_f64.powf(max.log10().floor());
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|c| *c >= max)
        .unwrap_or(10.0 * power)
}

/// The series as a line with a dot per snapshot, on an axis from zero.
pub fn line(series: &Series) -> String {
    let (width, height) = (640.0, 260.0);
    let (left, right, top, bottom) = (64.0, 40.0, 16.0, 40.0);
    let (plot_w, plot_h) = (width - left - right, height - top - bottom);
    let percent = series.unit == "ratio";
    let points: Vec<&Point> = series
        .points
        .iter()
        .filter(|p| p.value.is_finite())
        .collect();
    let ceiling = nice_ceiling(points.iter().map(|p| p.value).fold(0.0, f64::max));
    let mut svg = open("line", &series.title, width as u32, height as u32);
    let y_of = |v: f64| top + plot_h * (1.0 - (v / ceiling).clamp(0.0, 1.0));
    for tick in 0..=4 {
        let v = ceiling * f64::from(tick) / 4.0;
        let y = px(y_of(v));
        svg.push_str(&format!(
            "<g class=\"tick\" data-value=\"{v}\"><line x1=\"{left}\" x2=\"{}\" y1=\"{y}\" \
             y2=\"{y}\" stroke=\"{TRACK}\"/><text x=\"{}\" y=\"{y}\" text-anchor=\"end\" \
             dominant-baseline=\"middle\">{}</text></g>",
            px(width - right),
            px(left - 6.0),
            label_of(v, percent, "")
        ));
    }
    if points.is_empty() {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">暂无数据</text>",
            px(width / 2.0),
            px(height / 2.0)
        ));
    }
    let step = plot_w / (points.len().max(2) - 1) as f64;
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (left + step * i as f64, y_of(p.value)))
        .collect();
    if xy.len() > 1 {
        let path: Vec<String> = xy
            .iter()
            .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
            .collect();
        svg.push_str(&format!(
            "<polyline class=\"line\" fill=\"none\" stroke=\"{NEUTRAL}\" stroke-width=\"2\" \
             points=\"{}\"/>",
            path.join(" ")
        ));
    }
    for (point, (x, y)) in points.iter().zip(&xy) {
        let label = escape(&point.label);
        let shown = label_of(point.value, percent, &series.unit);
        svg.push_str(&format!(
            "<g class=\"point\" data-label=\"{label}\" data-value=\"{value}\">\
             <title>{label}：{shown}</title><circle cx=\"{cx}\" cy=\"{cy}\" r=\"4\" \
             fill=\"{NEUTRAL}\"/><text x=\"{cx}\" y=\"{ly}\" text-anchor=\"middle\">{label}</text></g>",
            value = point.value,
            cx = px(*x),
            cy = px(*y),
            ly = px(height - bottom + 20.0),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests;
