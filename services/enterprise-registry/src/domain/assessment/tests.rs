//! Table-driven tests of the assessment engine. The assessment date is 2026-06-01 throughout
//! unless stated: application year 2026, latest year 2025, assessed years 2023–2025.

use chrono::NaiveDate;

use super::*;
use crate::domain::declarations::DeclaredFacts;
use crate::domain::rd_institution::RdInstitution;
use crate::domain::tech_domain::TechDomain;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn as_of() -> NaiveDate {
    d(2026, 6, 1)
}

fn rules() -> RuleSet {
    RuleSet::national_2016()
}

/// A firm that meets every HTE condition comfortably. Sales 20M → 28M → 40M and net assets
/// 10M → 14M → 20M (growth ≈ 41 %: 9 points each); R&D 8 % of sales; 6 conversions a year
/// (25 points); Class I IP (7 points). Estimated innovation score 75.2.
fn good_report(year: i32) -> YearFigures {
    let (sales, net) = match year {
        2023 => (20_000_000, 10_000_000),
        2024 => (28_000_000, 14_000_000),
        _ => (40_000_000, 20_000_000),
    };
    YearFigures {
        year,
        employees: Some(100),
        st_staff: Some(30),
        total_income_yuan: Some(sales + 1_000_000),
        sales_revenue_yuan: Some(sales),
        hightech_income_yuan: Some(sales * 4 / 5),
        rd_expense_yuan: Some(sales * 8 / 100),
        rd_expense_domestic_yuan: Some(sales * 8 / 100),
        total_costs_yuan: Some(sales * 9 / 10),
        net_assets_yuan: Some(net),
        total_assets_yuan: Some(net * 3),
        invention_patents: Some(2),
        class1_ip: Some(2),
        class2_ip: Some(10),
        conversions: Some(6),
        rd_institution: Some(RdInstitution::Municipal),
    }
}

fn good_firm() -> FirmFacts {
    FirmFacts {
        registered_on: d(2015, 3, 1),
        tech_domain: Some(TechDomain::ElectronicInformation),
        holds_valid_hte_certificate: false,
        hte_valid_until: None,
        clean_record: Some(true),
        declared: Default::default(),
        reports: (2023..=2025).map(good_report).collect(),
    }
}

/// `facts` with the report of `year` changed by `f` (added when absent).
fn edit(mut facts: FirmFacts, year: i32, f: impl FnOnce(&mut YearFigures)) -> FirmFacts {
    if !facts.reports.iter().any(|r| r.year == year) {
        facts.reports.push(YearFigures {
            year,
            ..YearFigures::default()
        });
    }
    if let Some(report) = facts.reports.iter_mut().find(|r| r.year == year) {
        f(report);
    }
    facts
}

fn run(facts: &FirmFacts) -> Assessment {
    assess(facts, as_of(), &rules())
}

fn cond<'a>(conditions: &'a [ConditionResult], key: &str) -> &'a ConditionResult {
    conditions
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no condition {key}"))
}

fn hte_cond(facts: &FirmFacts, key: &str) -> ConditionResult {
    cond(&run(facts).hte.conditions, key).clone()
}

fn gazelle_cond(facts: &FirmFacts, key: &str) -> ConditionResult {
    cond(&run(facts).gazelle.conditions, key).clone()
}

fn item<'a>(score: &'a InnovationScore, key: &str) -> &'a ScoreItem {
    score
        .items
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no score item {key}"))
}

// ---------------------------------------------------------------- whole firm

#[test]
fn good_firm_likely_qualifies_on_assumed_expert_points() {
    let a = run(&good_firm());
    assert_eq!(a.rule_set_version, "2016-national-1");
    assert_eq!(a.application_year, 2026);
    assert_eq!(a.assessed_years, vec![2023, 2024, 2025]);
    let keys: Vec<&str> = a.hte.conditions.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "registration_age",
            "core_ip",
            "tech_domain",
            "st_staff_ratio",
            "rd_intensity",
            "rd_domestic_share",
            "hightech_income_share",
            "innovation_score",
            "clean_record"
        ]
    );
    for c in &a.hte.conditions {
        assert_eq!(c.outcome, Outcome::Pass, "{}: {}", c.key, c.basis);
        assert!(c.gap.is_none() && c.missing.is_empty(), "{}", c.key);
        assert_eq!(c.estimated, c.key == "innovation_score", "{}", c.key);
    }
    // The pass needs 25.2 assumed expert points: without them the score is 50.
    assert_eq!(a.hte.outcome, OverallOutcome::LikelyQualifies);
    assert_eq!((a.hte.failing, a.hte.unknown), (0, 0));
    let score = &a.hte.score_breakdown;
    assert!((score.estimate - 75.2).abs() < 1e-9, "{}", score.estimate);
    assert!((score.possible - 100.0).abs() < 1e-9);
    assert!((score.floor - 50.0).abs() < 1e-9, "{}", score.floor);
    assert!((score.points_at_risk - 25.2).abs() < 1e-9);
    assert_eq!(item(score, "ip_quantity").points, 7.0);
    assert_eq!(item(score, "conversion").points, 25.0);
    assert_eq!(item(score, "net_asset_growth").points, 9.0);
    assert_eq!(item(score, "sales_growth").points, 9.0);
    assert!((item(score, "ip_advancement").points - 4.8).abs() < 1e-9);
    assert_eq!(item(score, "ip_standards_bonus").points, 0.0);
    assert_eq!(item(score, "ip_quantity").source, ScoreSource::Computed);
    assert_eq!(item(score, "ip_advancement").source, ScoreSource::Assumed);
    assert!(item(score, "ip_advancement").estimated);
    assert!(!item(score, "conversion").estimated);
    let innovation = cond(&a.hte.conditions, "innovation_score");
    assert_eq!(innovation.kind, ConditionKind::Estimate);
    assert_eq!(innovation.value, Some(score.estimate));
    assert_eq!(innovation.threshold, Some(70.0));
    assert_eq!(
        a.hte.readiness(),
        Readiness {
            passing: 9,
            failing: 0,
            relative_gap_ppm: 0,
            unknown: 0
        }
    );

    assert_eq!(a.tech_sme.outcome, OverallOutcome::Qualifies);
    assert_eq!(a.tech_sme.route, TechSmeRoute::Score);
    assert_eq!(a.tech_sme.score, Some(100));
    // Registered 2015: older than the placeholder gazelle limit of 10 years.
    assert_eq!(a.gazelle.outcome, OverallOutcome::DoesNotQualify);
    assert!(!a.gazelle.confirmed_rules);
}

#[test]
fn unknown_clean_record_leaves_likely_qualifies() {
    let facts = FirmFacts {
        clean_record: None,
        ..good_firm()
    };
    let a = run(&facts);
    assert_eq!(a.hte.outcome, OverallOutcome::LikelyQualifies);
    assert_eq!((a.hte.failing, a.hte.unknown), (0, 1));
    let clean = cond(&a.hte.conditions, "clean_record");
    assert_eq!(clean.kind, ConditionKind::Declaration);
    assert_eq!(clean.missing, vec!["clean_record"]);
    assert_eq!(a.tech_sme.outcome, OverallOutcome::LikelyQualifies);

    let facts = FirmFacts {
        clean_record: Some(false),
        ..good_firm()
    };
    let a = run(&facts);
    assert_eq!(a.hte.outcome, OverallOutcome::DoesNotQualify);
    assert_eq!(a.tech_sme.outcome, OverallOutcome::DoesNotQualify);
}

// ---------------------------------------------------------------- condition 1: registration age

#[test]
fn registration_age_at_364_365_366_days() {
    for (days, outcome, wait) in [
        (364, Outcome::Fail, Some(1)),
        (365, Outcome::Pass, None),
        (366, Outcome::Pass, None),
        (0, Outcome::Fail, Some(365)),
    ] {
        let facts = FirmFacts {
            registered_on: as_of() - chrono::Days::new(days),
            ..good_firm()
        };
        let c = hte_cond(&facts, "registration_age");
        assert_eq!(c.outcome, outcome, "{days} days");
        assert_eq!(c.value, Some(days as f64));
        assert_eq!(c.threshold, Some(365.0));
        assert_eq!(c.comparator, Comparator::AtLeast);
        assert_eq!(c.gap.as_ref().map(|g| g.amount), wait);
        if let Some(gap) = &c.gap {
            assert_eq!(gap.unit, Unit::Days);
            assert!((gap.relative - wait.unwrap() as f64 / 365.0).abs() < 1e-12);
        }
    }
    let facts = FirmFacts {
        registered_on: d(2025, 6, 2),
        ..good_firm()
    };
    let gap = hte_cond(&facts, "registration_age").gap.unwrap();
    assert!(
        gap.advice_en.contains("from 2026-06-02"),
        "{}",
        gap.advice_en
    );
    assert!(
        gap.advice_zh.contains("2026年6月2日起"),
        "{}",
        gap.advice_zh
    );
}

