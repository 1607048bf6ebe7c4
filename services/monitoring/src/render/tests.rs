//! Each format rendered from the fixture's bulletin and read back with an independent
//! reader: the DOCX unzipped and its XML parsed, the XLSX through calamine, the HTML as
//! text, the JSON through serde.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use quick_xml::events::{BytesStart, Event};

use super::*;
use crate::bulletin::fixture::{CITIES, fixture, options, province_bulletin};
use crate::bulletin::{Bulletin, build};

/// Every part of a ZIP package, as text.
fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().unwrap().into_owned(), text)
        })
        .collect()
}

#[derive(Debug, Default)]
struct Para {
    style: String,
    east_asia: Vec<String>,
    text: String,
}

#[derive(Debug, Default)]
struct Document {
    paragraphs: Vec<Para>,
    /// Table → row → cell text.
    tables: Vec<Vec<Vec<String>>>,
    /// Per table, the sum of its grid columns (twips).
    grid_widths: Vec<u32>,
    /// Per table, how many rows repeat as a header.
    header_rows: Vec<usize>,
    /// Every element seen, with its attributes, for spot checks.
    elements: Vec<(String, BTreeMap<String, String>)>,
}

fn attributes(
    e: &BytesStart<'_>,
    decoder: quick_xml::encoding::Decoder,
) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                a.decode_and_unescape_value(decoder).unwrap().into_owned(),
            )
        })
        .collect()
}

/// Parses WordprocessingML strictly (end tags must match) into paragraphs and tables.
fn parse_word(xml: &str) -> Document {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut doc = Document::default();
    let mut para: Option<Para> = None;
    let mut in_text = false;
    loop {
        let event = reader.read_event().unwrap();
        let text = match &event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let attrs = attributes(e, reader.decoder());
                match name.as_str() {
                    "w:p" if matches!(event, Event::Start(_)) => para = Some(Para::default()),
                    "w:pStyle" => {
                        if let Some(p) = para.as_mut() {
                            p.style = attrs["w:val"].clone();
                        }
                    }
                    "w:rFonts" => {
                        if let (Some(p), Some(face)) = (para.as_mut(), attrs.get("w:eastAsia")) {
                            p.east_asia.push(face.clone());
                        }
                    }
                    "w:t" => in_text = matches!(event, Event::Start(_)),
                    "w:tbl" => {
                        doc.tables.push(Vec::new());
                        doc.grid_widths.push(0);
                        doc.header_rows.push(0);
                    }
                    "w:gridCol" => {
                        *doc.grid_widths.last_mut().unwrap() +=
                            attrs["w:w"].parse::<u32>().unwrap();
                    }
                    "w:tblHeader" => *doc.header_rows.last_mut().unwrap() += 1,
                    "w:tr" => doc.tables.last_mut().unwrap().push(Vec::new()),
                    "w:tc" => doc
                        .tables
                        .last_mut()
                        .unwrap()
                        .last_mut()
                        .unwrap()
                        .push(String::new()),
                    _ => {}
                }
                doc.elements.push((name, attrs));
                None
            }
            Event::Text(t) if in_text => Some(t.decode().unwrap().into_owned()),
            Event::GeneralRef(r) if in_text => Some(match r.resolve_char_ref().unwrap() {
                Some(c) => c.to_string(),
                None => match r.decode().unwrap().as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unknown entity {other}"),
                }
                .to_owned(),
            }),
            Event::End(e) => {
                match e.name().as_ref() {
                    b"w:t" => in_text = false,
                    b"w:p" => doc.paragraphs.extend(para.take()),
                    _ => {}
                }
                None
            }
            Event::Eof => break,
            _ => None,
        };
        if let Some(text) = text {
            para.as_mut().unwrap().text.push_str(&text);
            let open_cell = doc
                .tables
                .last_mut()
                .and_then(|t| t.last_mut())
                .and_then(|r| r.last_mut());
            // Text inside a table cell: the reader is between <w:tc> and </w:tc> only while
            // the cell is the last one opened; paragraphs after the table are not in a cell.
            if let Some(cell) = open_cell.filter(|_| para.as_ref().unwrap().style == "TableText") {
                cell.push_str(&text);
            }
        }
    }
    doc
}

