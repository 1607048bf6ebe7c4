//! The routes of an enterprise's facts (pool entries, certificates, labels, declarations,
//! incubations, annual reports) differ only in path, tag, types and the `app` operation they
//! call. The handler bodies live here once, and three macros write each handler with its
//! OpenAPI operation, so the six collections answer and document alike by construction.
//! A module uses them as `fact_create_route!`, `fact_list_route!` and `fact_end_route!`, with
//! actix's `get`/`post` in scope: utoipa finds a handler's method by that attribute's bare name.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::NaiveDate;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::pagination::{Page, PageParams, PageRequest};
use hte_shared::problem::Problem;
use hte_shared::telemetry::RequestId;
use hte_shared::time::today;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::path_credit_code;
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::Ending;
use crate::error::{RegistryError, to_json};

/// `POST /enterprises/{credit_code}/<collection>`: adds a fact, answered 201 with its view.
/// The body type's `parse(&self, today)` makes the domain value; `$create` is `app`'s
/// operation (record, enter, grant).
macro_rules! fact_create_route {
    (
        $(#[doc = $doc:tt])*
        $name:ident: POST $path:tt, tag = $tag:tt, collection = $collection:tt,
        $body:ident => 201 $view:ident $answer:tt, $create:path $(,)?
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            request_body = $body,
            params(
                ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
                ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe"),
            ),
            responses(
                (status = 201, description = $answer, body = $view, headers(("Location" = String))),
                hte_shared::openapi::refusals::ChangeRefusals,
            )
        )]
        #[post($path)]
        pub async fn $name(
            db: actix_web::web::Data<hte_shared::db::Db>,
            caller: hte_shared::auth::Caller,
            request_id: hte_shared::telemetry::RequestId,
            key: hte_shared::idempotency::MaybeIdempotencyKey,
            path: actix_web::web::Path<String>,
            body: hte_shared::json::Json<$body>,
        ) -> Result<actix_web::HttpResponse, crate::error::RegistryError> {
            crate::routes::facts::create_fact(
                &db,
                (caller, request_id, key),
                (&path, $collection),
                &body.0,
                $body::parse,
                $create,
            )
            .await
        }
    };
}

/// `GET /enterprises/{credit_code}/<collection>`: a page of the enterprise's facts of one
/// kind; `$list` is `app`'s page reader.
macro_rules! fact_list_route {
    (
        $(#[doc = $doc:tt])*
        $name:ident: GET $path:tt, tag = $tag:tt, Page<$view:ident>, $list:path $(,)?
    ) => {
        $(#[doc = $doc])*
        /// Paged: `limit` 1–500 (default 50) and the `cursor` of the previous page's `next_cursor`;
        /// follow `next_cursor` until it is absent to read them all.
        #[utoipa::path(
            tag = $tag,
            params(
                ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
                hte_shared::pagination::PageParams,
            ),
            responses(
                (status = 200, description = "A page of them", body = hte_shared::pagination::Page<$view>),
                hte_shared::openapi::refusals::RecordInputRefusals,
            )
        )]
        #[get($path)]
        pub async fn $name(
            db: actix_web::web::Data<hte_shared::db::Db>,
            caller: hte_shared::auth::Caller,
            path: actix_web::web::Path<String>,
            page: actix_web::web::Query<hte_shared::pagination::PageParams>,
        ) -> Result<actix_web::HttpResponse, crate::error::RegistryError> {
            crate::routes::facts::page_of_records(&db, caller, (&path, &page), $list).await
        }
    };
}

/// `POST /enterprises/{credit_code}/<collection>/{…}/<ending>`: ends a fact (exit,
/// revocation, withdrawal), answered with its view. `$params` document the path's segments
/// after the credit code, `$segments` is their raw type and `$parse_path` turns them into
/// the fact's key; the body type's `parse(&self)` makes the [`Ending`].
macro_rules! fact_end_route {
    (
        $(#[doc = $doc:tt])*
        $name:ident: POST $path:tt, tag = $tag:tt,
        params($($param:tt),+ $(,)?) as $segments:ty => $parse_path:path,
        $body:ident => $view:ident $answer:tt, $end:path $(,)?
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            request_body = $body,
            params(
                ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
                $($param,)+
            ),
            responses(
                (status = 200, description = $answer, body = $view),
                hte_shared::openapi::refusals::ChangeRefusals,
            )
        )]
        #[post($path)]
        pub async fn $name(
            db: actix_web::web::Data<hte_shared::db::Db>,
            caller: hte_shared::auth::Caller,
            request_id: hte_shared::telemetry::RequestId,
            path: actix_web::web::Path<$segments>,
            body: hte_shared::json::Json<$body>,
        ) -> Result<actix_web::HttpResponse, crate::error::RegistryError> {
            crate::routes::facts::end_fact(
                &db,
                (caller, request_id),
                (path.into_inner(), $parse_path),
                (&body.0, $body::parse),
                $end,
            )
            .await
        }
    };
}

