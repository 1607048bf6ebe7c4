//! Real responses validate against the schemas the committed OpenAPI documents give for
//! them (JSON Schema 2020-12, formats checked), so what integrators generate clients from
//! is what the services send.

use hte_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::Suite;

fn document(file: &str) -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The documented schema of `template`'s `method` answer with `status`, following a
/// response `$ref`; with the document's components beside it so its `$ref`s resolve.
fn response_schema(doc: &Value, method: &Method, template: &str, status: u16) -> Value {
    let operation = &doc["paths"][template][method.as_str().to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not documented"
    );
    let mut response = &operation["responses"][status.to_string()];
    if let Some(reference) = response["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        response = &doc["components"]["responses"][name];
    }
    let content = response["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {template} documents no body for {status}"));
    let schema = content
        .iter()
        .find(|(media, _)| media.contains("json"))
        .map(|(_, c)| c["schema"].clone())
        .unwrap_or_else(|| panic!("{method} {template} documents no JSON body for {status}"));
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": doc["components"],
    })
}

struct Checker {
    suite: Suite,
    registry_doc: Value,
    allocation_doc: Value,
    monitoring_doc: Value,
    province: String,
    checked: usize,
}

impl Checker {
    /// Sends the request and validates the answer against the documented schema for the
    /// status it came with; returns the body.
    async fn call(
        &mut self,
        method: Method,
        service: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
        expected: u16,
    ) -> Value {
        let (base, doc) = match service {
            "registry" => (&self.suite.registry.address, &self.registry_doc),
            "monitoring" => (&self.suite.monitoring.address, &self.monitoring_doc),
            _ => (&self.suite.allocation.address, &self.allocation_doc),
        };
        let mut request = self
            .suite
            .client
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(&self.province);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, expected, "{method} {path}: {text}");
        let instance: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} answered no JSON ({e}): {text}"));
        let schema = response_schema(doc, &method, template, status);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("the schema of {method} {template} does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} ({status}) does not match its documented schema:\n{}\n{text}",
            errors.join("\n")
        );
        self.checked += 1;
        instance
    }
}

#[tokio::test]
async fn responses_match_their_documented_schemas() {
    let suite = Suite::start().await;
    let province = suite.token(Role::Province, "320000");
    let mut c = Checker {
        suite,
        registry_doc: document("enterprise-registry.json"),
        allocation_doc: document("target-allocation.json"),
        monitoring_doc: document("monitoring.json"),
        province,
        checked: 0,
    };
    let first17 = "91320583000000310";
    let check = enterprise_registry::domain::credit_code::check_character(first17).unwrap();
    let code = format!("{first17}{check}");

    registry_firm_and_reads(&mut c, &code).await;
    registry_import_and_problems(&mut c, &code).await;
    allocation_plan(&mut c).await;
    monitoring_outputs(&mut c).await;
    assert_eq!(c.checked, 45);
}

/// Registry: a firm with every kind of fact, then every read.
async fn registry_firm_and_reads(c: &mut Checker, code: &str) {
    let firm = format!("/api/v1/enterprises/{code}");
    let post = Method::POST;
    c.call(
        post.clone(),
        "registry",
        "/api/v1/enterprises",
        "/api/v1/enterprises",
        Some(json!({
            "credit_code": code, "name": "契约测试科技有限公司", "region_code": "320583",
            "registered_on": "2016-05-01", "industry_code": "C3491",
            "tech_domain": "advanced_manufacturing_and_automation", "zone_level": "national",
            "zone_id": "kunshan-hz", "above_scale": true
        })),
        201,
    )
    .await;
    c.call(
        Method::PUT,
        "registry",
        "/api/v1/enterprises/{credit_code}/annual-reports/{year}",
        &format!("{firm}/annual-reports/2024"),
        Some(
            json!({"employees": 120, "st_staff": 30, "total_income_yuan": 80_000_000,
                    "hightech_income_yuan": 60_000_000, "rd_expense_yuan": 5_000_000,
                    "invention_patents": 3, "rd_institution": "provincial"}),
        ),
        201,
    )
    .await;
    for (template, path, body) in [
        (
            "/api/v1/enterprises/{credit_code}/pool-entries",
            format!("{firm}/pool-entries"),
            json!({"year": 2024, "batch": 1, "source": "市推荐", "entered_on": "2024-04-01"}),
        ),
        (
            "/api/v1/enterprises/{credit_code}/certificates",
            format!("{firm}/certificates"),
            json!({"certificate_no": "GR202432000310", "issued_on": "2024-11-20"}),
        ),
        (
            "/api/v1/enterprises/{credit_code}/labels",
            format!("{firm}/labels"),
            json!({"kind": "gazelle", "year": 2024, "level": "provincial"}),
        ),
    ] {
        c.call(post.clone(), "registry", template, &path, Some(body), 201)
            .await;
    }
    registry_reads(c, &firm).await;
}