#[test]
fn registration_age_counts_calendar_days_across_a_leap_day() {
    let facts = FirmFacts {
        registered_on: d(2023, 3, 2),
        ..good_firm()
    };
    // 2023-03-02 → 2024-03-01 spans 29 February 2024: 365 days.
    let a = assess(&facts, d(2024, 3, 1), &rules());
    let c = cond(&a.hte.conditions, "registration_age");
    assert_eq!((c.outcome, c.value), (Outcome::Pass, Some(365.0)));
}

// ---------------------------------------------------------------- young firms

#[test]
fn firms_under_three_years_use_the_years_they_operated() {
    // A 2023 report that would wreck the ratio if it were counted.
    let wreck = |facts: FirmFacts| {
        edit(facts, 2023, |r| {
            r.sales_revenue_yuan = Some(1_000_000_000);
            r.rd_expense_yuan = Some(0);
            r.rd_expense_domestic_yuan = Some(0);
            r.net_assets_yuan = Some(1);
        })
    };
    // About two years old: 2024 (partial) and 2025.
    let two = wreck(FirmFacts {
        registered_on: d(2024, 3, 1),
        ..good_firm()
    });
    let a = run(&two);
    assert_eq!(a.assessed_years, vec![2024, 2025]);
    let rd = cond(&a.hte.conditions, "rd_intensity");
    assert_eq!(rd.outcome, Outcome::Pass);
    assert!(
        rd.basis.starts_with("2024–2025 annual reports"),
        "{}",
        rd.basis
    );
    assert!((rd.value.unwrap() - 0.08).abs() < 1e-12);
    // Two years: g = X2/X1 - 1 = 40/28 - 1 ≈ 42.9 % → 9 points.
    let growth = item(&a.hte.score_breakdown, "sales_growth");
    assert_eq!(growth.points, 9.0);
    assert!((growth.value.unwrap() - (40.0 / 28.0 - 1.0)).abs() < 1e-12);
    // 12 conversions over 2 years = 6 a year.
    assert_eq!(item(&a.hte.score_breakdown, "conversion").value, Some(6.0));

    // About one year old: 2025 only, growth scores 0 by rule (not unknown).
    let one = wreck(FirmFacts {
        registered_on: d(2025, 3, 1),
        ..good_firm()
    });
    let a = run(&one);
    assert_eq!(a.assessed_years, vec![2025]);
    assert_eq!(
        cond(&a.hte.conditions, "registration_age").outcome,
        Outcome::Pass
    );
    assert_eq!(
        cond(&a.hte.conditions, "rd_intensity").outcome,
        Outcome::Pass
    );
    for key in ["sales_growth", "net_asset_growth"] {
        let growth = item(&a.hte.score_breakdown, key);
        assert_eq!((growth.points, growth.possible), (0.0, 0.0), "{key}");
        assert_eq!(growth.source, ScoreSource::Computed);
        assert!(growth.basis.contains("one year"), "{}", growth.basis);
    }

    // Registered less than 365 days ago: fails condition 1 only on age.
    let young = FirmFacts {
        registered_on: d(2025, 6, 2),
        ..good_firm()
    };
    let a = run(&young);
    assert_eq!(
        cond(&a.hte.conditions, "registration_age").outcome,
        Outcome::Fail
    );
    assert_eq!(
        cond(&a.hte.conditions, "rd_intensity").outcome,
        Outcome::Pass
    );
}

#[test]
fn no_closed_fiscal_year_is_unknown_not_fail() {
    // 2024-01-01 → 2024-12-31 is 365 days in a leap year, yet no fiscal year has closed.
    let facts = FirmFacts {
        registered_on: d(2024, 1, 1),
        reports: vec![],
        ..good_firm()
    };
    let a = assess(&facts, d(2024, 12, 31), &rules());
    assert!(a.assessed_years.is_empty());
    assert_eq!(
        cond(&a.hte.conditions, "registration_age").outcome,
        Outcome::Pass
    );
    let rd = cond(&a.hte.conditions, "rd_intensity");
    assert_eq!(rd.outcome, Outcome::Unknown);
    assert!(rd.basis.contains("no fiscal year"), "{}", rd.basis);
    assert!(!rd.missing.is_empty());
    for c in &a.hte.conditions {
        assert_ne!(c.outcome, Outcome::Fail, "{}", c.key);
    }
    assert_eq!(a.hte.outcome, OverallOutcome::Undetermined);
}

// ---------------------------------------------------------------- condition 5: R&D intensity

/// All sales in 2025 (the band year), R&D as given; 2023 and 2024 report zero.
fn rd_firm(latest_sales: i64, rd: i64) -> FirmFacts {
    let mut facts = good_firm();
    for r in &mut facts.reports {
        let (sales, spend) = if r.year == 2025 {
            (latest_sales, rd)
        } else {
            (0, 0)
        };
        r.sales_revenue_yuan = Some(sales);
        r.rd_expense_yuan = Some(spend);
        r.rd_expense_domestic_yuan = Some(spend);
    }
    facts
}

#[test]
fn rd_band_edges_are_inclusive_in_the_lower_band() {
    for (sales, band_ppm) in [
        (49_999_999_i64, 50_000_i64),
        (50_000_000, 50_000),
        (50_000_001, 40_000),
        (199_999_999, 40_000),
        (200_000_000, 40_000),
        (200_000_001, 30_000),
    ] {
        let required = (i128::from(sales) * i128::from(band_ppm) + 999_999) / 1_000_000;
        let required = i64::try_from(required).unwrap();
        for (rd, outcome, gap) in [
            (required - 1, Outcome::Fail, Some(1)),
            (required, Outcome::Pass, None),
            (required + 1, Outcome::Pass, None),
        ] {
            let c = hte_cond(&rd_firm(sales, rd), "rd_intensity");
            assert_eq!(c.outcome, outcome, "sales {sales}, R&D {rd}");
            assert_eq!(c.threshold, Some(band_ppm as f64 / 1e6), "sales {sales}");
            assert_eq!(
                c.gap.as_ref().map(|g| g.amount),
                gap,
                "sales {sales}, R&D {rd}"
            );
        }
    }
    // At exactly ¥50 million the 5 % band applies, so 4 % is not enough.
    let c = hte_cond(&rd_firm(50_000_000, 2_000_000), "rd_intensity");
    assert_eq!(c.outcome, Outcome::Fail);
    assert_eq!(c.gap.unwrap().amount, 500_000);
}

#[test]
fn rd_gap_is_exact_and_reads_like_advice() {
    // Σ sales 2023–2025 = 88M; 5 % = 4.4M; R&D 1% a year = 880,000 → short by 3,520,000.
    let mut facts = good_firm();
    for r in &mut facts.reports {
        r.rd_expense_yuan = r.sales_revenue_yuan.map(|s| s / 100);
    }
    let c = hte_cond(&facts, "rd_intensity");
    assert_eq!(c.outcome, Outcome::Fail);
    let gap = c.gap.unwrap();
    assert_eq!((gap.amount, gap.unit), (3_520_000, Unit::Yuan));
    assert!((gap.relative - 0.8).abs() < 1e-12);
    assert!(
        gap.advice_en.starts_with(
            "R&D spend over 2023–2025 is short by ¥3,520,000 of the 5 % minimum for sales up \
             to ¥50 million"
        ),
        "{}",
        gap.advice_en
    );
    assert!(
        gap.advice_zh
            .starts_with("研发费用（2023–2025年）距5%的最低比例还差3,520,000元"),
        "{}",
        gap.advice_zh
    );
    // Middle and top band wording.
    let gap = hte_cond(&rd_firm(100_000_000, 0), "rd_intensity")
        .gap
        .unwrap();
    assert!(
        gap.advice_en
            .contains("for sales above ¥50 million up to ¥200 million")
    );
    assert!(gap.advice_zh.contains("超过5,000万元、不超过2亿元"));
    let gap = hte_cond(&rd_firm(300_000_000, 0), "rd_intensity")
        .gap
        .unwrap();
    assert_eq!(gap.amount, 9_000_000);
    assert!(gap.advice_en.contains("for sales above ¥200 million"));
    // Rounded up: 5 % of 100,000,001 is 5,000,000.05.
    let gap = hte_cond(&rd_firm(100_000_001, 0), "rd_intensity")
        .gap
        .unwrap();
    assert_eq!(gap.amount, 4_000_001);
}

#[test]
fn zero_sales_fails_without_a_ratio() {
    let c = hte_cond(&rd_firm(0, 100), "rd_intensity");
    assert_eq!((c.outcome, c.value), (Outcome::Fail, None));
}

// ---------------------------------------------------------------- condition 5b: domestic share

