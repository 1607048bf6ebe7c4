//! The append-only audit log: every write, with its actor, request id, reason and the record
//! before and after. Each entry's hash covers its content and the previous entry's hash, so
//! editing or deleting any entry breaks the chain from there on, and [`verify_chain`] finds it.
//!
//! Each service has its own `audit_log` table, made by the shared migrations (`shared/migrations`)
//! that every service runs.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::{DbConnection, DbError};
use crate::i18n::Text;
use crate::problem::Problem;
use crate::telemetry::RequestId;

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_role -> Text,
        actor_region -> Text,
        request_id -> Text,
        entity_type -> Text,
        entity_key -> Text,
        action -> Text,
        reason -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Serialises appends across replicas on PostgreSQL (SQLite writers already take turns).
const CHAIN_LOCK_KEY: i64 = 0x4854_455f_4155_4454; // "HTE_AUDT"

/// Who did it: the authenticated caller and the request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub role: String,
    pub region: String,
    pub request_id: String,
}

impl Actor {
    pub fn new(caller: &Caller, request_id: &RequestId) -> Self {
        Self {
            subject: caller.subject.clone(),
            role: caller.role.key().to_owned(),
            region: caller.region.to_string(),
            request_id: request_id.as_str().to_owned(),
        }
    }

    /// For writes the system makes itself (demo data, scheduled jobs).
    pub fn system(name: &str) -> Self {
        Self {
            subject: format!("system:{name}"),
            role: "system".to_owned(),
            region: crate::regions::PROVINCE_CODE.to_string(),
            request_id: RequestId::generate().0,
        }
    }
}

/// One change to record.
pub struct Change<'a> {
    pub entity_type: &'a str,
    /// The key the change is filed under (the enterprise's credit code for all its records).
    pub entity_key: &'a str,
    pub action: &'a str,
    pub reason: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor: String,
    pub actor_role: String,
    pub actor_region: String,
    pub request_id: String,
    pub entity_type: String,
    pub entity_key: String,
    pub action: String,
    pub reason: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// One entry of a history (历史记录), as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the service's audit log.
    pub id: i64,
    /// When (UTC).
    #[serde(with = "crate::time::utc")]
    pub occurred_at: NaiveDateTime,
    /// Who (token subject).
    pub actor: String,
    pub actor_role: String,
    pub actor_region: String,
    /// The request that made the change (X-Request-Id).
    pub request_id: String,
    /// What kind of record: enterprise, annual_report, pool_entry, certificate, label.
    pub entity_type: String,
    pub entity_key: String,
    /// What was done: create, update, replace, deregister, exit, revoke, …
    pub action: String,
    /// Why (理由), when the action requires one.
    pub reason: Option<String>,
    /// The record before the change (absent on creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// SHA-256 over this entry and the previous entry's hash.
    pub hash: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = diesel::result::Error;

    /// A record kept in the log that no longer reads as JSON is a damaged entry: an error,
    /// never an entry shown without it.
    fn try_from(row: AuditRow) -> QueryResult<Self> {
        let parse = |what: &str, text: Option<String>| {
            text.map(|t| crate::stored::parse(what, &t)).transpose()
        };
        Ok(Self {
            id: row.id,
            occurred_at: row.occurred_at,
            actor: row.actor,
            actor_role: row.actor_role,
            actor_region: row.actor_region,
            request_id: row.request_id,
            entity_type: row.entity_type,
            entity_key: row.entity_key,
            action: row.action,
            reason: row.reason,
            before: parse("audit record before", row.before_json)?,
            after: parse("audit record after", row.after_json)?,
            hash: row.hash,
        })
    }
}

struct HashInput<'a> {
    occurred_at: &'a NaiveDateTime,
    actor: &'a str,
    actor_role: &'a str,
    actor_region: &'a str,
    request_id: &'a str,
    entity_type: &'a str,
    entity_key: &'a str,
    action: &'a str,
    reason: Option<&'a str>,
    before_json: Option<&'a str>,
    after_json: Option<&'a str>,
    prev_hash: &'a str,
}

fn entry_hash(input: &HashInput<'_>) -> String {
    let mut hasher = Sha256::new();
    let timestamp = input
        .occurred_at
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let fields: [Option<&str>; 12] = [
        Some(&timestamp),
        Some(input.actor),
        Some(input.actor_role),
        Some(input.actor_region),
        Some(input.request_id),
        Some(input.entity_type),
        Some(input.entity_key),
        Some(input.action),
        input.reason,
        input.before_json,
        input.after_json,
        Some(input.prev_hash),
    ];
    // Length-prefixed so no two different entries serialise to the same bytes.
    for field in fields {
        match field {
            None => hasher.update(b"-;"),
            Some(value) => {
                hasher.update(value.len().to_string().as_bytes());
                hasher.update(b":");
                hasher.update(value.as_bytes());
                hasher.update(b";");
            }
        }
    }
    hex(&hasher.finalize())
}

/// Lower-case hex, as `{:02x}` per byte would give, without a formatter call per byte (this
/// runs for every audited row of an import).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

