//! The registry's own test fixtures; starting it and talking to it is the shared test client
//! ([`hte_shared::testing::TestApp`]).

use diesel::RunQueryDsl;
use enterprise_registry::domain::credit_code::check_character;
use enterprise_registry::startup::EnterpriseRegistry;
use hte_shared::db::DbError;
use hte_shared::testing::assert_json;
use serde_json::{Value, json};

pub use hte_shared::testing::assert_problem;

/// Runs SQL statements in one write: what a test sets up that the API cannot (rows of the
/// tables only the service fills, stale or tampered records).
pub async fn run_sql<S: Into<String>>(app: &TestApp, statements: impl IntoIterator<Item = S>) {
    let statements: Vec<String> = statements.into_iter().map(Into::into).collect();
    app.db
        .write(move |conn| {
            for sql in statements {
                diesel::sql_query(sql)
                    .execute(conn)
                    .map_err(DbError::from)?;
            }
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
}

/// The registry on a fresh database, on port 0.
pub type TestApp = hte_shared::testing::TestApp<EnterpriseRegistry>;

/// Requests only the registry's tests make.
pub trait RegistryFixtures {
    /// Registers an enterprise as the province and returns its body.
    async fn create_enterprise(&self, body: &Value) -> Value;

    /// Files the annual reports of 2023 to 2025 of a firm with 100 employees and sales of
    /// ¥40M a year, with `rd_yuan` of R&D a year and `st_staff` S&T staff; net assets grow
    /// by ¥5M a year, and the IP, conversions and R&D institution meet every condition.
    async fn file_three_reports(&self, code: &str, rd_yuan: i64, st_staff: i64);

    /// POSTs a file to `/api/v1/imports?{query}` as the holder of `token`.
    async fn upload(
        &self,
        to: (&str, &str),
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response;
}

impl RegistryFixtures for TestApp {
    async fn create_enterprise(&self, body: &Value) -> Value {
        let response = self
            .post_as(&self.province_token(), "/api/v1/enterprises", body)
            .await;
        assert_json(response, 201).await
    }

    async fn file_three_reports(&self, code: &str, rd_yuan: i64, st_staff: i64) {
        for year in 2023..=2025 {
            let report = json!({
                "employees": 100, "st_staff": st_staff,
                "total_income_yuan": 42_000_000, "sales_revenue_yuan": 40_000_000, "hightech_income_yuan": 30_000_000,
                "rd_expense_yuan": rd_yuan, "rd_expense_domestic_yuan": rd_yuan,
                "net_assets_yuan": 20_000_000 + i64::from(year - 2023) * 5_000_000, "total_assets_yuan": 60_000_000,
                "invention_patents": 2, "class1_ip": 2, "class2_ip": 6, "conversions": 5, "rd_institution": "provincial"
            });
            let path = format!("/api/v1/enterprises/{code}/annual-reports/{year}");
            let response = self.put_as(&self.province_token(), &path, &report).await;
            assert_eq!(response.status(), 201);
        }
    }

    async fn upload(
        &self,
        (token, query): (&str, &str),
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/imports?{query}")))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

/// The built-in rule set's rules, renamed to `version` (a start for a rule set of one's own).
pub async fn builtin_rules(app: &TestApp, version: &str) -> Value {
    let token = app.province_token();
    let builtin: Value = app
        .get_json(&token, "/api/v1/rule-sets/2016-national-1")
        .await;
    assert_eq!(builtin["builtin"], true);
    let mut rules = builtin["rules"].clone();
    rules["version"] = json!(version);
    rules
}

/// The condition `key` of an assessment's `hte` part (panics naming it when absent).
pub fn hte_condition<'a>(hte: &'a Value, key: &str) -> &'a Value {
    hte["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no condition {key}"))
}

/// A valid credit code for an enterprise registered in `division`, distinct per `serial`.
pub fn credit_code(division: &str, serial: u32) -> String {
    let first17 = format!("91{division}{serial:08}0");
    let check = check_character(&first17).unwrap();
    format!("{first17}{check}")
}

/// A valid new-enterprise body in `county`.
pub fn enterprise_body(code: &str, county: &str, name: &str) -> Value {
    json!({
        "credit_code": code,
        "name": name,
        "region_code": county,
        "registered_on": "2018-03-01",
        "industry_code": "C3491",
        "tech_domain": "advanced_manufacturing_and_automation",
        "above_scale": true
    })
}

/// The status a refused field rule is answered with: 422 when no schema can state the rule
/// (another field, stored records, today's date), else 400.
pub fn status_for_rule(rule: &str) -> u16 {
    if enterprise_registry::error::RULES_BEYOND_THE_DOCUMENT.contains(&rule) {
        422
    } else {
        400
    }
}

/// The first columns of an enterprise sheet as officials head them.
pub const ENTERPRISE_HEADERS: [&str; 5] = [
    "统一社会信用代码",
    "企业名称",
    "所在县区",
    "成立日期",
    "行业代码",
];

/// Writes `headers` as the sheet's first row.
pub fn write_headers(sheet: &mut rust_xlsxwriter::Worksheet, headers: &[&str]) {
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
}
