//! The six indicators of the 2019–2020 plan computed by monitoring from the real registry,
//! allocation service and its own statistics inputs, on a data set small enough to work out
//! by hand (below), including a share whose denominator is a statistics input and a
//! correction of that input.
//!
//! Firms (all registered 2015, 2019 annual reports filed):
//!
//! | firm | county (city)     | above scale | zone       | certified  | R&D 2019   | patents | R&D institution |
//! |------|-------------------|-------------|------------|------------|------------|---------|-----------------|
//! | A    | 昆山 320583 (苏州) | yes         | national   | 2019-11-20 | 6,000,000  | 10      | provincial      |
//! | B    | 昆山 320583 (苏州) | yes         | provincial | 2020-03-10 | 3,000,000  | 5       | none            |
//! | C    | 玄武 320102 (南京) | no          | —          | 2020-02-01 | 1,000,000  | 2       | enterprise      |
//! | D    | 玄武 320102 (南京) | yes         | —          | never      | 9,000,000  | 50      | national        |
//!
//! Statistics inputs (province 320000): all enterprises' R&D spend 2019 = 2500万元
//! (25,000,000 yuan), corrected later to 2000万元; high-tech output / above-scale output:
//! 2020-Q1 4000亿/10000亿, 2020-Q2 4500亿/10000亿, 2020-Q3 4800亿 with no denominator yet.
//! Targets: hte_count 2020 province 30,000 (seeded), 苏州 20, 南京 10.
//!
//! On 2020-09-30 (report year 2019), D is not an HTE, so nothing of D counts:
//!
//! | indicator             | province                         | 苏州              | 南京                  |
//! |-----------------------|----------------------------------|-------------------|-----------------------|
//! | hte_count             | A+B+C = 3 (target 30,000)        | 2 (target 20)     | 1 (target 10)         |
//! | rd_institution_rate   | above-scale HTEs A,B; with R&D A: 1/2 | 1/2          | 0/0: no value         |
//! | hte_rd_share          | (6+3+1)M / 25M = 2/5; after the correction 10M/20M = 1/2 | no input | no input |
//! | hte_invention_patents | 10+5+2 = 17                      | 15                | 2                     |
//! | zone_hte_share        | (B provincial + A national)/3 = 2/3 | 2/2 = 1        | 0/1 = 0               |
//! | hightech_output_share | latest complete period 2020-Q2: 4500/10000 = 9/20 | no input | no input   |
//! | new_hte (2020 so far) | B, C = 2                         | 1                 | 1                     |
//!
//! 时序进度 of the stock indicators: 2019-01-01 … 2020-09-30 is 639 of the plan's 731 days;
//! of new_hte (annual, 2020): 274 of 366 days.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hte_shared::auth::Role;
use serde_json::{Value, json};

use super::monitoring_setup::{Firm, PLAN, item, value_of};
use crate::harness::Suite;

const RD: &str = "enterprise_rd_expense_yuan";
const HIGHTECH: &str = "hightech_industry_output_yuan";
const OUTPUT: &str = "above_scale_industrial_output_yuan";

fn report(rd_expense_yuan: i64, patents: i64, institution: &str) -> Option<Value> {
    Some(json!({
        "rd_expense_yuan": rd_expense_yuan, "invention_patents": patents,
        "rd_institution": institution,
    }))
}

