//! The edge's size limits on the allocation routes (hardening #19 item 7): a 2 MB `weights`
//! map, an oversized array, text or integer and an overlong parameter are refused with a
//! short problem naming the field, and nothing is proposed.

use hte_shared::bounds::{MAX_ENTRIES, MAX_ITEMS, MAX_JSON_INTEGER, MAX_TEXT_CHARS};
use hte_shared::testing::assert_refused_field;
use serde_json::{Map, Value, json};

use crate::helpers::{SEEDED, TestApp};

fn proposal(weights: Value) -> Value {
    json!({
        "indicator": "hte_count", "period": "2020", "region_code": "320000",
        "method": "proportional", "baseline": "weights", "weights": weights
    })
}

#[tokio::test]
async fn a_near_two_megabyte_weights_map_is_refused_with_a_short_problem() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    let path = format!("/api/v1/plans/{SEEDED}/allocations");
    // Nearly 2 MB (the JSON body limit): far more members than any region has children.
    let weights: Map<String, Value> = (0..170_000)
        .map(|i| (format!("{:06}", 320_000 + i), json!(1)))
        .collect();
    let body = proposal(Value::Object(weights));
    assert!(body.to_string().len() > 1_800_000);
    let refused = app.post_as(&province, &path, &body).await;
    assert_refused_field(refused, "weights", "max_properties").await;

    let few: Map<String, Value> = (0..=MAX_ENTRIES)
        .map(|i| (format!("{:06}", 320_000 + i), json!(1)))
        .collect();
    let refused = app
        .post_as(&province, &path, &proposal(Value::Object(few)))
        .await;
    assert_refused_field(refused, "weights", "max_properties").await;

    let big = proposal(json!({"320100": MAX_JSON_INTEGER + 1}));
    let refused = app.post_as(&province, &path, &big).await;
    assert_refused_field(refused, "weights.320100", "range").await;

    let mut long = proposal(json!({"320100": 1}));
    long["indicator"] = json!("x".repeat(MAX_TEXT_CHARS + 1));
    let refused = app.post_as(&province, &path, &long).await;
    assert_refused_field(refused, "indicator", "max_length").await;

    let mut many = proposal(json!({"320100": 1}));
    many["period"] = json!(vec!["2020"; MAX_ITEMS + 1]);
    let refused = app.post_as(&province, &path, &many).await;
    assert_refused_field(refused, "period", "max_items").await;

    // Nothing was proposed.
    let listed = app.get_as(&province, &path).await;
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["items"], json!([]), "{listed}");
}

#[tokio::test]
async fn an_overlong_plan_id_is_refused_by_name() {
    let app = TestApp::spawn().await;
    let province = app.province_token();
    let refused = app
        .get_as(&province, &format!("/api/v1/plans/{}", "a".repeat(201)))
        .await;
    assert_refused_field(refused, "id", "max_length").await;
}
