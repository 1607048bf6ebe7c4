//! `Idempotency-Key` on creating POSTs: the first answer is stored with a fingerprint of the
//! request; a replay with the same body gets that answer again, a replay with another body is
//! refused (422). Keys are scoped to the caller and kept for 48 hours.

use actix_web::{FromRequest, HttpRequest};
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::i18n::Text;
use crate::problem::Problem;

diesel::table! {
    idempotency_keys (actor, idempotency_key) {
        actor -> Text,
        idempotency_key -> Text,
        route -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        response_location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

pub const RETENTION_HOURS: i64 = 48;
pub const HEADER: &str = "Idempotency-Key";

/// A well-formed key: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A key from its header value (surrounding spaces ignored).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        (!value.is_empty() && value.len() <= 255 && value.bytes().all(|b| b.is_ascii_graphic()))
            .then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The optional `Idempotency-Key` header; malformed keys are a 400.
#[derive(Debug, Clone)]
pub struct MaybeIdempotencyKey(pub Option<IdempotencyKey>);

impl FromRequest for MaybeIdempotencyKey {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let result = match req.headers().get(HEADER) {
            None => Ok(Self(None)),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(IdempotencyKey::parse)
                .map(|key| Self(Some(key)))
                .ok_or_else(|| {
                    Problem::invalid_field(
                        HEADER,
                        "format",
                        Text::fixed(
                            "Idempotency-Key must be 1–255 visible ASCII characters (a UUID is \
                             ideal)",
                            "Idempotency-Key 须为 1–255 个可见 ASCII 字符（最好用 UUID）",
                        ),
                    )
                }),
        };
        std::future::ready(result)
    }
}

/// Fingerprint of what was asked: the route and the request body as parsed, so formatting
/// differences do not count as a different request.
pub fn fingerprint(route: &str, body: &serde_json::Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.to_string().as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whose key it is: the subject with the role and region of the token, since one name
/// may hold tokens for several regions and a replay must never cross them.
pub fn scope_of(actor: &crate::audit::Actor) -> String {
    format!("{}|{}|{}", actor.subject, actor.role, actor.region)
}

/// A stored first answer.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

pub enum Lookup {
    /// Not seen (or expired): do the work, then [`store`] the answer.
    New,
    Replay(StoredResponse),
    /// Same key, different request.
    Mismatch,
    /// Same key and request, claimed by a long request that has not finished ([`claim`]).
    InProgress,
}

/// Status stored for a key claimed by a request whose work spans many transactions.
const IN_PROGRESS: i32 = 0;

/// A claim older than this is taken to be from a process that died mid-request.
pub const ABANDONED_AFTER_MINUTES: i64 = 60;

/// Looks the key up inside the write transaction. On PostgreSQL it also takes a transaction
/// lock on the key, so two concurrent requests with one key run one after the other and the
/// second sees the first's answer.
pub fn lookup(
    conn: &mut DbConnection,
    actor: &str,
    key: &IdempotencyKey,
    request_hash: &str,
) -> QueryResult<Lookup> {
    if let DbConnection::Postgresql(pg) = conn {
        let lock_id = lock_id(actor, key);
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({lock_id})"))?;
    }
    let cutoff = expiry_cutoff();
    let row: Option<(String, i32, String, Option<String>, NaiveDateTime)> = idempotency_keys::table
        .filter(idempotency_keys::actor.eq(actor))
        .filter(idempotency_keys::idempotency_key.eq(key.as_str()))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
            idempotency_keys::response_location,
            idempotency_keys::created_at,
        ))
        .first(conn)
        .optional()?;
    let abandoned =
        (chrono::Utc::now() - chrono::Duration::minutes(ABANDONED_AFTER_MINUTES)).naive_utc();
    Ok(match row {
        None => Lookup::New,
        Some((_, status, _, _, created))
            if created < cutoff || (status == IN_PROGRESS && created < abandoned) =>
        {
            diesel::delete(
                idempotency_keys::table
                    .filter(idempotency_keys::actor.eq(actor))
                    .filter(idempotency_keys::idempotency_key.eq(key.as_str())),
            )
            .execute(conn)?;
            Lookup::New
        }
        Some((hash, _, _, _, _)) if hash != request_hash => Lookup::Mismatch,
        Some((_, IN_PROGRESS, _, _, _)) => Lookup::InProgress,
        Some((_, status, body, location, _)) => Lookup::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(200),
            body,
            location,
        }),
    })
}

pub fn store(
    conn: &mut DbConnection,
    actor: &str,
    key: &IdempotencyKey,
    route: &str,
    request_hash: &str,
    response: &StoredResponse,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::actor.eq(actor),
            idempotency_keys::idempotency_key.eq(key.as_str()),
            idempotency_keys::route.eq(route),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::response_status.eq(i32::from(response.status)),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::response_location.eq(response.location.as_deref()),
            idempotency_keys::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes expired keys; returns how many.
pub fn purge_expired(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(expiry_cutoff())))
        .execute(conn)
}

fn expiry_cutoff() -> NaiveDateTime {
    (chrono::Utc::now() - chrono::Duration::hours(RETENTION_HOURS)).naive_utc()
}

