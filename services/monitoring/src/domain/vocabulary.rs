//! Closed vocabularies: enums whose stable snake_case keys are what JSON, the database and
//! the OpenAPI document carry.

/// Declares an enum with `key()`, `from_key()`, `ALL` and `keys()` (and `name_zh()` when each
/// key is followed by `=> "中文名"`), serialised as its keys and documented in the OpenAPI
/// document as the list of those keys.
macro_rules! closed_vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $key:literal $(=> $zh:literal)?,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $key)] $variant,)*
        }

        ::hte_shared::keyed_variants!($name { $($variant = $key $(=> $zh)?,)* });

        // Written out rather than derived: the derive does not see the keys (the
        // `serde(rename)` values) through this macro and would list the variant names.
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($key),*]))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
}
pub(crate) use closed_vocabulary;
