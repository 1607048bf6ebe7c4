//! Screening readiness over HTTP: kept equal to a fresh computation through a randomized
//! sequence of API writes and imports of every fact kind, read by the candidates route and
//! the summary.

use hte_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    RegistryFixtures, TestApp, assert_problem, builtin_rules, credit_code, enterprise_body,
};

const AS_OF: &str = "2026-06-01";
const FIRMS: u32 = 8;

/// xorshift64: a fixed sequence per seed, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn code_of(i: u32) -> String {
    let county = if i % 2 == 0 { "320583" } else { "320106" };
    credit_code(county, 40 + i)
}

fn report(rng: &mut Rng, year: i32) -> Value {
    let sales = 20_000_000 + rng.next(30) as i64 * 1_000_000;
    let rd = sales * rng.next(9) as i64 / 100;
    let class1 = rng.next(3);
    json!({
        "employees": 100, "st_staff": 5 + rng.next(30),
        "total_income_yuan": sales + 1_000_000, "sales_revenue_yuan": sales,
        "hightech_income_yuan": sales * (40 + rng.next(50) as i64) / 100,
        "rd_expense_yuan": rd, "rd_expense_domestic_yuan": rd * 9 / 10,
        "net_assets_yuan": 10_000_000 + i64::from(year - 2022) * rng.next(5) as i64 * 1_000_000,
        "total_assets_yuan": 60_000_000, "invention_patents": class1, "class1_ip": class1,
        "class2_ip": rng.next(6), "conversions": rng.next(7), "rd_institution": "municipal"
    })
}

/// Files or replaces a report (over its ETag); the status it got.
async fn put_report(app: &TestApp, rng: &mut Rng, code: &str, year: i32) -> reqwest::StatusCode {
    let token = app.province_token();
    let path = format!("/api/v1/enterprises/{code}/annual-reports/{year}");
    let existing = app.get_as(&token, &path).await;
    let etag = existing
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = report(rng, year);
    let response = app
        .send_with_etag(Method::PUT, &token, &path, etag.as_deref(), &body)
        .await;
    let status = response.status();
    assert!(
        !status.is_server_error(),
        "{status}: {}",
        response.text().await.unwrap()
    );
    status
}

/// What the random writes made, for the ones that end it later: (firm, certificate number)
/// and (firm, declaration id).
#[derive(Default)]
struct Made {
    certificates: Vec<(String, String)>,
    declarations: Vec<(String, String)>,
}

/// A random fact creation for `code`.
async fn random_create(app: &TestApp, rng: &mut Rng, made: &mut Made, code: &str, step: u64) {
    let token = app.province_token();
    let base = format!("/api/v1/enterprises/{code}");
    let (path, body) = match rng.next(4) {
        0 => (
            "pool-entries",
            json!({"year": 2025, "batch": 1, "source": "市推荐", "entered_on": "2025-03-01"}),
        ),
        1 => {
            let (year, on) = [
                (2021, "2021-01-15"),
                (2023, "2023-07-01"),
                (2024, "2024-02-01"),
            ][rng.next(3) as usize];
            let no = format!("GR{year}32{step:06}");
            made.certificates.push((code.to_owned(), no.clone()));
            (
                "certificates",
                json!({"certificate_no": no, "issued_on": on}),
            )
        }
        2 => {
            let item =
                ["ip_advancement", "rd_management_system", "talent_system"][rng.next(3) as usize];
            let body = json!({"kind": "expert_score", "dated_on": "2026-05-20", "score_item": item,
                              "points": rng.next(5), "source": "评审会"});
            ("declarations", body)
        }
        _ if rng.next(2) == 0 => (
            "declarations",
            json!({"kind": "clean_record", "dated_on": "2026-05-01", "source": "承诺书"}),
        ),
        _ => (
            "declarations",
            json!({"kind": "clean_record", "holds": false, "dated_on": "2026-01-10",
                   "source": "行政处罚决定书"}),
        ),
    };
    let response = app.post_as(&token, &format!("{base}/{path}"), &body).await;
    let status = response.status();
    assert!(
        !status.is_server_error(),
        "{}",
        response.text().await.unwrap()
    );
    if status.as_u16() == 201 && path == "declarations" {
        let view: Value = response.json().await.unwrap();
        let id = view["id"].as_str().unwrap().to_owned();
        made.declarations.push((code.to_owned(), id));
    }
}

