//! Carrier ranking (载体绩效排名): scores and ranks on a hand-checked data set with ties, the
//! same counts as each carrier's performance, who may rank which carriers, the weights'
//! bounds, and the XLSX for the reward decision read back as the importer reads sheets.

use hte_shared::auth::Role;
use hte_shared::testing::{assert_json, problem_fields};
use serde_json::{Value, json};

use crate::helpers::{RegistryFixtures, TestApp, assert_problem, credit_code, enterprise_body};

const KUNSHAN: &str = "320583"; // under Suzhou
const GULOU: &str = "320106"; // under Nanjing
const OPERATOR: &str = "91440300708461136T";
const PERIOD: &str = "from=2020-01-01&to=2023-12-31";

fn carrier(id: &str, county: &str, kind: &str) -> Value {
    json!({
        "id": id, "name": format!("{id}科技企业孵化器"), "kind": kind, "level": "provincial",
        "region_code": county, "operator_credit_code": OPERATOR, "recognition_year": 2018,
    })
}

/// Carriers and firms whose scores, with the default weights (firm 1, tech-based SME 3, pool
/// member 2, HTE 5, label 1), are: ks-a 13, ks-b 6, ks-c 6, gl-a 1, ks-zero 0; ks-maker (a
/// maker space) 1.
async fn data_set(app: &TestApp) {
    let token = app.province_token();
    for (id, county, kind) in [
        ("ks-a", KUNSHAN, "incubator"),
        ("ks-b", KUNSHAN, "incubator"),
        ("ks-c", KUNSHAN, "incubator"),
        ("ks-zero", KUNSHAN, "incubator"),
        ("ks-maker", KUNSHAN, "maker_space"),
        ("gl-a", GULOU, "incubator"),
    ] {
        let body = carrier(id, county, kind);
        assert_json(app.post_as(&token, "/api/v1/carriers", &body).await, 201).await;
    }
    let post = |path: String, body: Value| {
        let token = &token;
        async move { assert_json(app.post_as(token, &path, &body).await, 201).await }
    };
    // firm, its county, carrier, incubation start, then its facts
    let firms = [
        (1, KUNSHAN, "ks-a", "2020-03-01"),
        (2, KUNSHAN, "ks-a", "2021-01-01"),
        (3, KUNSHAN, "ks-b", "2021-01-01"),
        (4, GULOU, "ks-c", "2020-06-01"),
        (5, GULOU, "gl-a", "2022-01-01"),
        (6, KUNSHAN, "ks-maker", "2022-01-01"),
        (7, KUNSHAN, "ks-zero", "2016-01-01"), // ended before the period
    ];
    let mut codes = Vec::new();
    for (serial, county, carrier_id, started_on) in firms {
        let code = credit_code(county, serial);
        let mut body = enterprise_body(&code, county, &format!("排名{serial}号科技有限公司"));
        body["registered_on"] = json!("2012-01-01");
        app.create_enterprise(&body).await;
        let mut incubation = json!({"carrier_id": carrier_id, "started_on": started_on});
        if serial == 7 {
            incubation["ended_on"] = json!("2017-12-31");
        }
        post(
            format!("/api/v1/enterprises/{code}/incubations"),
            incubation,
        )
        .await;
        codes.push(code);
    }
    let fact = |code: &String, what: &str| format!("/api/v1/enterprises/{code}/{what}");
    let pool = |year: i32| json!({"year": year, "batch": 1, "source": "市推荐", "entered_on": format!("{year}-05-01")});
    let certificate = |no: &str| json!({"certificate_no": no, "issued_on": "2022-11-01"});
    let label = |kind: &str, year: i32| json!({"kind": kind, "year": year, "level": "provincial"});
    // ks-a: firm 1 in the pool, certified, a tech-based SME and a gazelle; firm 2 nothing.
    post(fact(&codes[0], "pool-entries"), pool(2021)).await;
    post(
        fact(&codes[0], "certificates"),
        certificate("GR202232000001"),
    )
    .await;
    post(fact(&codes[0], "labels"), label("tech_sme", 2021)).await;
    post(fact(&codes[0], "labels"), label("gazelle", 2022)).await;
    // ks-b: firm 3 certified (1 + 5); ks-c: firm 4 a tech-based SME in the pool (1 + 3 + 2).
    post(
        fact(&codes[2], "certificates"),
        certificate("GR202232000003"),
    )
    .await;
    post(fact(&codes[3], "labels"), label("tech_sme", 2021)).await;
    post(fact(&codes[3], "pool-entries"), pool(2021)).await;
    // ks-zero: firm 7 certified, but incubated before the period only.
    post(
        fact(&codes[6], "certificates"),
        certificate("GR202232000007"),
    )
    .await;
}

