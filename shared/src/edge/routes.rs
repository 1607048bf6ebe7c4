//! The routes the OpenAPI document promises, held so the edge can keep the promise: a known
//! path asked with a method it lacks is a 405 with `Allow` (RFC 9110), and a query parameter
//! the operation does not document is refused with a 400 naming it (a misspelled filter
//! must not silently return everything).
//!
//! A service gets the query check by documenting its parameters, which it does anyway:
//! `#[utoipa::path(params(MyFilter, PageParams))]` with `#[derive(IntoParams)]` structs. The
//! check reads the generated document, so it also works for handlers that take several
//! `web::Query` extractors (where `#[serde(deny_unknown_fields)]` on each would refuse the
//! others' parameters). A service that cannot document its parameters yet sets
//! [`crate::service::Service::REFUSE_UNKNOWN_QUERY_PARAMETERS`] to `false`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{OpenApi, RefOr};

use crate::problem::{self, Problem};
use crate::rejection;
use crate::text;

/// One documented operation: its path template (literal segments, `None` for parameters),
/// its method and its query parameters (`None` when the document refers to parameters
/// defined elsewhere: the operation is then not checked).
struct Route {
    segments: Vec<Option<String>>,
    method: &'static str,
    query: Option<Vec<String>>,
    /// The documented `maxLength` of each parameter that has one.
    lengths: Vec<LengthLimit>,
}

/// Where a parameter is and how long its value may be.
#[derive(Clone)]
struct LengthLimit {
    place: Place,
    name: String,
    max: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Query,
    /// The index of its segment in the path.
    Path(usize),
    Header,
}

/// Every documented operation of a service.
pub struct KnownRoutes {
    routes: Vec<Route>,
    refuse_unknown_query: bool,
}

impl KnownRoutes {
    pub fn from_openapi(document: &OpenApi, refuse_unknown_query: bool) -> Self {
        let mut routes = Vec::new();
        for (template, item) in &document.paths.paths {
            let segments: Vec<Option<String>> = template
                .split('/')
                .map(|segment| (!segment.starts_with('{')).then(|| segment.to_owned()))
                .collect();
            let shared = query_names(item.parameters.as_deref());
            let shared_lengths = length_limits(template, item.parameters.as_deref());
            for (method, operation) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                if let Some(operation) = operation {
                    let own = query_names(operation.parameters.as_deref());
                    let query = shared.clone().zip(own).map(|(mut all, own)| {
                        all.extend(own);
                        all
                    });
                    let mut lengths = shared_lengths.clone();
                    lengths.extend(length_limits(template, operation.parameters.as_deref()));
                    routes.push(Route {
                        segments: segments.clone(),
                        method,
                        query,
                        lengths,
                    });
                }
            }
        }
        Self {
            routes,
            refuse_unknown_query,
        }
    }

    fn matching(&self, path: &str) -> Vec<&Route> {
        let asked: Vec<&str> = path.split('/').collect();
        self.routes
            .iter()
            .filter(|route| {
                route.segments.len() == asked.len()
                    && route
                        .segments
                        .iter()
                        .zip(&asked)
                        .all(|(segment, part)| match segment {
                            Some(literal) => literal == part,
                            None => !part.is_empty(),
                        })
            })
            .collect()
    }

    /// The methods of the most literal templates `path` matches (`/targets/versions` over
    /// `/targets/{region}`, as the router prefers them); empty when it matches none.
    fn allowed(&self, path: &str) -> Vec<&'static str> {
        let matching = self.matching(path);
        let literal = |route: &Route| route.segments.iter().filter(|s| s.is_some()).count();
        let most = matching.iter().map(|route| literal(route)).max();
        let mut allowed: Vec<&'static str> = Vec::new();
        for route in matching
            .into_iter()
            .filter(|route| Some(literal(route)) == most)
        {
            if !allowed.contains(&route.method) {
                allowed.push(route.method);
            }
        }
        allowed
    }

    /// The operation serving `method` at `path`: the most literal template when several match
    /// (`/imports/templates` over `/imports/{id}`), as in [`Self::allowed`]. A method the most
    /// literal template lacks has none, even if a looser one has it (`PUT …/targets/versions`
    /// is not `PUT …/targets/{region}`): its parameters are not checked, and it ends in 405.
    fn operation(&self, path: &str, method: &str) -> Option<&Route> {
        let matching = self.matching(path);
        let literal = |route: &Route| route.segments.iter().filter(|s| s.is_some()).count();
        let most = matching.iter().map(|route| literal(route)).max();
        matching
            .into_iter()
            .find(|route| Some(literal(route)) == most && route.method == method)
    }
}

/// The names of the query parameters among `parameters`; `None` if any is a reference.
fn query_names(parameters: Option<&[RefOr<Parameter>]>) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for parameter in parameters.unwrap_or_default() {
        match parameter {
            RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => {
                names.push(p.name.clone());
            }
            RefOr::T(_) => {}
            RefOr::Ref(_) => return None,
        }
    }
    Some(names)
}