#[test]
fn domestic_share_at_and_around_60_percent() {
    // Σ R&D = 1.6M + 2.24M + 3.2M = 7.04M; 60 % = 4,224,000; 2023+2024 domestic = 3.84M.
    for (domestic_2025, outcome, gap) in [
        (383_999, Outcome::Fail, Some(1)),
        (384_000, Outcome::Pass, None),
        (384_001, Outcome::Pass, None),
        (0, Outcome::Fail, Some(384_000)),
    ] {
        let facts = edit(good_firm(), 2025, |r| {
            r.rd_expense_domestic_yuan = Some(domestic_2025)
        });
        let c = hte_cond(&facts, "rd_domestic_share");
        assert_eq!(c.outcome, outcome, "{domestic_2025}");
        assert_eq!(c.gap.as_ref().map(|g| g.amount), gap, "{domestic_2025}");
        assert_eq!(c.threshold, Some(0.6));
    }
    let facts = edit(good_firm(), 2025, |r| r.rd_expense_domestic_yuan = Some(0));
    let gap = hte_cond(&facts, "rd_domestic_share").gap.unwrap();
    assert!(
        gap.advice_en.contains("at the same total, ¥384,000 more"),
        "{}",
        gap.advice_en
    );
}

// ---------------------------------------------------------------- condition 6: high-tech income

#[test]
fn hightech_income_share_at_and_around_60_percent() {
    // 2025 total income 41M; 60 % = 24.6M.
    for (hightech, outcome, gap) in [
        (24_599_999, Outcome::Fail, Some(1)),
        (24_600_000, Outcome::Pass, None),
        (24_600_001, Outcome::Pass, None),
    ] {
        let facts = edit(good_firm(), 2025, |r| {
            r.hightech_income_yuan = Some(hightech)
        });
        let c = hte_cond(&facts, "hightech_income_share");
        assert_eq!(c.outcome, outcome, "{hightech}");
        assert_eq!(c.gap.as_ref().map(|g| g.amount), gap);
    }
    // Constant total: 24.6M - 20.5M = 4.1M; new income: 4.1M / 0.4 = 10.25M.
    let facts = edit(good_firm(), 2025, |r| {
        r.hightech_income_yuan = Some(20_500_000)
    });
    let c = hte_cond(&facts, "hightech_income_share");
    let gap = c.gap.unwrap();
    assert_eq!(gap.amount, 4_100_000);
    assert!((c.value.unwrap() - 0.5).abs() < 1e-12);
    assert!(
        gap.advice_en.contains("¥10,250,000 of additional"),
        "{}",
        gap.advice_en
    );
    assert!(gap.advice_zh.contains("10,250,000元"), "{}", gap.advice_zh);
    // No income: fails, no ratio.
    let facts = edit(good_firm(), 2025, |r| r.total_income_yuan = Some(0));
    let c = hte_cond(&facts, "hightech_income_share");
    assert_eq!((c.outcome, c.value), (Outcome::Fail, None));
}

// ---------------------------------------------------------------- condition 4: S&T staff

#[test]
fn st_staff_ratio_and_the_hire_formula() {
    for (st, emp, outcome, hire) in [
        (10, 100, Outcome::Pass, None),
        (11, 100, Outcome::Pass, None),
        (9, 100, Outcome::Fail, Some(2)), // 11/102 ≥ 10 %, 10/101 < 10 %
        (0, 100, Outcome::Fail, Some(12)), // 12/112 ≥ 10 %, 11/111 < 10 %
        (99, 1000, Outcome::Fail, Some(2)), // 101/1002 ≥ 10 %, 100/1001 < 10 %
        (100, 1000, Outcome::Pass, None),
        (0, 0, Outcome::Fail, Some(1)),
    ] {
        let facts = edit(good_firm(), 2025, |r| {
            r.st_staff = Some(st);
            r.employees = Some(emp);
        });
        let c = hte_cond(&facts, "st_staff_ratio");
        assert_eq!(c.outcome, outcome, "{st}/{emp}");
        assert_eq!(c.gap.as_ref().map(|g| g.amount), hire, "{st}/{emp}");
        if let Some(gap) = &c.gap {
            assert_eq!(gap.unit, Unit::Staff);
            let (st, emp, n) = (st as f64, emp as f64, gap.amount as f64);
            assert!((st + n) / (emp + n) >= 0.1);
            assert!((st + n - 1.0) / (emp + n - 1.0) < 0.1 || emp + n - 1.0 == 0.0);
        }
    }
    let facts = edit(good_firm(), 2025, |r| {
        r.st_staff = Some(9);
        r.employees = Some(100);
    });
    let gap = hte_cond(&facts, "st_staff_ratio").gap.unwrap();
    assert!((gap.relative - 0.1).abs() < 1e-12);
    assert!(
        gap.advice_en
            .contains("hire 2 more S&T staff, or move 1 existing"),
        "{}",
        gap.advice_en
    );
    assert!(
        gap.advice_zh.contains("新增科技人员2人"),
        "{}",
        gap.advice_zh
    );
}

// ---------------------------------------------------------------- conditions 2, 3

#[test]
fn core_ip_counts_class1_and_class2() {
    for (class1, class2, invention, outcome) in [
        (Some(1), Some(0), None, Outcome::Pass),
        (Some(0), Some(1), None, Outcome::Pass),
        (Some(0), Some(0), None, Outcome::Fail),
        (None, None, Some(1), Outcome::Pass),
        (None, Some(0), Some(0), Outcome::Unknown),
        (Some(0), None, None, Outcome::Unknown),
    ] {
        let facts = edit(good_firm(), 2025, |r| {
            r.class1_ip = class1;
            r.class2_ip = class2;
            r.invention_patents = invention;
        });
        let c = hte_cond(&facts, "core_ip");
        assert_eq!(c.outcome, outcome, "{class1:?} {class2:?} {invention:?}");
        assert_eq!(c.missing.is_empty(), outcome != Outcome::Unknown);
        if outcome == Outcome::Fail {
            assert_eq!(
                c.gap.as_ref().map(|g| (g.amount, g.unit)),
                Some((1, Unit::Items))
            );
        }
    }
}

#[test]
fn tech_domain_known_or_unknown() {
    let c = hte_cond(&good_firm(), "tech_domain");
    assert_eq!(
        (c.outcome, c.comparator),
        (Outcome::Pass, Comparator::InCatalogue)
    );
    assert!(c.basis.contains("电子信息"));
    let facts = FirmFacts {
        tech_domain: None,
        ..good_firm()
    };
    let c = hte_cond(&facts, "tech_domain");
    assert_eq!(
        (c.outcome, c.missing.clone()),
        (Outcome::Unknown, vec!["tech_domain".to_owned()])
    );
    assert_eq!(run(&facts).hte.outcome, OverallOutcome::Undetermined);
}

// ---------------------------------------------------------------- missing data

#[test]
fn missing_figures_give_unknown_with_the_missing_list() {
    let facts = edit(good_firm(), 2024, |r| {
        r.sales_revenue_yuan = None;
        r.conversions = None;
    });
    let a = run(&facts);
    let rd = cond(&a.hte.conditions, "rd_intensity");
    assert_eq!(rd.outcome, Outcome::Unknown);
    assert_eq!(rd.missing, vec!["2024.sales_revenue_yuan"]);
    assert_eq!(a.hte.outcome, OverallOutcome::Undetermined);
    assert_eq!(a.hte.failing, 0);
    let sales_growth = item(&a.hte.score_breakdown, "sales_growth");
    assert_eq!(sales_growth.source, ScoreSource::MissingData);
    assert_eq!((sales_growth.points, sales_growth.possible), (0.0, 10.0));
    let innovation = cond(&a.hte.conditions, "innovation_score");
    assert!(innovation.missing.contains(&"2024.conversions".to_owned()));
    assert!(
        innovation
            .missing
            .contains(&"2024.sales_revenue_yuan".to_owned())
    );

    let facts = edit(good_firm(), 2025, |r| {
        r.st_staff = None;
        r.total_income_yuan = None;
    });
    let a = run(&facts);
    let staff = cond(&a.hte.conditions, "st_staff_ratio");
    assert_eq!(
        (staff.outcome, staff.missing.clone()),
        (Outcome::Unknown, vec!["2025.st_staff".to_owned()])
    );
    let income = cond(&a.hte.conditions, "hightech_income_share");
    assert_eq!(income.missing, vec!["2025.total_income_yuan"]);
    assert_eq!(a.tech_sme.outcome, OverallOutcome::Undetermined);
}

#[test]
fn no_reports_at_all_never_fail() {
    let facts = FirmFacts {
        reports: vec![],
        ..good_firm()
    };
    let a = run(&facts);
    for c in &a.hte.conditions {
        assert_ne!(c.outcome, Outcome::Fail, "{}", c.key);
    }
    let rd = cond(&a.hte.conditions, "rd_intensity");
    for year in 2023..=2025 {
        assert!(
            rd.missing.contains(&format!("{year}.rd_expense_yuan")),
            "{:?}",
            rd.missing
        );
    }
    assert_eq!(a.hte.outcome, OverallOutcome::Undetermined);
    for c in &a.tech_sme.conditions {
        assert_ne!(c.outcome, Outcome::Fail, "{}", c.key);
    }
    assert_eq!(a.tech_sme.outcome, OverallOutcome::Undetermined);
    assert_eq!(a.tech_sme.score, None);
}