/// Registry: every read of the firm and of the registry's lists.
async fn registry_reads(c: &mut Checker, firm: &str) {
    let get = Method::GET;
    let reads = [
        (
            "/api/v1/enterprises",
            "/api/v1/enterprises?limit=5".to_owned(),
        ),
        ("/api/v1/enterprises/{credit_code}", firm.to_owned()),
        (
            "/api/v1/enterprises/{credit_code}/history",
            format!("{firm}/history"),
        ),
        (
            "/api/v1/enterprises/{credit_code}/annual-reports",
            format!("{firm}/annual-reports"),
        ),
        (
            "/api/v1/enterprises/{credit_code}/annual-reports/{year}",
            format!("{firm}/annual-reports/2024"),
        ),
        (
            "/api/v1/enterprises/{credit_code}/pool-entries",
            format!("{firm}/pool-entries"),
        ),
        (
            "/api/v1/enterprises/{credit_code}/certificates",
            format!("{firm}/certificates"),
        ),
        (
            "/api/v1/enterprises/{credit_code}/labels",
            format!("{firm}/labels"),
        ),
        (
            "/api/v1/enterprises/{credit_code}/assessment",
            format!("{firm}/assessment"),
        ),
        ("/api/v1/regions", "/api/v1/regions".to_owned()),
        (
            "/api/v1/regions/{code}",
            "/api/v1/regions/320500".to_owned(),
        ),
        (
            "/api/v1/audit/verification",
            "/api/v1/audit/verification".to_owned(),
        ),
        (
            "/api/v1/compliance-alerts",
            "/api/v1/compliance-alerts?kind=missing_annual_report".to_owned(),
        ),
        (
            "/api/v1/statistics",
            "/api/v1/statistics?level=county&parent=320500".to_owned(),
        ),
        (
            "/api/v1/candidates",
            "/api/v1/candidates?scope=all".to_owned(),
        ),
        ("/api/v1/rule-sets", "/api/v1/rule-sets".to_owned()),
        (
            "/api/v1/rule-sets/{version}",
            "/api/v1/rule-sets/2016-national-1".to_owned(),
        ),
    ];
    for (template, path) in reads {
        c.call(get.clone(), "registry", template, &path, None, 200)
            .await;
    }
}

/// Registry: an import and its record; problems as documented.
async fn registry_import_and_problems(c: &mut Checker, code: &str) {
    let (post, get) = (Method::POST, Method::GET);
    let file = format!(
        "credit_code,name,region_code,registered_on,industry_code\n{code},契约测试科技有限公司,320583,2016-05-01,C3491\nbad,坏行,320583,2016-05-01,C3491\n"
    );
    let import: Value = {
        let response = c
            .suite
            .client
            .post(
                c.suite
                    .registry
                    .url("/api/v1/imports?kind=enterprises&mode=partial"),
            )
            .bearer_auth(&c.province)
            .header("Content-Type", "text/csv")
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    };
    let id = import["id"].as_str().unwrap();
    c.call(
        get.clone(),
        "registry",
        "/api/v1/imports/{id}",
        &format!("/api/v1/imports/{id}"),
        None,
        200,
    )
    .await;
    c.call(
        get.clone(),
        "registry",
        "/api/v1/enterprises/{credit_code}",
        "/api/v1/enterprises/91320583MA1X00018X",
        None,
        // The check character is a rule no schema can state: 422, as documented.
        422,
    )
    .await;
    c.call(
        post.clone(),
        "registry",
        "/api/v1/enterprises",
        "/api/v1/enterprises",
        Some(json!({"name": 5})),
        400,
    )
    .await;
}