fn lock_id(actor: &str, key: &IdempotencyKey) -> i64 {
    let digest = Sha256::digest(format!("{actor}\n{}", key.as_str()).as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Names one claim, so only the request that made it answers or releases it (a claim taken
/// over as abandoned belongs to the request that took it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken(String);

/// What [`claim`] found.
pub enum Claim {
    /// The key is now held by this request: do the work, then [`complete`] or [`release`].
    Claimed(ClaimToken),
    Replay(StoredResponse),
    Mismatch,
    InProgress,
}

/// For a request whose work spans many transactions (a bulk import): claims the key in a
/// transaction of its own, so a concurrent or retried request with the same key waits for
/// the first answer instead of doing the work twice.
pub fn claim(
    conn: &mut DbConnection,
    actor: &str,
    key: &IdempotencyKey,
    route: &str,
    request_hash: &str,
) -> QueryResult<Claim> {
    conn.transaction(|conn| {
        Ok(match lookup(conn, actor, key, request_hash)? {
            Lookup::New => {
                // While in progress the body column holds the claim's token.
                let token = ClaimToken(format!("claim:{}", uuid::Uuid::new_v4()));
                let claimed = StoredResponse {
                    status: 0,
                    body: token.0.clone(),
                    location: None,
                };
                store(conn, actor, key, route, request_hash, &claimed)?;
                Claim::Claimed(token)
            }
            Lookup::Replay(stored) => Claim::Replay(stored),
            Lookup::Mismatch => Claim::Mismatch,
            Lookup::InProgress => Claim::InProgress,
        })
    })
}

/// Records the answer to a claimed key; call in the transaction that finishes the work.
/// Returns false when the claim is no longer this request's (taken over as abandoned).
pub fn complete(
    conn: &mut DbConnection,
    actor: &str,
    key: &IdempotencyKey,
    token: &ClaimToken,
    response: &StoredResponse,
) -> QueryResult<bool> {
    let updated = diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::actor.eq(actor))
            .filter(idempotency_keys::idempotency_key.eq(key.as_str()))
            .filter(idempotency_keys::response_status.eq(IN_PROGRESS))
            .filter(idempotency_keys::response_body.eq(&token.0)),
    )
    .set((
        idempotency_keys::response_status.eq(i32::from(response.status)),
        idempotency_keys::response_body.eq(&response.body),
        idempotency_keys::response_location.eq(response.location.as_deref()),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Gives a claimed key up after the work failed, so the request can be retried.
pub fn release(
    conn: &mut DbConnection,
    actor: &str,
    key: &IdempotencyKey,
    token: &ClaimToken,
) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::actor.eq(actor))
            .filter(idempotency_keys::idempotency_key.eq(key.as_str()))
            .filter(idempotency_keys::response_status.eq(IN_PROGRESS))
            .filter(idempotency_keys::response_body.eq(&token.0)),
    )
    .execute(conn)?;
    Ok(())
}

/// 409 for a key whose first request is still being worked on.
pub fn in_progress_problem() -> Problem {
    Problem::conflict(Text::fixed(
        "a request with this Idempotency-Key is still being processed; ask again when it has \
         finished",
        "使用此 Idempotency-Key 的请求仍在处理中；请在其完成后再次请求",
    ))
    .with_retry_after(1)
}

/// The stored answer as an HTTP response.
pub fn replay_response(response: &StoredResponse) -> actix_web::HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(response.status)
        .unwrap_or(actix_web::http::StatusCode::OK);
    let mut builder = actix_web::HttpResponse::build(status);
    builder.content_type("application/json");
    if let Some(location) = &response.location {
        builder.insert_header((actix_web::http::header::LOCATION, location.as_str()));
    }
    builder.body(response.body.clone())
}

/// 422 for a key reused with another request.
pub fn mismatch_problem() -> Problem {
    Problem::unprocessable(Text::fixed(
        "this Idempotency-Key was already used with a different request; use a new key for a \
         new request",
        "此 Idempotency-Key 已用于另一个不同的请求；新请求请使用新的键",
    ))
}

/// What a creating handler produced: status, JSON body, and the new resource's path.
pub struct Created {
    pub status: actix_web::http::StatusCode,
    pub body: serde_json::Value,
    pub location: Option<String>,
}

/// Runs a creating write in one transaction, honouring `Idempotency-Key`: the first answer is
/// stored with the write itself (both land or neither), a replay gets it back unchanged, and
/// the key reused for another request is a 422.
pub async fn create_once<E, F>(
    db: &crate::db::Db,
    actor: crate::audit::Actor,
    key: Option<IdempotencyKey>,
    route: String,
    request: serde_json::Value,
    work: F,
) -> Result<actix_web::HttpResponse, E>
where
    F: FnOnce(&mut DbConnection, &crate::audit::Actor) -> Result<Created, E> + Send + 'static,
    E: From<crate::db::DbError> + From<diesel::result::Error> + From<Problem> + Send + 'static,
{
    let response = db
        .write(move |conn| {
            let Some(key) = key else {
                let created = work(conn, &actor)?;
                return Ok(StoredResponse {
                    status: created.status.as_u16(),
                    body: created.body.to_string(),
                    location: created.location,
                });
            };
            let request_hash = fingerprint(&route, &request);
            let scope = scope_of(&actor);
            match lookup(conn, &scope, &key, &request_hash)? {
                Lookup::Replay(stored) => Ok(stored),
                Lookup::Mismatch => Err(E::from(mismatch_problem())),
                Lookup::InProgress => Err(E::from(in_progress_problem())),
                Lookup::New => {
                    let created = work(conn, &actor)?;
                    let stored = StoredResponse {
                        status: created.status.as_u16(),
                        body: created.body.to_string(),
                        location: created.location,
                    };
                    store(conn, &scope, &key, &route, &request_hash, &stored)?;
                    Ok(stored)
                }
            }
        })
        .await?;
    Ok(replay_response(&response))
}
