//! A hand-made September 2020 snapshot of the 2019–2020 plan, with August (环比) and
//! September 2019 (同比), four alerts and two assessments, for the bulletin's and the
//! renderers' tests.
//!
//! 时序进度 of both indicators (window 2019-01-01 … 2020-12-31, as of 2020-09-30):
//! 365 + 274 = 639 of 731 days = 87.41 %. With a 5-point margin a city lags below 82.41 %.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::regions::RegionCode;

use super::{Assessment, Bulletin, BulletinOptions, BulletinSource, Earlier, build};
use crate::clients::allocation::PublishedAssessment;
use crate::db::alerts::AlertRow;
use crate::db::snapshots::{SnapshotIndicatorRow, SnapshotRow, SnapshotValueRow};
use crate::domain::ratio::Ratio;

pub const PLAN: &str = "jiangsu-2019-57";

/// (code, name, HTE target, HTEs in September, in August, in September 2019, HTEs in
/// high-tech zones in September or None when the registry lacked the figure).
pub type City = (&'static str, &'static str, i64, i64, i64, i64, Option<i64>);

pub const CITIES: [City; 13] = [
    ("320100", "南京市", 6000, 5600, 5500, 4700, Some(3100)),
    // 82.50 %: 4.91 points behind, within the margin.
    ("320200", "无锡市", 4000, 3300, 3200, 2900, Some(1700)),
    // 73.33 %: lagging by 14.08 points.
    ("320300", "徐州市", 1500, 1100, 1090, 1000, Some(400)),
    ("320400", "常州市", 2500, 2300, 2250, 1900, Some(1200)),
    ("320500", "苏州市", 7000, 6500, 6380, 5400, Some(3900)),
    ("320600", "南通市", 2000, 1800, 1780, 1500, Some(800)),
    // 66.67 %: lagging by 20.75 points.
    ("320700", "连云港市", 600, 400, 410, 380, Some(150)),
    ("320800", "淮安市", 700, 630, 620, 560, Some(300)),
    ("320900", "盐城市", 900, 800, 790, 700, Some(360)),
    ("321000", "扬州市", 1200, 1080, 1050, 950, Some(500)),
    ("321100", "镇江市", 1000, 900, 880, 800, Some(450)),
    ("321200", "泰州市", 1100, 990, 970, 860, Some(480)),
    ("321300", "宿迁市", 500, 450, 440, 400, None),
];