/// Allocation: the seeded plan, a split, its progress against the live registry.
async fn allocation_plan(c: &mut Checker) {
    let (post, get) = (Method::POST, Method::GET);
    let plan = "/api/v1/plans/jiangsu-2019-57";
    let split = c
        .call(
            post.clone(),
            "allocation",
            "/api/v1/plans/{id}/allocations",
            &format!("{plan}/allocations"),
            Some(
                json!({"indicator": "hte_count", "period": "2020", "region_code": "320000",
                        "method": "proportional", "baseline": "hte"}),
            ),
            201,
        )
        .await;
    let allocation = split["id"].as_str().unwrap().to_owned();
    let reads = [
        ("/api/v1/plans", "/api/v1/plans".to_owned()),
        ("/api/v1/plans/{id}", plan.to_owned()),
        ("/api/v1/plans/{id}/targets", format!("{plan}/targets")),
        (
            "/api/v1/plans/{id}/targets/versions",
            format!("{plan}/targets/versions"),
        ),
        (
            "/api/v1/plans/{id}/allocations",
            format!("{plan}/allocations"),
        ),
        (
            "/api/v1/plans/{id}/allocations/{allocation_id}",
            format!("{plan}/allocations/{allocation}"),
        ),
        (
            "/api/v1/plans/{id}/progress",
            format!("{plan}/progress?as_of=2020-06-30"),
        ),
        (
            "/api/v1/plans/{id}/assessments",
            format!("{plan}/assessments"),
        ),
        (
            "/api/v1/plans/{id}/scoring-schemes",
            format!("{plan}/scoring-schemes"),
        ),
        (
            "/api/v1/plans/{id}/scoring-schemes/{version}",
            format!("{plan}/scoring-schemes/1"),
        ),
        ("/api/v1/plans/{id}/splits", format!("{plan}/splits")),
        (
            "/api/v1/audit/verification",
            "/api/v1/audit/verification".to_owned(),
        ),
    ];
    for (template, path) in reads {
        c.call(get.clone(), "allocation", template, &path, None, 200)
            .await;
    }
    c.call(
        get.clone(),
        "allocation",
        "/api/v1/plans/{id}",
        "/api/v1/plans/no-such-plan",
        None,
        404,
    )
    .await;
}

/// Monitoring: a snapshot of the plan, its bulletin, a webhook subscription and its
/// deliveries.
async fn monitoring_outputs(c: &mut Checker) {
    // Subscribed first, so the snapshot queues a delivery to list.
    let body = json!({"region": "320500", "events": ["alert.opened", "snapshot.taken"],
        "url": "https://receiver.example.cn/hte-events", "description": "省大数据平台"});
    let subscriptions = "/api/v1/subscriptions";
    let created = c
        .call(
            Method::POST,
            "monitoring",
            subscriptions,
            subscriptions,
            Some(body),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let body = json!({"plan": "jiangsu-2019-57", "period": "2020-06"});
    let snapshots = "/api/v1/snapshots";
    c.call(
        Method::POST,
        "monitoring",
        snapshots,
        snapshots,
        Some(body),
        201,
    )
    .await;
    let reads = [
        (
            "/api/v1/bulletins/{plan}/{period}",
            "/api/v1/bulletins/jiangsu-2019-57/2020-06".to_owned(),
        ),
        (subscriptions, subscriptions.to_owned()),
        (
            "/api/v1/subscriptions/{id}",
            format!("{subscriptions}/{id}"),
        ),
    ];
    for (template, path) in reads {
        c.call(Method::GET, "monitoring", template, &path, None, 200)
            .await;
    }
    let template = "/api/v1/subscriptions/{id}/deliveries";
    let path = format!("{subscriptions}/{id}/deliveries");
    let deliveries = c
        .call(Method::GET, "monitoring", template, &path, None, 200)
        .await;
    assert_eq!(deliveries["items"][0]["event_kind"], "snapshot.taken");
}

#[test]
fn the_checker_catches_what_it_is_for() {
    // Formats are checked: a timestamp without its offset is not a date-time.
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&json!({"type": "string", "format": "date-time"}))
        .unwrap();
    assert!(validator.is_valid(&json!("2026-11-29T03:03:35.020018Z")));
    assert!(!validator.is_valid(&json!("2026-11-29T03:03:35.020018")));
    // A flattened view of a closed schema would reject every real response.
    let closed = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [
            {"type": "object", "properties": {"a": {}}, "additionalProperties": false},
            {"type": "object", "properties": {"b": {}}}
        ]
    });
    let validator = jsonschema::options().build(&closed).unwrap();
    assert!(!validator.is_valid(&json!({"a": 1, "b": 2})));
}