/// A random ending: a pool exit, a revocation, a withdrawal or (rarely) a deregistration.
async fn random_end(app: &TestApp, rng: &mut Rng, made: &mut Made, code: &str) {
    let token = app.province_token();
    let reason = json!("随机测试结束");
    let (path, body) = match rng.next(7) {
        0 | 1 => (
            format!("/api/v1/enterprises/{code}/pool-entries/2025/exit"),
            json!({"exited_on": "2025-12-01", "reason": reason}),
        ),
        2 | 3 if !made.certificates.is_empty() => {
            let (firm, no) = made
                .certificates
                .swap_remove(rng.next(made.certificates.len() as u64) as usize);
            (
                format!("/api/v1/enterprises/{firm}/certificates/{no}/revoke"),
                json!({"revoked_on": "2026-02-01", "reason": reason}),
            )
        }
        4 | 5 if !made.declarations.is_empty() => {
            let (firm, id) = made
                .declarations
                .swap_remove(rng.next(made.declarations.len() as u64) as usize);
            (
                format!("/api/v1/enterprises/{firm}/declarations/{id}/withdraw"),
                json!({"withdrawn_on": "2026-05-25", "reason": reason}),
            )
        }
        _ => (
            format!("/api/v1/enterprises/{code}/deregister"),
            json!({"deregistered_on": "2026-03-01", "reason": reason}),
        ),
    };
    let response = app.post_as(&token, &path, &body).await;
    assert!(
        !response.status().is_server_error(),
        "{}",
        response.text().await.unwrap()
    );
}

/// One random write to a random firm; refusals (a duplicate, a conflict, a deregistered
/// firm) are fine, a server error is not.
async fn random_write(app: &TestApp, rng: &mut Rng, made: &mut Made, step: u64) {
    let code = code_of(rng.next(u64::from(FIRMS)) as u32);
    match rng.next(7) {
        0 | 1 => {
            let year = 2023 + rng.next(3) as i32;
            put_report(app, rng, &code, year).await;
        }
        2..=4 => random_create(app, rng, made, &code, step).await,
        5 => patch_enterprise(app, rng, &code).await,
        _ => random_end(app, rng, made, &code).await,
    }
}

/// A random change to the firm itself: its technology domain (a condition and a filter of the
/// ranking) or its registration date (the one-year condition).
async fn patch_enterprise(app: &TestApp, rng: &mut Rng, code: &str) {
    let token = app.province_token();
    let path = format!("/api/v1/enterprises/{code}");
    let current = app.get_as(&token, &path).await;
    let Some(etag) = current
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
    else {
        return;
    };
    let body = if rng.next(2) == 0 {
        json!({"tech_domain": DOMAINS[rng.next(DOMAINS.len() as u64) as usize]})
    } else {
        let on = ["2016-05-01", "2020-01-01", "2025-12-01"][rng.next(3) as usize];
        json!({ "registered_on": on })
    };
    let response = app
        .send_with_etag(Method::PATCH, &token, &path, Some(&etag), &body)
        .await;
    assert!(
        !response.status().is_server_error(),
        "{}",
        response.text().await.unwrap()
    );
}

const DOMAINS: [&str; 3] = [
    "electronic_information",
    "new_materials",
    "advanced_manufacturing_and_automation",
];

async fn build(app: &TestApp) {
    let started = app
        .post_as(
            &app.province_token(),
            &format!("/api/v1/candidates/readiness?as_of={AS_OF}"),
            &json!(null),
        )
        .await;
    assert_eq!(started.status(), 202);
    let finished = |items: &[Value]| items.len() == 1 && items[0]["finished_at"].is_string();
    let items = poll_builds(app, 200, "the readiness build did not finish", finished).await;
    assert_eq!(items[0]["firms_done"], FIRMS);
}

