//! Common parts of every service's OpenAPI document: the bearer scheme, the problem+json
//! responses, and the rule that every operation documents its error bodies.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, Response};
use utoipa::{PartialSchema, ToResponse, ToSchema};

use crate::problem::{FieldError, Problem};

mod bounds;
mod rate_limit;
pub mod refusals;

macro_rules! problem_responses {
    ($($name:ident: $description:literal;)*) => {
        $(
            #[derive(ToResponse)]
            #[response(description = $description, content_type = "application/problem+json")]
            pub struct $name(pub Problem);
        )*

        fn problem_response_components() -> Vec<(String, RefOr<Response>)> {
            vec![$({
                let (name, response) = <$name as ToResponse>::response();
                (name.to_owned(), response)
            }),*]
        }
    };
}

problem_responses! {
    BadRequest: "Invalid input: the `errors` member names each field (or unknown query parameter) and the rule it breaks";
    Unauthorized: "No bearer token, or one that is malformed, expired, not yet valid, too long-lived or not signed by a configured key";
    Forbidden: "The caller's role or region does not allow this";
    NotFound: "No such resource (or not visible to the caller's region)";
    Conflict: "The request conflicts with the current state";
    PreconditionFailed: "If-Match does not match the current ETag: reload and retry";
    PreconditionRequired: "This update needs an If-Match header with the ETag from a read";
    RequestTimeout: "The request body did not arrive in time (it must keep coming at the configured minimum rate after a grace period); the connection is closed";
    PayloadTooLarge: "The request body exceeds the size limit";
    UnsupportedMediaType: "The request body has a content type this route does not accept";
    UnprocessableEntity: "Well-formed but not acceptable, e.g. an Idempotency-Key reused with another body";
    TooManyRequests: "The caller exceeded its request budget (or its address sent too many refused tokens); `Retry-After` says when to retry";
    ServiceUnavailable: "The database or a service this answer depends on is unavailable; retry later";
    InternalError: "Unexpected error; nothing internal is disclosed; quote the request_id";
}

pub const BEARER: &str = "bearer";

/// How callers authenticate, as the documents tell integrators.
const BEARER_DESCRIPTION: &str = "\
A JWT in `Authorization: Bearer <token>`, of one of two kinds:

* **RS256 or ES256 from the province's identity platform** (production): signed with a key \
the platform publishes (JWKS), `iss` the configured issuer, `aud` containing the suite's \
client id. The role and the region come from claims the deployment names (`OIDC_ROLE_CLAIM`, \
e.g. `realm_access.roles`, mapped to our roles by `OIDC_ROLE_MAP`; `OIDC_REGION_CLAIM`); the \
subject from `OIDC_SUBJECT_CLAIM` (default `sub`).
* **HS256 signed with the suite's own secret** (development, `hte-suite token`): claims `sub`, \
`role`, `region`, `iss` = `jiangsu-hte`, `iat`, `exp`.

Either way the role is one of province, city, county, auditor (read-only) or service \
(read-only; calls between services), and the region a 6-digit Jiangsu code (GB/T 2260) of \
the role's level; city and county callers read and write only their region's subtree. \
Tokens are handled as RFC8725 (JWT best current practices) asks: the accepted algorithms \
are fixed per key (never taken from the token; `none` is refused), the issuer \
is checked (and, for the identity platform, the audience), `exp` is required, `nbf` is \
honoured, `exp - iat` may not exceed the configured maximum \
lifetime (default 24 h), and the leeway on times is small (default 5 s). `sub` must be 1–128 \
printable characters.

