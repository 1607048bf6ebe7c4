use super::*;
use crate::domain::forecast::{Point, forecast};
use crate::domain::indicator::JIANGSU_2019_57;
use crate::domain::progress::standing;

fn plan() -> Vec<IndicatorDefinition> {
    serde_json::from_str(JIANGSU_2019_57).unwrap()
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn r(n: i128, den: i128) -> Ratio {
    Ratio::new(n, den).unwrap()
}

fn subject<'a>(definition: &'a IndicatorDefinition, region: &str) -> Subject<'a> {
    Subject {
        plan_id: "jiangsu-2019-57",
        definition,
        region: code(region),
        as_of: d("2020-06-30"),
    }
}

#[test]
fn rules_are_validated() {
    let rules = AlertRules::default();
    assert_eq!(rules.schedule_margin, r(1, 20));
    assert!(AlertRules::new(r(1, 10), r(1, 20), 90).is_err());
    assert!(AlertRules::new(r(-1, 10), r(1, 5), 90).is_err());
    assert!(AlertRules::new(r(1, 10), r(11, 10), 90).is_err());
    assert!(AlertRules::new(r(1, 10), r(1, 5), 0).is_err());
    assert!(
        AlertRules::new(r(1, 10), r(1, 5), 731)
            .unwrap_err()
            .contains("天")
    );
    assert!(AlertRules::new(Ratio::ZERO, Ratio::ZERO, 730).is_ok());
}

#[test]
fn behind_schedule_by_margin_with_severity() {
    let set = plan();
    let hte = &set[0];
    let rules = AlertRules::default();
    let target = Ratio::integer(1_000);
    // (value, expected) → severity, or no alert
    let cases: [(i64, Ratio, Option<Severity>); 6] = [
        (500, r(1, 2), None),                        // on pace
        (450, r(1, 2), None),                        // behind by exactly the margin
        (449, r(1, 2), Some(Severity::Warning)),     // just beyond it
        (350, r(1, 2), Some(Severity::Warning)),     // behind by exactly the critical margin
        (349, r(1, 2), Some(Severity::Critical)),    // beyond the critical margin
        (999, Ratio::ONE, Some(Severity::Critical)), // the window is over, target missed
    ];
    for (value, expected, severity) in cases {
        let value = Ratio::integer(value);
        let s = standing(
            hte.comparator,
            value,
            target,
            expected,
            rules.schedule_margin,
        )
        .unwrap();
        let alert = behind_schedule(subject(hte, "320500"), value, target, expected, &s, &rules);
        assert_eq!(
            alert.as_ref().map(|a| a.severity),
            severity,
            "{value} at {expected}"
        );
        if let Some(alert) = alert {
            assert_eq!(alert.kind, AlertKind::BehindSchedule);
            assert_eq!(
                alert.fingerprint(),
                "behind_schedule|jiangsu-2019-57|hte_count|320500"
            );
            assert!(
                alert
                    .message_zh
                    .starts_with("苏州市“高新技术企业总数”完成率"),
                "{}",
                alert.message_zh
            );
            assert_eq!(alert.figures["target"], 1000.0);
        }
    }
    let s = standing(
        hte.comparator,
        Ratio::integer(449),
        target,
        r(1, 2),
        rules.schedule_margin,
    )
    .unwrap();
    let alert = behind_schedule(
        subject(hte, "320500"),
        Ratio::integer(449),
        target,
        r(1, 2),
        &s,
        &rules,
    )
    .unwrap();
    assert_eq!(
        alert.message_zh,
        "苏州市“高新技术企业总数”完成率44.9%，低于时序进度50.0%（落后5.1个百分点）"
    );
    assert_eq!(alert.figures["behind_by"], 0.051);
}

#[test]
fn the_fingerprint_ignores_the_figures() {
    let set = plan();
    let rules = AlertRules::default();
    let target = Ratio::integer(1_000);
    let alert_at = |value: i64| {
        let value = Ratio::integer(value);
        let s = standing(
            set[0].comparator,
            value,
            target,
            r(1, 2),
            rules.schedule_margin,
        )
        .unwrap();
        behind_schedule(
            subject(&set[0], "320100"),
            value,
            target,
            r(1, 2),
            &s,
            &rules,
        )
        .unwrap()
    };
    let (a, b) = (alert_at(400), alert_at(300));
    assert_ne!(a.figures, b.figures);
    assert_ne!(a.severity, b.severity);
    assert_eq!(a.fingerprint(), b.fingerprint());
    let elsewhere = behind_schedule(
        subject(&set[0], "320200"),
        Ratio::integer(400),
        target,
        r(1, 2),
        &standing(
            set[0].comparator,
            Ratio::integer(400),
            target,
            r(1, 2),
            rules.schedule_margin,
        )
        .unwrap(),
        &rules,
    )
    .unwrap();
    assert_ne!(a.fingerprint(), elsewhere.fingerprint());
}