/// Polls the list of builds every 50 ms until `done` holds of it, at most `tries` times
/// (then panics saying `what` did not happen).
async fn poll_builds(
    app: &TestApp,
    tries: usize,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..tries {
        let builds: Value = app
            .get_json(&app.province_token(), "/api/v1/candidates/readiness")
            .await;
        let items = builds["items"].as_array().unwrap();
        if done(items) {
            return items.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}");
}

async fn ranking(app: &TestApp, scope: &str) -> Value {
    let page: Value = app
        .get_json(
            &app.province_token(),
            &format!("/api/v1/candidates?as_of={AS_OF}&scope={scope}&limit=500"),
        )
        .await;
    page["items"].clone()
}

/// Posts a CSV file of `kind` (mode partial) that changes at least one row; refused rows are
/// fine, a refused file is not.
async fn post_import(app: &TestApp, kind: &str, csv: String) {
    let query = format!("kind={kind}&mode=partial");
    let response = app
        .upload((&app.province_token(), query.as_str()), "text/csv", csv)
        .await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    let changed = ["created", "updated"].map(|n| report["counts"][n].as_u64().unwrap());
    assert!(changed.iter().sum::<u64>() > 0, "{kind}: {report}");
}

/// An import of a random kind touching two or three random firms: annual reports, pool
/// entries, certificates (remembered for later revocations) or the firms themselves.
async fn random_import(app: &TestApp, rng: &mut Rng, made: &mut Made, step: u64) {
    let mut firms: Vec<String> = (0..2 + rng.next(2))
        .map(|_| code_of(rng.next(u64::from(FIRMS)) as u32))
        .collect();
    firms.sort();
    firms.dedup();
    match rng.next(4) {
        0 => import_reports(app, rng).await,
        1 => {
            let mut csv = String::from("credit_code,year,batch,source,entered_on\n");
            for code in &firms {
                csv.push_str(&format!(
                    "{code},2026,1,导入推荐,2026-0{}-01\n",
                    1 + rng.next(5)
                ));
            }
            post_import(app, "pool_entries", csv).await;
        }
        2 => {
            let mut csv = String::from("credit_code,certificate_no,issued_on\n");
            for (i, code) in firms.iter().enumerate() {
                let (year, on) = [(2022, "2022-12-01"), (2023, "2023-10-20")][rng.next(2) as usize];
                let no = format!("GR{year}32{:06}", 900_000 + step * 10 + i as u64);
                csv.push_str(&format!("{code},{no},{on}\n"));
                made.certificates.push((code.clone(), no));
            }
            post_import(app, "certificates", csv).await;
        }
        _ => {
            let mut csv = String::from(
                "credit_code,name,region_code,registered_on,industry_code,tech_domain\n",
            );
            for code in &firms {
                let domain = DOMAINS[rng.next(DOMAINS.len() as u64) as usize];
                let county = &code[2..8];
                csv.push_str(&format!(
                    "{code},导入更新{step}有限公司,{county},2018-03-01,C3491,{domain}\n"
                ));
            }
            post_import(app, "enterprises", csv).await;
        }
    }
}

async fn import_reports(app: &TestApp, rng: &mut Rng) {
    let mut csv =
        String::from("统一社会信用代码,年度,职工总数,科技人员数,销售收入,研发费用,conversions\n");
    for i in 0..3 {
        let code = code_of(i);
        let sales = 30_000_000 + rng.next(10) as i64 * 1_000_000;
        csv.push_str(&format!(
            "{code},2025,100,{},{sales},{},{}\n",
            10 + rng.next(20),
            sales * rng.next(8) as i64 / 100,
            rng.next(6)
        ));
    }
    post_import(app, "annual_reports", csv).await;
}

#[tokio::test]
async fn readiness_stays_equal_to_a_fresh_computation() {
    for seed in [0x9e37_79b9_7f4a_7c15, 0xdead_beef_cafe_f00d, 42] {
        check_against_fresh_computation(seed).await;
    }
}

/// FIRMS firms named `name`0…, each with annual reports for 2023 to 2025.
async fn seed_firms(app: &TestApp, rng: &mut Rng, name: &str) {
    for i in 0..FIRMS {
        let code = code_of(i);
        let county = &code[2..8];
        let body = enterprise_body(&code, county, &format!("{name}{i}有限公司"));
        app.create_enterprise(&body).await;
        for year in 2023..=2025 {
            assert!(put_report(app, rng, &code, year).await.is_success());
        }
    }
}

async fn check_against_fresh_computation(seed: u64) {
    let app = TestApp::spawn().await;
    let mut rng = Rng(seed);
    seed_firms(&app, &mut rng, "就绪度测试").await;
    build(&app).await;
    let mut made = Made::default();
    for step in 0..60 {
        random_write(&app, &mut rng, &mut made, step).await;
        // About one step in eight is also an import, of a random kind; one always comes.
        if step == 20 || rng.next(8) == 0 {
            random_import(&app, &mut rng, &mut made, step).await;
        }
    }
    let maintained = (ranking(&app, "all").await, ranking(&app, "pool").await);
    assert!(!maintained.0.as_array().unwrap().is_empty());

    // Each row agrees with the firm's own assessment, computed fresh.
    for row in maintained.0.as_array().unwrap() {
        let code = row["credit_code"].as_str().unwrap();
        let assessment: Value = app
            .get_json(
                &app.province_token(),
                &format!("/api/v1/enterprises/{code}/assessment?as_of={AS_OF}"),
            )
            .await;
        let hte = &assessment["hte"];
        for field in ["outcome", "passing", "failing", "unknown"] {
            assert_eq!(row[field], hte[field], "{code} {field}");
        }
    }

    // A rebuild from scratch gives the same ranking, page by page.
    build(&app).await;
    let fresh = (ranking(&app, "all").await, ranking(&app, "pool").await);
    assert_eq!(maintained, fresh);

    // The summary counts the same firms.
    let summary: Value = app
        .get_json(
            &app.province_token(),
            &format!("/api/v1/candidates/summary?as_of={AS_OF}"),
        )
        .await;
    let counted: i64 = summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["firms"].as_i64().unwrap())
        .sum();
    assert_eq!(
        counted as usize,
        fresh.0.as_array().unwrap().len(),
        "{summary}"
    );
    let suzhou: Value = app
        .get_json(
            &app.token(Role::City, "320500"),
            &format!("/api/v1/candidates/summary?as_of={AS_OF}"),
        )
        .await;
    assert!(
        suzhou["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["city_code"] == "320500"),
        "{suzhou}"
    );
}

#[tokio::test]
async fn stored_pages_follow_the_cursor_with_ranks() {
    let app = TestApp::spawn().await;
    let mut rng = Rng(7);
    seed_firms(&app, &mut rng, "分页测试").await;
    build(&app).await;
    let whole = ranking(&app, "all").await;
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = app
            .get_json(
                &app.province_token(),
                &format!("/api/v1/candidates?as_of={AS_OF}&scope=all&limit=3{cursor}"),
            )
            .await;
        paged.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(Value::Array(paged), whole);
    let ranks: Vec<u64> = whole
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, (1..=u64::from(FIRMS)).collect::<Vec<_>>());

    // A cursor without the rank (as older versions wrote them) counts the rows before it.
    let third = &whole[2];
    let legacy = hte_shared::pagination::encode_cursor(&json!({
        "readiness": {
            "passing": third["passing"], "failing": third["failing"], "unknown": third["unknown"],
            "relative_gap_ppm": (third["relative_gap"].as_f64().unwrap() * 1e6).round() as u64,
        },
        "credit_code": third["credit_code"],
    }));
    let page: Value = app
        .get_json(
            &app.province_token(),
            &format!("/api/v1/candidates?as_of={AS_OF}&scope=all&limit=2&cursor={legacy}"),
        )
        .await;
    assert_eq!(page["items"][0], whole[3], "{page}");
    assert_eq!(page["items"][0]["rank"], 4);

    // No build covers another date: a 404 for the summary, a live ranking for the list.
    assert_problem(
        app.get_as(
            &app.province_token(),
            "/api/v1/candidates/summary?as_of=2026-06-02",
        )
        .await,
        404,
    )
    .await;
    let county = app.token(Role::County, "320583");
    let refused = app
        .post_as(&county, "/api/v1/candidates/readiness", &json!(null))
        .await;
    assert_problem(refused, 403).await;
}

