//! Innovation carriers (创新创业载体): who may see and change which (by the carrier's county,
//! as for enterprises), the one write path of each change, and the view every reader gets.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::problem::Problem;
use hte_shared::regions::RegionCode;
use hte_shared::text;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::collections::BTreeMap;

use super::{AuditTrail, zones};
use crate::db::carriers::{self as queries, CarrierFilter, CarrierRow};
use crate::db::incubations;
use crate::domain::carrier_performance::{self, Performance};
use crate::domain::carriers::{CarrierFields, CarrierId, CarrierKind, CarrierLevel, CarrierPatch};
use crate::domain::credit_code::CreditCode;
use crate::domain::enterprise::{CountyCode, EnterpriseName};
use crate::domain::zones::ZoneId;
use crate::error::{RegistryError, stored, to_json};

/// An innovation carrier (创新创业载体).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CarrierView {
    /// Carrier id (载体编号).
    #[schema(example = "kunshan-sci-incubator")]
    pub id: String,
    /// Name (载体名称).
    #[schema(example = "昆山市科技创业孵化器")]
    pub name: String,
    /// Kind (载体类型).
    pub kind: CarrierKind,
    /// Kind in Chinese (载体类型名称), e.g. 孵化器.
    #[schema(example = "孵化器")]
    pub kind_label: String,
    /// Recognition level (认定级别).
    pub level: CarrierLevel,
    /// County-level division (所在县区).
    #[schema(example = "320583")]
    pub region_code: String,
    /// Prefecture-level city (设区市) of region_code; read-only.
    #[schema(example = "320500")]
    pub city_code: String,
    /// High-tech zone (所在高新区) it lies in.
    #[schema(example = "kunshan-hz")]
    pub zone_id: Option<String>,
    /// Operator's unified social credit code (运营主体统一社会信用代码).
    pub operator_credit_code: String,
    /// Year of recognition (认定年份).
    pub recognition_year: i32,
    /// Version; the ETag is `"v<version>"`.
    pub version: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub updated_at: NaiveDateTime,
}