#[test]
fn a_missing_report_year_is_listed_field_by_field() {
    let mut facts = good_firm();
    facts.reports.retain(|r| r.year != 2023);
    let c = hte_cond(&facts, "rd_domestic_share");
    assert_eq!(c.outcome, Outcome::Unknown);
    assert_eq!(
        c.missing,
        vec!["2023.rd_expense_domestic_yuan", "2023.rd_expense_yuan"]
    );
}

#[test]
fn duplicate_years_later_entry_wins() {
    let mut facts = good_firm();
    let mut dup = good_report(2025);
    dup.st_staff = Some(1);
    facts.reports.push(dup);
    assert_eq!(hte_cond(&facts, "st_staff_ratio").outcome, Outcome::Fail);
    // Order of reports otherwise does not matter.
    let mut facts = good_firm();
    facts.reports.reverse();
    assert_eq!(run(&facts), run(&good_firm()));
}

// ---------------------------------------------------------------- condition 7: innovation score

/// Rules whose expert items are replaced by `items` (key, max, fraction); the good firm's
/// computed items give 7 + 25 + 9 + 9 = 50.
fn rules_with_expert(items: &[(&str, u32, f64)]) -> RuleSet {
    let mut r = rules();
    r.hte.innovation.expert_items = items
        .iter()
        .map(|(key, max, fraction)| ExpertItem {
            key: (*key).to_owned(),
            indicator: Indicator::RdManagement,
            name_en: (*key).to_owned(),
            name_zh: (*key).to_owned(),
            max_points: *max,
            assumed_fraction: *fraction,
        })
        .collect();
    r.validate().unwrap();
    r
}

#[test]
fn innovation_score_must_exceed_70() {
    for (items, estimate, outcome, gap) in [
        (vec![("a", 20, 1.0)], 70.0, Outcome::Unknown, Some(1)),
        (
            vec![("a", 20, 1.0), ("b", 1, 0.5)],
            70.5,
            Outcome::Pass,
            None,
        ),
        (
            vec![("a", 20, 1.0), ("b", 1, 1.0)],
            71.0,
            Outcome::Pass,
            None,
        ),
        (vec![("a", 20, 0.95)], 69.0, Outcome::Unknown, Some(2)),
        (
            vec![("a", 20, 0.999_999)],
            69.99998,
            Outcome::Unknown,
            Some(1),
        ),
    ] {
        let a = assess(&good_firm(), as_of(), &rules_with_expert(&items));
        let c = cond(&a.hte.conditions, "innovation_score");
        assert!(
            (c.value.unwrap() - estimate).abs() < 1e-9,
            "{items:?}: {:?}",
            c.value
        );
        assert_eq!(c.outcome, outcome, "{items:?}");
        assert_eq!(c.gap.as_ref().map(|g| g.amount), gap, "{items:?}");
        assert!(c.estimated);
        // Every pass here rests on assumed points (the computed items give 50).
        let expected = if outcome == Outcome::Pass {
            OverallOutcome::LikelyQualifies
        } else {
            OverallOutcome::Undetermined
        };
        assert_eq!(a.hte.outcome, expected, "{items:?}");
    }
}

/// (entered scores, estimate, floor, possible, condition outcome, kind, verdict).
type ScoreCase<'a> = (
    &'a [(&'a str, f64)],
    f64,
    f64,
    f64,
    Outcome,
    ConditionKind,
    OverallOutcome,
);

/// Expert scores entered for the good firm: (item, points).
fn with_scores(scores: &[(&str, f64)]) -> FirmFacts {
    let mut f = good_firm();
    f.declared.expert_scores = scores.iter().map(|(k, p)| (k.to_string(), *p)).collect();
    f
}

#[test]
fn entered_expert_scores_decide_whether_a_pass_rests_on_assumptions() {
    let rd = [
        ("rd_management_system", 6.0),
        ("rd_unit_and_cooperation", 6.0),
        ("conversion_incentives", 4.0),
        ("talent_system", 4.0),
    ];
    let sixty = [
        ("ip_advancement", 4.8),
        ("ip_core_support", 4.8),
        ("ip_acquisition", 3.6),
        ("ip_standards_bonus", 0.0),
        ("rd_management_system", 3.6),
        ("rd_unit_and_cooperation", 3.6),
        ("conversion_incentives", 2.4),
        ("talent_system", 2.4),
    ];
    let zero: Vec<(&str, f64)> = sixty.iter().map(|(k, _)| (*k, 0.0)).collect();
    let rd_and_bonus: Vec<(&str, f64)> = rd
        .iter()
        .copied()
        .chain([("ip_standards_bonus", 1.0)])
        .collect();
    // (scores, estimate, floor, possible, condition, kind, verdict); computed items give 50
    // at the low end of their bands and 58 at the top.
    let cases: Vec<ScoreCase<'_>> = vec![
        (
            &[],
            75.2,
            50.0,
            100.0,
            Outcome::Pass,
            ConditionKind::Estimate,
            OverallOutcome::LikelyQualifies,
        ),
        // Every item entered: the pass rests on data and the review.
        (
            &sixty,
            75.2,
            75.2,
            83.2,
            Outcome::Pass,
            ConditionKind::Data,
            OverallOutcome::Qualifies,
        ),
        // Entered points reach exactly 70: the pass still needs assumed IP points.
        (
            &rd,
            83.2,
            70.0,
            100.0,
            Outcome::Pass,
            ConditionKind::Estimate,
            OverallOutcome::LikelyQualifies,
        ),
        // One more entered point: 71 without any assumption.
        (
            &rd_and_bonus,
            84.2,
            71.0,
            100.0,
            Outcome::Pass,
            ConditionKind::Data,
            OverallOutcome::Qualifies,
        ),
        (
            &zero,
            50.0,
            50.0,
            58.0,
            Outcome::Fail,
            ConditionKind::Estimate,
            OverallOutcome::DoesNotQualify,
        ),
    ];
    for case in cases {
        check_score_case(case);
    }
    let a = run(&with_scores(&sixty));
    let entered = item(&a.hte.score_breakdown, "ip_advancement");
    assert_eq!(
        (entered.source, entered.points, entered.possible),
        (ScoreSource::Entered, 4.8, 4.8)
    );
    // An entered score above the item's maximum counts as the maximum.
    let a = run(&with_scores(&[("talent_system", 9.0)]));
    assert_eq!(item(&a.hte.score_breakdown, "talent_system").points, 4.0);
}

/// The score breakdown, the innovation condition and the verdict a firm with `scores`
/// entered gets.
fn check_score_case((scores, estimate, floor, possible, outcome, kind, verdict): ScoreCase<'_>) {
    let a = run(&with_scores(scores));
    let score = &a.hte.score_breakdown;
    let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
    assert!(
        close(score.estimate, estimate),
        "{scores:?}: {}",
        score.estimate
    );
    assert!(close(score.floor, floor), "{scores:?}: {}", score.floor);
    assert!(
        close(score.possible, possible),
        "{scores:?}: {}",
        score.possible
    );
    assert!(close(score.points_at_risk, estimate - floor), "{scores:?}");
    let c = cond(&a.hte.conditions, "innovation_score");
    assert_eq!((c.outcome, c.kind), (outcome, kind), "{scores:?}");
    assert_eq!(c.estimated, kind == ConditionKind::Estimate, "{scores:?}");
    assert_eq!(a.hte.outcome, verdict, "{scores:?}");
}

#[test]
fn an_open_clean_record_leaves_a_data_pass_likely() {
    let mut f = with_scores(&[
        ("rd_management_system", 6.0),
        ("rd_unit_and_cooperation", 6.0),
        ("conversion_incentives", 4.0),
        ("talent_system", 4.0),
        ("ip_standards_bonus", 1.0),
    ]);
    f.clean_record = None;
    assert_eq!(run(&f).hte.outcome, OverallOutcome::LikelyQualifies);
    f.clean_record = Some(false);
    assert_eq!(run(&f).hte.outcome, OverallOutcome::DoesNotQualify);
}