fn docx_of(b: &Bulletin) -> (BTreeMap<String, String>, Document) {
    let parts = unzip(&render(BulletinFormat::Docx, b).unwrap());
    // Every part is well-formed XML.
    for (name, xml) in &parts {
        let mut reader = quick_xml::Reader::from_str(xml);
        while !matches!(
            reader
                .read_event()
                .unwrap_or_else(|e| panic!("{name}: {e}")),
            Event::Eof
        ) {}
    }
    let doc = parse_word(&parts["word/document.xml"]);
    (parts, doc)
}

fn row_of<'a>(table: &'a [Vec<String>], name: &str) -> &'a [String] {
    table
        .iter()
        .find(|row| row.iter().any(|c| c == name))
        .unwrap_or_else(|| panic!("no row for {name}"))
}

#[test]
fn the_docx_holds_the_title_every_city_and_the_exact_figures() {
    let b = province_bulletin();
    let (parts, doc) = docx_of(&b);
    the_title_block_is_set_in_the_official_fonts(&doc, &b);
    the_tables_hold_the_exact_figures(&doc);
    the_page_is_a4_with_numbered_footers(&doc, &parts);
}

/// The title, issuer, document number, addressee and date, in the official document fonts.
fn the_title_block_is_set_in_the_official_fonts(doc: &Document, b: &Bulletin) {
    let texts: Vec<&str> = doc.paragraphs.iter().map(|p| p.text.as_str()).collect();
    let title = doc
        .paragraphs
        .iter()
        .find(|p| p.style == "DocTitle")
        .unwrap();
    assert_eq!(
        title.text,
        "关于2020年9月全省高新技术企业培育工作进展情况的通报"
    );
    assert_eq!(title.east_asia, ["方正小标宋简体"]);
    assert!(texts.contains(&"江苏省科学技术厅") && texts.contains(&"苏科高〔2020〕12号"));
    assert!(texts.contains(&"各设区市科技局："));
    assert!(texts.contains(&"2020年10月9日"));
    let heading = doc
        .paragraphs
        .iter()
        .find(|p| p.text == "一、总体进展")
        .unwrap();
    assert_eq!(
        (heading.style.as_str(), heading.east_asia[0].as_str()),
        ("Level1", "黑体")
    );
    let body = doc
        .paragraphs
        .iter()
        .find(|p| p.text == b.summary[0])
        .unwrap();
    assert_eq!(body.east_asia, ["仿宋_GB2312"]);
}

fn the_tables_hold_the_exact_figures(doc: &Document) {
    // 表1: the headline figures.
    let headline = &doc.tables[0];
    assert_eq!(
        headline[0],
        [
            "指标",
            "目标值",
            "完成值",
            "完成率",
            "时序进度",
            "进度",
            "环比",
            "同比"
        ]
    );
    assert_eq!(
        headline[1],
        [
            "高新技术企业总数（家）",
            "30000",
            "25850",
            "86.17%",
            "87.41%",
            "达到",
            "+490",
            "+3800"
        ]
    );
    assert_eq!(headline[2][2], "51.61%");
    // 表2: every city with its exact count, target and changes.
    let cities = &doc.tables[1];
    assert_eq!(cities.len(), 14);
    for (code, name, target, sep, aug, last_year, _) in CITIES {
        let row = row_of(cities, name);
        assert_eq!(row[2..4], [target.to_string(), sep.to_string()], "{code}");
        assert_eq!(row[6], format!("{:+}", sep - aug), "{name}");
        assert_eq!(row[7], format!("{:+}", sep - last_year), "{name}");
    }
    assert_eq!(
        row_of(cities, "连云港市")[..6],
        ["13", "连云港市", "600", "400", "66.67%", "落后"]
    );
    // 表3: the share with its exact numerators and denominators; 宿迁 has none.
    let zone = &doc.tables[2];
    assert_eq!(
        row_of(zone, "苏州市")[..6],
        ["1", "苏州市", "3900", "6500", "—", "60.00%"]
    );
    assert_eq!(row_of(zone, "宿迁市")[2..4], ["—", "—"]);
    // 表4 the alerts, 表5 the published assessment.
    assert_eq!(doc.tables.len(), 5);
    assert_eq!(doc.tables[3].len(), 1 + 4);
    // The assessment as allocation published it: per indicator of the scheme its completion
    // and points (named where the bulletin knows the indicator), then adjustments and total.
    let assessment = &doc.tables[4];
    assert_eq!(
        assessment[0],
        [
            "排名",
            "地区",
            "new_hte完成率",
            "new_hte得分",
            "高新技术企业总数完成率",
            "高新技术企业总数得分",
            "加减分",
            "总分"
        ]
    );
    assert_eq!(
        row_of(assessment, "苏州市"),
        ["5", "苏州市", "100.00%", "56", "100.00%", "40", "0", "96"]
    );
}