/// Waits until the only build is a finished one of `version`.
async fn wait_for_build(app: &TestApp, version: &str) -> Value {
    let finished = |items: &[Value]| {
        items.len() == 1
            && items[0]["rule_set_version"] == version
            && items[0]["finished_at"].is_string()
    };
    let what = format!("no finished build of {version}");
    poll_builds(app, 200, &what, finished).await[0].clone()
}

#[tokio::test]
async fn activating_a_rule_set_rebuilds_readiness_under_it() {
    let app = TestApp::spawn().await;
    let token = app.province_token();
    let mut rng = Rng(11);
    for i in 0..4 {
        let code = code_of(i);
        let county = &code[2..8];
        app.create_enterprise(&enterprise_body(
            &code,
            county,
            &format!("规则测试{i}有限公司"),
        ))
        .await;
        for year in 2023..=2025 {
            assert!(put_report(&app, &mut rng, &code, year).await.is_success());
        }
    }
    // Today's screening, built under the built-in rules.
    let started = app
        .post_as(&token, "/api/v1/candidates/readiness", &json!(null))
        .await;
    assert_eq!(started.status(), 202);
    let built = wait_for_build(&app, "2016-national-1").await;
    let today: Value = app.get_json(&token, "/api/v1/candidates?scope=all").await;
    assert_eq!(today["rule_set_version"], "2016-national-1");
    assert_eq!(today["as_of"], built["screened_on"]);

    let mut rules = builtin_rules(&app, "jiangsu-2026-9").await;
    rules["hte"]["min_st_staff_ratio"] = json!(0.3);
    let body = json!({"description": "试行：科技人员占比提高到30%", "rules": rules});
    let created = app
        .put_as(&token, "/api/v1/rule-sets/jiangsu-2026-9", &body)
        .await;
    assert_eq!(created.status(), 201);
    let activated = app
        .post_as(
            &token,
            "/api/v1/rule-sets/jiangsu-2026-9/activate",
            &json!(null),
        )
        .await;
    assert_eq!(activated.status(), 200);
    // The new build replaces the old one once it is done.
    wait_for_build(&app, "jiangsu-2026-9").await;
    let after: Value = app.get_json(&token, "/api/v1/candidates?scope=all").await;
    assert_eq!(after["rule_set_version"], "jiangsu-2026-9");
    for row in after["items"].as_array().unwrap() {
        let code = row["credit_code"].as_str().unwrap();
        let assessment: Value = app
            .get_json(&token, &format!("/api/v1/enterprises/{code}/assessment"))
            .await;
        assert_eq!(assessment["rule_set_version"], "jiangsu-2026-9");
        for field in ["outcome", "passing", "failing", "unknown"] {
            assert_eq!(row[field], assessment["hte"][field], "{code} {field}");
        }
    }
}

