//! Code lists: `GET /dictionaries` and `GET /dictionaries/{name}`.

use actix_web::{HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::openapi::refusals::LookupRefusals;
use hte_shared::problem::Problem;
use hte_shared::text;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::dictionaries::{self, Dictionary, DictionarySummary};
use crate::error::RegistryError;

/// The body of `GET /dictionaries` in the document: one summary per code list, a fixed set
/// (`dictionaries::NAMES`).
pub struct DictionaryIndex;

impl PartialSchema for DictionaryIndex {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Ref::from_schema_name(DictionarySummary::name()))
            .max_items(Some(dictionaries::NAMES.len()))
            .into()
    }
}

impl ToSchema for DictionaryIndex {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            DictionarySummary::name().into(),
            DictionarySummary::schema(),
        ));
        <DictionarySummary as ToSchema>::schemas(schemas);
    }
}

/// The code lists, each with its size: industries (GB/T 4754-2017), technology domains,
/// regions, label kinds and levels, zone levels, listing statuses, R&D institution levels,
/// enterprise statuses and assessment outcomes.
#[utoipa::path(
    tag = "dictionaries",
    responses((status = 200, description = "The code lists", body = DictionaryIndex))
)]
#[get("/dictionaries")]
pub async fn list_dictionaries(_caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(dictionaries::summaries())
}

/// One code list: every value with its Chinese and English labels (and parent and level in
/// the hierarchical lists). Inputs are checked against them: an industry code not listed
/// is a field error naming `industries`.
#[utoipa::path(
    tag = "dictionaries",
    params(("name" = String, Path, description = "industries, tech_domains, regions, label_kinds, label_levels, zone_levels, listing_statuses, rd_institutions, record_statuses or assessment_outcomes")),
    responses(
        (status = 200, description = "The code list", body = Dictionary),
        LookupRefusals,
    )
)]
#[get("/dictionaries/{name}")]
pub async fn get_dictionary(
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let name = path.into_inner();
    let dictionary = dictionaries::dictionary(&name).ok_or_else(|| {
        let name = hte_shared::i18n::quote(&name);
        Problem::not_found(text!("no code list {name}", "没有代码表 {name}"))
    })?;
    Ok(HttpResponse::Ok().json(dictionary))
}