/// Tables fit the text block exactly and repeat their header row; page numbers are a PAGE
/// field between dashes, odd pages right, even left.
fn the_page_is_a4_with_numbered_footers(doc: &Document, parts: &BTreeMap<String, String>) {
    assert!(
        doc.grid_widths.iter().all(|w| *w == docx::TEXT_WIDTH),
        "{:?}",
        doc.grid_widths
    );
    assert_eq!(docx::TEXT_WIDTH, 8845, "156 mm");
    assert_eq!(doc.header_rows, [1; 5]);
    let page = doc.elements.iter().find(|(n, _)| n == "w:pgSz").unwrap();
    assert_eq!(
        (page.1["w:w"].as_str(), page.1["w:h"].as_str()),
        ("11906", "16838")
    );

    for (part, align) in [("word/footer1.xml", "right"), ("word/footer2.xml", "left")] {
        let footer = parse_word(&parts[part]);
        assert_eq!(footer.paragraphs[0].text, "— 1 —");
        let has = |name: &str, key: &str, value: &str| {
            footer
                .elements
                .iter()
                .any(|(n, a)| n == name && a.get(key).map(String::as_str) == Some(value))
        };
        assert!(has("w:jc", "w:val", align) && has("w:fldChar", "w:fldCharType", "begin"));
        assert!(parts[part].contains("<w:instrText xml:space=\"preserve\"> PAGE </w:instrText>"));
    }
    assert!(parts["word/settings.xml"].contains("<w:evenAndOddHeaders/>"));
    assert!(
        parts["word/fontTable.xml"]
            .contains("<w:font w:name=\"仿宋_GB2312\"><w:altName w:val=\"仿宋\"/>")
    );
    assert!(parts["[Content_Types].xml"].contains("/word/footer2.xml"));
}

#[test]
fn the_docx_is_reproducible_and_escapes_stored_text() {
    let mut b = province_bulletin();
    assert_eq!(
        render(BulletinFormat::Docx, &b).unwrap(),
        render(BulletinFormat::Docx, &b).unwrap()
    );
    b.issuer = "A&B <厅>\u{1}".to_owned();
    let (_, doc) = docx_of(&b);
    assert!(doc.paragraphs.iter().any(|p| p.text == "A&B <厅>"));
}

fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn the_xlsx_has_a_sheet_per_table_with_numbers_as_numbers() {
    let b = province_bulletin();
    let bytes = render(BulletinFormat::Xlsx, &b).unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "表1 主要指标",
            "表2 各市高新技术企业总数",
            "表3 各市省级以上高新区内高新技术企业数量占比",
            "表4 预警事项",
            "表5 2019年度考核",
            "说明",
        ]
        .map(|s| s.chars().take(31).collect::<String>())
    );
    let cities = book.worksheet_range("表2 各市高新技术企业总数").unwrap();
    assert_eq!(cities.get((1, 1)), Some(&Data::String("地区".to_owned())));
    for (i, (code, name, target, sep, aug, last_year, _)) in CITIES.into_iter().enumerate() {
        let row = i + 2;
        assert_eq!(
            cities.get((row, 1)),
            Some(&Data::String(name.to_owned())),
            "{code}"
        );
        assert_eq!(number(cities.get((row, 2)).unwrap()), target as f64);
        assert_eq!(number(cities.get((row, 3)).unwrap()), sep as f64);
        let completion = number(cities.get((row, 4)).unwrap());
        assert!((completion - sep as f64 / target as f64).abs() < 1e-12);
        assert_eq!(number(cities.get((row, 6)).unwrap()), (sep - aug) as f64);
        assert_eq!(
            number(cities.get((row, 7)).unwrap()),
            (sep - last_year) as f64
        );
    }
    let headline = book.worksheet_range("表1 主要指标").unwrap();
    assert_eq!(number(headline.get((2, 2)).unwrap()), 25_850.0);
    assert_eq!(number(headline.get((2, 1)).unwrap()), 30_000.0);
    let zone = book
        .worksheet_range(
            &"表3 各市省级以上高新区内高新技术企业数量占比"
                .chars()
                .take(31)
                .collect::<String>(),
        )
        .unwrap();
    assert_eq!(
        number(zone.get((6, 2)).unwrap()),
        3_900.0,
        "苏州's numerator"
    );
    assert_eq!(number(zone.get((6, 3)).unwrap()), 6_500.0);
    assert_eq!(number(zone.get((6, 5)).unwrap()), 0.6);
    assert_eq!(zone.get((14, 2)), Some(&Data::Empty), "宿迁 has no figure");

    // Percent formats, frozen header rows and Chinese headers, straight from the package.
    let parts = unzip(&bytes);
    assert!(parts["xl/styles.xml"].contains("formatCode=\"0.00%\""));
    let sheet2 = &parts["xl/worksheets/sheet2.xml"];
    assert!(
        sheet2.contains(
            "<pane ySplit=\"2\" topLeftCell=\"A3\" activePane=\"bottomLeft\" state=\"frozen\"/>"
        ),
        "{sheet2}"
    );
    assert!(parts["xl/sharedStrings.xml"].contains("完成率"));
    assert!(parts["xl/workbook.xml"].contains("_xlnm.Print_Titles"));
}