/// (carrier id, rank, score) of a ranking.
fn places(ranking: &Value) -> Vec<(String, i64, i64)> {
    ranking["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["carrier_id"].as_str().unwrap().to_owned(),
                i["rank"].as_i64().unwrap(),
                i["score"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn owned(places: &[(&str, i64, i64)]) -> Vec<(String, i64, i64)> {
    places
        .iter()
        .map(|(id, rank, score)| ((*id).to_owned(), *rank, *score))
        .collect()
}

#[tokio::test]
async fn ranking_scores_a_hand_checked_data_set_and_ties_share_a_rank() {
    let app = TestApp::spawn().await;
    data_set(&app).await;
    let token = app.province_token();
    let path = format!("/api/v1/carrier-ranking?kind=incubator&{PERIOD}");
    let ranking = app.get_json(&token, &path).await;
    assert_eq!(
        places(&ranking),
        owned(&[
            ("ks-a", 1, 13),
            ("ks-b", 2, 6),
            ("ks-c", 2, 6),
            ("gl-a", 4, 1),
            ("ks-zero", 5, 0)
        ]),
        "{ranking}"
    );
    assert_eq!(
        ranking["weights"],
        json!({"firms_incubated": 1, "tech_smes": 3, "pool_members": 2, "htes_certified": 5, "labels_earned": 1})
    );
    let first = &ranking["items"][0];
    assert_eq!(
        (
            &first["region_name"],
            &first["city_name"],
            &first["kind_label"]
        ),
        (&json!("昆山市"), &json!("苏州市"), &json!("孵化器"))
    );
    // The counts are those of each carrier's performance.
    for item in ranking["items"].as_array().unwrap() {
        let id = item["carrier_id"].as_str().unwrap();
        let one = format!("/api/v1/carriers/{id}/performance?{PERIOD}");
        let performance = app.get_json(&token, &one).await;
        assert_eq!(item["performance"], performance, "{id}");
    }
    // Other weights, another order: ties are listed by carrier id.
    let weighted = format!("{path}&weight_htes_certified=0&weight_tech_smes=0");
    let ranking = app.get_json(&token, &weighted).await;
    assert_eq!(
        places(&ranking),
        owned(&[
            ("ks-a", 1, 5),
            ("ks-c", 2, 3),
            ("gl-a", 3, 1),
            ("ks-b", 3, 1),
            ("ks-zero", 5, 0)
        ]),
        "{ranking}"
    );
    let every_kind = format!("/api/v1/carrier-ranking?{PERIOD}");
    let ranking = app.get_json(&token, &every_kind).await;
    assert_eq!(ranking["items"].as_array().unwrap().len(), 6, "{ranking}");
}

#[tokio::test]
async fn officials_rank_the_carriers_of_their_region_only() {
    let app = TestApp::spawn().await;
    data_set(&app).await;
    let ids = |ranking: &Value| -> Vec<String> {
        places(ranking).into_iter().map(|(id, _, _)| id).collect()
    };
    let path = format!("/api/v1/carrier-ranking?kind=incubator&{PERIOD}");
    let cases = [
        (
            app.province_token(),
            vec!["ks-a", "ks-b", "ks-c", "gl-a", "ks-zero"],
        ),
        (
            app.token(Role::City, "320500"),
            vec!["ks-a", "ks-b", "ks-c", "ks-zero"],
        ),
        (
            app.token(Role::County, KUNSHAN),
            vec!["ks-a", "ks-b", "ks-c", "ks-zero"],
        ),
        (app.token(Role::City, "320100"), vec!["gl-a"]),
        (
            app.token(Role::Auditor, "320000"),
            vec!["ks-a", "ks-b", "ks-c", "gl-a", "ks-zero"],
        ),
    ];
    for (token, want) in &cases {
        let ranking = app.get_json(token, &path).await;
        assert_eq!(ids(&ranking), *want, "{ranking}");
    }
    // A Suzhou official's ranks are within Suzhou: gl-a, outranked by everyone there, is absent.
    let suzhou = &cases[1].0;
    let ranking = app.get_json(suzhou, &path).await;
    assert_eq!(ranking["items"][3]["rank"], 4, "{ranking}");
    // The province narrows to a city; a city may not look at another city's carriers.
    let nanjing_only = format!("{path}&region=320100");
    let ranking = app.get_json(&app.province_token(), &nanjing_only).await;
    assert_eq!(ids(&ranking), ["gl-a"]);
    assert_problem(app.get_as(suzhou, &nanjing_only).await, 403).await;
    let nanjing = &cases[3].0;
    let suzhou_only = format!("{path}&region=320500");
    assert_problem(app.get_as(nanjing, &suzhou_only).await, 403).await;
}

#[tokio::test]
async fn weights_out_of_bounds_and_bad_periods_are_field_errors() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let bad = "/api/v1/carrier-ranking?from=2024-01-01&to=2020-12-31&weight_tech_smes=101&weight_labels_earned=-1&kind=park";
    let problem = assert_problem(app.get_as(&token, bad).await, 400).await;
    let mut fields = problem_fields(&problem);
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["kind", "to", "weight_labels_earned", "weight_tech_smes"],
        "{problem}"
    );
    let chinese = app
        .client
        .get(app.url(&format!(
            "/api/v1/carrier-ranking?{PERIOD}&weight_htes_certified=1000"
        )))
        .bearer_auth(&token)
        .header("Accept-Language", "zh-CN")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(chinese, 400).await;
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("须在 0 至 100 之间"), "{problem}");
    let not_a_number = format!("/api/v1/carrier-ranking?{PERIOD}&weight_pool_members=lots");
    assert_problem(app.get_as(&token, &not_a_number).await, 400).await;
    let no_period = "/api/v1/carrier-ranking";
    assert_problem(app.get_as(&token, no_period).await, 400).await;
    // An empty date is no date (the shared date parameter's rule), here and on a carrier's
    // performance.
    let empty = "/api/v1/carrier-ranking?from=2020-01-01&to=";
    let problem = assert_problem(app.get_as(&token, empty).await, 400).await;
    assert_eq!(problem["errors"][0]["field"], "to", "{problem}");
    assert_eq!(problem["errors"][0]["rule"], "date", "{problem}");
    let empty = "/api/v1/carriers/any-carrier/performance?from=&to=2020-01-01";
    let problem = assert_problem(app.get_as(&token, empty).await, 400).await;
    assert_eq!(problem["errors"][0]["field"], "from", "{problem}");
    // A region that is no Jiangsu division is a field error.
    let nowhere = format!("/api/v1/carrier-ranking?{PERIOD}&region=000000");
    let problem = assert_problem(app.get_as(&token, &nowhere).await, 400).await;
    assert_eq!(problem["errors"][0]["field"], "region", "{problem}");
    let edges =
        format!("/api/v1/carrier-ranking?{PERIOD}&weight_firms_incubated=0&weight_tech_smes=100");
    let ranking = app.get_json(&token, &edges).await;
    assert_eq!(ranking["weights"]["tech_smes"], 100);
}