fn row_hash(row: &AuditRow) -> String {
    entry_hash(&HashInput {
        occurred_at: &row.occurred_at,
        actor: &row.actor,
        actor_role: &row.actor_role,
        actor_region: &row.actor_region,
        request_id: &row.request_id,
        entity_type: &row.entity_type,
        entity_key: &row.entity_key,
        action: &row.action,
        reason: row.reason.as_deref(),
        before_json: row.before_json.as_deref(),
        after_json: row.after_json.as_deref(),
        prev_hash: &row.prev_hash,
    })
}

/// Appends one entry. Call inside the transaction of the write it records, so the write and
/// its audit entry land together or not at all.
pub fn append(conn: &mut DbConnection, actor: &Actor, change: Change<'_>) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY})"))?;
    }
    let prev_hash: String = audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::hash)
        .first(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_owned());
    // Microseconds: what both backends store exactly, so the hash verifies after a round trip.
    let occurred_at = crate::time::now();
    let before_json = change.before.as_ref().map(ToString::to_string);
    let after_json = change.after.as_ref().map(ToString::to_string);
    let hash = entry_hash(&HashInput {
        occurred_at: &occurred_at,
        actor: &actor.subject,
        actor_role: &actor.role,
        actor_region: &actor.region,
        request_id: &actor.request_id,
        entity_type: change.entity_type,
        entity_key: change.entity_key,
        action: change.action,
        reason: change.reason,
        before_json: before_json.as_deref(),
        after_json: after_json.as_deref(),
        prev_hash: &prev_hash,
    });
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::occurred_at.eq(occurred_at),
            audit_log::actor.eq(&actor.subject),
            audit_log::actor_role.eq(&actor.role),
            audit_log::actor_region.eq(&actor.region),
            audit_log::request_id.eq(&actor.request_id),
            audit_log::entity_type.eq(change.entity_type),
            audit_log::entity_key.eq(change.entity_key),
            audit_log::action.eq(change.action),
            audit_log::reason.eq(change.reason),
            audit_log::before_json.eq(before_json),
            audit_log::after_json.eq(after_json),
            audit_log::prev_hash.eq(&prev_hash),
            audit_log::hash.eq(&hash),
        ))
        .execute(conn)?;
    Ok(())
}

/// Entries filed under `entity_key`, oldest first, after entry id `after`.
pub fn history(
    conn: &mut DbConnection,
    entity_key: &str,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = audit_log::table
        .filter(audit_log::entity_key.eq(entity_key))
        .filter(audit_log::id.gt(after.unwrap_or(0)))
        .order(audit_log::id.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?;
    rows.into_iter().map(AuditEntry::try_from).collect()
}

/// Result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChainReport {
    /// True when every entry's hash matches its content and links to its predecessor.
    pub valid: bool,
    /// Entries checked.
    pub entries_checked: u64,
    /// The first entry that fails, when one does.
    pub first_invalid_id: Option<i64>,
    /// What is wrong with it.
    pub problem: Option<String>,
    /// Hash of the last entry: keep it outside the system to detect truncation later.
    pub head_hash: String,
}

/// Re-computes every hash in order, reading in batches so a long log is never held in memory.
pub fn verify_chain(conn: &mut DbConnection) -> QueryResult<ChainReport> {
    const BATCH: i64 = 1000;
    let mut expected_prev = GENESIS.to_owned();
    let mut last_id = 0i64;
    let mut checked = 0u64;
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::id.gt(last_id))
            .order(audit_log::id.asc())
            .limit(BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(ChainReport {
                valid: true,
                entries_checked: checked,
                first_invalid_id: None,
                problem: None,
                head_hash: expected_prev,
            });
        }
        for row in rows {
            checked += 1;
            let problem = if row.prev_hash != expected_prev {
                Some("does not link to the previous entry (an entry was removed or reordered)")
            } else if row_hash(&row) != row.hash {
                Some("its content does not match its hash (the entry was altered)")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Ok(ChainReport {
                    valid: false,
                    entries_checked: checked,
                    first_invalid_id: Some(row.id),
                    problem: Some(problem.to_owned()),
                    head_hash: expected_prev,
                });
            }
            last_id = row.id;
            expected_prev = row.hash;
        }
    }
}

/// Appends many entries cheaply: entries are collected as the rows they record are written,
/// then chained and inserted in one go by [`ChainWriter::flush`], which takes the chain lock
/// only then, after the rows: the same order as [`append`], so the two never deadlock.
#[derive(Default)]
pub struct ChainWriter {
    pending: Vec<PendingEntry>,
}

struct PendingEntry {
    occurred_at: NaiveDateTime,
    actor: Actor,
    entity_type: String,
    entity_key: String,
    action: String,
    reason: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
}

