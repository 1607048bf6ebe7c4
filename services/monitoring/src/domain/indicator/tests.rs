use serde_json::json;

use super::*;

fn plan_2019_57() -> Vec<IndicatorDefinition> {
    serde_json::from_str(JIANGSU_2019_57).unwrap()
}

fn by_key<'a>(set: &'a [IndicatorDefinition], key: &str) -> &'a IndicatorDefinition {
    set.iter().find(|d| d.key == key).unwrap()
}

fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

fn r(n: i128, d: i128) -> Ratio {
    Ratio::new(n, d).unwrap()
}

fn figure(value_yuan: i64, period: &str, version: i32) -> InputFigure {
    InputFigure {
        value_yuan,
        period: p(period),
        version,
    }
}

/// A city worked out by hand: 1,000 valid HTEs, 400 of them above scale of which 300 run an
/// R&D institution; HTE R&D spend 60亿 of all enterprises' 100亿 (2019); 550 HTEs in zones
/// (200 provincial + 350 national); high-tech output 4500亿 of 10000亿 (2020-Q3).
fn suzhou() -> RegionFigures {
    let registry = [
        ("hte", 1000),
        ("hte_above_scale", 400),
        ("hte_above_scale_with_rd_institution", 300),
        ("hte_rd_expense_yuan", 6_000_000_000),
        ("hte_invention_patents", 5000),
        ("hte_in_provincial_zone", 200),
        ("hte_in_national_zone", 350),
        ("new_certificates", 120),
    ];
    RegionFigures {
        registry: registry.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        inputs: [
            (
                InputMeasure::EnterpriseRdExpense,
                figure(10_000_000_000, "2019", 2),
            ),
            (
                InputMeasure::HightechIndustryOutput,
                figure(450_000_000_000, "2020-Q3", 1),
            ),
            (
                InputMeasure::AboveScaleIndustrialOutput,
                figure(1_000_000_000_000, "2020-Q3", 1),
            ),
        ]
        .into_iter()
        .collect(),
    }
}

#[test]
fn the_2019_2020_plan_is_data_that_checks_clean() {
    let set = plan_2019_57();
    assert_eq!(check_definitions(&set), vec![]);
    let keys: Vec<&str> = set.iter().map(|d| d.key.as_str()).collect();
    // The keys the allocation service seeds for jiangsu-2019-57, in its order.
    assert_eq!(
        keys,
        [
            "hte_count",
            "rd_institution_rate",
            "hte_rd_share",
            "hte_invention_patents",
            "zone_hte_share",
            "hightech_output_share",
            "new_hte"
        ]
    );
    let targets: Vec<Option<String>> = set
        .iter()
        .map(|d| d.target_value.map(|t| t.to_exact_decimal()))
        .collect();
    let expected = ["30000", "1", "0.6", "150000", "0.5", "0.45"];
    for (got, want) in targets.iter().zip(expected) {
        assert_eq!(got.as_deref(), Some(want));
    }
    assert_eq!(targets[6], None);
    // Round trip: what monitoring stores with a snapshot reads back the same.
    let again: Vec<IndicatorDefinition> =
        serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
    assert_eq!(again, set);
}