#[test]
fn innovation_score_fails_only_when_even_the_best_case_cannot_pass() {
    // No Class I, 1 Class II (1–2), no conversions, shrinking sales and net assets.
    let mut facts = good_firm();
    for r in &mut facts.reports {
        r.class1_ip = Some(0);
        r.invention_patents = Some(0);
        r.class2_ip = Some(1);
        r.conversions = Some(0);
        let shrink = i64::from(2030 - r.year);
        r.sales_revenue_yuan = Some(10_000_000 * shrink);
        r.net_assets_yuan = Some(1_000_000 * shrink);
    }
    let a = run(&facts);
    let c = cond(&a.hte.conditions, "innovation_score");
    // Best case: IP 2 + 8 + 8 + 6 + 2 = 26, conversions 0, R&D management 20, growth 0.
    assert_eq!(a.hte.score_breakdown.possible, 46.0);
    assert_eq!(c.outcome, Outcome::Fail);
    assert!(c.estimated);
    assert_eq!(a.hte.outcome, OverallOutcome::DoesNotQualify);

    // Two conversions a year: estimate 57.2, best case 82 → unknown with a points gap.
    let facts = {
        let mut f = good_firm();
        for r in &mut f.reports {
            r.conversions = Some(2);
        }
        f
    };
    let a = run(&facts);
    let c = cond(&a.hte.conditions, "innovation_score");
    assert!((c.value.unwrap() - 57.2).abs() < 1e-9);
    assert_eq!(c.outcome, Outcome::Unknown);
    let gap = c.gap.as_ref().unwrap();
    assert_eq!((gap.amount, gap.unit), (13, Unit::Points));
    assert!(
        gap.advice_en
            .contains("3 more converted S&T results over 2023–2025 would add 6 points"),
        "{}",
        gap.advice_en
    );
    assert_eq!(a.hte.outcome, OverallOutcome::Undetermined);
}

#[test]
fn ip_quantity_bands_take_the_low_end() {
    for (class1, class2, points, possible) in [
        (Some(1), Some(0), 7.0, 8.0),
        (Some(0), Some(5), 5.0, 6.0),
        (Some(0), Some(4), 3.0, 4.0),
        (Some(0), Some(3), 3.0, 4.0),
        (Some(0), Some(2), 1.0, 2.0),
        (Some(0), Some(1), 1.0, 2.0),
        (Some(0), Some(0), 0.0, 0.0),
        (None, Some(3), 3.0, 8.0), // Class I unknown: could still be 7–8
    ] {
        let facts = edit(good_firm(), 2025, |r| {
            r.class1_ip = class1;
            r.class2_ip = class2;
            r.invention_patents = None;
        });
        let a = run(&facts);
        let i = item(&a.hte.score_breakdown, "ip_quantity");
        assert_eq!(
            (i.points, i.possible),
            (points, possible),
            "{class1:?} {class2:?}"
        );
    }
}

#[test]
fn conversion_bands_use_the_average_per_year() {
    for (per_year, points) in [
        ([5, 5, 5], 25.0),
        ([5, 5, 4], 19.0), // 14 / 3 = 4.67
        ([4, 4, 4], 19.0),
        ([3, 3, 3], 13.0),
        ([2, 2, 2], 7.0),
        ([1, 1, 1], 1.0),
        ([1, 1, 0], 0.0), // 0.67 a year
        ([0, 0, 0], 0.0),
    ] {
        let mut facts = good_firm();
        for (r, n) in facts.reports.iter_mut().zip(per_year) {
            r.conversions = Some(n);
        }
        let a = run(&facts);
        assert_eq!(
            item(&a.hte.score_breakdown, "conversion").points,
            points,
            "{per_year:?}"
        );
    }
}

#[test]
fn growth_bands_and_edge_rules() {
    // (X1, X2, X3) → points and source.
    for (values, points, source) in [
        ([400, 540, 729], 9.0, ScoreSource::Computed), // exactly 35 %
        ([400, 540, 728], 7.0, ScoreSource::Computed), // just below 35 %
        ([100, 125, 125 * 5 / 4 + 1], 7.0, ScoreSource::Computed),
        ([100, 100, 100], 0.0, ScoreSource::Computed), // 0 % scores 0
        ([100, 100, 101], 1.0, ScoreSource::Computed), // just above 0
        ([100, 90, 81], 0.0, ScoreSource::Computed),   // negative
        ([0, 400, 540], 9.0, ScoreSource::Computed),   // year 1 zero: last two years
        ([100, 0, 500], 0.0, ScoreSource::Computed),   // year 2 zero: 0
        ([-100, 200, 300], 0.0, ScoreSource::ManualReview),
        ([100, -50, 300], 0.0, ScoreSource::ManualReview),
    ] {
        let mut facts = good_firm();
        for (r, x) in facts.reports.iter_mut().zip(values) {
            r.net_assets_yuan = Some(x);
        }
        let a = run(&facts);
        let i = item(&a.hte.score_breakdown, "net_asset_growth");
        assert_eq!(
            (i.points, i.source),
            (points, source),
            "{values:?}: {}",
            i.basis
        );
        if source == ScoreSource::ManualReview {
            assert_eq!(i.possible, 10.0);
        }
    }
}

// ---------------------------------------------------------------- readiness

#[test]
fn readiness_orders_known_passes_then_failing_then_gap() {
    let good = good_firm();
    let unknown_record = FirmFacts {
        clean_record: None,
        ..good_firm()
    };
    let short_staff = edit(good_firm(), 2025, |r| r.st_staff = Some(9)); // relative 0.1
    let low_rd = {
        let mut f = good_firm();
        for r in &mut f.reports {
            r.rd_expense_yuan = r.sales_revenue_yuan.map(|s| s / 100); // relative 0.8
            r.rd_expense_domestic_yuan = r.rd_expense_yuan;
        }
        f
    };
    let both = edit(low_rd.clone(), 2025, |r| r.st_staff = Some(9));
    let mut ranked: Vec<(&str, Readiness)> = [
        ("both", &both),
        ("low_rd", &low_rd),
        ("unknown_record", &unknown_record),
        ("short_staff", &short_staff),
        ("good", &good),
    ]
    .into_iter()
    .map(|(name, f)| (name, run(f).hte.readiness()))
    .collect();
    ranked.sort_by_key(|(_, r)| *r);
    let names: Vec<&str> = ranked.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        ["good", "unknown_record", "short_staff", "low_rd", "both"]
    );
    assert_eq!(
        ranked[2].1,
        Readiness {
            passing: 8,
            failing: 1,
            relative_gap_ppm: 100_000,
            unknown: 0
        }
    );
    assert_eq!(ranked[3].1.relative_gap_ppm, 800_000);
    assert_eq!(ranked[4].1.relative_gap_ppm, 900_000);
}

#[test]
fn conversions_between_zero_and_one_a_year_get_the_experts_band() {
    // (conversions in each of 2023–2025, points, possible, source)
    let cases = [
        ([0, 0, 0], 0.0, 0.0, ScoreSource::Computed),
        ([1, 0, 0], 0.0, 6.0, ScoreSource::ExpertJudgement),
        ([1, 1, 0], 0.0, 6.0, ScoreSource::ExpertJudgement),
        ([1, 1, 1], 1.0, 6.0, ScoreSource::Computed),
        ([3, 0, 0], 1.0, 6.0, ScoreSource::Computed),
        ([2, 2, 1], 1.0, 6.0, ScoreSource::Computed),
        ([2, 2, 2], 7.0, 12.0, ScoreSource::Computed),
    ];
    for (per_year, points, possible, source) in cases {
        let mut f = good_firm();
        for (r, n) in f.reports.iter_mut().zip(per_year) {
            r.conversions = Some(n);
        }
        let a = run(&f);
        let conversion = item(&a.hte.score_breakdown, "conversion");
        assert_eq!(conversion.points, points, "{per_year:?}");
        assert_eq!(conversion.possible, possible, "{per_year:?}");
        assert_eq!(conversion.source, source, "{per_year:?}");
        assert_eq!(
            conversion.estimated,
            source != ScoreSource::Computed,
            "{per_year:?}"
        );
    }
}

