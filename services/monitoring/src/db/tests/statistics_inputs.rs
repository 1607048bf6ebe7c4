use hte_shared::regions::{self, RegionCode};

use super::{Store, at, d};
use crate::db::statistics_inputs::{self as inputs, InputFilter, InputKey, InputRow, Written};
use crate::domain::period::Period;

fn key(measure: &str, period: &str, region: &str) -> InputKey {
    InputKey {
        measure: measure.to_owned(),
        period: period.to_owned(),
        region_code: region.to_owned(),
    }
}

fn row(key: &InputKey, version: i32, value: i64, reason: Option<&str>) -> InputRow {
    let period = Period::parse(&key.period).unwrap();
    InputRow {
        measure: key.measure.clone(),
        period: key.period.clone(),
        region_code: key.region_code.clone(),
        version,
        period_starts_on: period.starts_on(),
        period_ends_on: period.ends_on(),
        value,
        unit: "yuan".to_owned(),
        entered_value: value.to_string(),
        entered_unit: "yuan".to_owned(),
        source_document: "江苏省统计年鉴".to_owned(),
        note: None,
        reason: reason.map(str::to_owned),
        actor: format!("official-{version}"),
        created_at: at(&format!("2020-10-0{version} 08:00:00.000001")),
    }
}

const RD: &str = "enterprise_rd_expense_yuan";

#[tokio::test]
async fn a_correction_adds_a_version_and_keeps_the_earlier_one() {
    let store = Store::new();
    let k = key(RD, "2019", "320000");
    let first = row(&k, 1, 250_000_000_000, None);
    let (a, b) = (first.clone(), row(&k, 1, 1, None));
    let outcomes = store
        .write(move |c| {
            Ok((
                inputs::insert_version(c, &a)?,
                inputs::insert_version(c, &b)?,
            ))
        })
        .await;
    assert_eq!(
        outcomes,
        (Written::Inserted, Written::Stale { current: Some(1) })
    );

    // Skipping a version, or correcting the first again, is stale.
    let skip = row(&k, 3, 1, Some("跳号"));
    let outcome = store.write(move |c| inputs::insert_version(c, &skip)).await;
    assert_eq!(outcome, Written::Stale { current: Some(1) });

    let second = row(&k, 2, 262_000_000_000, Some("统计局公布正式数"));
    let s = second.clone();
    assert_eq!(
        store.write(move |c| inputs::insert_version(c, &s)).await,
        Written::Inserted
    );

    let (k1, k2, k3) = (k.clone(), k.clone(), k.clone());
    assert_eq!(
        store.read(move |c| inputs::find_current(c, &k1)).await,
        Some(second.clone())
    );
    assert_eq!(
        store.read(move |c| inputs::find_version(c, &k2, 1)).await,
        Some(first.clone())
    );
    let k4 = k3.clone();
    assert_eq!(
        store.read(move |c| inputs::history(c, &k3, None, 10)).await,
        vec![first.clone(), second.clone()]
    );
    // A page after version 1 holds the versions above it.
    assert_eq!(
        store
            .read(move |c| inputs::history(c, &k4, Some(1), 10))
            .await,
        vec![second]
    );
    let none = key(RD, "2018", "320000");
    assert_eq!(
        store.read(move |c| inputs::current_version(c, &none)).await,
        None
    );
}

#[tokio::test]
async fn of_two_concurrent_corrections_one_wins() {
    let store = Store::new();
    let k = key(RD, "2019", "320500");
    let first = row(&k, 1, 100, None);
    store
        .write(move |c| inputs::insert_version(c, &first))
        .await;
    let (a, b) = (
        row(&k, 2, 200, Some("更正甲")),
        row(&k, 2, 300, Some("更正乙")),
    );
    let (x, y) = tokio::join!(
        store.write(move |c| inputs::insert_version(c, &a)),
        store.write(move |c| inputs::insert_version(c, &b)),
    );
    let mut outcomes = vec![x, y];
    outcomes.sort_by_key(|o| matches!(o, Written::Stale { .. }));
    assert_eq!(
        outcomes,
        vec![Written::Inserted, Written::Stale { current: Some(2) }]
    );
    let history = store.read(move |c| inputs::history(c, &k, None, 10)).await;
    assert_eq!(history.len(), 2);
}