async fn the_data_set(suite: &Suite) {
    // A provincial zone beside the seeded national one, so both levels are counted.
    let zone = json!({
        "id": "kunshan-pz", "name": "昆山省级测试高新技术产业开发区", "short_name": "昆山省级测试高新区",
        "level": "provincial", "county_codes": ["320583"],
    });
    let province = suite.province_token();
    let response = suite
        .registry
        .post_as(&province, "/api/v1/zones", &zone)
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let firms = [
        Firm {
            county: "320583",
            serial: 1,
            above_scale: true,
            zone: Some(("national", "kunshan-hz")),
            certified_on: Some("2019-11-20"),
            report_2019: report(6_000_000, 10, "provincial"),
        },
        Firm {
            county: "320583",
            serial: 2,
            above_scale: true,
            zone: Some(("provincial", "kunshan-pz")),
            certified_on: Some("2020-03-10"),
            report_2019: report(3_000_000, 5, "none"),
        },
        Firm {
            county: "320102",
            serial: 3,
            above_scale: false,
            zone: None,
            certified_on: Some("2020-02-01"),
            report_2019: report(1_000_000, 2, "enterprise"),
        },
        Firm {
            county: "320102",
            serial: 4,
            above_scale: true,
            zone: None,
            certified_on: None,
            report_2019: report(9_000_000, 50, "national"),
        },
    ];
    for firm in &firms {
        suite.register(firm).await;
    }
    let amount = |value: &str, unit: &str| json!({"value": value, "unit": unit, "source_document": "江苏省统计月报"});
    suite
        .put_input((RD, "2019", "320000"), amount("2500", "wan_yuan"), None)
        .await;
    for (period, hightech, output) in [
        ("2020-Q1", "4000", Some("10000")),
        ("2020-Q2", "4500", Some("10000")),
        ("2020-Q3", "4800", None),
    ] {
        suite
            .put_input(
                (HIGHTECH, period, "320000"),
                amount(hightech, "yi_yuan"),
                None,
            )
            .await;
        if let Some(output) = output {
            suite
                .put_input((OUTPUT, period, "320000"), amount(output, "yi_yuan"), None)
                .await;
        }
    }
    suite.set_target("hte_count", "320500", 20).await;
    suite.set_target("hte_count", "320100", 10).await;
}

/// (numerator, denominator, value, target) of a value row.
fn figures(snapshot: &Value, indicator: &str, region: &str) -> (Value, Value, Value, Value) {
    let v = value_of(snapshot, indicator, region);
    (
        v["numerator"].clone(),
        v["denominator"].clone(),
        v["value"].clone(),
        v["target"].clone(),
    )
}

#[tokio::test]
async fn the_six_indicators_match_the_figures_worked_by_hand() {
    let suite = Suite::start().await;
    the_data_set(&suite).await;
    let first = suite.snapshot_id("2020-09").await;
    let snapshot = suite
        .monitoring_get(&format!("/api/v1/snapshots/{first}"))
        .await;
    assert_eq!(snapshot["snapshot"]["as_of"], "2020-09-30");
    assert_eq!(snapshot["snapshot"]["report_year"], 2019);
    assert_eq!(
        snapshot["snapshot"]["status"], "complete",
        "{}",
        snapshot["snapshot"]
    );
    for (indicator, region, expected) in worked_by_hand() {
        assert_eq!(
            figures(&snapshot, indicator, region),
            expected,
            "{indicator} {region}"
        );
    }
    missing_figures_say_why(&snapshot);
    the_output_share_reads_the_latest_complete_period(&snapshot);
    counties_are_there_for_registry_formulas_only(&snapshot);
    assert_eq!(
        indicator(&snapshot, "hte_count")["expected_completion"],
        639.0 / 731.0
    );
    assert_eq!(
        indicator(&snapshot, "new_hte")["expected_completion"],
        274.0 / 366.0
    );

    the_correction_makes_a_new_revision(&suite, &first).await;
    the_board_reads_the_latest_revision(&suite).await;
}

/// One indicator's figures for one region: (numerator, denominator, value, target).
type Figures = (Value, Value, Value, Value);