**401** (problem+json, `WWW-Authenticate: Bearer`): no token, or one that is malformed, \
expired, not yet valid, too long-lived, wrongly signed or missing a claim. **403**: the role \
or region does not allow the operation (reads outside one's region answer 404 instead). \
**429** (with `Retry-After`): the caller (its `sub`; its address without a valid token) \
exceeded its request budget, or its address sent too many refused tokens.";

/// Adds what every document shares, and completes each operation's error responses:
/// `/api/v1` operations require a bearer token and can answer 401, 403, 429 and 503; every
/// operation can answer 400 (an unknown query parameter) and 500; operations with a body
/// can answer 408, 413 and 415.
pub fn finish(mut doc: OpenApi, info: &DocumentInfo) -> OpenApi {
    describe(&mut doc, info);
    add_shared_components(&mut doc);
    complete_operations(&mut doc, info);
    page_items_by_ref(doc)
}

/// Title, description, version, licence, contact and the (relative) server.
fn describe(doc: &mut OpenApi, info: &DocumentInfo) {
    doc.info.title = info.title.to_owned();
    doc.info.description = Some(info.description.to_owned());
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.info.license = Some(utoipa::openapi::License::new("Apache-2.0"));
    doc.info.contact = Some(
        utoipa::openapi::ContactBuilder::new()
            .name(Some(
                "江苏省高新技术企业培育服务运维 / Jiangsu HTE services operations",
            ))
            .build(),
    );
    // Relative: the document is served by the service it describes, wherever it is deployed.
    doc.servers = Some(vec![
        utoipa::openapi::ServerBuilder::new()
            .url("/")
            .description(Some(format!(
                "This service, at the address its document was fetched from. The services \
                 speak plain HTTP inside their network (local runs: port {}, {}_PORT); in \
                 production and staging callers outside it reach them only through HTTPS \
                 terminated in front of them",
                info.default_port, info.env_prefix
            )))
            .extensions(Some(
                utoipa::openapi::extensions::ExtensionsBuilder::new()
                    .add("x-internal", true)
                    .build(),
            ))
            .build(),
    ]);
}

/// The bearer scheme, the problem schemas and the shared error responses.
fn add_shared_components(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(BEARER_DESCRIPTION))
                .build(),
        ),
    );
    for (name, schema) in [
        ("Problem", Problem::schema()),
        ("FieldError", FieldError::schema()),
    ] {
        components.schemas.insert(name.to_owned(), schema);
    }
    let mut nested = Vec::new();
    Problem::schemas(&mut nested);
    components.schemas.extend(nested);
    for (name, mut response) in problem_response_components() {
        if let RefOr::T(response) = &mut response {
            add_headers(&name, response);
        }
        components.responses.insert(name, response);
    }
    merge_flattened(components);
}

/// Security and the error responses every operation can give; suite-wide operation ids and
/// one-line summaries.
fn complete_operations(doc: &mut OpenApi, info: &DocumentInfo) {
    let response_ref = |name: &str| {
        RefOr::Ref(utoipa::openapi::Ref::new(format!(
            "#/components/responses/{name}"
        )))
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let protected = path.starts_with("/api/");
        for operation in operations(item) {
            let responses = &mut operation.responses.responses;
            if protected {
                operation.security =
                    Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
                for (status, name) in [
                    ("401", "Unauthorized"),
                    ("403", "Forbidden"),
                    ("429", "TooManyRequests"),
                    ("503", "ServiceUnavailable"),
                ] {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| response_ref(name));
                }
            }
            // Any operation refuses query parameters it does not document.
            responses
                .entry("400".to_owned())
                .or_insert_with(|| response_ref("BadRequest"));
            // Any body can be too slow, too large or of the wrong type; the server says so.
            if operation.request_body.is_some() {
                for (status, name) in [
                    ("408", "RequestTimeout"),
                    ("413", "PayloadTooLarge"),
                    ("415", "UnsupportedMediaType"),
                ] {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| response_ref(name));
                }
            }
            responses
                .entry("500".to_owned())
                .or_insert_with(|| response_ref("InternalError"));
            suite_wide_operation_id(operation, info.name);
            split_summary(operation);
        }
    }
}

/// For `#[schema(schema_with = …)]` on a body field that takes any Jiangsu region code: the
/// document's `JiangsuRegionCode` (every code the parser accepts, with its name).
pub fn jiangsu_region_code() -> utoipa::openapi::Ref {
    utoipa::openapi::Ref::from_schema_name("JiangsuRegionCode")
}

const REGION_CODE_REF: &str = r##"{"$ref": "#/components/schemas/JiangsuRegionCode"}"##;

/// Every code a region parameter accepts, with its Chinese name: an enum generators can
/// offer, and the exact set the parser takes (a 6-digit code outside Jiangsu is refused).
fn region_code_schema() -> serde_json::Value {
    let regions = crate::regions::all();
    let codes: Vec<String> = regions.iter().map(|r| r.code.to_string()).collect();
    let names: Vec<String> = regions
        .iter()
        .map(|r| format!("{} {}", r.code, r.name))
        .collect();
    serde_json::json!({
        "type": "string",
        "description": "A Jiangsu region code (行政区划代码, GB/T 2260, with the NBS codes of \
            functional zones): the province 320000, a city or a county. `x-enum-descriptions` \
            gives each code's Chinese name.",
        "pattern": "^[0-9]{6}$",
        "enum": codes,
        "x-enum-descriptions": names,
    })
}