#[test]
fn the_six_indicators_evaluate_exactly_on_figures_worked_by_hand() {
    let set = plan_2019_57();
    let figures = suzhou();
    let cases: [(&str, i64, Option<i64>, Ratio); 7] = [
        ("hte_count", 1000, None, Ratio::integer(1000)),
        ("rd_institution_rate", 300, Some(400), r(3, 4)),
        ("hte_rd_share", 6_000_000_000, Some(10_000_000_000), r(3, 5)),
        ("hte_invention_patents", 5000, None, Ratio::integer(5000)),
        ("zone_hte_share", 550, Some(1000), r(11, 20)),
        (
            "hightech_output_share",
            450_000_000_000,
            Some(1_000_000_000_000),
            r(9, 20),
        ),
        ("new_hte", 120, None, Ratio::integer(120)),
    ];
    for (key, numerator, denominator, value) in cases {
        let definition = by_key(&set, key);
        let got = evaluate(definition, &figures).unwrap();
        assert_eq!(
            (got.numerator, got.denominator),
            (numerator, denominator),
            "{key}"
        );
        assert_eq!(got.value(), value, "{key}");
    }
    // 60% exactly meets the 60% target, and 45% the 45% one: no float rounding in between.
    let share = evaluate(by_key(&set, "hte_rd_share"), &figures).unwrap();
    let target = by_key(&set, "hte_rd_share").target_value.unwrap();
    assert!(Comparator::AtLeast.met(share.value(), target));
    assert_eq!(
        share.inputs,
        vec![(
            InputMeasure::EnterpriseRdExpense,
            figure(10_000_000_000, "2019", 2)
        )],
        "the input version used is reported"
    );
    let output = evaluate(by_key(&set, "hightech_output_share"), &figures).unwrap();
    assert_eq!(output.inputs.len(), 2);
    // 55% is more than 50%, but exactly 50% would not be.
    let zone = by_key(&set, "zone_hte_share");
    assert!(zone.comparator.met(r(11, 20), zone.target_value.unwrap()));
    assert!(!zone.comparator.met(r(1, 2), zone.target_value.unwrap()));
}

#[test]
fn missing_figures_are_named_not_guessed() {
    let set = plan_2019_57();
    let mut figures = suzhou();
    figures.registry.remove("hte_in_national_zone");
    figures.inputs.remove(&InputMeasure::EnterpriseRdExpense);
    assert_eq!(
        evaluate(by_key(&set, "zone_hte_share"), &figures),
        Err(vec![Missing::RegistryMeasure(
            "hte_in_national_zone".into()
        )])
    );
    assert_eq!(
        evaluate(by_key(&set, "hte_rd_share"), &figures),
        Err(vec![Missing::Input(InputMeasure::EnterpriseRdExpense)])
    );

    let mut empty_city = suzhou();
    empty_city.registry.insert("hte".into(), 0);
    empty_city.registry.insert("hte_above_scale".into(), 0);
    assert_eq!(
        evaluate(by_key(&set, "rd_institution_rate"), &empty_city),
        Err(vec![Missing::ZeroDenominator])
    );
    assert_eq!(
        evaluate(by_key(&set, "hte_count"), &empty_city)
            .unwrap()
            .value(),
        Ratio::ZERO,
        "a count of zero is a value"
    );

    let mut mixed = suzhou();
    mixed.inputs.insert(
        InputMeasure::HightechIndustryOutput,
        figure(1, "2020-Q2", 1),
    );
    assert_eq!(
        evaluate(by_key(&set, "hightech_output_share"), &mixed),
        Err(vec![Missing::MixedInputPeriods(vec![
            p("2020-Q2"),
            p("2020-Q3")
        ])])
    );

    let mut huge = suzhou();
    huge.registry
        .insert("hte_in_provincial_zone".into(), i64::MAX);
    assert_eq!(
        evaluate(by_key(&set, "zone_hte_share"), &huge),
        Err(vec![Missing::Overflow])
    );
    for missing in [
        Missing::RegistryMeasure("x".into()),
        Missing::Input(InputMeasure::EnterpriseRdExpense),
        Missing::ZeroDenominator,
        Missing::Overflow,
        Missing::MixedInputPeriods(vec![p("2020")]),
    ] {
        assert!(!missing.message_zh().is_empty() && !missing.message_en().is_empty());
    }
}

