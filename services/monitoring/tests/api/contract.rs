//! What the OpenAPI document promises about refusals, kept over real HTTP: 400 for a request
//! the document refuses (an empty filter is not an absent one), 422 for a well-formed one
//! that breaks a rule the document cannot state. Each case is a class schemathesis found.

use hte_shared::testing::problem_rules;
use serde_json::json;

use crate::helpers::{assert_json, assert_problem, input_path, problem_fields, put, spawn};

#[tokio::test]
async fn an_empty_filter_is_refused_not_read_as_absent() {
    let app = spawn().await;
    let province = app.province_token();
    for (path, field) in [
        ("/api/v1/subscriptions?region=", "region"),
        ("/api/v1/alerts?kind=", "kind"),
        ("/api/v1/alerts?severity=", "severity"),
        ("/api/v1/alerts?status=", "status"),
        ("/api/v1/statistics-inputs?measure=", "measure"),
        ("/api/v1/snapshots?cursor=", "cursor"),
    ] {
        let problem = assert_problem(app.get_as(&province, path).await, 400).await;
        assert_eq!(problem_fields(&problem), [field], "{path}");
    }
    // A code outside Jiangsu breaks the document's code list: still a 400.
    let response = app
        .get_as(&province, "/api/v1/subscriptions?region=000000")
        .await;
    assert_eq!(
        problem_fields(&assert_problem(response, 400).await),
        ["region"]
    );
}

#[tokio::test]
async fn figures_sent_as_json_numbers_convert_exactly_or_name_the_rule() {
    let app = spawn().await;
    let province = app.province_token();
    let path = input_path("society_rd_expense_yuan", "2019", "320000");
    let source = "2019年江苏省科技经费投入统计公报";
    // Neither has an exponent in what the server reads: one is a fraction of a yuan, the
    // other more than 10^15 yuan; both are numbers the document allows, so 422.
    for (value, rule) in [(json!(1e-7), "whole_yuan"), (json!(5.1e307), "max_yuan")] {
        let body = json!({"value": value, "source_document": source});
        let problem = assert_problem(put(&app, &province, &path, None, &body).await, 422).await;
        assert_eq!(problem_rules(&problem), [rule], "{value}");
    }
    let body = json!({"value": 2.5e3, "unit": "wan_yuan", "source_document": source});
    let view = assert_json(put(&app, &province, &path, None, &body).await, 201).await;
    assert_eq!(view["value_yuan"], 25_000_000);
}