#[test]
fn off_track_when_the_forecast_misses() {
    let set = plan();
    let rules = AlertRules::default();
    let points = [
        Point {
            on: d("2019-12-31"),
            value: 24_000.0,
        },
        Point {
            on: d("2020-06-30"),
            value: 26_000.0,
        },
    ];
    // +2,000 in 182 days: about 28,022 by 31 December 2020, short of 30,000 by 6.6%.
    let f = forecast(&points, d("2020-12-31"), None);
    let alert = off_track(
        subject(&set[0], "320000"),
        &f,
        Ratio::integer(30_000),
        &rules,
    )
    .unwrap();
    assert_eq!(alert.severity, Severity::Warning);
    assert_eq!(
        alert.fingerprint(),
        "off_track_forecast|jiangsu-2019-57|hte_count|320000"
    );
    assert!(
        alert.message_zh.contains("未达到目标30000"),
        "{}",
        alert.message_zh
    );
    // Far below: critical. Met: no alert. No forecast: no alert.
    assert_eq!(
        off_track(
            subject(&set[0], "320000"),
            &f,
            Ratio::integer(40_000),
            &rules
        )
        .map(|a| a.severity),
        Some(Severity::Critical)
    );
    assert!(
        off_track(
            subject(&set[0], "320000"),
            &f,
            Ratio::integer(28_000),
            &rules
        )
        .is_none()
    );
    let none = forecast(&points[..1], d("2020-12-31"), None);
    assert!(
        off_track(
            subject(&set[0], "320000"),
            &none,
            Ratio::integer(30_000),
            &rules
        )
        .is_none()
    );
    // A share is shown in percent.
    let share_points = [
        Point {
            on: d("2019-12-31"),
            value: 0.40,
        },
        Point {
            on: d("2020-06-30"),
            value: 0.41,
        },
    ];
    let share = off_track(
        subject(&set[5], "320000"),
        &forecast(&share_points, d("2020-12-31"), None),
        r(9, 20),
        &rules,
    )
    .unwrap();
    assert!(
        share.message_zh.contains("目标45.0%"),
        "{}",
        share.message_zh
    );
}

fn finding(kind: AlertKind, severity: Severity, region: &str, credit: &str) -> ComplianceFinding {
    ComplianceFinding {
        kind,
        severity,
        region: code(region),
        credit_code: credit.to_owned(),
        expires_on: (kind == AlertKind::CertificatesExpiring).then(|| d("2020-08-01")),
        missing_years: if kind == AlertKind::AnnualReportsMissing {
            vec![2018, 2019]
        } else {
            vec![]
        },
    }
}

#[test]
fn compliance_findings_gather_into_one_alert_per_county_and_kind() {
    use AlertKind::*;
    let findings = vec![
        finding(CertificatesExpiring, Severity::Warning, "320505", "B"),
        finding(CertificatesExpiring, Severity::Critical, "320505", "A"),
        finding(CertificatesExpiring, Severity::Critical, "320505", "A"), // listed twice
        finding(CertificatesExpiring, Severity::Info, "320506", "C"),
        finding(AnnualReportsMissing, Severity::Critical, "320505", "D"),
        finding(BehindSchedule, Severity::Critical, "320505", "E"), // not a compliance kind
    ];
    let alerts = compliance_alerts(&findings, &AlertRules::default());
    let summary: Vec<(String, Severity, u64)> = alerts
        .iter()
        .map(|a| {
            (
                a.fingerprint(),
                a.severity,
                a.figures["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "certificates_expiring|-|-|320505".to_owned(),
                Severity::Critical,
                2
            ),
            (
                "certificates_expiring|-|-|320506".to_owned(),
                Severity::Info,
                1
            ),
            (
                "annual_reports_missing|-|-|320505".to_owned(),
                Severity::Critical,
                1
            ),
        ]
    );
    assert_eq!(
        alerts[0].figures["credit_codes"],
        serde_json::json!(["A", "B"])
    );
    assert_eq!(alerts[0].figures["earliest_expiry"], "2020-08-01");
    assert!(
        alerts[0]
            .message_zh
            .contains("2家高新技术企业证书将在90天内到期"),
        "{}",
        alerts[0].message_zh
    );
    assert_eq!(
        alerts[2].figures["by_year"],
        serde_json::json!({"2018": 1, "2019": 1})
    );
    assert!(alerts[2].message_zh.contains("2018、2019年度"));
    assert!(compliance_alerts(&[], &AlertRules::default()).is_empty());
}

#[test]
fn only_the_firsts_firms_are_listed_but_all_are_counted() {
    let findings: Vec<ComplianceFinding> = (0..30)
        .map(|i| {
            finding(
                AlertKind::CertificatesExpiring,
                Severity::Warning,
                "320505",
                &format!("F{i:02}"),
            )
        })
        .collect();
    let alerts = compliance_alerts(&findings, &AlertRules::default());
    assert_eq!(alerts[0].figures["count"], 30);
    assert_eq!(
        alerts[0].figures["credit_codes"].as_array().unwrap().len(),
        LISTED_FIRMS
    );
}

#[test]
fn open_alerts_not_seen_again_are_resolved() {
    let findings = vec![finding(
        AlertKind::CertificatesExpiring,
        Severity::Warning,
        "320505",
        "A",
    )];
    let seen = compliance_alerts(&findings, &AlertRules::default());
    let open = vec![
        (
            "a1".to_owned(),
            "certificates_expiring|-|-|320505".to_owned(),
        ),
        (
            "a2".to_owned(),
            "certificates_expiring|-|-|320506".to_owned(),
        ),
    ];
    assert_eq!(to_resolve(&open, &seen), vec!["a2"]);
    assert_eq!(to_resolve(&open, &[]), vec!["a1", "a2"]);
    assert!(to_resolve(&[], &seen).is_empty());
}

#[test]
fn kinds_and_severities_are_labelled_and_ordered() {
    for kind in AlertKind::ALL {
        assert!(!kind.name_zh().is_empty());
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.key());
    }
    assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
    assert_eq!(Severity::Critical.name_zh(), "严重");
}