/// The whole ranking as a file: CSV text, and XLSX cells read back as CSV-like rows.
async fn exports(app: &TestApp) -> (String, Vec<Vec<String>>) {
    let target = format!("/api/v1/candidates?as_of={AS_OF}&scope=all&lang=en");
    let csv = app
        .get_as(&app.province_token(), &format!("{target}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    let xlsx = app
        .get_as(&app.province_token(), &format!("{target}&format=xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let sheet = book.worksheet_range("candidates").unwrap();
    let cells = sheet
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect();
    (csv, cells)
}

#[tokio::test]
async fn exports_from_the_build_equal_the_live_ranking() {
    let app = TestApp::spawn().await;
    let mut rng = Rng(11);
    for i in 0..FIRMS {
        let code = code_of(i);
        app.create_enterprise(&enterprise_body(
            &code,
            &code[2..8],
            &format!("导出测试{i}有限公司"),
        ))
        .await;
        for year in 2024..=2025 {
            assert!(put_report(&app, &mut rng, &code, year).await.is_success());
        }
    }
    let (live_csv, live_cells) = exports(&app).await;
    build(&app).await;
    let (stored_csv, stored_cells) = exports(&app).await;
    assert_eq!(stored_csv, live_csv, "streamed from the table, same file");
    assert_eq!(stored_cells, live_cells);
    assert_eq!(
        stored_cells.len(),
        FIRMS as usize + 1,
        "header and one row per firm"
    );
    assert_eq!(stored_cells[0][0], "rank");
    let whole = ranking(&app, "all").await;
    let codes: Vec<&str> = stored_csv
        .lines()
        .skip(1)
        .map(|l| &l[l.find(',').unwrap() + 1..][..18])
        .collect();
    let ranked: Vec<&str> = whole
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credit_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ranked, "the file follows the ranking");
}

/// The builds listed, once both days are finished (the schedule ticks every second).
async fn scheduled_builds(app: &TestApp, days: &[String]) -> Vec<Value> {
    let both_finished = |items: &[Value]| {
        days.iter().all(|day| {
            items
                .iter()
                .any(|b| b["screened_on"] == *day && b["finished_at"].is_string())
        })
    };
    poll_builds(
        app,
        300,
        "the scheduled builds did not finish",
        both_finished,
    )
    .await
}

#[tokio::test]
async fn the_schedule_keeps_today_and_tomorrow_built() {
    let app = TestApp::spawn_with(&[
        ("REGISTRY_READINESS_SCHEDULE", "on"),
        ("REGISTRY_READINESS_TICK_SECS", "1"),
    ])
    .await;
    let today = hte_shared::time::today();
    let days = [today.to_string(), today.succ_opt().unwrap().to_string()];
    let first = code_of(0);
    app.create_enterprise(&enterprise_body(&first, &first[2..8], "排程测试一有限公司"))
        .await;
    let builds = scheduled_builds(&app, &days).await;
    assert_eq!(builds.len(), 2, "today's and tomorrow's only: {builds:?}");

    // Today's reads come from the build (the summary answers only from one) and stay current.
    let second = code_of(1);
    app.create_enterprise(&enterprise_body(
        &second,
        &second[2..8],
        "排程测试二有限公司",
    ))
    .await;
    let summary: Value = app
        .get_json(&app.province_token(), "/api/v1/candidates/summary")
        .await;
    assert_eq!(summary["as_of"], days[0]);
    let firms: i64 = summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["firms"].as_i64().unwrap())
        .sum();
    assert_eq!(firms, 2, "{summary}");

    // Later ticks find both days built and leave them alone.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let again = scheduled_builds(&app, &days).await;
    let started =
        |items: &[Value]| -> Vec<Value> { items.iter().map(|b| b["started_at"].clone()).collect() };
    assert_eq!(started(&again), started(&builds));
}

/// The Chinese ranking sheet: (cells of its first sheet, its name).
async fn chinese_sheet(app: &TestApp) -> (Vec<Vec<calamine::Data>>, String) {
    use calamine::Reader;
    let target = format!("/api/v1/candidates?as_of={AS_OF}&scope=all&lang=zh&format=xlsx");
    let xlsx = app
        .get_as(&app.province_token(), &target)
        .await
        .bytes()
        .await
        .unwrap();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&name).unwrap();
    (sheet.rows().map(<[calamine::Data]>::to_vec).collect(), name)
}

#[tokio::test]
async fn the_chinese_ranking_sheet_has_a_header_block_names_and_labels() {
    let app = TestApp::spawn().await;
    let mut rng = Rng(13);
    for i in 0..FIRMS {
        let code = code_of(i);
        app.create_enterprise(&enterprise_body(
            &code,
            &code[2..8],
            &format!("中文排名{i}有限公司"),
        ))
        .await;
        assert!(put_report(&app, &mut rng, &code, 2025).await.is_success());
    }
    let (live, name) = chinese_sheet(&app).await;
    build(&app).await;
    let (stored, _) = chinese_sheet(&app).await;
    assert_eq!(name, "候选企业排名");
    for cells in [&live, &stored] {
        let labelled = |label: &str| {
            cells
                .iter()
                .find(|r| r[0] == label)
                .unwrap_or_else(|| panic!("no {label} row"))
                .clone()
        };
        assert!(matches!(
            labelled("评估日期")[1],
            calamine::Data::DateTime(_)
        ));
        assert!(!labelled("规则集版本")[1].to_string().is_empty());
        assert_eq!(labelled("地区")[1].to_string(), "江苏省（320000）");
        let header = cells.iter().position(|r| r[0] == "排名").unwrap();
        let at = |name: &str| cells[header].iter().position(|h| *h == name).unwrap();
        let firms = &cells[header + 1..];
        assert_eq!(firms.len(), FIRMS as usize);
        for firm in firms {
            let county = firm[at("所在县区")].to_string();
            let known = hte_shared::regions::find(&county.parse().unwrap()).unwrap();
            assert_eq!(firm[at("县区名称")].to_string(), known.name);
            let outcome = firm[at("认定判断")].to_string();
            assert!(
                ["符合条件", "基本符合", "不符合", "待定"].contains(&outcome.as_str()),
                "{outcome}"
            );
            let standing = firm[at("申报类型")].to_string();
            assert_eq!(standing, "首次认定", "a label, not a code key");
        }
    }
    let rows = |cells: &[Vec<calamine::Data>]| -> Vec<String> {
        let header = cells.iter().position(|r| r[0] == "排名").unwrap();
        cells[header..].iter().map(|r| format!("{r:?}")).collect()
    };
    assert_eq!(
        rows(&stored),
        rows(&live),
        "the build and the live ranking agree"
    );
}

/// A build on PostgreSQL is filled by workers over ranges of credit codes: together the
/// ranges cover every firm once, however many firms there are.
#[tokio::test]
async fn build_ranges_cover_every_firm_once() {
    use enterprise_registry::app::readiness::split_firms;
    let app = TestApp::spawn().await;
    let empty = app.db.read(|conn| split_firms(conn, 3)).await.unwrap();
    assert_eq!(empty.len(), 1);
    assert_eq!(
        (empty[0].after.as_ref(), empty[0].until.as_ref()),
        (None, None)
    );
    for i in 0..7 {
        let code = code_of(i);
        app.create_enterprise(&enterprise_body(
            &code,
            &code[2..8],
            &format!("分段{i}有限公司"),
        ))
        .await;
    }
    let mut codes: Vec<String> = (0..7).map(code_of).collect();
    codes.sort();
    for workers in [1, 2, 3, 7, 9] {
        let ranges = app
            .db
            .read(move |conn| split_firms(conn, workers))
            .await
            .unwrap();
        assert_eq!(ranges.first().unwrap().after, None, "{ranges:?}");
        assert_eq!(ranges.last().unwrap().until, None, "{ranges:?}");
        let mut covered = Vec::new();
        for (range, next) in ranges.iter().zip(ranges.iter().skip(1)) {
            assert_eq!(range.until, next.after, "{ranges:?}");
        }
        for range in &ranges {
            covered.extend(codes.iter().filter(|c| {
                range.after.as_ref().is_none_or(|a| *c > a)
                    && range.until.as_ref().is_none_or(|u| *c <= u)
            }));
        }
        assert_eq!(
            covered,
            codes.iter().collect::<Vec<_>>(),
            "{workers} workers"
        );
        assert_eq!(ranges.len() as i64, workers.min(7), "{ranges:?}");
    }
}

/// A build started again while its first run still fills it has two runs counting their
/// firms: its progress still stops at its total.
#[tokio::test]
async fn overlapping_runs_of_a_build_never_count_past_its_firms() {
    use enterprise_registry::app::readiness::{BuildRange, build_batch, start_build};
    use enterprise_registry::db::readiness::builds;
    use enterprise_registry::domain::assessment::RuleSet;
    use enterprise_registry::error::RegistryError;
    let app = TestApp::spawn().await;
    for i in 0..3 {
        let code = code_of(i);
        let name = format!("重叠{i}有限公司");
        app.create_enterprise(&enterprise_body(&code, &code[2..8], &name))
            .await;
    }
    let (version, day) = (RuleSet::national_2016().version, hte_shared::time::today());
    let progress = app
        .db
        .write(move |conn| {
            start_build(conn, &version, day)?;
            for _run in 0..2 {
                let mut range = Some(BuildRange::default());
                while let Some(part) = range {
                    range = build_batch(conn, (&version, day), &part)?;
                }
            }
            let build = builds(conn)?.pop().expect("the build");
            Ok::<_, RegistryError>((build.firms_done, build.firms_total))
        })
        .await
        .unwrap();
    assert_eq!(progress, (3, 3), "firms done, of the total");
}
