//! The dashboard in a real browser: the three services with the demo registry and a few
//! firms certified in the plan's years, two snapshots, then headless Chromium signs in with
//! the form, and the SVG charts it rendered are read back and compared with the snapshot's
//! figures. The screenshot is kept as `target/artifacts/dashboard.png`.
//!
//! Without Chromium and chromedriver the test prints a SKIP line and passes, unless
//! `HTE_REQUIRE_BROWSER=1` (CI), where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::monitoring_setup::{Firm, value_of};
use super::webdriver::{self, Browser};
use crate::harness::Suite;

/// Firms certified in 2019 and 2020 in 苏州 (昆山) and 南京 (玄武), with targets for both.
async fn the_data_set(suite: &Suite) {
    hte_tools::demo::seed_if_empty(&suite.registry.db)
        .await
        .unwrap();
    let firms = [
        ("320583", 901, "2019-11-20"),
        ("320583", 902, "2020-03-10"),
        ("320583", 903, "2020-08-15"),
        ("320102", 904, "2020-02-01"),
        ("320102", 905, "2020-09-10"),
    ];
    for (county, serial, certified_on) in firms {
        suite
            .register(&Firm::hte(county, serial, certified_on))
            .await;
    }
    suite.set_target("hte_count", "320500", 4).await;
    suite.set_target("hte_count", "320100", 5).await;
}

fn artifact_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("artifacts").join("dashboard.png")
}

/// Every ranking bar as (region, data-value or null), as the browser's DOM has it.
const RANKING: &str = "return Array.from(document.querySelectorAll('svg.chart-ranking g.bar'))\
    .map(g => [g.getAttribute('data-region'), g.getAttribute('data-value'), \
               g.getBoundingClientRect().width]);";

#[tokio::test]
async fn the_dashboard_renders_the_snapshots_figures_in_chromium() {
    let Some((chromium, driver)) = webdriver::installed() else {
        assert!(
            std::env::var("HTE_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "HTE_REQUIRE_BROWSER=1 but chromium or chromedriver is not installed"
        );
        println!(
            "SKIP the_dashboard_renders_the_snapshots_figures_in_chromium: chromium or chromedriver not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let suite = Suite::start().await;
    the_data_set(&suite).await;
    suite.snapshot_id("2020-08").await;
    let id = suite.snapshot_id("2020-09").await;
    let snapshot = suite
        .monitoring_get(&format!("/api/v1/snapshots/{id}"))
        .await;

    let browser = Browser::start(&chromium, &driver).await;
    browser
        .open(&format!("{}/dashboard", suite.monitoring.address))
        .await;
    browser.type_into("#token", &suite.province_token()).await;
    browser.click("#sign-in").await;
    let mut bars = Value::Null;
    for _ in 0..100 {
        bars = browser.script(RANKING).await;
        if bars.as_array().is_some_and(|b| b.len() == 13) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bars = bars
        .as_array()
        .unwrap_or_else(|| panic!("no ranking: {bars}"));
    assert_eq!(bars.len(), 13, "{bars:?}");
    for bar in bars {
        let region = bar[0].as_str().unwrap();
        let figure = value_of(&snapshot, "hte_count", region);
        let completion = match (figure["value"].as_f64(), figure["target"].as_f64()) {
            (Some(value), Some(target)) if target > 0.0 => Some(value / target),
            _ => None,
        };
        let shown: Option<f64> = bar[1].as_str().map(|v| v.parse().unwrap());
        assert_eq!(shown, completion, "{region}: {figure}");
        assert!(bar[2].as_f64().unwrap() > 0.0, "{region} was not laid out");
    }
    // 苏州 3 of 4, 南京 2 of 5: the numbers the firms above make.
    let of = |code: &str| bars.iter().find(|b| b[0] == code).unwrap()[1].clone();
    assert_eq!((of("320500"), of("320100")), ("0.75".into(), "0.4".into()));
    // The KPI table and the trend hold the province's count.
    let province = value_of(&snapshot, "hte_count", "320000")["value"]
        .as_f64()
        .unwrap();
    let kpi = browser
        .script("return document.querySelector('tr[data-key=hte_count] td.num').getAttribute('data-value');")
        .await;
    assert_eq!(kpi.as_str().unwrap().parse::<f64>().unwrap(), province);
    let trend = browser
        .script("return Array.from(document.querySelectorAll('svg.chart-line g.point')).map(p => [p.getAttribute('data-label'), p.getAttribute('data-value')]);")
        .await;
    let last = trend.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last[0], "2020-09");
    assert_eq!(last[1].as_str().unwrap().parse::<f64>().unwrap(), province);

    let png = browser.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let path = artifact_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &png).unwrap();
    println!("screenshot: {}", path.display());
}