#[tokio::test]
async fn the_xlsx_for_the_reward_decision_has_numbers_names_and_a_header_block() {
    use calamine::{Data, Reader};
    let app = TestApp::spawn().await;
    data_set(&app).await;
    let path = format!(
        "/api/v1/carrier-ranking?kind=incubator&{PERIOD}&weight_labels_earned=2&format=xlsx"
    );
    let response = app.get_as(&app.token(Role::City, "320500"), &path).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("carrier-ranking-2020-01-01-2023-12-31.xlsx")
    );
    let bytes = response.bytes().await.unwrap();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["载体绩效排名"]);
    let sheet = book.worksheet_range("载体绩效排名").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let text = |cell: &Data| cell.to_string();
    assert_eq!(text(&rows[0][0]), "创新创业载体绩效排名");
    let label_row = |label: &str| {
        rows.iter()
            .find(|r| r.first().is_some_and(|c| *c == label))
            .unwrap_or_else(|| panic!("no row {label}"))
    };
    assert!(matches!(label_row("统计期间")[1], Data::DateTime(_)));
    assert_eq!(text(&label_row("地区")[1]), "苏州市（320500）");
    assert_eq!(text(&label_row("地区")[3]), "孵化器");
    assert_eq!(label_row("权重：称号数")[1], Data::Float(2.0));
    assert_eq!(label_row("权重：高新技术企业数")[1], Data::Float(5.0));
    assert!(matches!(label_row("制表时间")[1], Data::DateTime(_)));
    let header = rows.iter().position(|r| text(&r[0]) == "名次").unwrap();
    let headers: Vec<String> = rows[header].iter().map(text).collect();
    assert_eq!(
        headers[..8],
        [
            "名次",
            "得分",
            "载体编号",
            "载体名称",
            "载体类型",
            "认定级别",
            "县区代码",
            "县区名称"
        ]
    );
    let table = &rows[header + 1..];
    assert_eq!(table.len(), 4, "the Suzhou incubators");
    // ks-a: rank 1, 13 + 1 for the second point of its label; counts are numbers.
    assert_eq!(table[0][0], Data::Float(1.0));
    assert_eq!(table[0][1], Data::Float(14.0));
    assert_eq!(text(&table[0][2]), "ks-a");
    assert_eq!(
        (text(&table[0][6]), text(&table[0][7]), text(&table[0][9])),
        (
            "320583".to_owned(),
            "昆山市".to_owned(),
            "苏州市".to_owned()
        )
    );
    let counts: Vec<&Data> = table[0][10..].iter().collect();
    assert_eq!(
        counts,
        [
            &Data::Float(2.0),
            &Data::Float(1.0),
            &Data::Float(1.0),
            &Data::Float(1.0),
            &Data::Float(1.0)
        ]
    );
    assert_eq!(
        (&table[1][0], &table[2][0]),
        (&Data::Float(2.0), &Data::Float(2.0))
    );
}
