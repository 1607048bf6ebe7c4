//! The bulletin as a Word document in the usual layout of an official 通报 (after GB/T
//! 9704-2012, without the red masthead): A4 portrait with a 156 × 225 mm text block (margins
//! 37 mm top, 28 mm left, 26 mm right, 35 mm bottom); the issuing authority and title centred
//! in 方正小标宋简体 (二号 title); body in 仿宋_GB2312 三号 on a 28-point line; level-1
//! headings in 黑体, level-2 in 楷体_GB2312; tables in 五号 as wide as the text block with
//! their header rows repeated on every page; page numbers in 宋体 四号 as "— 1 —", odd pages
//! on the right and even pages on the left, one character in from the edge.
//!
//! Font names are given in each run (East Asian and Latin), and the font table names a
//! common fallback for each (仿宋, 宋体, 楷体) for machines without the GB2312 faces.
//!
//! The package is written part by part (WordprocessingML with the `zip` crate) rather than
//! through a document-model crate: every element here is one the layout needs, and the
//! output is byte-for-byte reproducible (fixed timestamps), so a bulletin has a stable ETag.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::RenderError;
use super::escape;
use super::layout::{Block, Cell, Table, layout};
use crate::bulletin::Bulletin;
use crate::bulletin::text::date_zh;

/// Width of the text block in twips: 210 mm − 28 mm − 26 mm = 156 mm.
pub const TEXT_WIDTH: u32 = 11_906 - MARGIN_LEFT - MARGIN_RIGHT;
const MARGIN_LEFT: u32 = 1_587;
const MARGIN_RIGHT: u32 = 1_474;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// A run's font: East Asian face, size in half-points, weight.
#[derive(Debug, Clone, Copy)]
struct Font {
    east_asia: &'static str,
    half_points: u32,
    bold: bool,
}

const fn font(east_asia: &'static str, half_points: u32) -> Font {
    Font {
        east_asia,
        half_points,
        bold: false,
    }
}

const ISSUER: Font = font("方正小标宋简体", 52);
const TITLE: Font = font("方正小标宋简体", 44);
const BODY: Font = font("仿宋_GB2312", 32);
const HEADING: Font = font("黑体", 32);
const SUBHEADING: Font = font("楷体_GB2312", 32);
const TABLE_TITLE: Font = font("黑体", 28);
const TABLE_HEAD: Font = font("黑体", 21);
const TABLE_TEXT: Font = font("仿宋_GB2312", 21);
const NOTE: Font = font("仿宋_GB2312", 28);
const PAGE_NUMBER: Font = font("宋体", 28);

/// Each face the document names, with the fallback Word takes where it is not installed.
const FONTS: [(&str, &str); 7] = [
    ("方正小标宋简体", "宋体"),
    ("仿宋_GB2312", "仿宋"),
    ("楷体_GB2312", "楷体"),
    ("黑体", "SimHei"),
    ("宋体", "SimSun"),
    ("Times New Roman", "Times New Roman"),
    ("仿宋", "FangSong"),
];

fn run(text: &str, font: Font) -> String {
    let bold = if font.bold { "<w:b/><w:bCs/>" } else { "" };
    format!(
        "<w:r><w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" \
         w:eastAsia=\"{face}\" w:cs=\"Times New Roman\" w:hint=\"eastAsia\"/>{bold}\
         <w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/></w:rPr>\
         <w:t xml:space=\"preserve\">{text}</w:t></w:r>",
        face = font.east_asia,
        size = font.half_points,
        text = escape(text)
    )
}

/// A paragraph of one run with the given style and extra paragraph properties (which
/// follow the style, in schema order).
fn paragraph(style: &str, properties: &str, text: &str, font: Font) -> String {
    format!(
        "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/>{properties}</w:pPr>{}</w:p>",
        run(text, font)
    )
}

fn empty_line() -> String {
    paragraph("Normal", "", "", BODY)
}

