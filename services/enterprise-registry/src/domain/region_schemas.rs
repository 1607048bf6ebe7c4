//! Document schemas of region-code fields that take one level only: the exact codes the
//! parsers accept, with their Chinese names, so a generated client (and a fuzzer) offers the
//! 13 cities where a city is wanted and the county-level divisions where a county is.

use hte_shared::regions::{self, RegionLevel};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Type};

fn level_codes(level: RegionLevel, what: &str) -> Object {
    let regions: Vec<_> = regions::all().iter().filter(|r| r.level == level).collect();
    let codes: Vec<String> = regions.iter().map(|r| r.code.to_string()).collect();
    let names: Vec<String> = regions
        .iter()
        .map(|r| format!("{} {}", r.code, r.name))
        .collect();
    let mut extensions = Extensions::default();
    extensions.insert("x-enum-descriptions".to_owned(), serde_json::json!(names));
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "{what} (GB/T 2260); `x-enum-descriptions` gives each code's Chinese name."
        )))
        .pattern(Some("^[0-9]{6}$"))
        .enum_values(Some(codes))
        .extensions(Some(extensions))
        .build()
}

/// A Jiangsu prefecture-level city (设区市) code.
pub fn city_code() -> Object {
    level_codes(
        RegionLevel::City,
        "A Jiangsu prefecture-level city code (设区市代码)",
    )
}

/// A Jiangsu county-level division (县级行政区) code.
pub fn county_code() -> Object {
    level_codes(
        RegionLevel::County,
        "A Jiangsu county-level division code (县区代码)",
    )
}

/// The 1–20 county-level divisions a zone covers, none twice (all in one city is a rule
/// between items no schema states: `one_city`, a 422).
pub fn county_codes() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new()
        .items(county_code())
        .min_items(Some(1))
        .max_items(Some(20))
        .unique_items(true)
        .build()
}