#[test]
fn the_html_page_stands_alone_holds_every_city_and_escapes_everything() {
    let mut b = province_bulletin();
    b.region_tables[0].rows[0].name = "<script>alert('南京')</script>".to_owned();
    b.indicators[0].name_zh = "高企\"总数\"&<b>".to_owned();
    let html = String::from_utf8(render(BulletinFormat::Html, &b).unwrap()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(
        html.contains("@page { size: A4;")
            && html.contains("thead { display: table-header-group; }")
    );
    for (_, name, ..) in CITIES.iter().skip(1) {
        assert!(html.contains(&format!("<td>{name}</td>")), "{name}");
    }
    assert!(!html.contains("<script") && !html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;南京&#39;)&lt;/script&gt;"));
    assert!(html.contains("高企&quot;总数&quot;&amp;&lt;b&gt;（家）"));
    // No external asset: nothing is fetched from anywhere.
    for needle in ["src=", "href=", "url(", "@import", "http://", "https://"] {
        let outside_svg_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!outside_svg_namespace.contains(needle), "{needle}");
    }
    assert!(html.contains("<td class=\"num\" data-value=\"25850\">25850</td>"));
    assert!(html.contains("class=\"chart chart-ranking\""));
}

#[test]
fn the_json_round_trips_with_the_snapshots_figures() {
    let b = province_bulletin();
    let bytes = render(BulletinFormat::Json, &b).unwrap();
    let back: Bulletin = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, b);
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["indicators"][0]["value"]["numerator"], 25_850);
    assert_eq!(json["indicators"][0]["comparator"], "at_least");
    assert_eq!(
        json["region_tables"][1]["rows"][4]["value"]["denominator"],
        6_500
    );
    assert_eq!(json["alerts"][0]["severity"], "critical");
    assert_eq!(json["snapshot"]["taken_at"], "2020-09-30T20:00:00.000000Z");
}

#[test]
fn a_city_bulletin_renders_in_every_format_without_other_cities() {
    let f = fixture();
    let b = build(&f.source(), &options("320500")).unwrap();
    for format in BulletinFormat::ALL {
        let bytes = render(format, &b).unwrap();
        let text = match format {
            BulletinFormat::Docx | BulletinFormat::Xlsx => unzip(&bytes).into_values().collect(),
            _ => String::from_utf8(bytes).unwrap(),
        };
        assert!(
            text.contains("苏州市") && text.contains("吴中区"),
            "{format:?}"
        );
        assert!(
            !text.contains("南京市") && !text.contains("无锡市"),
            "{format:?}"
        );
    }
}

#[test]
fn formats_are_chosen_by_key_or_accept() {
    assert_eq!(BulletinFormat::from_key("docx"), Some(BulletinFormat::Docx));
    assert_eq!(BulletinFormat::from_key("pdf"), None);
    assert_eq!(
        BulletinFormat::from_accept(
            "text/plain, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.9"
        ),
        Some(BulletinFormat::Xlsx)
    );
    assert_eq!(
        BulletinFormat::from_accept("text/html"),
        Some(BulletinFormat::Html)
    );
    assert_eq!(BulletinFormat::from_accept("*/*"), None);
    let b = province_bulletin();
    assert_eq!(
        BulletinFormat::Docx.file_name(&b),
        "通报-jiangsu-2019-57-2020-09-320000.docx"
    );
    assert_eq!(
        escape("a\u{0}<&>\"'\u{b}b\n"),
        "a&lt;&amp;&gt;&quot;&#39;b\n"
    );
}