/// Column widths in twips that add up to exactly [`TEXT_WIDTH`].
pub fn column_widths(weights: &[u32]) -> Vec<u32> {
    let total: u32 = weights.iter().sum::<u32>().max(1);
    let mut widths: Vec<u32> = weights.iter().map(|w| TEXT_WIDTH * w / total).collect();
    let rest = TEXT_WIDTH - widths.iter().sum::<u32>();
    if let Some(widest) = (0..widths.len()).max_by_key(|i| widths[*i]) {
        widths[widest] += rest;
    }
    widths
}

fn cell(text: &str, width: u32, align: &str, font: Font, header: bool) -> String {
    let shade = if header {
        "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F2F2F2\"/>"
    } else {
        ""
    };
    format!(
        "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>{shade}<w:vAlign w:val=\"center\"/>\
         </w:tcPr>{}</w:tc>",
        paragraph(
            "TableText",
            &format!("<w:jc w:val=\"{align}\"/>"),
            text,
            font
        )
    )
}

fn table(table: &Table) -> String {
    let weights: Vec<u32> = table.columns.iter().map(|c| c.weight).collect();
    let widths = column_widths(&weights);
    let mut xml = paragraph("TableTitle", "", &table.title(), TABLE_TITLE);
    let border = "w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"";
    xml.push_str(&format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_WIDTH}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/>\
         <w:tblBorders><w:top {border}/><w:left {border}/><w:bottom {border}/><w:right {border}/>\
         <w:insideH {border}/><w:insideV {border}/></w:tblBorders><w:tblLayout w:type=\"fixed\"/>\
         <w:tblCellMar><w:left w:w=\"57\" w:type=\"dxa\"/><w:right w:w=\"57\" w:type=\"dxa\"/>\
         </w:tblCellMar><w:tblLook w:val=\"04A0\"/></w:tblPr><w:tblGrid>"
    ));
    for width in &widths {
        xml.push_str(&format!("<w:gridCol w:w=\"{width}\"/>"));
    }
    xml.push_str("</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
    for (column, width) in table.columns.iter().zip(&widths) {
        xml.push_str(&cell(&column.header, *width, "center", TABLE_HEAD, true));
    }
    xml.push_str("</w:tr>");
    for row in &table.rows {
        xml.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for ((value, column), width) in row.iter().zip(&table.columns).zip(&widths) {
            // Long text (an indicator's name, an alert) reads better from the left.
            let align = match value {
                Cell::Text(_) if column.weight >= 20 => "both",
                _ => "center",
            };
            xml.push_str(&cell(&value.display(), *width, align, TABLE_TEXT, false));
        }
        xml.push_str("</w:tr>");
    }
    xml.push_str("</w:tbl>");
    // Keeps two tables from merging and leaves a little air below.
    xml.push_str(&paragraph("TableText", "", "", TABLE_TEXT));
    xml
}

/// 发文机关, 发文字号 over a rule, the title, 主送机关.
fn title_block(b: &Bulletin) -> String {
    let rule = "<w:pBdr><w:bottom w:val=\"single\" w:sz=\"12\" w:space=\"6\" w:color=\"000000\"/></w:pBdr>";
    let mut xml = String::new();
    match &b.document_number {
        Some(number) => {
            xml.push_str(&paragraph("Issuer", "", &b.issuer, ISSUER));
            xml.push_str(&paragraph("DocNumber", rule, number, BODY));
        }
        None => xml.push_str(&paragraph("Issuer", rule, &b.issuer, ISSUER)),
    }
    xml.push_str(&empty_line());
    xml.push_str(&paragraph("DocTitle", "", &b.title, TITLE));
    xml.push_str(&empty_line());
    xml.push_str(&paragraph(
        "Normal",
        "",
        &format!("{}：", b.addressees),
        BODY,
    ));
    xml
}

/// Issuer and date, four characters in from the right; then the notes (说明).
fn closing(b: &Bulletin) -> String {
    let right = "<w:jc w:val=\"right\"/><w:ind w:right=\"1280\"/>";
    let mut xml = empty_line();
    xml.push_str(&empty_line());
    xml.push_str(&paragraph("Normal", right, &b.issuer, BODY));
    xml.push_str(&paragraph("Normal", right, &date_zh(b.issued_on), BODY));
    xml.push_str(&empty_line());
    xml.push_str(&paragraph("Note", "", "说明：", NOTE));
    for (i, note) in b.notes.iter().enumerate() {
        xml.push_str(&paragraph("Note", "", &format!("{}．{note}", i + 1), NOTE));
    }
    xml
}

