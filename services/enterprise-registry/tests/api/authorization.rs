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
        let send = |method: reqwest::Method, path: String, body: Option<Value>| {
            let mut request = app.client.request(method, app.url(&path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            request.header("If-Match", "*").send()
        };
        let read_a = send(
            reqwest::Method::GET,
            format!("/api/v1/enterprises/{in_a}"),
            None,
        )
        .await
        .unwrap();
        let read_b = send(
            reqwest::Method::GET,
            format!("/api/v1/enterprises/{in_b}"),
            None,
        )
        .await
        .unwrap();
        let list = send(reqwest::Method::GET, "/api/v1/enterprises".into(), None)
            .await
            .unwrap();
        let list_status = list.status().as_u16();
        let listed = if list_status == 200 {
            Some(
                list.json::<Value>().await.unwrap()["items"]
                    .as_array()
                    .unwrap()
                    .len(),
            )
        } else {
            None
        };
        let patch = |code: &str| {
            send(
                reqwest::Method::PATCH,
                format!("/api/v1/enterprises/{code}"),
                Some(json!({"above_scale": false})),
            )
        };
        let write_a = patch(&in_a).await.unwrap();
        let write_b = patch(&in_b).await.unwrap();
        let create_b = send(
            reqwest::Method::POST,
            "/api/v1/enterprises".into(),
            Some(enterprise_body(
                &credit_code(GULOU, 100 + i as u32),
                GULOU,
                "南京新建科技有限公司",
            )),
        )
        .await
        .unwrap();
        let got = (
            read_a.status().as_u16(),
            read_b.status().as_u16(),
            listed,
            write_a.status().as_u16(),
            write_b.status().as_u16(),
            create_b.status().as_u16(),
        );
        assert_eq!(got, want, "{who}");
        // A 404 for another region's record says the same as for an absent one.
        if want.1 == 404 {
            let absent = send(
                reqwest::Method::GET,
                format!("/api/v1/enterprises/{}", credit_code(GULOU, 999)),
                None,
            )
            .await
            .unwrap();
            let absent: Value = absent.json().await.unwrap();
            let hidden: Value = send(
                reqwest::Method::GET,
                format!("/api/v1/enterprises/{in_b}"),
                None,
            )
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
            assert_eq!(
                absent["detail"]
                    .as_str()
                    .unwrap()
                    .replace(&credit_code(GULOU, 999), "X"),
                hidden["detail"].as_str().unwrap().replace(&in_b, "X")
            );
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
