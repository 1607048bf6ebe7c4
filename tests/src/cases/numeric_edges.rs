//! Nothing panics on a number: every write route of the three committed OpenAPI documents
//! gets i64::MAX, i64::MIN, 2^31, −1 and 0 in every numeric field of its JSON body, one field
//! at a time, the other fields valid where the document gives an example (else a value
//! built from the schema). Every answer must be a non-5xx response on a live connection: a
//! refusal is fine, an overflow is not. New routes are covered by being in the documents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use hte_shared::auth::Role;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::monitoring_setup::credit_code;
use crate::harness::Suite;

const EDGES: [i128; 5] = [i64::MAX as i128, i64::MIN as i128, 1 << 31, -1, 0];
const PLAN: &str = "numeric-edges-1";

fn committed(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => resolve(doc, doc.pointer(&reference[1..]).unwrap()),
        None => schema,
    }
}

/// A value the schema admits, preferring the document's own example.
fn sample(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    for key in ["example", "default", "const"] {
        if !schema[key].is_null() {
            return schema[key].clone();
        }
    }
    if let Some(first) = schema["examples"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema[key].as_array() {
            let variant = variants
                .iter()
                .find(|v| v["type"] != "null")
                .unwrap_or(&variants[0]);
            return sample(doc, variant, depth);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = sample(doc, part, depth) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned(),
        other => Some(other.clone()),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("integer") => schema["minimum"]
            .as_i64()
            .map_or(json!(1), |m| json!(m.max(1))),
        Some("number") => json!(0.5),
        Some("boolean") => json!(false),
        Some("string") => sample_string(schema),
        Some("array") if depth < 8 => json!([sample(doc, &schema["items"], depth + 1)]),
        Some("object") | None if depth < 8 => sample_object(doc, schema, depth),
        _ => Value::Null,
    }
}

fn sample_string(schema: &Value) -> Value {
    match (schema["format"].as_str(), schema["pattern"].as_str()) {
        (Some("date"), _) => json!("2024-06-30"),
        (Some("date-time"), _) => json!("2024-06-30T08:00:00Z"),
        (_, Some(pattern)) if pattern.contains(r"\d{6}") => json!("320500"),
        _ => json!("测试"),
    }
}

fn sample_object(doc: &Value, schema: &Value, depth: usize) -> Value {
    let mut object = Map::new();
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            object.insert(name.clone(), sample(doc, property, depth + 1));
        }
    }
    // Maps (e.g. weights by region) get one entry keyed by a real region.
    if schema["additionalProperties"].is_object() {
        object.insert(
            "320500".to_owned(),
            sample(doc, &schema["additionalProperties"], depth + 1),
        );
    }
    Value::Object(object)
}

/// JSON pointers to every number in `value`.
fn numbers(value: &Value, at: String, found: &mut Vec<String>) {
    match value {
        Value::Number(_) => found.push(at),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                numbers(item, format!("{at}/{i}"), found);
            }
        }
        Value::Object(fields) => {
            for (name, field) in fields {
                let escaped = name.replace('~', "~0").replace('/', "~1");
                numbers(field, format!("{at}/{escaped}"), found);
            }
        }
        _ => {}
    }
}

/// Path parameters name resources the test created, so the body reaches the route's logic.
fn fill_path(path: &str, firm: &str) -> String {
    let mut filled = path.to_owned();
    for (name, value) in [
        ("{credit_code}", firm),
        ("{year}", "2024"),
        ("{version}", "numeric-edges"),
        ("{id}", PLAN),
        ("{region}", "320500"),
        ("{measure}", "rd_expense"),
        ("{period}", "2024"),
        ("{kind}", "tech_sme"),
        ("{certificate_no}", "GR202432000001"),
        ("{allocation_id}", "1"),
        ("{assessment_id}", "1"),
    ] {
        filled = filled.replace(name, value);
    }
    filled
}

struct Route {
    base: String,
    method: Method,
    path: String,
    body: Value,
}

