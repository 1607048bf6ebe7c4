//! The edge's size limits on the monitoring routes (hardening #19 item 7): an oversized
//! text, array, object or integer and an overlong query parameter are refused with a short
//! problem naming the field.

use hte_shared::bounds::{MAX_ENTRIES, MAX_ITEMS, MAX_JSON_INTEGER};
use hte_shared::testing::assert_refused_field;
use serde_json::{Map, Value, json};

use crate::helpers::spawn;

fn subscription() -> Value {
    json!({
        "region": "320000", "events": ["alert.opened"],
        "url": "https://receiver.example.cn/hook", "description": "测试接收端"
    })
}

#[tokio::test]
async fn oversized_subscription_fields_are_refused_and_nothing_is_stored() {
    let app = spawn().await;
    let province = app.province_token();
    let post = |body: Value| {
        let (app, token) = (&app, &province);
        async move { app.post_as(token, "/api/v1/subscriptions", &body).await }
    };
    let mut long = subscription();
    long["description"] = json!("说".repeat(600_000));
    assert_refused_field(post(long).await, "description", "max_length").await;

    let mut many = subscription();
    many["events"] = json!(vec!["alert.opened"; MAX_ITEMS + 1]);
    assert_refused_field(post(many).await, "events", "max_items").await;

    let mut wide = subscription();
    let members: Map<String, Value> = (0..=MAX_ENTRIES)
        .map(|i| (format!("k{i}"), json!(i)))
        .collect();
    wide["url"] = Value::Object(members);
    assert_refused_field(post(wide).await, "url", "max_properties").await;

    let mut huge = subscription();
    huge["region"] = json!(-MAX_JSON_INTEGER - 1);
    assert_refused_field(post(huge).await, "region", "range").await;

    let listed = app.get_as(&province, "/api/v1/subscriptions").await;
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["items"], json!([]), "{listed}");
}

#[tokio::test]
async fn an_overlong_query_parameter_is_refused_by_name() {
    let app = spawn().await;
    let province = app.province_token();
    let refused = app
        .get_as(
            &province,
            &format!("/api/v1/alerts?indicator={}", "指".repeat(201)),
        )
        .await;
    assert_refused_field(refused, "indicator", "max_length").await;
    let served = app
        .get_as(
            &province,
            &format!("/api/v1/alerts?indicator={}", "指".repeat(20)),
        )
        .await;
    assert_eq!(served.status(), 200);
}
