//! The compose file names only what the code has: each of our services exists and runs its
//! own binary, its health check asks that service, every environment variable is one its
//! configuration reader takes (and parses), published ports and service URLs match the
//! configured ports, and each database is one `deploy/postgres-init.sql` creates.

use std::collections::BTreeMap;

use hte_shared::config::{Env, ServiceConfig};
use serde_norway::Value;

use hte_shared::service::Service;

const REGISTRY_NAME: &str = <enterprise_registry::startup::EnterpriseRegistry as Service>::NAME;
const ALLOCATION_NAME: &str = <target_allocation::startup::TargetAllocation as Service>::NAME;
const MONITORING_NAME: &str = <monitoring::startup::Monitoring as Service>::NAME;

const COMPOSE: &str = include_str!("../../../docker-compose.yml");
const POSTGRES_INIT: &str = include_str!("../../../deploy/postgres-init.sql");

/// One of our services as its configuration reader sees the compose environment.
struct Reader {
    name: &'static str,
    read: fn(&Env) -> Result<ServiceConfig, String>,
}

const READERS: [Reader; 3] = [
    Reader {
        name: REGISTRY_NAME,
        read: |env| {
            enterprise_registry::config::RegistryConfig::from_env(env)
                .map(|c| c.service)
                .map_err(|e| e.to_string())
        },
    },
    Reader {
        name: ALLOCATION_NAME,
        read: |env| {
            target_allocation::config::AllocationConfig::from_env(env)
                .map(|c| c.service)
                .map_err(|e| e.to_string())
        },
    },
    Reader {
        name: MONITORING_NAME,
        read: |env| {
            monitoring::config::MonitoringConfig::from_env(env)
                .map(|c| c.service)
                .map_err(|e| e.to_string())
        },
    },
];

/// Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}`, with a value for each
/// variable the file requires from whoever starts it.
fn interpolate(text: &str) -> String {
    let supplied = |name: &str| match name {
        "JWT_SECRET" => Some("a-random-secret-of-at-least-32-bytes!!"),
        "POSTGRES_PASSWORD" => Some("0123456789abcdef"),
        _ => None,
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .unwrap_or_else(|| panic!("unclosed ${{ in {rest}"))
            + start;
        let expression = &rest[start + 2..end];
        let (name, default) = match expression.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (expression.split(":?").next().unwrap_or(expression), None),
        };
        let value = supplied(name)
            .or(default)
            .unwrap_or_else(|| panic!("compose needs {name}, which the test does not supply"));
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn compose() -> Value {
    let mut document: Value = serde_norway::from_str(&interpolate(COMPOSE))
        .unwrap_or_else(|e| panic!("docker-compose.yml: {e}"));
    document
        .apply_merge()
        .unwrap_or_else(|e| panic!("docker-compose.yml merge keys: {e}"));
    document
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, found {other:?}"),
    }
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    let Some(Value::Mapping(map)) = service.get("environment") else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(k, v)| (text(k), if v.is_null() { String::new() } else { text(v) }))
        .collect()
}

/// The services built from this repository (the others, PostgreSQL, are images).
fn ours(document: &Value) -> BTreeMap<String, Value> {
    let Some(Value::Mapping(services)) = document.get("services") else {
        panic!("docker-compose.yml has no services");
    };
    services
        .iter()
        .filter(|(_, service)| service.get("build").is_some())
        .map(|(name, service)| (text(name), service.clone()))
        .collect()
}

#[test]
fn every_service_and_variable_in_compose_exists_in_the_code() {
    let document = compose();
    let services = ours(&document);
    let names: Vec<&str> = READERS.iter().map(|r| r.name).collect();
    assert_eq!(
        services.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted
        },
        "compose runs exactly our services"
    );
    let mut ports = BTreeMap::new();
    for reader in &READERS {
        let service = &services[reader.name];
        let command: Vec<String> = match service.get("command") {
            Some(Value::Sequence(items)) => items.iter().map(text).collect(),
            other => panic!("{}: command {other:?}", reader.name),
        };
        assert_eq!(command, [reader.name], "each service runs its own binary");
        let check: Vec<String> = match service.get("healthcheck").and_then(|h| h.get("test")) {
            Some(Value::Sequence(items)) => items.iter().map(text).collect(),
            other => panic!("{}: healthcheck {other:?}", reader.name),
        };
        assert_eq!(check, ["CMD", "hte-suite", "healthcheck", reader.name]);

        let variables = environment(service);
        let env = Env::recording(variables.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let config = (reader.read)(&env)
            .unwrap_or_else(|e| panic!("{}: compose's values do not parse: {e}", reader.name));
        let read = env.names_read();
        for name in variables.keys() {
            assert!(
                read.contains(name),
                "{}: compose sets {name}, which its configuration never reads",
                reader.name
            );
        }
        ports.insert(reader.name, config.port);
        let published: Vec<String> = match service.get("ports") {
            Some(Value::Sequence(items)) => items.iter().map(text).collect(),
            other => panic!("{}: ports {other:?}", reader.name),
        };
        assert_eq!(
            published,
            [format!("{0}:{0}", config.port)],
            "{}: the published port is the one it listens on",
            reader.name
        );
        let database = reqwest::Url::parse(config.database_url.expose()).unwrap();
        assert_eq!(database.host_str(), Some("postgres"));
        let name = database.path().trim_start_matches('/');
        assert!(
            POSTGRES_INIT.contains(&format!("CREATE DATABASE {name} ")),
            "{}: database {name} is not created by deploy/postgres-init.sql",
            reader.name
        );
    }
    // Addresses of other services name a compose service and the port it listens on.
    for (service_name, service) in &services {
        for (variable, value) in environment(service) {
            let Some(url) = variable
                .ends_with("_URL")
                .then(|| reqwest::Url::parse(&value).ok())
                .flatten()
                .filter(|u| u.scheme() == "http")
            else {
                continue;
            };
            let host = url.host_str().unwrap_or_default();
            let port = ports.get(host).unwrap_or_else(|| {
                panic!("{service_name}: {variable} names {host}, not one of our services")
            });
            assert_eq!(url.port(), Some(*port), "{service_name}: {variable}");
        }
        if let Some(Value::Mapping(needs)) = service.get("depends_on") {
            for (needed, condition) in needs {
                let needed = text(needed);
                assert!(
                    document["services"].get(&needed).is_some(),
                    "{service_name} depends on {needed}, which compose does not define"
                );
                assert_eq!(
                    condition.get("condition").map(text).as_deref(),
                    Some("service_healthy"),
                    "{service_name} waits for {needed} to be healthy"
                );
            }
        }
    }
}
