//! Code lists (issue #13 item 4): published with both languages' labels, and inputs checked
//! against them.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body};

#[tokio::test]
async fn code_lists_are_published_and_an_unlisted_industry_is_a_field_error() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let lists: Value = app.get_json(&token, "/api/v1/dictionaries").await;
    let names: Vec<&str> = lists
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    for name in [
        "industries",
        "tech_domains",
        "regions",
        "label_kinds",
        "record_statuses",
        "assessment_outcomes",
        "hte_standings",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    let domains: Value = app
        .get_json(&token, "/api/v1/dictionaries/tech_domains")
        .await;
    let electronic = &domains["entries"][0];
    assert_eq!(electronic["code"], "electronic_information");
    assert_eq!(electronic["label_zh"], "电子信息");
    assert_eq!(electronic["label_en"], "Electronic information");
    let outcomes: Value = app
        .get_json(&token, "/api/v1/dictionaries/assessment_outcomes")
        .await;
    assert!(outcomes.to_string().contains("不符合"));
    assert_problem(
        app.get_as(&token, "/api/v1/dictionaries/colours").await,
        404,
    )
    .await;

    // C9999 is refused by the API and by the importer, naming the dictionary, in Chinese too.
    let mut body = enterprise_body(&credit_code("320583", 1), "320583", "行业测试科技有限公司");
    body["industry_code"] = "C9999".into();
    let response = app
        .send_in_chinese((Method::POST, "/api/v1/enterprises"), None, Some(&body))
        .await;
    // A code of the right form missing from the dictionary is well-formed: 422, not 400.
    let problem = assert_problem(response, 422).await;
    let error = &problem["errors"][0];
    assert_eq!(error["field"], "industry_code");
    assert_eq!(error["rule"], "dictionary");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("代码表 industries"),
        "{problem}"
    );
    let code = credit_code("320583", 2);
    let file = format!(
        "credit_code,name,region_code,registered_on,industry_code\n{code},行业测试科技有限公司,320583,2019-05-01,C9999\n"
    );
    let query = "kind=enterprises&mode=partial";
    let response = app.upload((&token, query), "text/csv", file).await;
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["errors"][0]["column"], "industry_code", "{result}");
    assert!(
        result["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("industries")
    );
}