#[test]
fn any_other_definition_set_works_the_same_way() {
    // A made-up later plan: gazelles (a nested registry field), and R&D intensity of the
    // whole society as two inputs summed over one denominator.
    let set: Vec<IndicatorDefinition> = serde_json::from_value(json!([
        {"key": "gazelles", "name_zh": "瞪羚企业数", "name_en": "Gazelles",
         "unit": "enterprises", "comparator": "at_least", "target_value": 800,
         "formula": {"quantity": [{"registry": "labels.gazelle"}]}},
        {"key": "industrial_rd_weight", "name_zh": "规上工业研发占比", "name_en": "x",
         "unit": "ratio", "comparator": "at_most", "target_value": "0.9",
         "formula": {"share": {
            "numerator": [{"input": "above_scale_industrial_rd_expense_yuan"}],
            "denominator": [{"input": "society_rd_expense_yuan"}, {"registry": "extra_rd_yuan"}]}}}
    ]))
    .unwrap();
    assert_eq!(check_definitions(&set), vec![]);
    let figures = RegionFigures {
        registry: [
            ("labels.gazelle".to_owned(), 640),
            ("extra_rd_yuan".to_owned(), 20),
        ]
        .into_iter()
        .collect(),
        inputs: [
            (
                InputMeasure::AboveScaleIndustrialRdExpense,
                figure(70, "2021", 1),
            ),
            (InputMeasure::SocietyRdExpense, figure(80, "2021", 3)),
        ]
        .into_iter()
        .collect(),
    };
    assert_eq!(
        evaluate(&set[0], &figures).unwrap().value(),
        Ratio::integer(640)
    );
    let weight = evaluate(&set[1], &figures).unwrap();
    assert_eq!(weight.value(), r(7, 10));
    assert!(
        set[1]
            .comparator
            .met(weight.value(), set[1].target_value.unwrap())
    );
}

#[test]
fn unsound_definitions_are_refused_with_the_field_and_rule() {
    let base = json!({"key": "hte_count", "name_zh": "高企数", "name_en": "HTEs",
        "unit": "enterprises", "comparator": "at_least",
        "formula": {"quantity": [{"registry": "hte"}]}});
    let with = |patch: serde_json::Value| {
        let mut value = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            value[k] = v.clone();
        }
        serde_json::from_value::<IndicatorDefinition>(value).unwrap()
    };
    let share = json!({"share": {"numerator": [{"registry": "a_b"}], "denominator": [{"registry": "hte"}]}});
    let cases = [
        (json!({"key": "HTE"}), "key", "format"),
        (json!({"key": "1st"}), "key", "format"),
        (json!({"key": "h"}), "key", "format"),
        (json!({"name_zh": "  "}), "name_zh", "length"),
        (json!({"unit": "x".repeat(33)}), "unit", "length"),
        (json!({"unit": "ratio"}), "unit", "ratio_is_share"),
        (json!({"formula": share.clone()}), "unit", "ratio_is_share"),
        (
            json!({"input_period": "report_year"}),
            "input_period",
            "needs_inputs",
        ),
        (
            json!({"formula": share.clone(), "unit": "ratio", "pipeline": true}),
            "pipeline",
            "quantity_only",
        ),
        (json!({"target_value": -1}), "target_value", "range"),
        (
            json!({"formula": share, "unit": "ratio", "target_value": 1.01}),
            "target_value",
            "range",
        ),
    ];
    for (patch, field, rule) in cases {
        let errors = with(patch.clone()).check("indicators[0]");
        assert!(
            errors
                .iter()
                .any(|e| e.field == format!("indicators[0].{field}") && e.rule == rule),
            "{patch} → {errors:?}"
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }
    assert_eq!(with(json!({"target_value": 0})).check("x"), vec![]);

    let twice = vec![with(json!({})), with(json!({}))];
    let errors = check_definitions(&twice);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].field.as_str(), errors[0].rule),
        ("indicators[1].key", "unique")
    );
    assert_eq!(check_definitions(&[])[0].rule, "count");
}

