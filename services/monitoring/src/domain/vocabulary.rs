//! Closed vocabularies: enums whose stable snake_case keys are what JSON, the database and
//! the OpenAPI document carry.

/// Declares an enum with `key()`, `from_key()`, `ALL` and `keys()`, serialised as its keys
/// and documented in the OpenAPI document as the list of those keys.
macro_rules! closed_vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $key:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $key)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            pub fn key(self) -> &'static str {
                match self {
                    $(Self::$variant => $key,)*
                }
            }

            pub fn from_key(key: &str) -> Option<Self> {
                match key {
                    $($key => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The accepted keys, for error messages.
            pub fn keys() -> String {
                Self::ALL.iter().map(|v| v.key()).collect::<Vec<_>>().join(", ")
            }
        }

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