/// The figures of the table above, as (indicator, region, figures).
fn worked_by_hand() -> Vec<(&'static str, &'static str, Figures)> {
    let n = Value::Null;
    vec![
        (
            "hte_count",
            "320000",
            (json!(3), n.clone(), json!(3.0), json!(30000.0)),
        ),
        (
            "hte_count",
            "320500",
            (json!(2), n.clone(), json!(2.0), json!(20.0)),
        ),
        (
            "hte_count",
            "320100",
            (json!(1), n.clone(), json!(1.0), json!(10.0)),
        ),
        (
            "hte_count",
            "320583",
            (json!(2), n.clone(), json!(2.0), n.clone()),
        ),
        (
            "rd_institution_rate",
            "320000",
            (json!(1), json!(2), json!(0.5), json!(1.0)),
        ),
        (
            "rd_institution_rate",
            "320500",
            (json!(1), json!(2), json!(0.5), json!(1.0)),
        ),
        (
            "hte_rd_share",
            "320000",
            (json!(10_000_000), json!(25_000_000), json!(0.4), json!(0.6)),
        ),
        (
            "hte_invention_patents",
            "320000",
            (json!(17), n.clone(), json!(17.0), json!(150000.0)),
        ),
        (
            "hte_invention_patents",
            "320500",
            (json!(15), n.clone(), json!(15.0), n.clone()),
        ),
        (
            "zone_hte_share",
            "320000",
            (json!(2), json!(3), json!(2.0 / 3.0), json!(0.5)),
        ),
        (
            "zone_hte_share",
            "320500",
            (json!(2), json!(2), json!(1.0), json!(0.5)),
        ),
        (
            "zone_hte_share",
            "320100",
            (json!(0), json!(1), json!(0.0), json!(0.5)),
        ),
        (
            "hightech_output_share",
            "320000",
            (
                json!(450_000_000_000_i64),
                json!(1_000_000_000_000_i64),
                json!(0.45),
                json!(0.45),
            ),
        ),
        (
            "new_hte",
            "320000",
            (json!(2), n.clone(), json!(2.0), n.clone()),
        ),
        (
            "new_hte",
            "320500",
            (json!(1), n.clone(), json!(1.0), n.clone()),
        ),
    ]
}

/// Missing figures say why, rather than a number.
fn missing_figures_say_why(snapshot: &Value) {
    for (indicator, region, reason) in [
        ("rd_institution_rate", "320100", "分母为零"),
        ("hte_rd_share", "320500", "缺少统计输入"),
        ("hightech_output_share", "320500", "缺少统计输入"),
    ] {
        let v = value_of(snapshot, indicator, region);
        assert_eq!(v["value"], Value::Null, "{indicator} {region}");
        assert!(
            v["missing_reason"].as_str().unwrap().contains(reason),
            "{v}"
        );
    }
}

/// The share of output reads the latest complete period, never Q3's half.
fn the_output_share_reads_the_latest_complete_period(snapshot: &Value) {
    let output = value_of(snapshot, "hightech_output_share", "320000");
    let periods: Vec<&str> = output["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["input"]["period"].as_str())
        .collect();
    assert_eq!(periods, ["2020-Q2", "2020-Q2"]);
}

/// Counties are there for registry formulas, not for those reading inputs.
fn counties_are_there_for_registry_formulas_only(snapshot: &Value) {
    assert!(
        indicator(snapshot, "hte_count")["values"]
            .as_array()
            .unwrap()
            .len()
            > 100
    );
    assert_eq!(
        indicator(snapshot, "hte_rd_share")["values"]
            .as_array()
            .unwrap()
            .len(),
        14
    );
}

/// One indicator's block of a snapshot.
fn indicator(snapshot: &Value, key: &str) -> Value {
    snapshot["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"]["key"] == key)
        .unwrap()
        .clone()
}

