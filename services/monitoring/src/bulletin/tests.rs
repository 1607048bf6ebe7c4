use super::fixture::{CITIES, SUZHOU_COUNTIES, fixture, options, province_bulletin};
use super::*;
use crate::domain::ratio::Ratio;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn the_province_bulletin_carries_the_snapshots_figures() {
    let b = province_bulletin();
    assert_eq!(
        b.title,
        "关于2020年9月全省高新技术企业培育工作进展情况的通报"
    );
    assert_eq!(b.addressees, "各设区市科技局");
    assert_eq!(
        (b.period_zh.as_str(), b.snapshot.revision),
        ("2020年9月", 2)
    );
    assert_eq!(b.previous.as_ref().unwrap().period, "2020-08");
    assert_eq!(b.year_earlier.as_ref().unwrap().period, "2019-09");
    // Indicators in their snapshot order, whatever order the rows came in.
    let keys: Vec<&str> = b.indicators.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["hte_count", "zone_hte_share"]);

    // 25850 HTEs of 30000 (86.17 %) at 87.41 % elapsed: 1.25 points behind, within 5.
    let hte = &b.indicators[0];
    let r = &hte.reading;
    assert_eq!(r.value.unwrap().numerator, 25_850);
    assert_eq!(r.value.unwrap().denominator, None);
    assert_eq!(r.target, Some(30_000.0));
    assert!(close(r.completion.unwrap(), 25_850.0 / 30_000.0));
    assert!(close(hte.expected_completion, 639.0 / 731.0));
    assert_eq!((r.met, r.on_track), (Some(false), Some(true)));
    assert_eq!(r.gap, Some(4_150.0));
    assert_eq!(r.change_from_previous.unwrap().delta, 490.0);
    assert!(close(
        r.change_from_previous.unwrap().relative.unwrap(),
        490.0 / 25_360.0
    ));
    assert_eq!(r.change_from_year_earlier.unwrap().delta, 3_800.0);
    assert_eq!(
        b.summary[0],
        "“高新技术企业总数”为25850家，目标达到30000家，完成率86.17%，时序进度87.41%，\
         达到时序进度要求；较上期增加490家，较上年同期增加3800家。"
    );

    // 13340 of 25850 HTEs in zones: 51.61 %, more than 50 %.
    let zone = &b.indicators[1].reading;
    let figure = zone.value.unwrap();
    assert_eq!(
        (figure.numerator, figure.denominator),
        (13_340, Some(25_850))
    );
    assert!(close(figure.value, 13_340.0 / 25_850.0));
    assert_eq!(zone.met, Some(true));
    assert_eq!(
        zone.change_from_previous, None,
        "August has no zone figures"
    );
    assert_eq!(
        b.summary[1],
        "“省级以上高新区内高新技术企业数量占比”为51.61%，目标超过50.00%，完成率103.21%，\
         时序进度87.41%，已完成目标。"
    );
}

