//! Snapshots recorded through monitoring's storage as the snapshot job records them (the
//! cross-service tests take real ones): September and August 2020 of the 2019–2020 plan,
//! one count indicator, the province, the 13 cities and four of Suzhou's counties.

use hte_shared::db::DbError;
use monitoring::db::snapshots::{
    self, NewSnapshot, Recorded, SnapshotIndicatorRow, SnapshotRow, SnapshotValueRow,
};

use crate::helpers::App;

pub const PLAN: &str = "jiangsu-2019-57";

/// (code, name, target, HTEs in September 2020, in August 2020).
pub const CITIES: [(&str, &str, i64, i64, i64); 13] = [
    ("320100", "南京市", 6000, 5600, 5500),
    ("320200", "无锡市", 4000, 3300, 3200),
    ("320300", "徐州市", 1500, 1100, 1090),
    ("320400", "常州市", 2500, 2300, 2250),
    ("320500", "苏州市", 7000, 6500, 6380),
    ("320600", "南通市", 2000, 1800, 1780),
    ("320700", "连云港市", 600, 400, 410),
    ("320800", "淮安市", 700, 630, 620),
    ("320900", "盐城市", 900, 800, 790),
    ("321000", "扬州市", 1200, 1080, 1050),
    ("321100", "镇江市", 1000, 900, 880),
    ("321200", "泰州市", 1100, 990, 970),
    ("321300", "宿迁市", 500, 450, 440),
];

/// Suzhou's counties: (code, name, target, September, August).
pub const SUZHOU_COUNTIES: [(&str, &str, i64, i64, i64); 4] = [
    ("320505", "虎丘区", 900, 860, 850),
    ("320506", "吴中区", 800, 600, 590),
    ("320576", "苏州工业园区", 1800, 1750, 1700),
    ("320581", "常熟市", 1000, 900, 880),
];

pub const PROVINCE_TARGET: i64 = 30_000;

pub fn province_total(september: bool) -> i64 {
    CITIES
        .iter()
        .map(|c| if september { c.3 } else { c.4 })
        .sum()
}

const HTE_COUNT: &str = r#"{"key":"hte_count","name_zh":"高新技术企业总数","name_en":"Valid HTEs","unit":"enterprises","comparator":"at_least","target_value":30000,"formula":{"quantity":[{"registry":"hte"}]},"pipeline":true}"#;

fn value(region: &str, count: i64, target: i64) -> SnapshotValueRow {
    SnapshotValueRow {
        snapshot_id: String::new(),
        indicator_key: "hte_count".to_owned(),
        region_code: region.to_owned(),
        numerator: Some(count),
        denominator: None,
        value: Some(count as f64),
        missing_reason: None,
        target: Some(target.to_string()),
        sources_json: "[]".to_owned(),
    }
}

fn new_snapshot(period: &str, as_of: &str, september: bool) -> NewSnapshot {
    let as_of: chrono::NaiveDate = as_of.parse().unwrap();
    let mut values = vec![value("320000", province_total(september), PROVINCE_TARGET)];
    for (code, _, target, sep, aug) in CITIES {
        values.push(value(code, if september { sep } else { aug }, target));
    }
    for (code, _, target, sep, aug) in SUZHOU_COUNTIES {
        values.push(value(code, if september { sep } else { aug }, target));
    }
    NewSnapshot {
        snapshot: SnapshotRow {
            id: uuid::Uuid::new_v4().to_string(),
            plan_id: PLAN.to_owned(),
            period: period.to_owned(),
            revision: 0,
            as_of,
            report_year: 2019,
            triggered_by: "on_demand".to_owned(),
            status: "complete".to_owned(),
            partial_reason: None,
            plan_tree_version: Some(1),
            taken_by: "province".to_owned(),
            taken_at: hte_shared::time::now(),
        },
        indicators: vec![SnapshotIndicatorRow {
            snapshot_id: String::new(),
            indicator_key: "hte_count".to_owned(),
            position: 0,
            definition_json: HTE_COUNT.to_owned(),
            window_starts_on: "2019-01-01".parse().unwrap(),
            window_ends_on: "2020-12-31".parse().unwrap(),
            expected_completion: 0.874,
        }],
        values,
    }
}

/// Records August, then September 2020; returns September's id.
pub async fn snapshots(app: &App) -> String {
    app.db
        .write(|conn| {
            let now = hte_shared::time::now();
            snapshots::record(
                conn,
                new_snapshot("2020-08", "2020-08-31", false),
                None,
                now,
            )?;
            match snapshots::record(conn, new_snapshot("2020-09", "2020-09-30", true), None, now)? {
                Recorded::Inserted(row) => Ok::<_, DbError>(row.id),
                other => panic!("not recorded: {other:?}"),
            }
        })
        .await
        .unwrap()
}