fn json_write_routes(service: &str, file: &str, firm: &str) -> Vec<Route> {
    let doc = committed(file);
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let media = &operation["requestBody"]["content"]["application/json"];
            if media.is_null() {
                continue;
            }
            let body = match media["example"].clone() {
                Value::Null => sample(&doc, &media["schema"], 0),
                example => example,
            };
            routes.push(Route {
                base: service.to_owned(),
                method: method.to_uppercase().parse().unwrap(),
                path: fill_path(path, firm),
                body,
            });
        }
    }
    routes
}

impl Suite {
    fn base_url(&self, service: &str) -> String {
        match service {
            "registry" => self.registry.url(""),
            "allocation" => self.allocation.url(""),
            _ => self.monitoring.url(""),
        }
    }

    /// A firm with a report and a draft plan for the routes that need them.
    async fn numeric_edges_fixtures(&self) -> String {
        let county = "320583";
        let code = credit_code(county, 57);
        let province = self.province_token();
        let firm = json!({
            "credit_code": code, "name": "数值边界测试有限公司", "region_code": county,
            "registered_on": "2015-03-01", "industry_code": "C3491",
            "tech_domain": "advanced_manufacturing_and_automation", "above_scale": true
        });
        let created = self
            .registry
            .post_as(&province, "/api/v1/enterprises", &firm)
            .await;
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
        let plan = json!({
            "id": PLAN, "name": "数值边界演练", "starts_on": "2024-01-01", "ends_on": "2024-12-31",
            "indicators": [{"key": "hte_count", "name_zh": "高新技术企业数", "name_en": "Valid HTEs",
                "unit": "enterprises", "comparator": "at_least", "target_value": null,
                "source": "registry", "splittable": true, "measure": "hte"}]
        });
        let created = self
            .allocation
            .post_as(&province, "/api/v1/plans", &plan)
            .await;
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
        code
    }
}

#[tokio::test]
async fn no_numeric_edge_in_any_write_body_gives_a_5xx_or_drops_the_connection() {
    // Thousands of requests from one token: the budget is not what this test is about.
    let suite = Suite::start_with(&[
        ("RATE_LIMIT_PER_MINUTE", "10000000"),
        ("RATE_LIMIT_BURST", "1000000"),
    ])
    .await;
    let firm = suite.numeric_edges_fixtures().await;
    let token = suite.token(Role::Province, "320000");
    let mut routes = json_write_routes("registry", "enterprise-registry.json", &firm);
    routes.extend(json_write_routes(
        "allocation",
        "target-allocation.json",
        &firm,
    ));
    routes.extend(json_write_routes("monitoring", "monitoring.json", &firm));
    assert!(
        routes.len() >= 20,
        "only {} JSON write routes found",
        routes.len()
    );

    let (mut sent, mut failures) = (0, Vec::new());
    for route in &routes {
        let mut fields = Vec::new();
        numbers(&route.body, String::new(), &mut fields);
        for field in &fields {
            for edge in EDGES {
                let mut body = route.body.clone();
                *body.pointer_mut(field).unwrap() =
                    serde_json::from_str(&edge.to_string()).unwrap();
                let url = format!("{}{}", suite.base_url(&route.base), route.path);
                let answer = suite
                    .client
                    .request(route.method.clone(), &url)
                    .bearer_auth(&token)
                    .header("If-Match", "*")
                    .json(&body)
                    .send()
                    .await;
                sent += 1;
                let what = format!("{} {} {field} = {edge}", route.method, route.path);
                match answer {
                    Ok(response) if response.status().is_server_error() => {
                        failures.push(format!("{what}: {}", response.status()));
                    }
                    Ok(response) => {
                        if std::env::var("NUMERIC_EDGES_DEBUG").is_ok() && edge == 0 {
                            println!("{what}: {}", response.text().await.unwrap());
                        }
                    }
                    Err(error) => failures.push(format!("{what}: no answer ({error})")),
                }
            }
        }
    }
    println!("numeric edges: {sent} requests to {} routes", routes.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        sent > 300,
        "only {sent} requests: the bodies lost their numbers"
    );
}
