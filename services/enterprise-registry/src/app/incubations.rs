//! Incubations (在孵记录): an enterprise incubated by a carrier, from a date, until it
//! graduated or left. Recorded by whoever may write the enterprise; audited.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::Problem;
use hte_shared::text;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::enterprises::{check_within_existence, load_writable};
use super::{AuditTrail, pages};
use crate::db::carriers as carrier_queries;
use crate::db::incubations::{self as queries, IncubationRow};
use crate::domain::carriers::CarrierId;
use crate::domain::credit_code::CreditCode;
use crate::error::{RegistryError, to_json};

/// An incubation (在孵记录).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncubationView {
    pub credit_code: String,
    /// The carrier (孵化载体).
    #[schema(example = "kunshan-sci-incubator")]
    pub carrier_id: String,
    /// First day of incubation (入孵日期).
    pub started_on: NaiveDate,
    /// Graduation or leaving (毕业/离孵日期); absent while incubating.
    pub ended_on: Option<NaiveDate>,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A new incubation, already valid on its own.
#[derive(Debug, Clone)]
pub struct Incubation {
    pub carrier: CarrierId,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

pub fn view_of(row: &IncubationRow) -> IncubationView {
    IncubationView {
        credit_code: row.credit_code.clone(),
        carrier_id: row.carrier_id.clone(),
        started_on: row.started_on,
        ended_on: row.ended_on,
        created_at: row.created_at,
    }
}

/// Records that a carrier incubated an enterprise the caller may write. The carrier may lie
/// in any region (firms move); the dates must fall within the enterprise's existence.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    incubation: &Incubation,
) -> Result<IncubationView, RegistryError> {
    let enterprise = load_writable(conn, caller, code)?;
    let carrier = incubation.carrier.as_str();
    if carrier_queries::find(conn, carrier)?.is_none() {
        return Err(Problem::invalid_field(
            "carrier_id",
            "known_carrier",
            text!("no carrier {carrier}", "没有编号为 {carrier} 的载体"),
        )
        .into());
    }
    check_within_existence("started_on", incubation.started_on, &enterprise)?;
    let span = (incubation.started_on, incubation.ended_on);
    if queries::overlapping(conn, (code.as_str(), carrier), span.0, span.1)? > 0 {
        return Err(Problem::conflict(text!(
            "an incubation of this enterprise by {carrier} already covers part of this period",
            "该企业在 {carrier} 的在孵记录已覆盖此期间的一部分"
        ))
        .into());
    }
    let row = IncubationRow {
        credit_code: code.to_string(),
        carrier_id: carrier.to_owned(),
        started_on: span.0,
        ended_on: span.1,
        created_at: now(),
    };
    queries::insert(conn, &row)?;
    let view = view_of(&row);
    let key = ("incubation", row.credit_code.as_str());
    AuditTrail::Append(actor).changed(conn, key, ("create", None), None, to_json(&view)?)?;
    Ok(view)
}

/// A page of a visible enterprise's incubations, oldest first, by start and carrier (the
/// cursor's key).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    page: &PageRequest<(NaiveDate, String)>,
) -> Result<Page<IncubationView>, RegistryError> {
    let key = |r: &IncubationRow| (r.started_on, r.carrier_id.clone());
    let rows = queries::page_of_enterprise;
    pages::of_enterprise(conn, (caller, code), page, rows, (key, |r| Ok(view_of(r))))
}