#[test]
fn malformed_formulas_do_not_parse() {
    let parse = |formula: serde_json::Value| {
        serde_json::from_value::<IndicatorDefinition>(json!({"key": "k1", "name_zh": "指标",
            "name_en": "x", "unit": "enterprises", "comparator": "at_least", "formula": formula}))
    };
    let nine: Vec<_> = (0..9)
        .map(|i| json!({"registry": format!("m{i}")}))
        .collect();
    let bad = [
        json!({"quantity": []}),
        json!({"quantity": nine}),
        json!({"quantity": [{"registry": "hte"}, {"registry": "hte"}]}),
        json!({"quantity": [{"registry": "Hte"}]}),
        json!({"quantity": [{"registry": "labels..gazelle"}]}),
        json!({"quantity": [{"registry": "x"}]}),
        json!({"quantity": [{"input": "gdp_yuan"}]}),
        json!({"quantity": [{"sql": "hte"}]}),
        json!({"quantity": [{"registry": "hte", "input": "enterprise_rd_expense_yuan"}]}),
        json!({"share": {"numerator": [{"registry": "hte"}]}}),
        json!({"ratio": [{"registry": "hte"}]}),
    ];
    for formula in bad {
        assert!(parse(formula.clone()).is_err(), "{formula}");
    }
    assert!(parse(json!({"quantity": [{"registry": "labels.gazelle"}]})).is_ok());
    let unknown_field = serde_json::from_value::<IndicatorDefinition>(json!({"key": "k1",
        "name_zh": "指标", "name_en": "x", "unit": "u", "comparator": "at_least",
        "formula": {"quantity": [{"registry": "hte"}]}, "measure": "hte"}));
    assert!(
        unknown_field.is_err(),
        "unknown fields are refused, not ignored"
    );
}

#[test]
fn one_input_period_is_chosen_for_a_whole_formula() {
    let set = plan_2019_57();
    let as_of: NaiveDate = "2020-11-15".parse().unwrap();
    let available = |entries: &[(InputMeasure, &[&str])]| {
        entries
            .iter()
            .map(|(m, periods)| (*m, periods.iter().map(|s| p(s)).collect::<BTreeSet<_>>()))
            .collect::<BTreeMap<_, _>>()
    };
    use InputMeasure::*;
    let output = by_key(&set, "hightech_output_share");
    let rd = by_key(&set, "hte_rd_share");
    type Case<'a> = (
        &'a IndicatorDefinition,
        Vec<(InputMeasure, &'a [&'a str])>,
        PeriodChoice,
    );
    let cases: [Case; 7] = [
        (by_key(&set, "hte_count"), vec![], PeriodChoice::NotNeeded),
        (
            output,
            vec![
                (HightechIndustryOutput, &["2020-Q2", "2020-Q3", "2020-10"]),
                (AboveScaleIndustrialOutput, &["2020-Q2", "2020-Q3"]),
            ],
            PeriodChoice::Chosen(p("2020-Q3")),
        ),
        (
            // Both have 2020-Q4 and 2020, but neither has ended on 15 November.
            output,
            vec![
                (HightechIndustryOutput, &["2020-Q4", "2020", "2020-09"]),
                (
                    AboveScaleIndustrialOutput,
                    &["2020-Q4", "2020", "2020-09", "2020-Q3"],
                ),
            ],
            PeriodChoice::Chosen(p("2020-09")),
        ),
        (
            // Ending the same day, the quarter covers more than the month.
            output,
            vec![
                (HightechIndustryOutput, &["2020-09", "2020-Q3"]),
                (AboveScaleIndustrialOutput, &["2020-09", "2020-Q3"]),
            ],
            PeriodChoice::Chosen(p("2020-Q3")),
        ),
        (
            output,
            vec![
                (HightechIndustryOutput, &["2020-Q3"]),
                (AboveScaleIndustrialOutput, &["2020-Q2"]),
            ],
            PeriodChoice::Unavailable,
        ),
        (
            rd,
            vec![(EnterpriseRdExpense, &["2018", "2019", "2020-Q1"])],
            PeriodChoice::Chosen(p("2019")),
        ),
        (
            rd,
            vec![(EnterpriseRdExpense, &["2018", "2020-Q1"])],
            PeriodChoice::Unavailable,
        ),
    ];
    for (definition, entries, expected) in cases {
        assert_eq!(
            choose_input_period(definition, &available(&entries), as_of, 2019),
            expected,
            "{} {entries:?}",
            definition.key
        );
    }
}
