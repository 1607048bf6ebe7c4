//! The charts' structure and numbers, read back with an XML parser.

use std::collections::BTreeMap;

use quick_xml::events::Event;

use super::*;

/// Each element's name and attributes, in document order; panics on malformed XML.
fn elements(svg: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.decode_and_unescape_value(reader.decoder())
                                .unwrap()
                                .into_owned(),
                        )
                    })
                    .collect();
                out.push((
                    String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                    attrs,
                ));
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

fn with_class<'a>(
    elements: &'a [(String, BTreeMap<String, String>)],
    class: &str,
) -> Vec<&'a BTreeMap<String, String>> {
    elements
        .iter()
        .filter(|(_, a)| a.get("class").map(String::as_str) == Some(class))
        .map(|(_, a)| a)
        .collect()
}

fn root(svg: &str) -> BTreeMap<String, String> {
    let els = elements(svg);
    assert_eq!(els[0].0, "svg");
    assert_eq!(els[0].1["role"], "img");
    assert_eq!(els[1].0, "title", "the title comes first");
    els[0].1.clone()
}

#[test]
fn progress_bars_carry_completion_and_the_schedule_marker() {
    let bars = [
        Progress {
            key: "hte_count".to_owned(),
            label: "高新技术企业总数".to_owned(),
            completion: 25_850.0 / 30_000.0,
            expected: 639.0 / 731.0,
            on_track: true,
        },
        Progress {
            key: "zone".to_owned(),
            label: "<占比>".to_owned(),
            completion: 1.2,
            expected: 0.5,
            on_track: false,
        },
    ];
    let svg = progress("主要指标", &bars);
    assert_eq!(root(&svg)["aria-label"], "主要指标");
    let els = elements(&svg);
    let groups = with_class(&els, "progress");
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["data-key"], "hte_count");
    assert_eq!(
        groups[0]["data-completion"].parse::<f64>().unwrap(),
        25_850.0 / 30_000.0
    );
    assert_eq!(
        groups[0]["data-expected"].parse::<f64>().unwrap(),
        639.0 / 731.0
    );
    assert_eq!(groups[1]["data-on-track"], "false");
    // The bar's width is its share of the track; over 100 % the track scales to fit.
    let fills = with_class(&els, "bar");
    let markers = with_class(&els, "marker");
    let width = |a: &BTreeMap<String, String>| a["width"].parse::<f64>().unwrap();
    assert!((width(fills[0]) - 570.0 * 25_850.0 / 30_000.0).abs() < 0.1);
    assert_eq!(width(fills[1]), 570.0);
    assert!((markers[1]["x1"].parse::<f64>().unwrap() - 570.0 * 0.5 / 1.2).abs() < 0.1);
    assert!(svg.contains("<text x=\"0\" y=\"69.0\">&lt;占比&gt;</text>"));
    assert!(svg.contains("<title>高新技术企业总数：完成率86.17%，时序进度87.41%</title>"));
}

fn bar(code: &str, label: &str, value: Option<f64>, on_track: Option<bool>) -> Bar {
    Bar {
        code: code.to_owned(),
        label: label.to_owned(),
        value,
        on_track,
    }
}

