//! Bulletins over HTTP from a recorded snapshot: the JSON's figures are the snapshot's, the
//! DOCX and XLSX read back hold the same numbers, the HTML names every city; a city official
//! gets its own city with its counties; formats by `format=` or `Accept`, 406 otherwise.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use hte_shared::auth::Role;
use hte_shared::problem::types;
use serde_json::Value;

use crate::helpers::{
    App, assert_json, assert_problem, assert_problem_type, problem_fields, spawn,
};
use crate::seed::{self, CITIES, PLAN, PROVINCE_TARGET, SUZHOU_COUNTIES};

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn path(query: &str) -> String {
    format!("/api/v1/bulletins/{PLAN}/2020-09{query}")
}

async fn fetch(app: &App, token: &str, query: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(&path(query))).bearer_auth(token);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    request.send().await.unwrap()
}

async fn bytes_of(response: reqwest::Response, content_type: &str) -> Vec<u8> {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], content_type);
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"bulletin-jiangsu-2019-57-2020-09-")
            && disposition.contains("filename*=UTF-8''%E9%80%9A%E6%8A%A5-"),
        "{disposition}"
    );
    response.bytes().await.unwrap().to_vec()
}

/// The rows of the table of `indicator` in the JSON, by region code: (target, value, rank).
fn table_of(bulletin: &Value) -> BTreeMap<String, (f64, i64, Option<u64>)> {
    let table = &bulletin["region_tables"][0];
    assert_eq!(table["indicator_key"], "hte_count");
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let code = row["region_code"].as_str().unwrap().to_owned();
            let figures = (
                row["target"].as_f64().unwrap(),
                row["value"]["numerator"].as_i64().unwrap(),
                row["rank"].as_u64(),
            );
            (code, figures)
        })
        .collect()
}

#[tokio::test]
async fn the_json_bulletin_holds_the_snapshots_figures() {
    let app = spawn().await;
    let snapshot_id = seed::snapshots(&app).await;
    let province = app.province_token();
    let bulletin = assert_json(fetch(&app, &province, "", None).await, 200).await;
    assert_eq!(bulletin["snapshot"]["id"], snapshot_id.as_str());
    assert_eq!(bulletin["scope"]["code"], "320000");
    assert_eq!(bulletin["previous"]["period"], "2020-08");
    let headline = &bulletin["indicators"][0];
    assert_eq!(
        headline["value"]["numerator"].as_i64().unwrap(),
        seed::province_total(true)
    );
    assert_eq!(headline["target"].as_f64().unwrap(), PROVINCE_TARGET as f64);
    assert_eq!(
        headline["change_from_previous"]["delta"].as_f64().unwrap(),
        (seed::province_total(true) - seed::province_total(false)) as f64
    );
    let table = table_of(&bulletin);
    assert_eq!(table.len(), 13);
    for (code, _, target, sep, _) in CITIES {
        assert_eq!(table[code].0, target as f64, "{code}");
        assert_eq!(table[code].1, sep, "{code}");
    }
    // Nanjing completes 5600 / 6000 = 93.3 %, the best; Suzhou 92.9 %, second.
    assert_eq!((table["320100"].2, table["320500"].2), (Some(1), Some(2)));
    // The same bulletin by revision; a revision not taken is a 404.
    let first = assert_json(fetch(&app, &province, "?revision=1", None).await, 200).await;
    assert_eq!(first["indicators"], bulletin["indicators"]);
    let response = fetch(&app, &province, "?revision=2", None).await;
    assert_problem_type(response, 404, types::NOT_FOUND).await;
}