fn document(b: &Bulletin) -> String {
    let mut body = title_block(b);
    for block in layout(b) {
        match block {
            Block::Heading(text) => body.push_str(&paragraph("Level1", "", &text, HEADING)),
            Block::Subheading(text) => {
                body.push_str(&paragraph("Level2", "", &text, SUBHEADING));
            }
            Block::Paragraph(text) => body.push_str(&paragraph("Body", "", &text, BODY)),
            Block::Table(t) => body.push_str(&table(&t)),
            // The tables carry the figures; Word gets no pictures.
            Block::Chart(_) => {}
        }
    }
    body.push_str(&closing(b));
    format!(
        "{XML_HEAD}<w:document xmlns:w=\"{W}\" xmlns:r=\"{R}\"><w:body>{body}\
         <w:sectPr><w:footerReference w:type=\"even\" r:id=\"rIdFooterEven\"/>\
         <w:footerReference w:type=\"default\" r:id=\"rIdFooterOdd\"/>\
         <w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
         <w:pgMar w:top=\"2098\" w:right=\"{MARGIN_RIGHT}\" w:bottom=\"1984\" w:left=\"{MARGIN_LEFT}\" \
         w:header=\"851\" w:footer=\"1247\" w:gutter=\"0\"/>\
         <w:docGrid w:type=\"lines\" w:linePitch=\"560\"/></w:sectPr></w:body></w:document>"
    )
}

/// "— 7 —" with a PAGE field; `odd` pages on the right, even on the left.
fn footer(odd: bool) -> String {
    let place = if odd {
        "<w:jc w:val=\"right\"/><w:ind w:right=\"280\"/>"
    } else {
        "<w:jc w:val=\"left\"/><w:ind w:left=\"280\"/>"
    };
    let field = |kind: &str| format!("<w:r><w:fldChar w:fldCharType=\"{kind}\"/></w:r>");
    format!(
        "{XML_HEAD}<w:ftr xmlns:w=\"{W}\" xmlns:r=\"{R}\"><w:p><w:pPr><w:pStyle w:val=\"Footer\"/>\
         {place}</w:pPr>{}{}<w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>\
         {}{}{}{}</w:p></w:ftr>",
        run("— ", PAGE_NUMBER),
        field("begin"),
        field("separate"),
        run("1", PAGE_NUMBER),
        field("end"),
        run(" —", PAGE_NUMBER),
    )
}

fn paragraph_style(id: &str, name: &str, f: Font, properties: &str) -> String {
    format!(
        "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>\
         <w:basedOn w:val=\"Normal\"/><w:qFormat/><w:pPr>{properties}</w:pPr><w:rPr>\
         <w:rFonts w:eastAsia=\"{face}\"/><w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/></w:rPr></w:style>",
        face = f.east_asia,
        size = f.half_points
    )
}

