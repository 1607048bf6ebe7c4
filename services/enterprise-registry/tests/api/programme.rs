use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body, status_for_rule,
};

const KUNSHAN: &str = "320583";

async fn status_on(app: &TestApp, code: &str, date: &str) -> String {
    let body: Value = app
        .get_json(
            &app.province_token(),
            &format!("/api/v1/enterprises/{code}?as_of={date}"),
        )
        .await;
    body["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn status_follows_pool_and_certificate_dates() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 1);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "状态测试有限公司"))
        .await;
    let base = format!("/api/v1/enterprises/{code}");

    let pool = app
        .post_as(
            &token,
            &format!("{base}/pool-entries"),
            &json!({"year": 2020, "batch": 1, "source": "市推荐", "entered_on": "2020-05-01"}),
        )
        .await;
    assert_eq!(pool.status(), 201);
    let certificate = app
        .post_as(
            &token,
            &format!("{base}/certificates"),
            &json!({"certificate_no": "GR202132001234", "issued_on": "2021-11-30"}),
        )
        .await;
    assert_eq!(certificate.status(), 201);
    let certificate: Value = certificate.json().await.unwrap();
    assert_eq!(certificate["expires_on"], "2024-11-29");
    let exit = app
        .post_as(
            &token,
            &format!("{base}/pool-entries/2020/exit"),
            &json!({"exited_on": "2021-11-30", "reason": "已认定为高新技术企业"}),
        )
        .await;
    assert_eq!(exit.status(), 200);

    for (date, expected) in [
        ("2018-02-28", "not_yet_registered"),
        ("2019-06-01", "registered"),
        ("2020-05-01", "pool"),
        ("2021-11-29", "pool"),
        ("2021-11-30", "hte"),
        ("2024-11-29", "hte"),
        ("2024-11-30", "registered"),
    ] {
        assert_eq!(status_on(&app, &code, date).await, expected, "{date}");
    }

    // Renewal is a new certificate; revoking it ends HTE status from the revocation date.
    let renewal = app
        .post_as(
            &token,
            &format!("{base}/certificates"),
            &json!({"certificate_no": "GR202432005678", "issued_on": "2024-12-16"}),
        )
        .await;
    assert_eq!(renewal.status(), 201);
    assert_eq!(status_on(&app, &code, "2025-06-01").await, "hte");
    let revoke = app
        .post_as(
            &token,
            &format!("{base}/certificates/GR202432005678/revoke"),
            &json!({"revoked_on": "2025-07-01", "reason": "累计两年未按期报送年报"}),
        )
        .await;
    assert_eq!(revoke.status(), 200);
    assert_eq!(status_on(&app, &code, "2025-06-30").await, "hte");
    assert_eq!(status_on(&app, &code, "2025-07-01").await, "registered");
    assert_problem(
        app.post_as(
            &token,
            &format!("{base}/certificates/GR202432005678/revoke"),
            &json!({"revoked_on": "2025-07-02", "reason": "再次撤销"}),
        )
        .await,
        409,
    )
    .await;

    let as_of_list: Value = app
        .get_json(&token, "/api/v1/enterprises?status=hte&as_of=2022-01-01")
        .await;
    assert_eq!(as_of_list["items"][0]["credit_code"], code.as_str());
    assert_eq!(as_of_list["items"][0]["status"], "hte");
    let pool_list: Value = app
        .get_json(&token, "/api/v1/enterprises?status=pool&as_of=2021-01-01")
        .await;
    assert_eq!(pool_list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn programme_facts_are_checked() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 2);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "事实测试有限公司"))
        .await;
    let base = format!("/api/v1/enterprises/{code}");
    let cases = [
        (
            "certificates",
            json!({"certificate_no": "GR2021320012", "issued_on": "2021-11-30"}),
            "certificate_no",
            "format",
        ),
        (
            "certificates",
            json!({"certificate_no": "GR202232001234", "issued_on": "2021-11-30"}),
            "certificate_no",
            "year_matches_issue",
        ),
        (
            "certificates",
            json!({"certificate_no": "GR201732001234", "issued_on": "2017-11-30"}),
            "issued_on",
            "not_before_registration",
        ),
        (
            "pool-entries",
            json!({"year": 2010, "batch": 1, "source": "市推荐", "entered_on": "2020-05-01"}),
            "year",
            "range",
        ),
        (
            "pool-entries",
            json!({"year": 2020, "batch": 0, "source": "市推荐", "entered_on": "2020-05-01"}),
            "batch",
            "range",
        ),
        (
            "labels",
            json!({"kind": "unicorn", "year": 2024, "level": "provincial"}),
            "kind",
            "type",
        ),
    ];
    for (resource, body, field, rule) in cases {
        let problem = assert_problem(
            app.post_as(&token, &format!("{base}/{resource}"), &body)
                .await,
            status_for_rule(rule),
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(problem["errors"][0]["rule"], rule, "{problem}");
    }
    let label = app
        .post_as(&token, &format!("{base}/labels"), &json!({"kind": "gazelle", "year": 2024, "level": "provincial", "issuer": "江苏省科学技术厅"}))
        .await;
    assert_eq!(label.status(), 201);
    assert_problem(
        app.post_as(
            &token,
            &format!("{base}/labels"),
            &json!({"kind": "gazelle", "year": 2024, "level": "municipal"}),
        )
        .await,
        409,
    )
    .await;
    let gazelles: Value = app
        .get_json(&token, "/api/v1/enterprises?label=gazelle")
        .await;
    assert_eq!(gazelles["items"].as_array().unwrap().len(), 1);
    let revoked = app
        .post_as(
            &token,
            &format!("{base}/labels/gazelle/2024/revoke"),
            &json!({"revoked_on": "2025-01-10", "reason": "复核不合格"}),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    let gazelles: Value = app
        .get_json(&token, "/api/v1/enterprises?label=gazelle")
        .await;
    assert!(gazelles["items"].as_array().unwrap().is_empty());
    let labels: Value = app.get_json(&token, &format!("{base}/labels")).await;
    assert_eq!(labels["items"][0]["revoke_reason"], "复核不合格");
}

#[tokio::test]
async fn facts_stay_within_the_enterprises_existence() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let code = credit_code(KUNSHAN, 41);
    app.create_enterprise(&enterprise_body(&code, KUNSHAN, "存续期测试有限公司"))
        .await;
    let base = format!("/api/v1/enterprises/{code}");
    let label = app
        .post_as(
            &token,
            &format!("{base}/labels"),
            &json!({"kind": "gazelle", "year": 2024, "level": "provincial"}),
        )
        .await;
    assert_eq!(label.status(), 201);
    // A label holds from its year on: it cannot be revoked before.
    let early = app
        .post_as(
            &token,
            &format!("{base}/labels/gazelle/2024/revoke"),
            &json!({"revoked_on": "2018-01-01", "reason": "测试提前撤销"}),
        )
        .await;
    let problem = assert_problem(early, 422).await;
    assert_eq!(problem["errors"][0]["rule"], "not_before_grant");

    let gone = app
        .post_as(
            &token,
            &format!("{base}/deregister"),
            &json!({"deregistered_on": "2024-06-30", "reason": "企业注销"}),
        )
        .await;
    assert_eq!(gone.status(), 200);
    for (path, body, field) in [
        (
            "pool-entries",
            json!({"year": 2025, "batch": 1, "source": "市推荐", "entered_on": "2025-05-01"}),
            "entered_on",
        ),
        (
            "certificates",
            json!({"certificate_no": "GR202532000041", "issued_on": "2025-11-01"}),
            "issued_on",
        ),
        (
            "labels",
            json!({"kind": "top100", "year": 2025, "level": "provincial"}),
            "year",
        ),
    ] {
        let response = app.post_as(&token, &format!("{base}/{path}"), &body).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
        assert_eq!(problem["errors"][0]["rule"], "after_deregistration");
    }
}
