//! The registry's own test fixtures; starting it and talking to it is the shared test client
//! ([`hte_shared::testing::TestApp`]).

use enterprise_registry::domain::credit_code::check_character;
use enterprise_registry::startup::EnterpriseRegistry;
use hte_shared::testing::assert_json;
use serde_json::{Value, json};

pub use hte_shared::testing::assert_problem;

/// The registry on a fresh database, on port 0.
pub type TestApp = hte_shared::testing::TestApp<EnterpriseRegistry>;

/// Requests only the registry's tests make.
pub trait RegistryFixtures {
    /// Registers an enterprise as the province and returns its body.
    async fn create_enterprise(&self, body: &Value) -> Value;
}

impl RegistryFixtures for TestApp {
    async fn create_enterprise(&self, body: &Value) -> Value {
        let response = self
            .post_as(&self.province_token(), "/api/v1/enterprises", body)
            .await;
        assert_json(response, 201).await
    }
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