/// All enterprises' R&D spend 2019 corrected to 2000万元: retaking 2020-09 makes revision 2
/// with hte_rd_share = 10M/20M = 1/2 from input version 2; revision 1 keeps 2/5.
async fn the_correction_makes_a_new_revision(suite: &Suite, first: &str) {
    let body = json!({"value": "2000", "unit": "wan_yuan", "source_document": "2019年江苏省科技经费投入统计公报",
                      "reason": "统计公报正式数"});
    suite
        .put_input((RD, "2019", "320000"), body, Some("\"v1\""))
        .await;
    let second = suite.snapshot_id("2020-09").await;
    let snapshot = suite
        .monitoring_get(&format!("/api/v1/snapshots/{second}"))
        .await;
    assert_eq!(snapshot["snapshot"]["revision"], 2);
    assert_eq!(
        figures(&snapshot, "hte_rd_share", "320000"),
        (json!(10_000_000), json!(20_000_000), json!(0.5), json!(0.6))
    );
    let source = value_of(&snapshot, "hte_rd_share", "320000")["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| !s["input"].is_null())
        .unwrap()
        .clone();
    assert_eq!(
        source["input"],
        json!({"measure": RD, "period": "2019", "version": 2, "value_yuan": 20_000_000})
    );
    let old = suite
        .monitoring_get(&format!("/api/v1/snapshots/{first}"))
        .await;
    assert_eq!(value_of(&old, "hte_rd_share", "320000")["value"], 0.4);
    let listed = suite
        .monitoring_get(&format!("/api/v1/snapshots?plan={PLAN}&period=2020-09"))
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

/// The board answers from revision 2. Province: hte_rd_share 1/2 against 0.6 is 5/6 complete
/// against 639/731 expected, behind by 0.0408 — within the 0.05 margin, so on track.
/// 苏州: hte_count 2 of 20 and 南京 1 of 10 are both 1/10 complete: they share rank 1 of 2.
async fn the_board_reads_the_latest_revision(suite: &Suite) {
    let board = suite
        .monitoring_get(&format!("/api/v1/indicators?plan={PLAN}"))
        .await;
    assert_eq!(board["region_code"], "320000");
    assert_eq!(board["stale"], false);
    assert_eq!(board["snapshot"]["revision"], 2);
    let share = item(&board, "hte_rd_share");
    assert_eq!(
        (share["value"].as_f64(), share["target"].as_f64()),
        (Some(0.5), Some(0.6))
    );
    assert!((share["completion"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12);
    assert_eq!(share["on_track"], true);
    assert!((share["behind_by"].as_f64().unwrap() - (639.0 / 731.0 - 5.0 / 6.0)).abs() < 1e-12);
    let count = item(&board, "hte_count");
    assert_eq!(
        (count["value"].as_f64(), count["gap"].as_f64()),
        (Some(3.0), Some(29997.0))
    );
    assert_eq!(count["on_track"], false);
    assert_eq!(count["rank"], Value::Null, "the province has no siblings");
    assert!(!count["sources"].as_array().unwrap().is_empty());

    let suzhou = suite
        .monitoring
        .get_as(
            &suite.token(Role::City, "320500"),
            &format!("/api/v1/indicators?plan={PLAN}"),
        )
        .await;
    let suzhou: Value = suzhou.json().await.unwrap();
    assert_eq!(suzhou["region_code"], "320500");
    let count = item(&suzhou, "hte_count");
    assert_eq!(
        (count["rank"].as_u64(), count["ranked_among"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(count["completion"], 0.1);
    let zone = item(&suzhou, "zone_hte_share");
    assert_eq!(
        (
            zone["value"].as_f64(),
            zone["met"].as_bool(),
            zone["rank"].as_u64()
        ),
        (Some(1.0), Some(true), Some(1))
    );

    let series = suite
        .monitoring_get(&format!(
            "/api/v1/indicators/hte_rd_share/series?plan={PLAN}"
        ))
        .await;
    let points: Vec<(&str, i64, f64)> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap(),
                p["revision"].as_i64().unwrap(),
                p["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(points, [("2020-09", 2, 0.5)]);

    // The province lags 时序进度 on the HTE count by far: a critical alert of this plan.
    let alerts = suite
        .monitoring_get(&format!(
            "/api/v1/alerts?plan={PLAN}&kind=behind_schedule&region=320000&indicator=hte_count"
        ))
        .await;
    let severities: Vec<(&str, &str)> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["region_code"].as_str().unwrap(),
                a["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        severities.contains(&("320000", "critical")),
        "{severities:?}"
    );
    assert!(
        severities.contains(&("320500", "critical")),
        "{severities:?}"
    );
}
