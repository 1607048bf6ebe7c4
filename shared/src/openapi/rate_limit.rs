//! The rate limiter's headers in the documents: every 2xx and 4xx answer of a governed
//! (`/api/…`) operation may carry them, exactly as `edge::rate_limit` sends them.

use serde_json::{Value, json};

use crate::edge::rate_limit::{MAX_RESET_SECS, RATE_LIMIT_HEADERS};

fn header_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/headers/{name}") })
}

fn components(json: &mut Value) {
    let count = json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": u32::MAX});
    let seconds =
        json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": MAX_RESET_SECS});
    let descriptions = [
        "Requests the caller may make at once (its burst, `RATE_LIMIT_BURST`; for refused \
         tokens `RATE_LIMIT_AUTH_FAILURES_BURST`); the budget refills at the configured rate \
         a minute. Absent when rate limiting is off and on calls between the suite's services",
        "Requests of the burst left at this moment (0 on a 429)",
        "Seconds until the whole burst is available again (on a 429, until the next request \
         is)",
    ];
    let headers = json
        .pointer_mut("/components")
        .and_then(Value::as_object_mut)
        .map(|c| c.entry("headers").or_insert_with(|| json!({})));
    let Some(Value::Object(headers)) = headers else {
        return;
    };
    for ((name, description), schema) in
        RATE_LIMIT_HEADERS
            .iter()
            .zip(descriptions)
            .zip([count.clone(), count, seconds])
    {
        headers.insert(
            (*name).to_owned(),
            json!({ "description": description, "schema": schema }),
        );
    }
}

fn governed(status: &str) -> bool {
    status.starts_with('2') || status.starts_with('4')
}

fn add_to(response: &mut Value) {
    if response.get("$ref").is_some() {
        return; // a shared response: it gets the headers in `components`
    }
    let Some(object) = response.as_object_mut() else {
        return;
    };
    let Value::Object(headers) = object.entry("headers").or_insert_with(|| json!({})) else {
        return;
    };
    for name in RATE_LIMIT_HEADERS {
        headers.insert(name.to_owned(), header_ref(name));
    }
}

/// Declares the headers in `components/headers` and refers to them from every governed
/// response: the shared problem responses and each `/api/` operation's own 2xx and 4xx.
pub(super) fn declare(json: &mut Value) {
    components(json);
    if let Some(Value::Object(responses)) = json.pointer_mut("/components/responses") {
        for (status_name, response) in responses.iter_mut() {
            // The shared responses are all problems; 4xx ones can come from the limiter's
            // governed routes (a 5xx is not about the caller's budget).
            if !matches!(status_name.as_str(), "ServiceUnavailable" | "InternalError") {
                add_to(response);
            }
        }
    }
    let Some(Value::Object(paths)) = json.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if !path.starts_with("/api/") {
            continue;
        }
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(Value::Object(responses)) = operation.get_mut("responses") else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                if governed(status) {
                    add_to(response);
                }
            }
        }
    }
}