/// Parses a fact's body (with today's date) into the value the application layer records.
type ParseNew<B, T> = fn(&B, NaiveDate) -> Result<T, Problem>;

/// Records a new fact of an enterprise the caller may write (`app`'s record, enter, grant).
type CreateFact<T, V> =
    fn(&mut DbConnection, &Caller, &Actor, &CreditCode, &T) -> Result<V, RegistryError>;

/// The POSTs that add a fact (pool entry, certificate, label) to an enterprise: the path's
/// credit code and the body parsed, then a writer, the fact created once under the key,
/// answered 201 with it and where its collection is.
pub(super) async fn create_fact<B, T, V>(
    db: &Db,
    (caller, request_id, key): (Caller, RequestId, MaybeIdempotencyKey),
    (raw_code, collection): (&str, &str),
    body: &B,
    parse: ParseNew<B, T>,
    create: CreateFact<T, V>,
) -> Result<HttpResponse, RegistryError>
where
    B: Serialize,
    T: Send + 'static,
    V: Serialize + 'static,
{
    let code = path_credit_code(raw_code)?;
    let fact = parse(body, today())?;
    let request = to_json(body)?;
    caller.require_writer()?;
    let actor = Actor::new(&caller, &request_id);
    let route = format!("POST /api/v1/enterprises/{code}/{collection}");
    let location = format!("/api/v1/enterprises/{code}/{collection}");
    create_once(db, actor, key.0, route, request, move |conn, actor| {
        let view = create(conn, &caller, actor, &code, &fact)?;
        Ok(Created {
            status: StatusCode::CREATED,
            location: Some(location),
            body: to_json(&view)?,
        })
    })
    .await
}

/// `app`'s page of an enterprise's records of one kind, after the key `K` a cursor carries.
type RecordsPage<K, V> =
    fn(&mut DbConnection, &Caller, &CreditCode, &PageRequest<K>) -> Result<Page<V>, RegistryError>;

/// A page of the records of one kind (reports, pool entries, certificates, labels,
/// declarations, incubations) of the enterprise a path names, as `list` reads them for the
/// caller.
pub(super) async fn page_of_records<K, V>(
    db: &Db,
    caller: Caller,
    (raw_code, page): (&str, &PageParams),
    list: RecordsPage<K, V>,
) -> Result<HttpResponse, RegistryError>
where
    K: DeserializeOwned + Send + 'static,
    V: Serialize + Send + 'static,
{
    let code = path_credit_code(raw_code)?;
    let page = page.parse::<K>()?;
    let page = db
        .read(move |conn| list(conn, &caller, &code, &page))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Ends a fact of an enterprise the caller may write (`app`'s exit, revoke).
type EndFact<K, V> =
    fn(&mut DbConnection, &Caller, &Actor, (&CreditCode, K), &Ending) -> Result<V, RegistryError>;

/// The POSTs that end a fact (exit, revocation): a writer, then the fact the path names and
/// the ending the body gives, the change in one write, answered with the fact.
pub(super) async fn end_fact<P, K, B, V>(
    db: &Db,
    (caller, request_id): (Caller, RequestId),
    (path, parse_path): (P, impl FnOnce(P) -> Result<(CreditCode, K), Problem>),
    (body, parse_body): (&B, impl FnOnce(&B) -> Result<Ending, Problem>),
    end: EndFact<K, V>,
) -> Result<HttpResponse, RegistryError>
where
    K: Send + 'static,
    V: Serialize + Send + 'static,
{
    caller.require_writer()?;
    let (code, fact) = parse_path(path)?;
    let ending = parse_body(body)?;
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| end(conn, &caller, &actor, (&code, fact), &ending))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