/// The text of each table row of a Word document, cell by cell.
fn word_rows(document: &str) -> Vec<Vec<String>> {
    document
        .split("<w:tr")
        .skip(1)
        .map(|row| {
            let row = row.split("</w:tr>").next().unwrap();
            row.split("<w:tc")
                .skip(1)
                .map(|cell| {
                    cell.split("<w:t")
                        .skip(1)
                        .filter_map(|t| {
                            let (open, rest) = t.split_once('>')?;
                            // `<w:tbl…`, `<w:tcPr>` and the like are not text runs.
                            let is_text = open.is_empty() || open.starts_with(' ');
                            is_text.then(|| rest.split("</w:t>").next().unwrap_or(""))
                        })
                        .collect::<String>()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_docx_and_xlsx_read_back_hold_the_same_numbers() {
    let app = spawn().await;
    seed::snapshots(&app).await;
    let province = app.province_token();
    let docx = bytes_of(fetch(&app, &province, "?format=docx", None).await, DOCX).await;
    let mut archive = zip::ZipArchive::new(Cursor::new(docx)).unwrap();
    let mut document = String::new();
    archive
        .by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut document)
        .unwrap();
    let rows = word_rows(&document);
    for (code, name, target, sep, aug) in CITIES {
        let row = rows
            .iter()
            .find(|r| r.iter().any(|c| c == name))
            .unwrap_or_else(|| panic!("no DOCX row for {name}"));
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        for figure in [
            target.to_string(),
            sep.to_string(),
            format!("{:+}", sep - aug),
        ] {
            assert!(cells.contains(&figure.as_str()), "{code}: {cells:?}");
        }
    }

    let xlsx = bytes_of(fetch(&app, &province, "", Some(XLSX)).await, XLSX).await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    let sheet = book
        .sheet_names()
        .into_iter()
        .find(|n| n.contains("高新技术企业总数") && n.contains("各市"))
        .unwrap();
    let range = book.worksheet_range(&sheet).unwrap();
    for (code, name, target, sep, _) in CITIES {
        let row = (0..range.height())
            .find(|r| range.get((*r, 1)) == Some(&Data::String(name.to_owned())))
            .unwrap_or_else(|| panic!("no XLSX row for {name}"));
        let number = |col| match range.get((row, col)) {
            Some(Data::Float(f)) => *f,
            Some(Data::Int(i)) => *i as f64,
            other => panic!("{code}: not a number: {other:?}"),
        };
        assert_eq!(
            (number(2), number(3)),
            (target as f64, sep as f64),
            "{code}"
        );
    }
}

#[tokio::test]
async fn the_html_names_every_city_and_other_formats_are_refused() {
    let app = spawn().await;
    seed::snapshots(&app).await;
    let province = app.province_token();
    let response = fetch(&app, &province, "", Some("text/html,application/xhtml+xml")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.unwrap();
    for (_, name, _, sep, _) in CITIES {
        assert!(html.contains(name), "{name}");
        assert!(html.contains(&sep.to_string()), "{name}: {sep}");
    }
    // No external assets: nothing is fetched from anywhere.
    for fetched in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(fetched), "{fetched}");
    }
    let response = fetch(&app, &province, "", Some("text/csv")).await;
    let problem = assert_problem_type(response, 406, types::NOT_ACCEPTABLE).await;
    assert!(problem["detail"].as_str().unwrap().contains("text/csv"));
    let response = fetch(&app, &province, "?format=pdf&revision=0", None).await;
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem_fields(&problem), ["format"]);
    let response = fetch(&app, &province, "?revision=0", None).await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["revision"]
    );
}

#[tokio::test]
async fn a_city_gets_its_own_city_with_its_counties() {
    let app = spawn().await;
    seed::snapshots(&app).await;
    let suzhou = app.token(Role::City, "320500");
    let bulletin = assert_json(fetch(&app, &suzhou, "", None).await, 200).await;
    assert_eq!(bulletin["scope"]["code"], "320500");
    assert_eq!(bulletin["indicators"][0]["value"]["numerator"], 6500);
    let table = table_of(&bulletin);
    let codes: Vec<&str> = table.keys().map(String::as_str).collect();
    let counties: Vec<&str> = SUZHOU_COUNTIES.iter().map(|c| c.0).collect();
    assert!(
        counties.iter().all(|c| codes.contains(c)) && codes.iter().all(|c| c.starts_with("3205")),
        "{codes:?}"
    );
    for (code, _, target, sep, _) in SUZHOU_COUNTIES {
        assert_eq!(
            (table[code].0, table[code].1),
            (target as f64, sep),
            "{code}"
        );
    }
    let html = fetch(&app, &suzhou, "?format=html", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("苏州市") && !html.contains("南京市"));
    // Another city, and county officials, are refused.
    let response = fetch(&app, &suzhou, "?region=320100", None).await;
    assert_problem_type(response, 403, types::FORBIDDEN).await;
    let county = app.token(Role::County, "320505");
    let response = fetch(&app, &county, "", None).await;
    assert_problem_type(response, 403, types::FORBIDDEN).await;
    // The province may ask for Suzhou's; a county is not a bulletin's scope.
    let province = app.province_token();
    let as_province = assert_json(fetch(&app, &province, "?region=320500", None).await, 200).await;
    assert_eq!(as_province["region_tables"], bulletin["region_tables"]);
    let response = fetch(&app, &province, "?region=320505", None).await;
    assert_eq!(
        problem_fields(&assert_problem(response, 422).await),
        ["region"]
    );
}