#[test]
fn the_ranking_puts_the_best_first_and_the_missing_last() {
    let chart = Ranking {
        title: "高新技术企业总数排名".to_owned(),
        percent: true,
        marker: Some(0.8741),
        bars: vec![
            bar("320100", "南京市", Some(0.9333), Some(true)),
            bar("321300", "宿迁市", None, None),
            bar("320700", "连云港市", Some(0.6667), Some(false)),
            // Below the line but within the margin: on track.
            bar("320200", "无锡市", Some(0.825), Some(true)),
            bar("320500", "苏州市", Some(0.9286), Some(true)),
        ],
    };
    let svg = ranking(&chart);
    root(&svg);
    let els = elements(&svg);
    let bars = with_class(&els, "bar");
    let order: Vec<&str> = bars.iter().map(|b| b["data-region"].as_str()).collect();
    assert_eq!(order, ["320100", "320500", "320200", "320700", "321300"]);
    let positions: Vec<&str> = bars.iter().map(|b| b["data-position"].as_str()).collect();
    assert_eq!(positions, ["1", "2", "3", "4", "5"]);
    assert_eq!(bars[0]["data-value"], "0.9333");
    assert_eq!(bars[0]["data-label"], "南京市");
    assert!(!bars[4].contains_key("data-value"), "no figure, no value");
    let marker = with_class(&els, "marker");
    assert_eq!(marker[0]["data-value"], "0.8741");
    assert!(
        svg.contains(">时序进度87.41%</text>"),
        "the line is labelled"
    );
    // A bar's width is its share of the plot (450 px for 100 %).
    let widths: Vec<f64> = els
        .iter()
        .filter(|(n, a)| n == "rect" && a.contains_key("fill"))
        .map(|(_, a)| a["width"].parse().unwrap())
        .collect();
    assert_eq!(widths, [420.0, 417.9, 371.2, 300.0]);
    // On track in green, behind in red: the colour follows the standing, not the line.
    let rects: Vec<&str> = els
        .iter()
        .filter(|(n, a)| n == "rect" && a.contains_key("fill"))
        .map(|(_, a)| a["fill"].as_str())
        .collect();
    assert_eq!(rects, [ON_TRACK, ON_TRACK, ON_TRACK, BEHIND]);
    assert!(svg.contains("<title>连云港市：66.67%</title>"));
}

#[test]
fn small_multiples_draw_one_tile_per_region() {
    let tiles: Vec<Tile> = (0..13)
        .map(|i| Tile {
            code: format!("32{:02}00", i + 1),
            label: format!("市{i}"),
            completion: (i != 12).then_some(0.5 + f64::from(i) / 20.0),
            expected: 0.8741,
            on_track: (i != 12).then_some(i >= 8),
        })
        .collect();
    let svg = small_multiples("各设区市完成率", &tiles);
    let r = root(&svg);
    assert_eq!(
        (r["width"].as_str(), r["height"].as_str()),
        ("640", "256"),
        "4 × 4 grid"
    );
    let els = elements(&svg);
    let tiles_read = with_class(&els, "tile");
    assert_eq!(tiles_read.len(), 13);
    assert_eq!(tiles_read[2]["data-completion"], "0.6");
    assert_eq!(tiles_read[2]["data-expected"], "0.8741");
    assert!(!tiles_read[12].contains_key("data-completion"));
    assert_eq!(tiles_read[5]["transform"], "translate(160.0,64.0)");
    assert!(svg.contains("<title>市12：完成率—，时序进度87.41%</title>"));
}

#[test]
fn the_line_chart_plots_each_snapshot_on_an_axis_from_zero() {
    let series = Series {
        title: "高新技术企业数量走势".to_owned(),
        unit: "enterprises".to_owned(),
        points: ["2020-07", "2020-08", "2020-09"]
            .iter()
            .zip([24_900.0, 25_360.0, 25_850.0])
            .map(|(label, value)| Point {
                label: (*label).to_owned(),
                value,
            })
            .collect(),
    };
    let svg = line(&series);
    root(&svg);
    let els = elements(&svg);
    let points = with_class(&els, "point");
    let values: Vec<&str> = points.iter().map(|p| p["data-value"].as_str()).collect();
    assert_eq!(values, ["24900", "25360", "25850"]);
    assert_eq!(points[2]["data-label"], "2020-09");
    let ticks: Vec<&str> = with_class(&els, "tick")
        .iter()
        .map(|t| t["data-value"].as_str())
        .collect();
    assert_eq!(ticks, ["0", "7500", "15000", "22500", "30000"]);
    let line_points = &with_class(&els, "line")[0]["points"];
    assert_eq!(line_points.split(' ').count(), 3);
    // x = 64 + 536 × 2 / 2; y = 16 + 204 × (1 − 25850 / 30000) = 44.2
    assert!(line_points.ends_with(" 600.0,44.2"), "{line_points}");
    assert!(svg.contains("<title>2020-09：25850家</title>"));
    // No points: an empty axis that says so.
    let empty = line(&Series {
        points: vec![],
        ..series
    });
    assert!(empty.contains("暂无数据"));
    assert_eq!(nice_ceiling(0.62), 0.8);
    assert_eq!(nice_ceiling(1.3), 1.5);
    assert_eq!(nice_ceiling(9_000.0), 10_000.0);
    assert_eq!(nice_ceiling(0.0), 1.0);
}
