//! The committed OpenAPI documents are exactly what the code generates. After changing a
//! handler, regenerate them with `cargo run -- openapi` and commit the result.

use std::path::PathBuf;

use enterprise_registry::startup::EnterpriseRegistry;
use hte_shared::service::openapi;
use monitoring::startup::Monitoring;
use target_allocation::startup::TargetAllocation;

fn committed(file: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn assert_matches(file: &str, generated: utoipa::openapi::OpenApi) {
    let generated = serde_json::to_value(&generated).unwrap();
    assert!(
        committed(file) == generated,
        "openapi/{file} differs from the code: run `cargo run -- openapi` and commit the result"
    );
    assert_eq!(generated["openapi"], "3.1.0");
}

#[test]
fn enterprise_registry_document_is_current() {
    assert_matches("enterprise-registry.json", openapi::<EnterpriseRegistry>());
}

#[test]
fn target_allocation_document_is_current() {
    assert_matches("target-allocation.json", openapi::<TargetAllocation>());
}

#[test]
fn monitoring_document_is_current() {
    assert_matches("monitoring.json", openapi::<Monitoring>());
}

#[test]
fn every_api_operation_documents_its_errors_and_security() {
    for doc in [
        openapi::<EnterpriseRegistry>(),
        openapi::<TargetAllocation>(),
        openapi::<Monitoring>(),
    ] {
        let doc = serde_json::to_value(&doc).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                assert!(responses.contains_key("500"), "{method} {path} lacks 500");
                if path.starts_with("/api/") {
                    for status in ["401", "403"] {
                        assert!(
                            responses.contains_key(status),
                            "{method} {path} lacks {status}"
                        );
                    }
                    assert!(
                        operation["security"].is_array(),
                        "{method} {path} lacks security"
                    );
                }
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        let reference = response["$ref"].as_str().unwrap_or_default();
                        let inline = &response["content"]["application/problem+json"];
                        assert!(
                            reference.starts_with("#/components/responses/") || inline.is_object(),
                            "{method} {path} {status} is not a problem+json response"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn every_reference_resolves() {
    for doc in [
        openapi::<EnterpriseRegistry>(),
        openapi::<TargetAllocation>(),
        openapi::<Monitoring>(),
    ] {
        let doc = serde_json::to_value(&doc).unwrap();
        let text = doc.to_string();
        for part in text.split("\"#/components/").skip(1) {
            let reference = part.split('"').next().unwrap();
            let (kind, name) = reference.split_once('/').unwrap();
            assert!(
                doc["components"][kind].get(name).is_some(),
                "{} refers to #/components/{reference}, which it lacks",
                doc["info"]["title"]
            );
        }
    }
}

fn documents() -> [(&'static str, serde_json::Value); 3] {
    [
        (
            "enterprise-registry",
            serde_json::to_value(openapi::<EnterpriseRegistry>()).unwrap(),
        ),
        (
            "target-allocation",
            serde_json::to_value(openapi::<TargetAllocation>()).unwrap(),
        ),
        (
            "monitoring",
            serde_json::to_value(openapi::<Monitoring>()).unwrap(),
        ),
    ]
}

fn each_operation(doc: &serde_json::Value) -> Vec<(String, &serde_json::Value)> {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push((format!("{method} {path}"), operation));
        }
    }
    operations
}

/// Integrators generate the clients of several services into one package: an operationId
/// may appear once in the whole suite.
#[test]
fn operation_ids_are_unique_across_the_suite() {
    let mut seen = std::collections::HashMap::new();
    for (service, doc) in documents() {
        for (operation_name, operation) in each_operation(&doc) {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{service} {operation_name} has no operationId"));
            if let Some(first) = seen.insert(id.to_owned(), format!("{service} {operation_name}")) {
                panic!("operationId {id} is used by {first} and {service} {operation_name}");
            }
        }
    }
}

/// Every tag an operation uses is declared with a description, and every operation has a
/// one-line summary and a description.
#[test]
fn tags_are_declared_and_summaries_are_one_line() {
    for (service, doc) in documents() {
        let declared: std::collections::HashMap<&str, &str> = doc["tags"]
            .as_array()
            .unwrap_or_else(|| panic!("{service} declares no tags"))
            .iter()
            .map(|tag| {
                let name = tag["name"].as_str().unwrap();
                let description = tag["description"].as_str().unwrap_or_default();
                (name, description)
            })
            .collect();
        for (operation_name, operation) in each_operation(&doc) {
            for tag in operation["tags"].as_array().into_iter().flatten() {
                let tag = tag.as_str().unwrap();
                let description = declared.get(tag).unwrap_or_else(|| {
                    panic!("{service} {operation_name} uses the undeclared tag {tag:?}")
                });
                assert!(
                    !description.is_empty(),
                    "{service}: tag {tag:?} has no description"
                );
            }
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && !summary.contains('\n'),
                "{service} {operation_name}: summary must be one line: {summary:?}"
            );
            assert!(
                operation["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{service} {operation_name} has no description"
            );
        }
        assert!(
            doc["servers"].as_array().is_some_and(|s| !s.is_empty()),
            "{service} gives no servers"
        );
    }
}