/// Parameters that mean the same thing on every route of the suite, with the rule the
/// server's parser enforces. A route that says nothing about such a parameter gets it here;
/// a route that states its own pattern, enum, format or bound keeps it.
const WELL_KNOWN_PARAMETERS: [(&str, &str); 11] = [
    // GB 32100: 2 characters, 6-digit division, 10 characters of the code alphabet (no I, O,
    // S, V, Z); the last is a check character no pattern can state.
    (
        "credit_code",
        r#"{"type": "string", "pattern": "^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$", "minLength": 18, "maxLength": 18}"#,
    ),
    ("region", REGION_CODE_REF),
    ("parent", REGION_CODE_REF),
    ("code", REGION_CODE_REF),
    (
        "Idempotency-Key",
        r#"{"type": "string", "pattern": "^[!-~]{1,255}$", "maxLength": 255}"#,
    ),
    // A rule set's version: a plain identifier (it names files and URLs).
    (
        "rule_set",
        r#"{"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}"#,
    ),
    ("as_of", r#"{"type": "string", "format": "date"}"#),
    ("new_from", r#"{"type": "string", "format": "date"}"#),
    ("new_to", r#"{"type": "string", "format": "date"}"#),
    ("lang", r#"{"type": "string", "enum": ["zh", "en"]}"#),
    (
        "limit",
        r#"{"type": "integer", "format": "int32", "minimum": 1, "maximum": 500}"#,
    ),
];

/// Media types that carry files: their bodies are bytes (`format: binary`), never an array of
/// numbers (utoipa's rendering of `Vec<u8>`) nor text a generated client would decode.
const FILE_MEDIA_TYPES: [&str; 5] = [
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/octet-stream",
];

/// Uploads are `format: binary` inline (a route states its own size bounds with an inlined
/// schema: fuzzers recognise a file body only inline); downloads are one `BinaryFile`
/// schema, so generators make one file type.
fn files_as_binary(json: &mut serde_json::Value) {
    let uploaded = serde_json::json!({"type": "string", "format": "binary"});
    let downloaded = serde_json::json!({"$ref": "#/components/schemas/BinaryFile"});
    let mut downloads = false;
    let Some(paths) = json
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for item in paths
        .values_mut()
        .filter_map(serde_json::Value::as_object_mut)
    {
        for operation in item
            .values_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            let mut bodies = Vec::new();
            for (key, value) in operation.iter_mut() {
                if key == "requestBody" {
                    bodies.push((value, &uploaded));
                } else if let Some(responses) = value.as_object_mut().filter(|_| key == "responses")
                {
                    bodies.extend(responses.values_mut().map(|r| (r, &downloaded)));
                }
            }
            for (body, binary) in bodies {
                let Some(content) = body
                    .get_mut("content")
                    .and_then(serde_json::Value::as_object_mut)
                else {
                    continue;
                };
                for (media_type, media) in content.iter_mut() {
                    // A named schema (`BinaryFile`) or a bounded upload is kept as it is.
                    let kept = media["schema"].get("$ref").is_some()
                        || (*binary == uploaded && media["schema"]["format"] == "binary");
                    if FILE_MEDIA_TYPES.contains(&media_type.as_str()) && !kept {
                        media["schema"] = binary.clone();
                    }
                    downloads |= media["schema"] == downloaded;
                }
            }
        }
    }
    if let Some(schemas) = json
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
        .filter(|_| downloads)
    {
        let binary_file = <crate::export::BinaryFile as utoipa::PartialSchema>::schema();
        schemas
            .entry("BinaryFile")
            .or_insert_with(|| serde_json::json!(binary_file));
    }
}

/// Whether a parameter's schema says nothing beyond its type.
fn unconstrained(schema: &serde_json::Value) -> bool {
    const RULES: [&str; 9] = [
        "$ref",
        "pattern",
        "enum",
        "format",
        "maxLength",
        "minimum",
        "maximum",
        "const",
        "oneOf",
    ];
    schema.as_object().is_some_and(|s| {
        !RULES.iter().any(|rule| s.contains_key(*rule))
            || (s.get("minimum") == Some(&serde_json::json!(0)) && !s.contains_key("maximum"))
    })
}

fn well_known_parameters(json: &mut serde_json::Value) {
    let Some(paths) = json
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(serde_json::Value::as_array_mut)
            else {
                continue;
            };
            for parameter in parameters {
                let name = parameter["name"].as_str().unwrap_or_default().to_owned();
                if !unconstrained(&parameter["schema"]) {
                    continue;
                }
                // The cursor's bound is computed in one place, `pagination`.
                if name == "cursor" {
                    parameter["schema"] = crate::pagination::cursor_schema();
                    continue;
                }
                let Some((_, rule)) = WELL_KNOWN_PARAMETERS.iter().find(|(n, _)| *n == name) else {
                    continue;
                };
                match serde_json::from_str(rule) {
                    Ok(schema) => parameter["schema"] = schema,
                    Err(error) => panic!("the rule for {name} is not JSON: {error}"),
                }
            }
        }
    }
}

/// serde reads an externally tagged enum (`{"quantity": [...]}`) as a map with exactly one
/// key and refuses any other; utoipa writes each variant as an object with that one required
/// property but leaves other properties allowed. Close them, so the document says what the
/// server refuses.
fn single_key_variants_closed(json: &mut serde_json::Value) {
    fn visit(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Array(variants)) = map.get_mut("oneOf") {
                    for variant in variants.iter_mut() {
                        let single_required = variant["type"] == "object"
                            && variant["properties"]
                                .as_object()
                                .is_some_and(|p| p.len() == 1)
                            && variant["required"].as_array().is_some_and(|r| r.len() == 1)
                            && variant.get("additionalProperties").is_none();
                        if single_required {
                            variant["additionalProperties"] = serde_json::Value::Bool(false);
                        }
                    }
                }
                map.values_mut().for_each(visit);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(visit),
            _ => {}
        }
    }
    if let Some(schemas) = json.pointer_mut("/components/schemas") {
        visit(schemas);
    }
}

