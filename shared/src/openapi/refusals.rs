//! The sets of problem+json answers routes share, named once so that a route states its
//! own success answer and then the set of refusals it can give:
//! `responses((status = 200, ...), ChangeRefusals)`. Each entry refers to the shared
//! response component of its status (`#/components/responses/NotFound`, …), exactly as
//! `(status = 404, response = NotFound)` would.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::{Ref, RefOr, Response};

macro_rules! refusal_sets {
    ($($(#[$doc:meta])* $name:ident: $($status:literal => $component:ident),+;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    [$(($status, stringify!($component))),+]
                        .into_iter()
                        .map(|(status, component)| {
                            (status.to_owned(), RefOr::Ref(Ref::from_response_name(component)))
                        })
                        .collect()
                }
            }
        )*
    };
}

refusal_sets! {
    /// A record named in the path only: no such record, or not visible to the caller (404).
    LookupRefusals: "404" => NotFound;
    /// A body or query refused: malformed (400) or against the rules (422).
    InputRefusals: "400" => BadRequest, "422" => UnprocessableEntity;
    /// A read of one record: a bad parameter (400) or no such record (404).
    ReadRefusals: "400" => BadRequest, "404" => NotFound;
    /// Input about one existing record: 400, no such record (404), 422.
    RecordInputRefusals: "400" => BadRequest, "404" => NotFound, "422" => UnprocessableEntity;
    /// A new record: 400, it exists already or clashes with the current state (409), 422.
    CreateRefusals: "400" => BadRequest, "409" => Conflict, "422" => UnprocessableEntity;
    /// A change to, or under, an existing record: 400, 404, the current state forbids it
    /// (409), 422.
    ChangeRefusals: "400" => BadRequest, "404" => NotFound, "409" => Conflict,
        "422" => UnprocessableEntity;
    /// A state change without a body and with an optional If-Match: 404, 409, a stale
    /// ETag (412).
    TransitionRefusals: "404" => NotFound, "409" => Conflict, "412" => PreconditionFailed;
    /// A decision with a body and an optional If-Match: 400, 404, 409, 412, 422.
    DecisionRefusals: "400" => BadRequest, "404" => NotFound, "409" => Conflict,
        "412" => PreconditionFailed, "422" => UnprocessableEntity;
    /// An update of a versioned record that needs If-Match: 400, 404, 409, a stale ETag
    /// (412), a missing If-Match (428), 422.
    VersionedUpdateRefusals: "400" => BadRequest, "404" => NotFound, "409" => Conflict,
        "412" => PreconditionFailed, "422" => UnprocessableEntity,
        "428" => PreconditionRequired;
}