fn styles() -> String {
    let line = "<w:spacing w:line=\"560\" w:lineRule=\"exact\"/>";
    let indent = "<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/>";
    let centred = "<w:jc w:val=\"center\"/>";
    let styles = [
        paragraph_style("Issuer", "发文机关", ISSUER, &format!("<w:spacing w:after=\"120\"/>{centred}")),
        paragraph_style("DocNumber", "发文字号", BODY, &format!("<w:spacing w:after=\"240\"/>{centred}")),
        paragraph_style("DocTitle", "标题", TITLE, &format!("<w:spacing w:line=\"700\" w:lineRule=\"exact\"/>{centred}")),
        paragraph_style("Body", "正文", BODY, &format!("{line}{indent}<w:jc w:val=\"both\"/>")),
        paragraph_style("Level1", "一级标题", HEADING, &format!("<w:keepNext/>{line}{indent}<w:outlineLvl w:val=\"0\"/>")),
        paragraph_style("Level2", "二级标题", SUBHEADING, &format!("<w:keepNext/>{line}{indent}<w:outlineLvl w:val=\"1\"/>")),
        paragraph_style("TableTitle", "表题", TABLE_TITLE, &format!("<w:keepNext/><w:spacing w:before=\"120\" w:after=\"120\"/>{centred}")),
        paragraph_style("TableText", "表格文字", TABLE_TEXT, "<w:spacing w:line=\"240\" w:lineRule=\"auto\"/>"),
        paragraph_style("Note", "说明", NOTE, "<w:spacing w:line=\"400\" w:lineRule=\"exact\"/><w:ind w:left=\"560\" w:hanging=\"560\"/>"),
        paragraph_style("PageNumber", "页脚", PAGE_NUMBER, ""),
    ]
    .concat();
    format!(
        "{XML_HEAD}<w:styles xmlns:w=\"{W}\"><w:docDefaults><w:rPrDefault><w:rPr>\
         <w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"{body}\" \
         w:cs=\"Times New Roman\"/><w:kern w:val=\"2\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/>\
         <w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:jc w:val=\"both\"/></w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/>\
         <w:qFormat/><w:pPr>{line}</w:pPr></w:style>{styles}</w:styles>",
        body = BODY.east_asia
    )
}

fn font_table() -> String {
    let fonts: String = FONTS
        .iter()
        .map(|(name, fallback)| {
            let charset = if name.is_ascii() { "00" } else { "86" };
            format!(
                "<w:font w:name=\"{name}\"><w:altName w:val=\"{fallback}\"/>\
                 <w:charset w:val=\"{charset}\"/><w:family w:val=\"auto\"/>\
                 <w:pitch w:val=\"variable\"/></w:font>"
            )
        })
        .collect();
    format!("{XML_HEAD}<w:fonts xmlns:w=\"{W}\">{fonts}</w:fonts>")
}

fn settings() -> String {
    format!(
        "{XML_HEAD}<w:settings xmlns:w=\"{W}\"><w:zoom w:percent=\"100\"/>\
         <w:defaultTabStop w:val=\"420\"/><w:evenAndOddHeaders/>\
         <w:characterSpacingControl w:val=\"compressPunctuation\"/><w:compat>\
         <w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" \
         w:val=\"15\"/></w:compat><w:themeFontLang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/></w:settings>"
    )
}

const CONTENT_TYPES: &str = "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>\
<Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>\
<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
<Override PartName=\"/word/footer2.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
</Types>";

const PACKAGE_RELS: &str = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rIdSettings\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>\
<Relationship Id=\"rIdFonts\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>\
<Relationship Id=\"rIdFooterOdd\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/>\
<Relationship Id=\"rIdFooterEven\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer2.xml\"/>\
</Relationships>";

fn core_properties(b: &Bulletin) -> String {
    format!(
        "{XML_HEAD}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title>\
         <dc:creator>{}</dc:creator><dc:language>zh-CN</dc:language>\
         <dcterms:created xsi:type=\"dcterms:W3CDTF\">{}T00:00:00Z</dcterms:created></cp:coreProperties>",
        escape(&b.title),
        escape(&b.issuer),
        b.issued_on
    )
}

const APP_PROPERTIES: &str = "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">\
<Application>HTE monitoring</Application></Properties>";

/// The bulletin as a `.docx` package.
pub fn render(b: &Bulletin) -> Result<Vec<u8>, RenderError> {
    let parts: [(&str, String); 11] = [
        ("[Content_Types].xml", format!("{XML_HEAD}{CONTENT_TYPES}")),
        ("_rels/.rels", format!("{XML_HEAD}{PACKAGE_RELS}")),
        ("docProps/core.xml", core_properties(b)),
        ("docProps/app.xml", format!("{XML_HEAD}{APP_PROPERTIES}")),
        (
            "word/_rels/document.xml.rels",
            format!("{XML_HEAD}{DOCUMENT_RELS}"),
        ),
        ("word/document.xml", document(b)),
        ("word/styles.xml", styles()),
        ("word/settings.xml", settings()),
        ("word/fontTable.xml", font_table()),
        ("word/footer1.xml", footer(true)),
        ("word/footer2.xml", footer(false)),
    ];
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in &parts {
        zip.start_file(name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