#[test]
fn the_cities_table_ranks_by_completion_with_shared_ranks() {
    let b = province_bulletin();
    let table = &b.region_tables[0];
    assert_eq!(table.indicator_key, "hte_count");
    assert!(table.ranked_by_completion);
    assert_eq!(table.rows.len(), 13);
    for (row, city) in table.rows.iter().zip(CITIES) {
        assert_eq!(
            (row.region_code.as_str(), row.name.as_str()),
            (city.0, city.1)
        );
        assert_eq!(row.reading.value.unwrap().numerator, city.3);
        assert_eq!(row.reading.target, Some(city.2 as f64));
        assert_eq!(
            row.reading.change_from_previous.unwrap().delta,
            (city.3 - city.4) as f64
        );
        assert_eq!(
            row.reading.change_from_year_earlier.unwrap().delta,
            (city.3 - city.5) as f64
        );
    }
    // 南京 93.33, 苏州 92.86, 常州 92.00, six cities at 90.00 share 4th, 盐城 88.89,
    // 无锡 82.50, 徐州 73.33, 连云港 66.67.
    let ranks: Vec<u32> = table.rows.iter().map(|r| r.rank.unwrap()).collect();
    assert_eq!(ranks, [1, 11, 12, 3, 2, 4, 13, 4, 10, 4, 4, 4, 4]);
    assert_eq!(
        table.remark,
        "按完成率排名，前3位依次为南京市（93.33%）、苏州市（92.86%）、常州市（92.00%）；\
         11个设区市达到时序进度要求，2个未达到。"
    );

    // Without city targets the share ranks by value; 宿迁 has no figure and no rank.
    let zone = &b.region_tables[1];
    assert!(!zone.ranked_by_completion);
    let ranks: Vec<Option<u32>> = zone.rows.iter().map(|r| r.rank).collect();
    let expected = [2, 4, 12, 3, 1, 10, 11, 7, 9, 8, 5, 6].map(Some);
    assert_eq!(ranks[..12], expected);
    assert_eq!(ranks[12], None);
    assert!(
        zone.rows[12]
            .reading
            .missing_reason
            .as_deref()
            .unwrap()
            .contains("缺少字段")
    );
}

#[test]
fn lagging_regions_are_those_behind_by_more_than_the_margin() {
    let b = province_bulletin();
    let names: Vec<(&str, String)> = b
        .lagging
        .iter()
        .map(|l| (l.name.as_str(), text::points(l.behind_by)))
        .collect();
    // 无锡 is 4.91 points behind: within the 5-point margin.
    assert_eq!(
        names,
        [
            ("连云港市", "20.75".to_owned()),
            ("徐州市", "14.08".to_owned())
        ]
    );
    assert_eq!(
        b.lagging_summary,
        [
            "“高新技术企业总数”：2个设区市落后于时序进度（87.41%），分别为连云港市（完成率66.67%，\
          落后20.75个百分点）、徐州市（完成率73.33%，落后14.08个百分点）。"
        ]
    );
    // A wider margin leaves 徐州 on track; 连云港 still lags.
    let f = fixture();
    let mut wide = options("320000");
    wide.schedule_margin = Ratio::new(15, 100).unwrap();
    let b = build(&f.source(), &wide).unwrap();
    assert_eq!(b.lagging.len(), 1);
    assert_eq!(b.lagging[0].region_code, "320700");
}

#[test]
fn alerts_come_most_severe_first_and_only_published_assessments() {
    let b = province_bulletin();
    let ids: Vec<&str> = b.alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["a2", "a1", "a3", "a4"]);
    assert_eq!(b.alerts[0].severity_zh, "严重");
    assert_eq!(b.alerts[2].region_name, "虎丘区");
    assert_eq!(
        b.alerts_summary,
        "本期全省共有预警4条，其中严重1条、警告2条、提示1条。"
    );
    assert_eq!(b.assessments.len(), 1, "the draft is not listed");
    let a = &b.assessments[0];
    assert_eq!(a.rows.len(), 13);
    assert_eq!(
        (a.scheme_version, a.indicators.join(",")),
        (1, "new_hte,hte_count".to_owned())
    );
    assert_eq!(a.rows[1].scores[0].score, 59.0);
    assert_eq!((a.rows[1].total, a.rows[1].rank), (99.0, 2));
}