pub fn view_of(row: &CarrierRow) -> Result<CarrierView, RegistryError> {
    let kind = stored("carriers.kind", &row.kind, CarrierKind::from_key)?;
    Ok(CarrierView {
        id: row.id.clone(),
        name: row.name.clone(),
        kind,
        kind_label: kind.name_zh().to_owned(),
        level: stored("carriers.level", &row.level, CarrierLevel::from_key)?,
        region_code: row.region_code.clone(),
        city_code: row.city_code.clone(),
        zone_id: row.zone_id.clone(),
        operator_credit_code: row.operator_credit_code.clone(),
        recognition_year: row.recognition_year,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn stored_fields(row: &CarrierRow) -> Result<CarrierFields, RegistryError> {
    let damaged = |column: &str, e: &dyn std::fmt::Display| {
        RegistryError::internal(
            "stored carrier does not parse",
            format!("{} {column}: {e}", row.id),
        )
    };
    Ok(CarrierFields {
        name: EnterpriseName::parse(&row.name).map_err(|e| damaged("name", &e))?,
        kind: stored("carriers.kind", &row.kind, CarrierKind::from_key)?,
        level: stored("carriers.level", &row.level, CarrierLevel::from_key)?,
        county: CountyCode::parse(&row.region_code).map_err(|(_, e)| damaged("region_code", &e))?,
        zone_id: row
            .zone_id
            .as_deref()
            .map(ZoneId::parse)
            .transpose()
            .map_err(|e| damaged("zone_id", &e.message))?,
        operator: CreditCode::parse(&row.operator_credit_code)
            .map_err(|e| damaged("operator_credit_code", &e))?,
        recognition_year: row.recognition_year,
    })
}

fn row_of(id: &str, fields: &CarrierFields, previous: Option<&CarrierRow>) -> CarrierRow {
    let now = now();
    CarrierRow {
        id: id.to_owned(),
        name: fields.name.as_str().to_owned(),
        kind: fields.kind.key().to_owned(),
        level: fields.level.key().to_owned(),
        region_code: fields.county.code().to_string(),
        city_code: fields.county.city().to_string(),
        zone_id: fields.zone_id.as_ref().map(|z| z.as_str().to_owned()),
        operator_credit_code: fields.operator.to_string(),
        recognition_year: fields.recognition_year,
        version: previous.map_or(1, |p| p.version + 1),
        created_at: previous.map_or(now, |p| p.created_at),
        updated_at: now,
    }
}

fn stored_region(row: &CarrierRow) -> Result<RegionCode, RegistryError> {
    RegionCode::parse(&row.region_code).map_err(|e| {
        RegistryError::internal(
            "stored carrier region does not parse",
            format!("{}: {e}", row.id),
        )
    })
}

fn not_found(id: &str) -> Problem {
    Problem::not_found(text!(
        "no carrier {id} in your region",
        "您的地区内没有编号为 {id} 的载体"
    ))
}

/// The carrier, if it exists and the caller may see it; otherwise 404, so carriers outside
/// the caller's region are indistinguishable from absent ones.
pub fn load_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &CarrierId,
) -> Result<CarrierRow, RegistryError> {
    let row = queries::find(conn, id.as_str())?.ok_or_else(|| not_found(id.as_str()))?;
    if caller.may_read(&stored_region(&row)?) {
        Ok(row)
    } else {
        Err(not_found(id.as_str()).into())
    }
}

/// The zone a carrier names must be a recorded zone of its city.
fn check_zone(conn: &mut DbConnection, fields: &CarrierFields) -> Result<(), RegistryError> {
    match &fields.zone_id {
        None => Ok(()),
        Some(zone) => zones::check_zone_in_city(conn, zone, fields.county.city()),
    }
}

/// Records a carrier in a county the caller may write.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    (id, fields): &(CarrierId, CarrierFields),
) -> Result<CarrierView, RegistryError> {
    caller.require_write(&fields.county.code())?;
    if queries::find(conn, id.as_str())?.is_some() {
        return Err(super::id_taken(("carrier", "载体"), id.as_str()).into());
    }
    check_zone(conn, fields)?;
    let row = row_of(id.as_str(), fields, None);
    queries::insert(conn, &row)?;
    let view = view_of(&row)?;
    let key = ("carrier", row.id.as_str());
    AuditTrail::Append(actor).changed(conn, key, ("create", None), None, to_json(&view)?)?;
    Ok(view)
}

/// Changes a carrier the caller may write (before and after), over the version it read.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    (id, check_version): (&CarrierId, impl FnOnce(i32) -> Result<(), Problem>),
    patch: &CarrierPatch,
    today: NaiveDate,
) -> Result<CarrierView, RegistryError> {
    let before = load_visible(conn, caller, id)?;
    caller.require_write(&stored_region(&before)?)?;
    let current = stored_fields(&before)?;
    // A body that is not valid is a 400 whatever If-Match says (RFC 9110 §13.2.1: conditions
    // are evaluated only for a request that would otherwise succeed).
    let fields = patch.apply(&current, today)?;
    check_version(before.version)?;
    caller.require_write(&fields.county.code())?;
    if fields == current {
        return view_of(&before);
    }
    check_zone(conn, &fields)?;
    let after = row_of(id.as_str(), &fields, Some(&before));
    if !queries::update_if_version(conn, &after, before.version)? {
        return Err(super::changed_meanwhile().into());
    }
    let (before_view, after_view) = (view_of(&before)?, view_of(&after)?);
    let key = ("carrier", after.id.as_str());
    AuditTrail::Append(actor).changed(
        conn,
        key,
        ("update", None),
        Some(to_json(&before_view)?),
        to_json(&after_view)?,
    )?;
    Ok(after_view)
}

/// One page of carriers matching `filter` (already within the caller's region), by id.
pub fn list(
    conn: &mut DbConnection,
    filter: &CarrierFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CarrierView>, RegistryError> {
    queries::list(conn, filter, after, limit)?
        .iter()
        .map(view_of)
        .collect()
}

/// What a visible carrier achieved over `[from, to]` (see `domain::carrier_performance`).
pub fn performance(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &CarrierId,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Performance, RegistryError> {
    let carrier = load_visible(conn, caller, id)?;
    let mut starts: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
    for incubation in incubations::of_carrier(conn, &carrier.id)? {
        let overlaps = incubation.started_on <= to && incubation.ended_on.is_none_or(|e| e >= from);
        if overlaps {
            starts
                .entry(incubation.credit_code)
                .or_default()
                .push(incubation.started_on);
        }
    }
    let codes: Vec<String> = starts.keys().cloned().collect();
    let mut firms = super::carrier_ranking::facts_of_firms(conn, &codes)?;
    for (code, firm) in &mut firms {
        if let Some(starts) = starts.remove(code) {
            firm.incubated_from = starts;
        }
    }
    Ok(carrier_performance::performance(&firms, to))
}