/// The documented length bounds among `parameters` of the operation at `template`.
fn length_limits(template: &str, parameters: Option<&[RefOr<Parameter>]>) -> Vec<LengthLimit> {
    let mut limits = Vec::new();
    for parameter in parameters.unwrap_or_default() {
        let RefOr::T(parameter) = parameter else {
            continue;
        };
        let Some(max) = max_length(parameter) else {
            continue;
        };
        let place = match parameter.parameter_in {
            ParameterIn::Query => Place::Query,
            ParameterIn::Header => Place::Header,
            ParameterIn::Path => {
                let marker = format!("{{{}}}", parameter.name);
                match template.split('/').position(|s| s == marker) {
                    Some(index) => Place::Path(index),
                    None => continue,
                }
            }
            ParameterIn::Cookie | ParameterIn::QueryString => continue,
        };
        limits.push(LengthLimit {
            place,
            name: parameter.name.clone(),
            max,
        });
    }
    limits
}

fn max_length(parameter: &Parameter) -> Option<usize> {
    let schema = serde_json::to_value(parameter.schema.as_ref()?).ok()?;
    let max = schema.get("maxLength")?.as_u64()?;
    usize::try_from(max).ok()
}

/// The first parameter of `route` longer than documented or holding a control character,
/// as a 400 naming it.
fn too_long(route: &Route, req: &ServiceRequest) -> Option<Problem> {
    let segments: Vec<&str> = req.path().split('/').collect();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    for limit in &route.lengths {
        let values: Vec<std::borrow::Cow<'_, str>> = match limit.place {
            Place::Query => query
                .iter()
                .filter(|(name, _)| *name == limit.name)
                .map(|(_, value)| value.as_str().into())
                .collect(),
            Place::Path(index) => segments
                .get(index)
                .map(|raw| percent_encoding::percent_decode_str(raw).decode_utf8_lossy())
                .into_iter()
                .collect(),
            Place::Header => req
                .headers()
                .get_all(limit.name.as_str())
                .map(|value| {
                    String::from_utf8_lossy(value.as_bytes())
                        .into_owned()
                        .into()
                })
                .collect(),
        };
        if let Some(error) = values
            .iter()
            .find_map(|v| crate::bounds::control_character_error(&limit.name, v))
        {
            return Some(Problem::validation(vec![error]));
        }
        if let Some(value) = values.iter().find(|v| v.chars().count() > limit.max) {
            let (max, start) = (limit.max, crate::i18n::quote(value));
            return Some(Problem::invalid_field(
                &limit.name,
                "max_length",
                text!(
                    "at most {max} characters ({start})",
                    "至多 {max} 个字符（{start}）"
                ),
            ));
        }
    }
    None
}

/// Refuses a parameter longer than the document allows, or holding a control character
/// (400 naming it).
pub async fn parameter_length_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refused = req.app_data::<web::Data<KnownRoutes>>().and_then(|known| {
        let method = match req.method() {
            &Method::HEAD => "GET",
            other => other.as_str(),
        };
        known
            .operation(req.path(), method)
            .and_then(|route| too_long(route, &req))
    });
    pass_or_refuse(req, next, refused).await
}

/// Refuses query parameters the operation does not document (400, one field error each).
pub async fn unknown_query_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refused = match req.app_data::<web::Data<KnownRoutes>>() {
        Some(known) if known.refuse_unknown_query && !req.query_string().is_empty() => {
            let method = match req.method() {
                &Method::HEAD => "GET",
                other => other.as_str(),
            };
            let documented = known
                .operation(req.path(), method)
                .and_then(|route| route.query.as_ref());
            documented.and_then(|names| {
                let unknown = rejection::unknown_parameters(req.query_string(), |name| {
                    names.iter().any(|q| q == name)
                });
                (!unknown.is_empty())
                    .then(|| rejection::unknown_parameters_problem(&unknown, names))
            })
        }
        _ => None,
    };
    pass_or_refuse(req, next, refused).await
}

/// What a refusing middleware answers: the route's own answer, or `refused` without calling
/// it.
async fn pass_or_refuse(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    refused: Option<Problem>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match refused {
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
        Some(problem) => {
            let (request, _) = req.into_parts();
            Ok(ServiceResponse::new(request, problem.error_response()))
        }
    }
}

/// Fallback for requests no route takes: 405 for a known path, else 404.
pub async fn unmatched(
    request: actix_web::HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, Problem> {
    let allowed = known.allowed(request.path());
    if allowed.is_empty() || allowed.contains(&request.method().as_str()) {
        return problem::not_found().await;
    }
    let allow = allowed.join(", ");
    let method = crate::i18n::quote(request.method().as_str());
    let problem = Problem::method_not_allowed(text!(
        "{method} is not supported at this path; use {allow}",
        "此路径不支持 {method} 方法；请使用 {allow}"
    ));
    let mut response = problem.error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}