/// `Page<T>` is generic, so utoipa writes `T` inline into every `Page_T`: generators then
/// make a second, anonymous class for the same record. Point the items at `T` instead.
/// Also gives the suite's well-known parameters their rules.
fn page_items_by_ref(doc: OpenApi) -> OpenApi {
    let mut json = match serde_json::to_value(&doc) {
        Ok(json) => json,
        Err(error) => panic!("an OpenAPI document is always JSON: {error}"),
    };
    well_known_parameters(&mut json);
    let region_codes_used = json
        .to_string()
        .contains("#/components/schemas/JiangsuRegionCode");
    if let Some(schemas) = json
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
        .filter(|_| region_codes_used)
    {
        schemas.insert("JiangsuRegionCode".to_owned(), region_code_schema());
    }
    files_as_binary(&mut json);
    single_key_variants_closed(&mut json);
    rate_limit::declare(&mut json);
    if_match_is_an_entity_tag(&mut json);
    bounds::declare(&mut json);
    let Some(schemas) = json
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return doc;
    };
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        // The cursor a page hands out is one `cursor` takes back: the same rule, for every
        // page (`Page_T` and the pages of their own shape, such as the candidates').
        if let Some(next) = schemas
            .get_mut(&name)
            .and_then(|page| page.pointer_mut("/properties/next_cursor"))
        {
            let rule = crate::pagination::cursor_schema();
            next["pattern"] = rule["pattern"].clone();
            next["maxLength"] = rule["maxLength"].clone();
        }
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        if !schemas.contains_key(item) {
            continue;
        }
        let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{item}") });
        if let Some(items) = schemas
            .get_mut(&name)
            .and_then(|page| page.pointer_mut("/properties/items"))
        {
            items["items"] = reference;
            // A page holds at most `limit` items, which is at most this.
            items["maxItems"] = serde_json::json!(crate::pagination::MAX_LIMIT);
        }
    }
    match serde_json::from_value(json) {
        Ok(doc) => doc,
        Err(error) => panic!("the document with page items by $ref no longer reads: {error}"),
    }
}

/// What `finish` needs to know of the service a document describes.
pub struct DocumentInfo {
    /// `enterprise-registry`: prefixes the operationIds every service shares.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// `REGISTRY`: the port variable is `REGISTRY_PORT`.
    pub env_prefix: &'static str,
    pub default_port: u16,
}

/// Handlers every service mounts (probes, metrics, audit verification): their operationIds
/// get the service's name so ids stay unique across the suite (clients of several services
/// are often generated into one package).
const SHARED_OPERATION_IDS: [&str; 4] = ["livez", "readyz", "metrics", "verify_audit_chain"];

fn suite_wide_operation_id(operation: &mut utoipa::openapi::path::Operation, service: &str) {
    if let Some(id) = operation.operation_id.as_mut() {
        if SHARED_OPERATION_IDS.contains(&id.as_str()) {
            *id = format!("{}_{id}", service.replace('-', "_"));
        }
    }
}