/// A Suzhou county with HTE figures: (code, target, September, August).
pub type County = (&'static str, i64, i64, i64);

/// Suzhou's counties with HTE figures.
pub const SUZHOU_COUNTIES: [County; 4] = [
    ("320505", 900, 860, 850),
    ("320506", 800, 600, 590),
    ("320576", 1800, 1750, 1700),
    ("320581", 1000, 900, 880),
];

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn snapshot(id: &str, period: &str, as_of: &str, revision: i32) -> SnapshotRow {
    SnapshotRow {
        id: id.to_owned(),
        plan_id: PLAN.to_owned(),
        period: period.to_owned(),
        revision,
        as_of: d(as_of),
        report_year: 2019,
        triggered_by: "scheduled".to_owned(),
        status: "complete".to_owned(),
        partial_reason: None,
        plan_tree_version: Some(3),
        taken_by: "scheduler".to_owned(),
        taken_at: at(&format!("{as_of} 20:00:00")),
    }
}

pub fn value(
    snapshot: &str,
    key: &str,
    region: &str,
    numerator: Option<i64>,
    denominator: Option<i64>,
    target: Option<&str>,
) -> SnapshotValueRow {
    SnapshotValueRow {
        snapshot_id: snapshot.to_owned(),
        indicator_key: key.to_owned(),
        region_code: region.to_owned(),
        numerator,
        denominator,
        value: numerator.map(|n| denominator.map_or(n as f64, |d| n as f64 / d as f64)),
        missing_reason: numerator
            .is_none()
            .then(|| "登记库统计缺少字段 hte_in_national_zone".to_owned()),
        target: target.map(str::to_owned),
        sources_json: "[]".to_owned(),
    }
}

fn indicator(snapshot: &str, key: &str, position: i32, definition: &str) -> SnapshotIndicatorRow {
    SnapshotIndicatorRow {
        snapshot_id: snapshot.to_owned(),
        indicator_key: key.to_owned(),
        position,
        definition_json: definition.to_owned(),
        window_starts_on: d("2019-01-01"),
        window_ends_on: d("2020-12-31"),
        expected_completion: 639.0 / 731.0,
    }
}

pub const HTE_COUNT: &str = r#"{"key":"hte_count","name_zh":"高新技术企业总数","name_en":"Valid HTEs","unit":"enterprises","comparator":"at_least","target_value":30000,"formula":{"quantity":[{"registry":"hte"}]},"pipeline":true}"#;
pub const ZONE_SHARE: &str = r#"{"key":"zone_hte_share","name_zh":"省级以上高新区内高新技术企业数量占比","name_en":"Share of HTEs in high-tech zones","unit":"ratio","comparator":"more_than","target_value":0.5,"formula":{"share":{"numerator":[{"registry":"hte_in_zone"}],"denominator":[{"registry":"hte"}]}}}"#;

/// Everything a bulletin of September 2020 is built from.
pub struct Fixture {
    pub snapshot: SnapshotRow,
    pub indicators: Vec<SnapshotIndicatorRow>,
    pub values: Vec<SnapshotValueRow>,
    pub august: SnapshotRow,
    pub august_values: Vec<SnapshotValueRow>,
    pub year_earlier: SnapshotRow,
    pub year_earlier_values: Vec<SnapshotValueRow>,
    pub alerts: Vec<AlertRow>,
    pub assessments: Vec<Assessment>,
}

pub fn province_total(pick: impl Fn(&City) -> i64) -> i64 {
    CITIES.iter().map(pick).sum()
}

fn alert(id: &str, kind: &str, severity: &str, region: &str, message: &str) -> AlertRow {
    AlertRow {
        id: id.to_owned(),
        fingerprint: format!("{kind}|{region}"),
        kind: kind.to_owned(),
        severity: severity.to_owned(),
        plan_id: Some(PLAN.to_owned()),
        indicator_key: Some("hte_count".to_owned()),
        region_code: region.to_owned(),
        figures_json: "{}".to_owned(),
        message_zh: message.to_owned(),
        message_en: format!("{kind} in {region}"),
        last_snapshot_id: Some("s-2020-09".to_owned()),
        first_seen: at("2020-08-31 20:00:00"),
        last_seen: at("2020-09-30 20:00:00"),
        resolved_at: None,
        acknowledged_by: None,
        acknowledged_at: None,
        acknowledgement_note: None,
        version: 1,
    }
}

/// The 2019 assessment of the cities, published, and a 2020 draft, as the allocation
/// service shows them (its `AssessmentView`), read through monitoring's client type.
fn assessments() -> Vec<Assessment> {
    let rows: Vec<serde_json::Value> = CITIES
        .iter()
        .enumerate()
        .map(|(i, (code, name, target, ..))| {
            let item = |indicator: &str, score: f64| {
                serde_json::json!({"indicator": indicator, "target": target / 2,
                    "achieved": target / 2 + 10 - i as i64, "completion_rate": 1.0,
                    "expected_completion": 1.0, "base_points": score, "bonus_points": 0.0,
                    "deduction_points": 0.0, "score": score})
            };
            serde_json::json!({"region_code": code, "name": name,
                "items": [item("new_hte", 60.0 - i as f64), item("hte_count", 40.0)],
                "adjustments": [], "adjustment_points": 0.0,
                "total": 100.0 - i as f64, "rank": i + 1})
        })
        .collect();
    let published = serde_json::json!({
        "id": "as-2019", "plan_id": PLAN, "period": "2019", "level": "city",
        "parent_code": "320000", "as_of": "2019-12-31", "status": "published",
        "scheme": {"version": 1, "items": [
            {"indicator": "new_hte", "weight": 60, "rule": {"kind": "linear", "cap": 1.2}},
            {"indicator": "hte_count", "weight": 40, "rule": {"kind": "linear", "cap": 1.0}}]},
        "version": 2, "tree_version": 3, "computed_at": "2020-01-05T02:00:00Z",
        "created_by": "province", "created_at": "2020-01-05T02:00:00Z",
        "published_by": "province", "published_at": "2020-01-10T02:00:00Z", "rows": rows,
    });
    let mut draft = published.clone();
    draft["id"] = "as-2020-draft".into();
    draft["status"] = "draft".into();
    draft["period"] = "2020".into();
    [published, draft]
        .into_iter()
        .map(|v| serde_json::from_value::<PublishedAssessment>(v).unwrap())
        .filter_map(PublishedAssessment::into_bulletin)
        .collect()
}

pub fn fixture() -> Fixture {
    let s = "s-2020-09";
    Fixture {
        snapshot: snapshot(s, "2020-09", "2020-09-30", 2),
        indicators: vec![
            indicator(s, "zone_hte_share", 1, ZONE_SHARE),
            indicator(s, "hte_count", 0, HTE_COUNT),
        ],
        values: september_values(s),
        august: snapshot("s-2020-08", "2020-08", "2020-08-31", 1),
        august_values: hte_counts("s-2020-08", |c| c.4, Some(|c| c.3)),
        year_earlier: snapshot("s-2019-09", "2019-09", "2019-09-30", 1),
        year_earlier_values: hte_counts("s-2019-09", |c| c.5, None),
        alerts: alerts(),
        assessments: assessments(),
    }
}

/// September's values: the HTE count and the zone share of the province and each city, and
/// the HTE count of each Suzhou county.
fn september_values(s: &str) -> Vec<SnapshotValueRow> {
    let mut values = vec![
        value(
            s,
            "hte_count",
            "320000",
            Some(province_total(|c| c.3)),
            None,
            Some("30000"),
        ),
        value(
            s,
            "zone_hte_share",
            "320000",
            Some(CITIES.iter().filter_map(|c| c.6).sum()),
            Some(province_total(|c| c.3)),
            Some("0.5"),
        ),
    ];
    for (code, _, target, sep, _, _, zone) in CITIES {
        let target = target.to_string();
        values.push(value(s, "hte_count", code, Some(sep), None, Some(&target)));
        values.push(value(
            s,
            "zone_hte_share",
            code,
            zone,
            zone.map(|_| sep),
            None,
        ));
    }
    for (code, target, sep, _) in SUZHOU_COUNTIES {
        let target = target.to_string();
        values.push(value(s, "hte_count", code, Some(sep), None, Some(&target)));
    }
    values
}

/// The HTE counts of snapshot `id`: the province's (the cities' sum) and each city's, as
/// `city` picks them, then each Suzhou county's when `county` picks one; each against its
/// target.
fn hte_counts(
    id: &str,
    city: fn(&City) -> i64,
    county: Option<fn(&County) -> i64>,
) -> Vec<SnapshotValueRow> {
    let total = province_total(city);
    let mut values = vec![value(
        id,
        "hte_count",
        "320000",
        Some(total),
        None,
        Some("30000"),
    )];
    for c in &CITIES {
        let target = c.2.to_string();
        values.push(value(
            id,
            "hte_count",
            c.0,
            Some(city(c)),
            None,
            Some(&target),
        ));
    }
    if let Some(county) = county {
        for c in &SUZHOU_COUNTIES {
            let target = c.1.to_string();
            values.push(value(
                id,
                "hte_count",
                c.0,
                Some(county(c)),
                None,
                Some(&target),
            ));
        }
    }
    values
}

fn alerts() -> Vec<AlertRow> {
    vec![
        alert(
            "a1",
            "behind_schedule",
            "warning",
            "320300",
            "徐州市“高新技术企业总数”完成率73.3%，低于时序进度87.4%",
        ),
        alert(
            "a2",
            "behind_schedule",
            "critical",
            "320700",
            "连云港市“高新技术企业总数”完成率66.7%，低于时序进度87.4%",
        ),
        alert(
            "a3",
            "certificates_expiring",
            "warning",
            "320505",
            "虎丘区有3家高新技术企业证书将在90天内到期",
        ),
        alert(
            "a4",
            "annual_reports_missing",
            "info",
            "320100",
            "南京市有2家高新技术企业未按期报送年报",
        ),
    ]
}

impl Fixture {
    pub fn source(&self) -> BulletinSource<'_> {
        BulletinSource {
            snapshot: &self.snapshot,
            indicators: &self.indicators,
            values: &self.values,
            previous: Some(Earlier {
                snapshot: &self.august,
                values: &self.august_values,
            }),
            year_earlier: Some(Earlier {
                snapshot: &self.year_earlier,
                values: &self.year_earlier_values,
            }),
            alerts: &self.alerts,
            assessments: &self.assessments,
        }
    }
}

pub fn options(scope: &str) -> BulletinOptions {
    BulletinOptions {
        scope: RegionCode::parse(scope).unwrap(),
        issuer: "江苏省科学技术厅".to_owned(),
        document_number: Some("苏科高〔2020〕12号".to_owned()),
        subject: "高新技术企业培育工作".to_owned(),
        addressees: None,
        schedule_margin: Ratio::new(5, 100).unwrap(),
        issued_on: d("2020-10-09"),
    }
}

/// The province's September bulletin.
pub fn province_bulletin() -> Bulletin {
    build(&fixture().source(), &options("320000")).unwrap()
}
