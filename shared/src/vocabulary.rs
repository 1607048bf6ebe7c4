//! Closed vocabularies: enums whose stable snake_case keys are what JSON, the database and
//! the OpenAPI document carry. Each service declares its enums with its own derives (how the
//! OpenAPI document describes them differs); the keys' lookups are written once, here.

/// Writes `ALL`, `key()`, `from_key()` and `keys()` for an enum from its variants' keys:
/// `hte_shared::keyed_variants!(Status { Draft = "draft", Closed = "closed", });`, and
/// `name_zh()` when each key is followed by the Chinese name (`Draft = "draft" => "草案",`).
#[macro_export]
macro_rules! keyed_variants {
    ($name:ident { $($variant:ident = $key:literal,)* }) => {
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
    };
    ($name:ident { $($variant:ident = $key:literal => $zh:literal,)* }) => {
        $crate::keyed_variants!($name { $($variant = $key,)* });

        impl $name {
            /// The Chinese name, for what a person reads.
            pub fn name_zh(self) -> &'static str {
                match self {
                    $(Self::$variant => $zh,)*
                }
            }
        }
    };
}