fn subtree(code: &str) -> Vec<String> {
    regions::subtree(&RegionCode::parse(code).unwrap())
        .map(|r| r.code.to_string())
        .collect()
}

#[tokio::test]
async fn current_figures_list_by_subtree_in_pages() {
    let store = Store::new();
    let out = "above_scale_industrial_output_yuan";
    let mut rows = vec![
        row(&key(RD, "2019", "320000"), 1, 10, None),
        row(&key(RD, "2019", "320500"), 1, 20, None),
        row(&key(RD, "2019", "320500"), 2, 21, Some("更正")),
        row(&key(RD, "2019", "320505"), 1, 30, None),
        row(&key(RD, "2020", "320505"), 1, 31, None),
        row(&key(RD, "2019", "320100"), 1, 40, None),
        row(&key(out, "2020-Q3", "320500"), 1, 50, None),
    ];
    rows.sort_by_key(|r| r.version);
    store
        .write(move |c| {
            for r in &rows {
                assert_eq!(inputs::insert_version(c, r)?, Written::Inserted);
            }
            Ok(())
        })
        .await;

    // Suzhou's subtree, two at a time, follows (measure, period, region) and shows only the
    // current version.
    let filter = InputFilter {
        regions: Some(subtree("320500")),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut after: Option<InputKey> = None;
    loop {
        let (f, a) = (filter.clone(), after.clone());
        let page = store
            .read(move |c| inputs::list_current(c, &f, a.as_ref(), 2))
            .await;
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(last.key());
        seen.extend(page.iter().map(|r| {
            (
                r.measure.clone(),
                r.period.clone(),
                r.region_code.clone(),
                r.value,
            )
        }));
    }
    let expected = [
        (out, "2020-Q3", "320500", 50),
        (RD, "2019", "320500", 21),
        (RD, "2019", "320505", 30),
        (RD, "2020", "320505", 31),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(m, p, r, v)| (m.to_string(), p.to_string(), r.to_string(), *v))
        .collect();
    assert_eq!(seen, expected);

    let by_period = InputFilter {
        measure: Some(RD.to_owned()),
        period: Some("2019".to_owned()),
        regions: None,
    };
    let all = store
        .read(move |c| inputs::list_current(c, &by_period, None, 50))
        .await;
    let codes: Vec<&str> = all.iter().map(|r| r.region_code.as_str()).collect();
    assert_eq!(codes, ["320000", "320100", "320500", "320505"]);
}

#[tokio::test]
async fn a_snapshot_reads_the_current_figures_of_periods_ended_by_its_date() {
    let store = Store::new();
    let out = "hightech_industry_output_yuan";
    let rows = vec![
        row(&key(out, "2020-Q2", "320000"), 1, 1, None),
        row(&key(out, "2020-Q3", "320000"), 1, 2, None),
        row(&key(out, "2020-Q4", "320000"), 1, 3, None),
        row(&key(out, "2020-Q3", "320000"), 2, 22, Some("更正")),
        row(&key(out, "2020-Q3", "320100"), 1, 9, None),
        row(&key(RD, "2019", "320000"), 1, 5, None),
    ];
    store
        .write(move |c| {
            for r in &rows {
                inputs::insert_version(c, r)?;
            }
            Ok(())
        })
        .await;
    let got = store
        .read(|c| {
            inputs::current_ended_by(
                c,
                &[out.to_owned()],
                &["320000".to_owned()],
                d("2020-11-15"),
            )
        })
        .await;
    let seen: Vec<(&str, i32, i64)> = got
        .iter()
        .map(|r| (r.period.as_str(), r.version, r.value))
        .collect();
    assert_eq!(seen, [("2020-Q2", 1, 1), ("2020-Q3", 2, 22)]);
}
