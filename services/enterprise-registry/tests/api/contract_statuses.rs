//! What schemathesis found in the registry, kept found: a request the document accepts is
//! never a 400 (a rule no schema can state is a 422 naming it), a request it refuses never
//! passes or crashes, and what a schema can state is stated and enforced alike.

use serde_json::{Value, json};

use crate::helpers::{RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body};

const KUNSHAN: &str = "320583";
const OPERATOR: &str = "91440300708461136T";

async fn firm(app: &TestApp) -> String {
    let code = credit_code(KUNSHAN, 7);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "契约检查科技有限公司"))
        .await;
    code
}

/// 422 with the unprocessable type and the rule named, for rules between fields, against
/// stored records or today's date; 400 for the same fields breaking what the document says.
#[tokio::test]
async fn rules_no_schema_states_are_422_and_the_documents_own_are_400() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = firm(&app).await;
    let certificates = format!("/api/v1/enterprises/{code}/certificates");
    let cases: [(Value, u16, &str); 3] = [
        // The number's year is another field's year.
        (
            json!({"certificate_no": "GR202332001234", "issued_on": "2024-11-30"}),
            422,
            "year_matches_issue",
        ),
        // Before the firm was registered (2018-03-01 in enterprise_body): a stored fact.
        (
            json!({"certificate_no": "GR201732001234", "issued_on": "2017-11-30"}),
            422,
            "not_before_registration",
        ),
        // Not the documented pattern.
        (
            json!({"certificate_no": "GR2021", "issued_on": "2021-11-30"}),
            400,
            "format",
        ),
    ];
    for (body, status, rule) in cases {
        let problem = assert_problem(app.post_as(&token, &certificates, &body).await, status).await;
        assert_eq!(problem["errors"][0]["rule"], rule, "{problem}");
        let kind = if status == 422 {
            "unprocessable"
        } else {
            "validation"
        };
        assert_eq!(problem["type"], format!("urn:jiangsu-hte:problem:{kind}"));
    }
    let statistics = "/api/v1/statistics?new_from=2025-06-01&new_to=2025-01-01";
    let problem = assert_problem(app.get_as(&token, statistics).await, 422).await;
    assert_eq!(problem["errors"][0]["rule"], "order", "{problem}");
    // A year within the document's bound but after next year is today's rule; beyond it, 400.
    let labels = format!("/api/v1/enterprises/{code}/labels");
    for (year, status) in [(2090, 422), (2101, 400)] {
        let body = json!({"kind": "gazelle", "year": year, "level": "provincial"});
        assert_problem(app.post_as(&token, &labels, &body).await, status).await;
    }
}

/// `?to=` once answered 500 and `?as_of=` answered as if absent; `?cursor=` was ignored and
/// an empty If-Match compared as a stale tag (412).
#[tokio::test]
async fn empty_values_are_refused_not_read_as_absent() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let carrier = json!({
        "id": "contract-incubator", "name": "契约科技企业孵化器", "kind": "incubator",
        "level": "provincial", "region_code": KUNSHAN, "operator_credit_code": OPERATOR,
        "recognition_year": 2018,
    });
    assert_eq!(
        app.post_as(&token, "/api/v1/carriers", &carrier)
            .await
            .status(),
        201
    );
    for path in [
        "/api/v1/carriers/contract-incubator/performance?from=2020-01-01&to=",
        "/api/v1/exports/enterprises?as_of=",
        "/api/v1/enterprises?cursor=",
        "/api/v1/statistics?as_of=%202025-01-01",
    ] {
        let problem = assert_problem(app.get_as(&token, path).await, 400).await;
        assert_eq!(
            problem["type"], "urn:jiangsu-hte:problem:validation",
            "{path}"
        );
    }
    // A cursor of the documented alphabet that this service never issued is well-formed.
    let problem = assert_problem(
        app.get_as(&token, "/api/v1/enterprises?cursor=0").await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["rule"], "not_issued");
    let path = "/api/v1/carriers/contract-incubator";
    let patch = json!({"name": "契约科技企业孵化器二"});
    let problem = assert_problem(app.patch_as(&token, path, Some(""), &patch).await, 400).await;
    assert_eq!(problem["errors"][0]["field"], "If-Match");
}

/// JSON Schema's `type: integer` holds 2025.0; serde alone refused it for an i32.
#[tokio::test]
async fn integral_numbers_are_integers() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = firm(&app).await;
    let labels = format!("/api/v1/enterprises/{code}/labels");
    let body = json!({"kind": "gazelle", "year": 2025.0, "level": "provincial"});
    let response = app.post_as(&token, &labels, &body).await;
    assert_eq!(response.status(), 201);
    let half = json!({"kind": "top100", "year": 2025.5, "level": "provincial"});
    let problem = assert_problem(app.post_as(&token, &labels, &half).await, 400).await;
    assert_eq!(problem["errors"][0]["field"], "year");
}
