//! Who may read, list and write what, by role and region.

use hte_shared::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{RegistryFixtures, TestApp, credit_code, enterprise_body};

const KUNSHAN: &str = "320583"; // under Suzhou (city A)
const GULOU: &str = "320106"; // under Nanjing (city B)

#[tokio::test]
async fn region_authorisation_matrix() {
    let app = TestApp::spawn().await;
    let in_a = credit_code(KUNSHAN, 1);
    let in_b = credit_code(GULOU, 2);
    app.create_enterprise(&enterprise_body(&in_a, KUNSHAN, "苏州甲科技有限公司"))
        .await;
    app.create_enterprise(&enterprise_body(&in_b, GULOU, "南京乙科技有限公司"))
        .await;

    let callers: [(&str, Option<String>); 5] = [
        ("province", Some(app.token(Role::Province, "320000"))),
        ("city A", Some(app.token(Role::City, "320500"))),
        ("county in A", Some(app.token(Role::County, KUNSHAN))),
        ("auditor", Some(app.token(Role::Auditor, "320000"))),
        ("no token", None),
    ];
    // Expected statuses: read A, read B, list count, write A, write B, create in B.
    let expected: [(u16, u16, Option<usize>, u16, u16, u16); 5] = [
        (200, 200, Some(2), 200, 200, 201),
        (200, 404, Some(1), 200, 404, 403),
        (200, 404, Some(1), 200, 404, 403),
        // The province's create above added a third firm (in B).
        (200, 200, Some(3), 403, 403, 403),
        (401, 401, None, 401, 401, 401),
    ];
    for (i, ((who, token), want)) in callers.iter().zip(expected).enumerate() {
        let caller = Caller {
            app: &app,
            token: token.as_deref(),
        };
        let got = what_the_caller_may_do(&caller, (&in_a, &in_b), 100 + i as u32).await;
        assert_eq!(got, want, "{who}");
        if want.1 == 404 {
            another_regions_record_reads_as_absent(&caller, &in_b).await;
        }
    }

    // A city may not move one of its firms into another city.
    let city_a = app.token(Role::City, "320500");
    let response = app
        .patch_as(
            &city_a,
            &format!("/api/v1/enterprises/{in_a}"),
            Some("*"),
            &json!({"region_code": GULOU}),
        )
        .await;
    assert_eq!(response.status(), 403);
}

/// A request as one caller (or with no token), with `If-Match: *`.
struct Caller<'a> {
    app: &'a TestApp,
    token: Option<&'a str>,
}

impl Caller<'_> {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(token) = self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.header("If-Match", "*").send().await.unwrap()
    }
}

/// Statuses of: read A, read B, list (with the count listed), write A, write B, and create
/// firm `serial` in B.
async fn what_the_caller_may_do(
    caller: &Caller<'_>,
    (in_a, in_b): (&str, &str),
    serial: u32,
) -> (u16, u16, Option<usize>, u16, u16, u16) {
    let (get, patch) = (reqwest::Method::GET, reqwest::Method::PATCH);
    let path = |code: &str| format!("/api/v1/enterprises/{code}");
    let read_a = caller.send(get.clone(), &path(in_a), None).await;
    let read_b = caller.send(get.clone(), &path(in_b), None).await;
    let list = caller.send(get, "/api/v1/enterprises", None).await;
    let listed = if list.status() == 200 {
        Some(
            list.json::<Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .len(),
        )
    } else {
        None
    };
    let change = || Some(json!({"above_scale": false}));
    let write_a = caller.send(patch.clone(), &path(in_a), change()).await;
    let write_b = caller.send(patch, &path(in_b), change()).await;
    let firm = enterprise_body(&credit_code(GULOU, serial), GULOU, "南京新建科技有限公司");
    let create_b = caller
        .send(reqwest::Method::POST, "/api/v1/enterprises", Some(firm))
        .await;
    let status = |r: &reqwest::Response| r.status().as_u16();
    (
        status(&read_a),
        status(&read_b),
        listed,
        status(&write_a),
        status(&write_b),
        status(&create_b),
    )
}

/// A 404 for another region's record says the same as for an absent one.
async fn another_regions_record_reads_as_absent(caller: &Caller<'_>, in_b: &str) {
    let absent_code = credit_code(GULOU, 999);
    let absent = caller
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/enterprises/{absent_code}"),
            None,
        )
        .await;
    let absent: Value = absent.json().await.unwrap();
    let hidden = caller
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/enterprises/{in_b}"),
            None,
        )
        .await;
    let hidden: Value = hidden.json().await.unwrap();
    assert_eq!(
        absent["detail"]
            .as_str()
            .unwrap()
            .replace(&absent_code, "X"),
        hidden["detail"].as_str().unwrap().replace(in_b, "X")
    );
}