#[test]
fn readiness_ranks_known_passes_then_failing_then_gap() {
    let r = |passing, failing, relative_gap_ppm, unknown| Readiness {
        passing,
        failing,
        relative_gap_ppm,
        unknown,
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    // (left, right, how left ranks against right); smaller ranks first.
    let cases = [
        // The case: seven unknown conditions are not closer than two failing ones.
        (r(2, 0, 0, 7), r(7, 2, 1_500_000, 0), Greater),
        // One more known pass outweighs any gap.
        (r(8, 1, 999_999, 0), r(7, 0, 0, 2), Less),
        // Same passes: fewer failing first, then the smaller gap, then fewer unknown.
        (r(7, 1, 900_000, 1), r(7, 2, 10, 0), Less),
        (r(7, 1, 10, 1), r(7, 1, 20, 1), Less),
        (r(7, 1, 10, 1), r(7, 1, 10, 2), Less),
        (r(7, 1, 10, 1), r(7, 1, 10, 1), Equal),
    ];
    for (left, right, expected) in cases {
        assert_eq!(left.cmp(&right), expected, "{left:?} vs {right:?}");
        assert_eq!(
            right.cmp(&left),
            expected.reverse(),
            "{right:?} vs {left:?}"
        );
    }
}

#[test]
fn a_firm_with_unknown_conditions_ranks_below_one_failing_by_a_little() {
    let all_missing = FirmFacts {
        reports: Vec::new(),
        ..good_firm()
    };
    let short_staff = edit(good_firm(), 2025, |r| r.st_staff = Some(9));
    let open = run(&all_missing).hte.readiness();
    let short = run(&short_staff).hte.readiness();
    assert!(open.unknown >= 5, "{open:?}");
    assert_eq!(short.failing, 1);
    assert!(short < open, "{short:?} should rank before {open:?}");
}

// ---------------------------------------------------------------- rule set

#[test]
fn rule_set_json_round_trip() {
    let r = rules();
    assert_eq!(r.validate(), Ok(()));
    assert_eq!(RuleSet::default(), r);
    let json = serde_json::to_string_pretty(&r).unwrap();
    let back: RuleSet = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let value = serde_json::to_value(&r).unwrap();
    assert_eq!(value["hte"]["min_st_staff_ratio"], 0.1);
    assert_eq!(
        value["hte"]["rd_intensity_bands"][0]["max_latest_sales_yuan"],
        50_000_000
    );
    assert!(value["hte"]["rd_intensity_bands"][2]["max_latest_sales_yuan"].is_null());
    assert_eq!(value["gazelle"]["confirmed"], false);
    assert_eq!(
        value["tech_sme"]["direct_route_min_rd_institution"],
        "provincial"
    );
    assert_eq!(
        value["hte"]["innovation"]["expert_items"][0]["indicator"],
        "intellectual_property"
    );

    // Unknown fields are rejected rather than ignored.
    let mut bad = value.clone();
    bad["hte"]["min_staff_ratio"] = serde_json::json!(0.1);
    assert!(serde_json::from_value::<RuleSet>(bad).is_err());
}

#[test]
fn rule_set_validation_reports_each_problem_with_its_path() {
    for (change, path) in invalid_rule_sets() {
        let mut r = rules();
        change(&mut r);
        let errors = r.validate().unwrap_err();
        assert!(
            errors.iter().any(|(p, _, _)| p == path),
            "expected an error at {path}, got {errors:?}"
        );
    }
    // Several problems at once are all reported.
    let mut r = rules();
    r.version.clear();
    r.hte.min_st_staff_ratio = 2.0;
    r.gazelle.cagr_periods = 9;
    assert_eq!(r.validate().unwrap_err().len(), 3);
}

/// A change that makes a rule set invalid, and the path its error names.
type RuleSetEdit = (fn(&mut RuleSet), &'static str);

fn invalid_rule_sets() -> Vec<RuleSetEdit> {
    vec![
        (|r| r.version = "  ".to_owned(), "version"),
        (|r| r.hte.min_st_staff_ratio = 1.5, "hte.min_st_staff_ratio"),
        (
            |r| r.hte.min_rd_domestic_share = -0.1,
            "hte.min_rd_domestic_share",
        ),
        (
            |r| r.hte.min_hightech_income_share = f64::NAN,
            "hte.min_hightech_income_share",
        ),
        (
            |r| r.hte.rd_intensity_bands[1].min_ratio = 4.0,
            "hte.rd_intensity_bands[1].min_ratio",
        ),
        (
            |r| r.hte.rd_intensity_bands[1].max_latest_sales_yuan = Some(40_000_000),
            "hte.rd_intensity_bands[1].max_latest_sales_yuan",
        ),
        (
            |r| r.hte.rd_intensity_bands[2].max_latest_sales_yuan = Some(900_000_000),
            "hte.rd_intensity_bands[2].max_latest_sales_yuan",
        ),
        (
            |r| r.hte.rd_intensity_bands[0].max_latest_sales_yuan = None,
            "hte.rd_intensity_bands[0].max_latest_sales_yuan",
        ),
        (
            |r| r.hte.rd_intensity_bands.clear(),
            "hte.rd_intensity_bands",
        ),
        (
            |r| r.hte.innovation.pass_mark_points = 100,
            "hte.innovation.pass_mark_points",
        ),
        (
            |r| r.hte.innovation.expert_items[1].key = "ip_advancement".to_owned(),
            "hte.innovation.expert_items[1].key",
        ),
        (
            |r| r.hte.innovation.expert_items[0].key = "conversion".to_owned(),
            "hte.innovation.expert_items[0].key",
        ),
        (
            |r| r.hte.innovation.expert_items[0].assumed_fraction = 1.2,
            "hte.innovation.expert_items[0].assumed_fraction",
        ),
        (
            |r| r.hte.innovation.conversion.bands.swap(0, 1),
            "hte.innovation.conversion.bands[1].min_per_year",
        ),
        (
            |r| r.hte.innovation.growth.bands.swap(1, 2),
            "hte.innovation.growth.bands[2].min_rate",
        ),
        (
            |r| r.hte.innovation.ip_quantity.class1_points.low = 9,
            "hte.innovation.ip_quantity.class1_points",
        ),
        (
            |r| r.hte.innovation.ip_quantity.class2_bands.swap(0, 2),
            "hte.innovation.ip_quantity.class2_bands[1].min_count",
        ),
        (|r| r.tech_sme.max_employees = 0, "tech_sme.max_employees"),
        (
            |r| r.tech_sme.staff_bands.swap(0, 1),
            "tech_sme.staff_bands[1].min_ratio",
        ),
        (
            |r| r.tech_sme.rd_bands[2].min_ratio_of_total_costs = 0.5,
            "tech_sme.rd_bands[2].min_ratio_of_total_costs",
        ),
        (
            |r| r.tech_sme.ip_class2_bands.swap(0, 3),
            "tech_sme.ip_class2_bands[1].min_count",
        ),
        (|r| r.tech_sme.pass_points = 101, "tech_sme.pass_points"),
        (
            |r| r.tech_sme.direct_route_min_rd_institution = Some(RdInstitution::None),
            "tech_sme.direct_route_min_rd_institution",
        ),
        (|r| r.gazelle.min_sales_cagr = 2.0, "gazelle.min_sales_cagr"),
        (|r| r.gazelle.cagr_periods = 0, "gazelle.cagr_periods"),
        (|r| r.gazelle.max_age_years = 0, "gazelle.max_age_years"),
    ]
}

#[test]
fn a_province_can_change_thresholds_as_data() {
    let mut r = rules();
    r.version = "2026-js-1".to_owned();
    r.hte.min_st_staff_ratio = 0.35; // the good firm has 30 %
    r.validate().unwrap();
    let a = assess(&good_firm(), as_of(), &r);
    assert_eq!(a.rule_set_version, "2026-js-1");
    let c = cond(&a.hte.conditions, "st_staff_ratio");
    assert_eq!(c.outcome, Outcome::Fail);
    // (30 + n) / (100 + n) ≥ 35 % → n ≥ 5 / 0.65 → 8.
    assert_eq!(c.gap.as_ref().unwrap().amount, 8);
}

// ---------------------------------------------------------------- tech-SME

fn sme_firm(f: impl FnOnce(&mut YearFigures)) -> FirmFacts {
    let mut report = YearFigures {
        year: 2025,
        employees: Some(500),
        st_staff: Some(150),
        sales_revenue_yuan: Some(100_000_000),
        rd_expense_yuan: Some(6_000_000),
        total_costs_yuan: Some(1_000_000_000),
        total_assets_yuan: Some(100_000_000),
        class1_ip: Some(1),
        class2_ip: Some(0),
        rd_institution: Some(RdInstitution::None),
        ..YearFigures::default()
    };
    f(&mut report);
    FirmFacts {
        registered_on: d(2020, 1, 1),
        tech_domain: None,
        holds_valid_hte_certificate: false,
        hte_valid_until: None,
        clean_record: Some(true),
        // Declared: no award and no led standard, so the score route decides.
        declared: DeclaredFacts {
            national_award: Some(false),
            led_standard: Some(false),
            ..DeclaredFacts::default()
        },
        reports: vec![report],
    }
}

fn sme(facts: &FirmFacts) -> TechSmeAssessment {
    run(facts).tech_sme
}

#[test]
fn tech_sme_staff_points_at_band_edges() {
    for (st, points) in [
        (150, 20),
        (149, 16),
        (125, 16),
        (124, 12),
        (100, 12),
        (99, 8),
        (75, 8),
        (74, 4),
        (50, 4),
        (49, 0),
        (0, 0),
    ] {
        let a = sme(&sme_firm(|r| r.st_staff = Some(st)));
        assert_eq!(a.staff_points, Some(points), "{st}/500");
    }
}

#[test]
fn tech_sme_rd_points_on_both_bases() {
    // Sales base (costs so large that base scores 0).
    for (rd, points) in [
        (6_000_000, 50),
        (5_999_999, 40),
        (5_000_000, 40),
        (4_999_999, 30),
        (4_000_000, 30),
        (3_000_000, 20),
        (2_999_999, 10),
        (2_000_000, 10),
        (1_999_999, 0),
    ] {
        let a = sme(&sme_firm(|r| r.rd_expense_yuan = Some(rd)));
        assert_eq!(a.rd_points, Some(points), "R&D {rd} on sales 100M");
    }
    // Costs base (no sales, so that base scores 0).
    for (rd, points) in [
        (3_000_000, 50),
        (2_999_999, 40),
        (2_500_000, 40),
        (2_000_000, 30),
        (1_500_000, 20),
        (1_000_000, 10),
        (999_999, 0),
    ] {
        let a = sme(&sme_firm(|r| {
            r.rd_expense_yuan = Some(rd);
            r.sales_revenue_yuan = Some(0);
            r.total_costs_yuan = Some(10_000_000);
        }));
        assert_eq!(a.rd_points, Some(points), "R&D {rd} on costs 10M");
    }
    // Keep the higher: 2 % of sales (10) against ~30 % of costs.
    for (costs, points) in [(6_666_667, 40), (6_666_666, 50)] {
        let a = sme(&sme_firm(|r| {
            r.rd_expense_yuan = Some(2_000_000);
            r.total_costs_yuan = Some(costs);
        }));
        assert_eq!(a.rd_points, Some(points), "costs {costs}");
    }
    // One base missing: known only if the other already scores the maximum.
    let a = sme(&sme_firm(|r| r.total_costs_yuan = None));
    assert_eq!(a.rd_points, Some(50));
    let a = sme(&sme_firm(|r| {
        r.total_costs_yuan = None;
        r.rd_expense_yuan = Some(2_000_000);
    }));
    assert_eq!(a.rd_points, None);
}

#[test]
fn tech_sme_ip_points() {
    for (class1, class2, points) in [
        (1, 0, 30),
        (0, 4, 24),
        (0, 9, 24),
        (0, 3, 18),
        (0, 2, 12),
        (0, 1, 6),
        (0, 0, 0),
    ] {
        let a = sme(&sme_firm(|r| {
            r.class1_ip = Some(class1);
            r.class2_ip = Some(class2);
        }));
        assert_eq!(a.ip_points, Some(points), "{class1} {class2}");
    }
}

#[test]
fn tech_sme_pass_mark_is_60_inclusive() {
    // Staff 20 + R&D 40 + IP 0 = 60.
    let pass = sme_firm(|r| {
        r.rd_expense_yuan = Some(5_000_000);
        r.class1_ip = Some(0);
    });
    let a = sme(&pass);
    assert_eq!((a.score, a.outcome), (Some(60), OverallOutcome::Qualifies));
    // Staff 16 + 40 + 0 = 56.
    let fail = sme_firm(|r| {
        r.rd_expense_yuan = Some(5_000_000);
        r.class1_ip = Some(0);
        r.st_staff = Some(149);
    });
    let a = sme(&fail);
    assert_eq!(
        (a.score, a.outcome),
        (Some(56), OverallOutcome::DoesNotQualify)
    );
    let c = cond(&a.conditions, "evaluation_score");
    let gap = c.gap.as_ref().unwrap();
    assert_eq!((gap.amount, gap.unit), (4, Unit::Points));
    assert!(
        gap.advice_en
            .contains("Hiring 2 more S&T staff (to 30 %) adds 4 points"),
        "{}",
        gap.advice_en
    );
    assert!(
        gap.advice_en.contains("A first Class I IP item"),
        "{}",
        gap.advice_en
    );
    assert!(gap.advice_zh.contains("距60分还差4分"), "{}", gap.advice_zh);
}

#[test]
fn tech_sme_zero_staff_score_disqualifies_despite_a_high_score() {
    let facts = sme_firm(|r| r.st_staff = Some(49));
    let a = sme(&facts);
    assert_eq!(a.score, Some(80));
    assert_eq!(a.route, TechSmeRoute::Score);
    assert_eq!(a.outcome, OverallOutcome::DoesNotQualify);
    let c = cond(&a.conditions, "st_staff_score_nonzero");
    assert_eq!(c.outcome, Outcome::Fail);
    assert_eq!(c.gap.as_ref().map(|g| g.amount), Some(2));
    assert_eq!(
        cond(&a.conditions, "evaluation_score").outcome,
        Outcome::Pass
    );
}

#[test]
fn tech_sme_direct_routes() {
    a_certificate_or_an_rd_institution_is_a_direct_route();
    an_award_or_a_led_standard_is_a_direct_route();
    // A passing score needs no direct route, known or not.
    let scoring = FirmFacts {
        declared: DeclaredFacts::default(),
        ..sme_firm(|_| {})
    };
    assert_eq!(sme(&scoring).outcome, OverallOutcome::Qualifies);

    // The direct route does not lift the size caps.
    let big = FirmFacts {
        holds_valid_hte_certificate: true,
        ..sme_firm(|r| r.employees = Some(501))
    };
    assert_eq!(sme(&big).outcome, OverallOutcome::DoesNotQualify);
}

/// A firm too weak to pass on its score, with an R&D institution of `level` (or unknown).
fn weak_sme(level: Option<RdInstitution>) -> FirmFacts {
    sme_firm(|r| {
        r.st_staff = Some(0);
        r.rd_expense_yuan = Some(0);
        r.class1_ip = Some(0);
        r.rd_institution = level;
    })
}

fn a_certificate_or_an_rd_institution_is_a_direct_route() {
    let with_certificate = FirmFacts {
        holds_valid_hte_certificate: true,
        ..weak_sme(Some(RdInstitution::None))
    };
    for (facts, route, outcome) in [
        (
            with_certificate,
            TechSmeRoute::DirectHteCertificate,
            OverallOutcome::Qualifies,
        ),
        (
            weak_sme(Some(RdInstitution::Provincial)),
            TechSmeRoute::DirectRdInstitution,
            OverallOutcome::Qualifies,
        ),
        (
            weak_sme(Some(RdInstitution::National)),
            TechSmeRoute::DirectRdInstitution,
            OverallOutcome::Qualifies,
        ),
        (
            weak_sme(Some(RdInstitution::Municipal)),
            TechSmeRoute::Score,
            OverallOutcome::DoesNotQualify,
        ),
        (
            weak_sme(None),
            TechSmeRoute::Score,
            OverallOutcome::Undetermined,
        ),
    ] {
        let a = sme(&facts);
        assert_eq!((a.route, a.outcome), (route, outcome));
        assert_eq!(a.score, Some(0));
        if route != TechSmeRoute::Score {
            assert_eq!(cond(&a.conditions, "direct_route").outcome, Outcome::Pass);
            assert!(a.conditions.iter().all(|c| c.key != "evaluation_score"));
        }
    }
    let a = sme(&weak_sme(None));
    let direct = cond(&a.conditions, "direct_route");
    assert_eq!(direct.outcome, Outcome::Unknown);
    assert_eq!(direct.missing, vec!["2025.rd_institution"]);
}

/// 115号 Art. 8 (2) and (4): awards and led standards, and what their absence means.
fn an_award_or_a_led_standard_is_a_direct_route() {
    let declared = |award, standard| FirmFacts {
        declared: DeclaredFacts {
            national_award: award,
            led_standard: standard,
            ..DeclaredFacts::default()
        },
        ..weak_sme(Some(RdInstitution::Municipal))
    };
    for (award, standard, route, outcome, missing) in [
        (
            Some(true),
            None,
            TechSmeRoute::DirectNationalAward,
            OverallOutcome::Qualifies,
            None,
        ),
        (
            None,
            Some(true),
            TechSmeRoute::DirectLedStandard,
            OverallOutcome::Qualifies,
            None,
        ),
        (
            Some(false),
            Some(true),
            TechSmeRoute::DirectLedStandard,
            OverallOutcome::Qualifies,
            None,
        ),
        // The score fails alone and a direct route is not known: undetermined, not a fail.
        (
            None,
            Some(false),
            TechSmeRoute::Score,
            OverallOutcome::Undetermined,
            Some(vec!["national_award"]),
        ),
        (
            Some(false),
            None,
            TechSmeRoute::Score,
            OverallOutcome::Undetermined,
            Some(vec!["led_standard"]),
        ),
        (
            None,
            None,
            TechSmeRoute::Score,
            OverallOutcome::Undetermined,
            Some(vec!["national_award", "led_standard"]),
        ),
        (
            Some(false),
            Some(false),
            TechSmeRoute::Score,
            OverallOutcome::DoesNotQualify,
            None,
        ),
    ] {
        let a = sme(&declared(award, standard));
        assert_eq!(
            (a.route, a.outcome),
            (route, outcome),
            "{award:?} {standard:?}"
        );
        let direct = a.conditions.iter().find(|c| c.key == "direct_route");
        match (&missing, route) {
            (Some(keys), _) => {
                let direct = direct.expect("an open direct route");
                assert_eq!(direct.outcome, Outcome::Unknown);
                assert_eq!(&direct.missing, keys);
            }
            (None, TechSmeRoute::Score) => assert!(direct.is_none()),
            (None, _) => assert_eq!(direct.map(|c| c.outcome), Some(Outcome::Pass)),
        }
    }
}

#[test]
fn tech_sme_size_caps_are_inclusive() {
    type Set = fn(&mut YearFigures, i64);
    let cases: [(&str, i64, Set); 3] = [
        ("employees_cap", 500, |r, v| {
            r.employees = Some(v);
            r.st_staff = Some(v * 3 / 10 + 1);
        }),
        ("sales_cap", 200_000_000, |r, v| {
            r.sales_revenue_yuan = Some(v)
        }),
        ("total_assets_cap", 200_000_000, |r, v| {
            r.total_assets_yuan = Some(v)
        }),
    ];
    for (key, cap, set) in cases {
        for (value, outcome) in [
            (cap - 1, Outcome::Pass),
            (cap, Outcome::Pass),
            (cap + 1, Outcome::Fail),
        ] {
            let a = sme(&sme_firm(|r| set(r, value)));
            let c = cond(&a.conditions, key);
            assert_eq!(c.outcome, outcome, "{key} {value}");
            assert_eq!(c.comparator, Comparator::AtMost);
            if outcome == Outcome::Fail {
                assert_eq!(c.gap.as_ref().map(|g| g.amount), Some(1));
                assert_eq!(a.outcome, OverallOutcome::DoesNotQualify);
            }
        }
    }
}

// ---------------------------------------------------------------- gazelle

fn gazelle_firm(base_sales: i64, latest_sales: i64) -> FirmFacts {
    let report = |year, sales| YearFigures {
        year,
        sales_revenue_yuan: Some(sales),
        ..YearFigures::default()
    };
    FirmFacts {
        registered_on: d(2019, 1, 1),
        tech_domain: None,
        holds_valid_hte_certificate: true,
        hte_valid_until: Some(d(2027, 12, 31)),
        clean_record: None,
        declared: Default::default(),
        reports: vec![report(2022, base_sales), report(2025, latest_sales)],
    }
}

#[test]
fn gazelle_cagr_and_floor_are_exact() {
    // 1.2³ = 1.728.
    for (latest, outcome, gap) in [
        (17_279_999, Outcome::Fail, Some(1)),
        (17_280_000, Outcome::Pass, None),
        (17_280_001, Outcome::Pass, None),
    ] {
        let a = run(&gazelle_firm(10_000_000, latest)).gazelle;
        assert!(!a.confirmed_rules);
        let c = cond(&a.conditions, "gazelle_revenue_cagr");
        assert_eq!(c.outcome, outcome, "{latest}");
        assert_eq!(c.gap.as_ref().map(|g| g.amount), gap);
        let expected = if outcome == Outcome::Pass {
            OverallOutcome::Qualifies
        } else {
            OverallOutcome::DoesNotQualify
        };
        assert_eq!(a.outcome, expected);
    }
    let a = run(&gazelle_firm(5_000_000, 9_999_999)).gazelle;
    let floor = cond(&a.conditions, "gazelle_revenue_floor");
    assert_eq!(
        (floor.outcome, floor.gap.as_ref().map(|g| g.amount)),
        (Outcome::Fail, Some(1))
    );
    let a = run(&gazelle_firm(5_000_000, 10_000_000)).gazelle;
    assert_eq!(
        cond(&a.conditions, "gazelle_revenue_floor").outcome,
        Outcome::Pass
    );
}

#[test]
fn gazelle_age_history_and_missing_data() {
    for (registered, outcome) in [
        (d(2016, 6, 1), Outcome::Pass),
        (d(2016, 5, 31), Outcome::Fail),
    ] {
        let facts = FirmFacts {
            registered_on: registered,
            ..gazelle_firm(10_000_000, 20_000_000)
        };
        let c = gazelle_cond(&facts, "gazelle_age");
        assert_eq!(c.outcome, outcome, "{registered}");
    }
    // Registered after the base year: no history to grow from.
    let facts = FirmFacts {
        registered_on: d(2023, 1, 1),
        ..gazelle_firm(10_000_000, 20_000_000)
    };
    let c = gazelle_cond(&facts, "gazelle_revenue_cagr");
    assert_eq!(c.outcome, Outcome::Fail);
    // Base year missing: unknown.
    let mut facts = gazelle_firm(10_000_000, 20_000_000);
    facts.reports.retain(|r| r.year != 2022);
    let a = run(&facts).gazelle;
    let c = cond(&a.conditions, "gazelle_revenue_cagr");
    assert_eq!(
        (c.outcome, c.missing.clone()),
        (Outcome::Unknown, vec!["2022.sales_revenue_yuan".to_owned()])
    );
    assert_eq!(a.outcome, OverallOutcome::Undetermined);
    // No HTE certificate.
    let facts = FirmFacts {
        holds_valid_hte_certificate: false,
        ..gazelle_firm(10_000_000, 20_000_000)
    };
    let c = gazelle_cond(&facts, "gazelle_hte_certificate");
    assert_eq!(c.outcome, Outcome::Fail);
}

// ---------------------------------------------------------------- serialisation and schema

#[test]
fn assessment_json_shape() {
    let facts = edit(good_firm(), 2025, |r| r.st_staff = Some(9));
    let a = run(&facts);
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["as_of"], "2026-06-01");
    assert_eq!(v["hte"]["outcome"], "does_not_qualify");
    let staff = &v["hte"]["conditions"][3];
    assert_eq!(staff["key"], "st_staff_ratio");
    assert_eq!(staff["outcome"], "fail");
    assert_eq!(staff["comparator"], ">=");
    assert_eq!(staff["unit"], "ratio");
    assert_eq!(staff["gap"]["unit"], "staff");
    assert_eq!(staff["gap"]["amount"], 2);
    assert_eq!(v["hte"]["conditions"][7]["comparator"], ">");
    assert_eq!(v["hte"]["conditions"][2]["comparator"], "in catalogue");
    assert_eq!(
        v["hte"]["score_breakdown"]["items"][0]["source"],
        "computed"
    );
    assert_eq!(v["tech_sme"]["route"], "score");
    let back: Assessment = serde_json::from_value(v).unwrap();
    assert_eq!(back, a);

    let facts_json = serde_json::to_value(good_firm()).unwrap();
    let facts_back: FirmFacts = serde_json::from_value(facts_json).unwrap();
    assert_eq!(facts_back, good_firm());
}

#[test]
fn openapi_schemas_build() {
    use utoipa::ToSchema;
    let mut schemas = Vec::new();
    Assessment::schemas(&mut schemas);
    RuleSet::schemas(&mut schemas);
    FirmFacts::schemas(&mut schemas);
    let names: Vec<&str> = schemas.iter().map(|(name, _)| name.as_str()).collect();
    for name in [
        "HteAssessment",
        "ConditionResult",
        "Gap",
        "OverallOutcome",
        "Comparator",
        "InnovationScore",
        "ScoreItem",
        "TechSmeRoute",
        "HteRules",
        "RdInstitution",
        "TechDomain",
        "YearFigures",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    let json = serde_json::to_string(&schemas).unwrap();
    for needle in [
        "\">=\"",
        "\"in catalogue\"",
        "likely_qualifies",
        "direct_rd_institution",
        "相对差距",
    ] {
        assert!(json.contains(needle), "{needle} not in the schemas");
    }
}

/// `ConditionResult::missing` stays within `MAX_MISSING`, the document says so, and the
/// figures it counts are every numeric figure of an annual report.
#[test]
fn missing_figures_stay_within_the_documented_bound() {
    let numeric: Vec<String> = match serde_json::to_value(good_report(2025)) {
        Ok(serde_json::Value::Object(fields)) => fields
            .into_iter()
            .filter(|(name, value)| name != "year" && value.is_i64())
            .map(|(name, _)| name)
            .collect(),
        other => panic!("a report is an object: {other:?}"),
    };
    let mut figures: Vec<String> = FIGURES.iter().map(|f| f.name.to_owned()).collect();
    figures.sort();
    let mut numeric_sorted = numeric.clone();
    numeric_sorted.sort();
    assert_eq!(figures, numeric_sorted);

    let schema =
        serde_json::to_value(<ConditionResult as utoipa::PartialSchema>::schema()).unwrap();
    assert_eq!(schema["properties"]["missing"]["maxItems"], MAX_MISSING);

    // No reports at all, over the longest growth period a rule set may ask for: every
    // condition misses all it reads, and still no more than the bound, each entry once.
    let mut longest = rules();
    longest.gazelle.cagr_periods = 5;
    let bare = FirmFacts {
        reports: Vec::new(),
        ..good_firm()
    };
    for rules in [rules(), longest] {
        for on in [as_of(), d(2016, 1, 5), d(2015, 6, 1)] {
            let assessment = assess(&bare, on, &rules);
            let conditions = [
                &assessment.hte.conditions,
                &assessment.tech_sme.conditions,
                &assessment.gazelle.conditions,
            ];
            for condition in conditions.into_iter().flatten() {
                let missing = &condition.missing;
                assert!(
                    missing.len() <= MAX_MISSING,
                    "{}: {missing:?}",
                    condition.key
                );
                let once: std::collections::BTreeSet<&String> = missing.iter().collect();
                assert_eq!(once.len(), missing.len(), "{}: {missing:?}", condition.key);
                let years: std::collections::BTreeSet<&str> =
                    missing.iter().map(|m| &m[..4]).collect();
                assert!(
                    years.len() <= MAX_YEARS_READ,
                    "{}: {years:?}",
                    condition.key
                );
            }
        }
    }
}