/// `summary` is one line (generators use it as a doc title); whatever the handler's doc
/// comment says beyond the first sentence goes to `description`, and an operation always
/// has a `description` (the summary again when there is nothing more to say).
fn split_summary(operation: &mut utoipa::openapi::path::Operation) {
    let Some(summary) = operation.summary.take() else {
        return;
    };
    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let (first, rest) = match flat.find(". ").or_else(|| flat.find("。")) {
        Some(end) if end + 2 < flat.len() => {
            let cut = flat[end..]
                .chars()
                .next()
                .map_or(end, |c| end + c.len_utf8());
            (flat[..cut].trim().to_owned(), flat[cut..].trim().to_owned())
        }
        _ => (flat.clone(), String::new()),
    };
    let description = match (operation.description.take(), rest.is_empty()) {
        (Some(more), true) => more,
        (Some(more), false) => format!("{rest}\n\n{more}"),
        (None, true) => first.clone(),
        (None, false) => rest,
    };
    operation.summary = Some(first);
    operation.description = Some(description);
}

/// The headers some problems come with.
fn add_headers(name: &str, response: &mut Response) {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let header = |schema_type: Type, description: &str| {
        let schema = match schema_type {
            // Seconds: the server never asks for more than a day.
            Type::Integer => ObjectBuilder::new()
                .schema_type(schema_type)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(0))
                .maximum(Some(86_400)),
            _ => ObjectBuilder::new()
                .schema_type(schema_type)
                .max_length(Some(200)),
        };
        let mut header = Header::new(schema);
        header.description = Some(description.to_owned());
        RefOr::T(header)
    };
    let retry = "Seconds to wait before retrying";
    let headers = match name {
        "TooManyRequests" => vec![("Retry-After", header(Type::Integer, retry))],
        "ServiceUnavailable" => vec![(
            "Retry-After",
            header(Type::Integer, "Seconds to wait before retrying, when known"),
        )],
        "Unauthorized" => vec![(
            "WWW-Authenticate",
            header(Type::String, "Bearer realm=\"jiangsu-hte\""),
        )],
        _ => Vec::new(),
    };
    for (header_name, header) in headers {
        response.headers.insert(header_name.to_owned(), header);
    }
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The document as committed under `openapi/`: pretty JSON with a final newline.
pub fn to_pretty_json(doc: &OpenApi) -> Result<String, serde_json::Error> {
    let mut text = doc.to_pretty_json()?;
    text.push('\n');
    Ok(text)
}

/// utoipa renders `#[serde(flatten)]` as `allOf: [$ref, own fields]`. When the referenced
/// schema is closed (`additionalProperties: false`, from `deny_unknown_fields`), no object
/// can satisfy every part, so validators and generated clients reject real responses.
/// Such compositions become one object holding every part's properties.
fn merge_flattened(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{Object, Schema, SchemaType, Type};
    let snapshot = components.schemas.clone();
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::AllOf(all_of)) = schema else {
            continue;
        };
        let mut merged = Object::new();
        merged.schema_type = SchemaType::Type(Type::Object);
        merged.description = all_of.description.clone();
        let mut mergeable = true;
        for item in &all_of.items {
            let part = match item {
                RefOr::Ref(reference) => reference
                    .ref_location
                    .rsplit('/')
                    .next()
                    .and_then(|name| snapshot.get(name)),
                inline => Some(inline),
            };
            match part {
                Some(RefOr::T(Schema::Object(object))) => {
                    merged.properties.extend(object.properties.clone());
                    merged.required.extend(object.required.iter().cloned());
                }
                _ => mergeable = false,
            }
        }
        if mergeable {
            *schema = RefOr::T(Schema::Object(merged));
        }
    }
}

/// The precondition header takes one or more entity tags (or `*`): never empty, no tab
/// (`preconditions::IfMatch` refuses both with a 400). Routes state it once here.
fn if_match_is_an_entity_tag(json: &mut serde_json::Value) {
    let Some(paths) = json
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let parameters = paths
        .values_mut()
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("parameters"))
        .filter_map(serde_json::Value::as_array_mut)
        .flatten();
    for parameter in parameters {
        let is_if_match = parameter["in"] == "header"
            && parameter["name"]
                .as_str()
                .is_some_and(|name| name.eq_ignore_ascii_case("if-match"));
        if let Some(schema) = parameter
            .get_mut("schema")
            .and_then(serde_json::Value::as_object_mut)
            .filter(|_| is_if_match)
        {
            schema.insert("minLength".into(), serde_json::json!(1));
            schema.insert("pattern".into(), serde_json::json!("^[!-~]([ -~]*[!-~])?$"));
        }
    }
}
