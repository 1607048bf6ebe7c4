//! The Kubernetes manifests (deploy/k8s) name only what the code has: each Deployment runs
//! one of our services' binaries on the port its configuration gives, its Service forwards
//! that port, and every ConfigMap setting (base and production overlay together) is read by
//! the services' configuration readers and parses. CI renders and schema-checks the same
//! manifests with kustomize and kubernetes-validate; this test needs neither.

use std::collections::BTreeMap;

use hte_shared::config::Env;
use serde_norway::Value;

use hte_shared::service::Service;

const REGISTRY_NAME: &str = <enterprise_registry::startup::EnterpriseRegistry as Service>::NAME;
const ALLOCATION_NAME: &str = <target_allocation::startup::TargetAllocation as Service>::NAME;
const MONITORING_NAME: &str = <monitoring::startup::Monitoring as Service>::NAME;

const BASE: &str = include_str!("../../../deploy/k8s/base/kustomization.yaml");
const PRODUCTION: &str = include_str!("../../../deploy/k8s/overlays/production/kustomization.yaml");

const SERVICES: [(&str, &str); 3] = [
    (
        REGISTRY_NAME,
        include_str!("../../../deploy/k8s/base/enterprise-registry.yaml"),
    ),
    (
        ALLOCATION_NAME,
        include_str!("../../../deploy/k8s/base/target-allocation.yaml"),
    ),
    (
        MONITORING_NAME,
        include_str!("../../../deploy/k8s/base/monitoring.yaml"),
    ),
];

/// The `hte-config` literals a kustomization file generates or merges.
fn config_literals(kustomization: &str) -> BTreeMap<String, String> {
    let document: Value = serde_norway::from_str(kustomization).unwrap();
    let Some(Value::Sequence(generators)) = document.get("configMapGenerator") else {
        return BTreeMap::new();
    };
    generators
        .iter()
        .filter(|g| g.get("name").and_then(Value::as_str) == Some("hte-config"))
        .flat_map(|g| match g.get("literals") {
            Some(Value::Sequence(items)) => items.clone(),
            _ => Vec::new(),
        })
        .map(|literal| {
            let literal = literal.as_str().unwrap_or_default();
            let (name, value) = literal
                .split_once('=')
                .unwrap_or_else(|| panic!("{literal:?} is not NAME=value"));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// The service's configuration read from `settings`: the names it read and its port.
fn read(service: &str, settings: &BTreeMap<String, String>) -> (Vec<String>, u16) {
    let env = Env::recording(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let port = match service {
        REGISTRY_NAME => {
            enterprise_registry::config::RegistryConfig::from_env(&env).map(|c| c.service.port)
        }
        ALLOCATION_NAME => {
            target_allocation::config::AllocationConfig::from_env(&env).map(|c| c.service.port)
        }
        _ => monitoring::config::MonitoringConfig::from_env(&env).map(|c| c.service.port),
    }
    .unwrap_or_else(|e| panic!("{service}: the ConfigMap does not parse: {e}"));
    (env.names_read().into_iter().collect(), port)
}

/// The documents of a multi-document file (ours separate them with a bare `---` line).
fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|document| serde_norway::from_str(document).unwrap())
        .collect()
}

#[test]
fn manifests_name_only_what_the_services_have() {
    let mut production = config_literals(BASE);
    production.extend(config_literals(PRODUCTION));
    let mut read_by_someone = Vec::new();
    for (service, manifest) in SERVICES {
        // What the operator's Secret holds (deploy/k8s/README.md).
        let mut settings = production.clone();
        let prefix = match service {
            REGISTRY_NAME => "REGISTRY",
            ALLOCATION_NAME => "ALLOCATION",
            _ => "MONITORING",
        };
        settings.insert(
            format!("{prefix}_DATABASE_URL"),
            "postgres://hte:secret@db.example:5432/hte".into(),
        );
        if service != REGISTRY_NAME {
            settings.insert("SERVICE_CLIENT_ID".into(), format!("hte-{service}"));
            settings.insert("SERVICE_CLIENT_SECRET".into(), "secret".into());
        }
        let (read, port) = read(service, &settings);
        read_by_someone.extend(read);

        let documents = documents(manifest);
        let of_kind = |kind: &str| {
            documents
                .iter()
                .find(|d| d.get("kind").and_then(Value::as_str) == Some(kind))
                .unwrap_or_else(|| panic!("{service}: no {kind}"))
        };
        let container = &of_kind("Deployment")["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["command"][0].as_str(), Some(service));
        assert_eq!(
            container["ports"][0]["containerPort"].as_u64(),
            Some(u64::from(port)),
            "{service}: the container port is the configured one"
        );
        assert_eq!(
            of_kind("Service")["spec"]["ports"][0]["port"].as_u64(),
            Some(u64::from(port))
        );
        for kind in ["PodDisruptionBudget", "HorizontalPodAutoscaler"] {
            assert_eq!(of_kind(kind)["metadata"]["name"].as_str(), Some(service));
        }
    }
    for name in production.keys() {
        assert!(
            read_by_someone.contains(name),
            "the ConfigMap sets {name}, which no service reads"
        );
    }
}
