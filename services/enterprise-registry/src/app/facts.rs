//! What pool entries, certificates and labels share: facts of an enterprise, each created
//! once, ended by an explicit action with a reason or restated by an import, never deleted,
//! and every change audited as the fact's view.

use diesel::QueryResult;
use hte_shared::audit::Actor;
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;
use serde::Serialize;

use super::AuditTrail;
use crate::domain::dates::Ending;
use crate::error::{RegistryError, to_json};

/// A stored fact of one kind, with its view and its writes.
pub trait Fact: Sized {
    type View: Serialize;
    /// The audit log's name of the kind.
    const ENTITY: &'static str;
    fn credit_code(&self) -> &str;
    fn view(&self) -> Result<Self::View, RegistryError>;
    fn insert(conn: &mut DbConnection, row: &Self) -> QueryResult<()>;
    fn insert_all(conn: &mut DbConnection, rows: &[Self]) -> QueryResult<()>;
    /// Records the end (exit, revocation) unless one was recorded meanwhile; false then.
    fn record_end(conn: &mut DbConnection, row: &Self) -> QueryResult<bool>;
    /// Replaces the stored fact with what an import restates.
    fn update(conn: &mut DbConnection, row: &Self) -> QueryResult<()>;
    /// This fact with `ending` recorded as its end.
    fn ended(&self, ending: &Ending) -> Self;
}

/// Audits a change to a fact, recorded as its view before and after.
pub fn record_change<F: Fact>(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    (action, reason): (&str, Option<&str>),
    before: Option<&F>,
    after: &F,
) -> Result<(), RegistryError> {
    let before = before.map(|b| to_json(&b.view()?)).transpose()?;
    let key = (F::ENTITY, after.credit_code());
    trail.changed(
        conn,
        key,
        (action, reason),
        before,
        to_json(&after.view()?)?,
    )?;
    Ok(())
}

/// Stores a new fact and audits it.
pub fn create<F: Fact>(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &F,
) -> Result<F::View, RegistryError> {
    F::insert(conn, row)?;
    record_change(
        conn,
        &mut AuditTrail::Append(actor),
        ("create", None),
        None,
        row,
    )?;
    row.view()
}

/// Records the end of a fact, checked by the caller, and audits it as `action` with its
/// reason; a conflict when another end was recorded meanwhile.
pub fn end<F: Fact>(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &F,
    (action, ending): (&str, &Ending),
    concurrently: hte_shared::i18n::Text,
) -> Result<F::View, RegistryError> {
    let after = before.ended(ending);
    if !F::record_end(conn, &after)? {
        return Err(Problem::conflict(concurrently).into());
    }
    let mut trail = AuditTrail::Append(actor);
    let action = (action, Some(ending.reason.as_str()));
    record_change(conn, &mut trail, action, Some(before), &after)?;
    after.view()
}

/// Replaces a stored fact with what an import restates, and audits it.
pub fn restate<F: Fact>(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    (before, after): (&F, &F),
    reason: &str,
) -> Result<(), RegistryError> {
    F::update(conn, after)?;
    record_change(conn, trail, ("update", Some(reason)), Some(before), after)
}

/// Implements [`Fact`] for a row type over the queries of its `db` module, which end a fact
/// with `record_end` in the columns `on` and `reason`, and whose view `view` gives.
macro_rules! impl_fact {
    (
        $row:ty,
        $view:ty,
        $entity:literal,
        $queries:ident :: $record_end:ident ($on:ident, $reason:ident),
        $make_view:expr
    ) => {
        impl $crate::app::facts::Fact for $row {
            type View = $view;
            const ENTITY: &'static str = $entity;

            fn credit_code(&self) -> &str {
                &self.credit_code
            }

            fn view(&self) -> Result<$view, $crate::error::RegistryError> {
                $make_view(self)
            }

            fn insert(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<()> {
                $queries::insert(conn, row)
            }

            fn insert_all(conn: &mut DbConnection, rows: &[Self]) -> diesel::QueryResult<()> {
                $queries::insert_all(conn, rows)
            }

            fn record_end(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<bool> {
                $queries::$record_end(conn, row)
            }

            fn update(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<()> {
                $queries::update(conn, row)
            }

            fn ended(&self, ending: &$crate::domain::dates::Ending) -> Self {
                Self {
                    $on: Some(ending.on),
                    $reason: Some(ending.reason.clone()),
                    ..self.clone()
                }
            }
        }
    };
}
pub(crate) use impl_fact;