#[test]
fn a_city_bulletin_shows_the_city_and_its_counties_only() {
    let f = fixture();
    let b = build(&f.source(), &options("320500")).unwrap();
    assert_eq!(
        b.title,
        "关于2020年9月苏州市高新技术企业培育工作进展情况的通报"
    );
    assert_eq!(b.addressees, "各县（市、区）科技主管部门");
    assert_eq!(b.indicators[0].reading.value.unwrap().numerator, 6_500);
    assert_eq!(b.indicators[0].reading.target, Some(7_000.0));
    // Only hte_count splits to counties; the share has no county figures and no table.
    assert_eq!(b.region_tables.len(), 1);
    let rows = &b.region_tables[0].rows;
    let got: Vec<(&str, i64, Option<u32>)> = rows
        .iter()
        .map(|r| {
            (
                r.region_code.as_str(),
                r.reading.value.unwrap().numerator,
                r.rank,
            )
        })
        .collect();
    let want: Vec<(&str, i64, Option<u32>)> = SUZHOU_COUNTIES
        .iter()
        .zip([2, 4, 1, 3])
        .map(|(c, rank)| (c.0, c.2, Some(rank)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        b.region_tables[0].level,
        hte_shared::regions::RegionLevel::County
    );
    // 吴中区 600 of 800 = 75 %: 12.41 points behind.
    assert_eq!(b.lagging.len(), 1);
    assert_eq!(b.lagging[0].name, "吴中区");
    let alert_ids: Vec<&str> = b.alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(alert_ids, ["a3"]);
    assert_eq!(b.assessments[0].rows.len(), 1);
    assert_eq!(b.assessments[0].rows[0].rank, 5);
    // Nothing of another city leaks into a city's bulletin.
    let json = serde_json::to_string(&b).unwrap();
    for (code, name, ..) in CITIES.iter().filter(|c| c.0 != "320500") {
        assert!(
            !json.contains(code) && !json.contains(name),
            "{name} leaked"
        );
    }
}

#[test]
fn inputs_that_do_not_belong_together_or_cannot_be_read_are_refused() {
    let f = fixture();
    let mut stray = f.values.clone();
    stray[0].snapshot_id = "other".to_owned();
    let source = BulletinSource {
        values: &stray,
        ..f.source()
    };
    assert!(matches!(
        build(&source, &options("320000")),
        Err(BulletinError::Mismatch(_))
    ));

    let mut bad_target = f.values.clone();
    bad_target[0].target = Some("thirty thousand".to_owned());
    let source = BulletinSource {
        values: &bad_target,
        ..f.source()
    };
    let err = build(&source, &options("320000")).unwrap_err();
    assert!(err.to_string().contains("target hte_count/320000"), "{err}");

    let mut other_plan = f.august.clone();
    other_plan.plan_id = "another-plan".to_owned();
    let source = BulletinSource {
        previous: Some(Earlier {
            snapshot: &other_plan,
            values: &[],
        }),
        ..f.source()
    };
    assert!(matches!(
        build(&source, &options("320000")),
        Err(BulletinError::Mismatch(_))
    ));
    assert!(matches!(
        build(&f.source(), &options("110000")),
        Err(BulletinError::UnknownRegion(_))
    ));
}

#[test]
fn without_earlier_snapshots_there_is_no_change_and_the_notes_say_so() {
    let f = fixture();
    let source = BulletinSource {
        previous: None,
        year_earlier: None,
        ..f.source()
    };
    let b = build(&source, &options("320000")).unwrap();
    assert!(
        b.indicators
            .iter()
            .all(|i| i.reading.change_from_previous.is_none())
    );
    assert!(b.notes.iter().any(|n| n.contains("环比：无可比快照")));
    assert!(!b.summary[0].contains("较上期"));
    assert_eq!(
        regions_read(hte_shared::regions::RegionCode::parse("320500").unwrap()).len(),
        1 + hte_shared::regions::children(
            &hte_shared::regions::RegionCode::parse("320500").unwrap()
        )
        .count()
    );
}

#[test]
fn the_document_states_the_bulletin_bounds_the_domain_keeps() {
    use crate::domain::limits::{MAX_BULLETIN_ALERTS, MAX_PUBLISHED_ASSESSMENTS};
    let schema = serde_json::to_value(<Bulletin as utoipa::PartialSchema>::schema()).unwrap();
    let max = |field: &str| schema["properties"][field]["maxItems"].as_u64();
    assert_eq!(max("alerts"), Some(MAX_BULLETIN_ALERTS as u64));
    assert_eq!(max("assessments"), Some(MAX_PUBLISHED_ASSESSMENTS as u64));
}