impl ChainWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, actor: &Actor, change: Change<'_>) {
        self.pending.push(PendingEntry {
            occurred_at: crate::time::now(),
            actor: actor.clone(),
            entity_type: change.entity_type.to_owned(),
            entity_key: change.entity_key.to_owned(),
            action: change.action.to_owned(),
            reason: change.reason.map(str::to_owned),
            before_json: change.before.as_ref().map(ToString::to_string),
            after_json: change.after.as_ref().map(ToString::to_string),
        });
    }

    /// Chains the pending entries to the current head and writes them, in order.
    pub fn flush(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let DbConnection::Postgresql(pg) = conn {
            pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY})"))?;
        }
        let mut prev_hash: String = audit_log::table
            .order(audit_log::id.desc())
            .select(audit_log::hash)
            .first(conn)
            .optional()?
            .unwrap_or_else(|| GENESIS.to_owned());
        let mut chained = Vec::with_capacity(self.pending.len());
        for e in self.pending.drain(..) {
            let hash = entry_hash(&HashInput {
                occurred_at: &e.occurred_at,
                actor: &e.actor.subject,
                actor_role: &e.actor.role,
                actor_region: &e.actor.region,
                request_id: &e.actor.request_id,
                entity_type: &e.entity_type,
                entity_key: &e.entity_key,
                action: &e.action,
                reason: e.reason.as_deref(),
                before_json: e.before_json.as_deref(),
                after_json: e.after_json.as_deref(),
                prev_hash: &prev_hash,
            });
            let prev = std::mem::replace(&mut prev_hash, hash.clone());
            chained.push((e, prev, hash));
        }
        let rows: Vec<_> = chained
            .iter()
            .map(|(e, prev, hash)| {
                (
                    audit_log::occurred_at.eq(e.occurred_at),
                    audit_log::actor.eq(&e.actor.subject),
                    audit_log::actor_role.eq(&e.actor.role),
                    audit_log::actor_region.eq(&e.actor.region),
                    audit_log::request_id.eq(&e.actor.request_id),
                    audit_log::entity_type.eq(&e.entity_type),
                    audit_log::entity_key.eq(&e.entity_key),
                    audit_log::action.eq(&e.action),
                    audit_log::reason.eq(e.reason.as_deref()),
                    audit_log::before_json.eq(e.before_json.as_deref()),
                    audit_log::after_json.eq(e.after_json.as_deref()),
                    audit_log::prev_hash.eq(prev),
                    audit_log::hash.eq(hash),
                )
            })
            .collect();
        // Backend-specific in diesel, so through the concrete connection. PostgreSQL takes the
        // entries as one binary COPY, whose rows get their ids in order: the chain order.
        match conn {
            DbConnection::Postgresql(pg) => {
                diesel::copy_from(audit_log::table)
                    .from_insertable(rows)
                    .execute(pg)?;
            }
            DbConnection::Sqlite(sqlite) => {
                for chunk in rows.chunks(200) {
                    diesel::insert_into(audit_log::table)
                        .values(chunk)
                        .execute(sqlite)?;
                }
            }
        }
        Ok(())
    }
}

/// 403 unless the caller may check the chain: auditors and the province.
pub fn require_verifier(caller: &Caller) -> Result<(), Problem> {
    if matches!(caller.role, Role::Auditor | Role::Province) {
        Ok(())
    } else {
        Err(Problem::forbidden(Text::fixed(
            "only auditors and the province may verify the audit log",
            "仅审计人员与省级用户可核验审计日志",
        )))
    }
}

/// The verification route, written once. The published documents word it two ways (the
/// registry's and monitoring's without Chinese labels, allocation's with them) and the
/// contracts stay as published, so the wording is the macro's only input.
macro_rules! verification_route {
    ($(#[$doc:meta])* $wording:ident, $answer:literal) => {
        pub mod $wording {
            use actix_web::get;

            use super::{Caller, ChainReport, Problem, checked_chain};

            $(#[$doc])*
            #[utoipa::path(
                tag = "audit",
                responses((status = 200, description = $answer, body = ChainReport))
            )]
            #[get("/audit/verification")]
            pub async fn verify_audit_chain(
                db: actix_web::web::Data<crate::db::Db>,
                caller: Caller,
            ) -> Result<actix_web::HttpResponse, Problem> {
                Ok(actix_web::HttpResponse::Ok().json(checked_chain(&db, &caller).await?))
            }
        }
    };
}

verification_route! {
    /// Re-computes every audit entry's hash and link (审计核验). `valid: false` names the first
    /// entry that was altered, removed or reordered. For auditors and the province. Any service
    /// with an audit chain registers this handler.
    labelled, "Result of the check (核验结果)"
}

verification_route! {
    /// Re-computes every audit entry's hash and link. `valid: false` names the first entry that
    /// was altered, removed or reordered. For auditors and the province.
    unlabelled, "Result of the check"
}

pub use labelled::verify_audit_chain;

/// The chain's check for a caller who may make it (403 otherwise): what every service's
/// verification route answers.
pub async fn checked_chain(db: &crate::db::Db, caller: &Caller) -> Result<ChainReport, Problem> {
    require_verifier(caller)?;
    db.read(|conn| verify_chain(conn).map_err(|e| Problem::from(DbError::Query(e))))
        .await
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_matches_the_formatter_for_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&bytes), expected);
    }
}
