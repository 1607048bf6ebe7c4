//! Enterprises (企业): who may see and change which, the one write path of each change, and
//! the view every reader gets.

use chrono::{NaiveDate, NaiveDateTime};
use hte_shared::audit::{self, Actor, AuditEntry};
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::i18n::Text;
use hte_shared::problem::Problem;
use hte_shared::regions::RegionCode;
use hte_shared::text;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::collections::HashMap;

use super::{AuditTrail, zones};
use crate::db::enterprises::{self as queries, EnterpriseFacts, EnterpriseRow};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::Ending;
use crate::domain::enterprise::{
    CountyCode, EnterpriseFields, EnterpriseName, EnterprisePatch, IndustryCode, ListingStatus,
    ZoneLevel,
};
use crate::domain::listing::ListPage;
use crate::domain::status::{
    EnterpriseStatus, OutsideExistence, StatusFacts, outside_existence, status_on,
};
use crate::domain::tech_domain::TechDomain;
use crate::error::{RegistryError, stored, to_json};

/// An enterprise (企业) as the registry holds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnterpriseView {
    /// Unified social credit code (统一社会信用代码), GB 32100-2015.
    #[schema(example = "91320583MA1N2P3Q0J")]
    pub credit_code: String,
    /// Name (企业名称).
    #[schema(example = "昆山示例智能装备有限公司")]
    pub name: String,
    /// County-level division (所在县区), 6 digits.
    #[schema(example = "320583")]
    pub region_code: String,
    /// Prefecture-level city (设区市) of region_code; read-only.
    #[schema(example = "320500")]
    pub city_code: String,
    /// Date of registration (成立日期).
    pub registered_on: NaiveDate,
    /// Industry (国民经济行业分类, GB/T 4754-2017).
    #[schema(example = "C3491")]
    pub industry_code: String,
    /// Main technology domain (技术领域).
    pub tech_domain: Option<TechDomain>,
    /// High-tech zone level (高新区级别): the current level of the zone `zone_id` names.
    pub zone_level: ZoneLevel,
    /// High-tech zone (所在高新区): a zone id of `GET /api/v1/zones`, in the enterprise's city.
    #[schema(example = "kunshan-hz")]
    pub zone_id: Option<String>,
    /// Above designated size (规模以上).
    pub above_scale: bool,
    /// Carrier that incubated it (孵化载体).
    pub carrier_id: Option<String>,
    /// Listing status (上市状态).
    pub listing_status: ListingStatus,
    /// Programme status (状态) on `status_as_of`; derived, read-only.
    pub status: EnterpriseStatus,
    /// The date `status` refers to.
    pub status_as_of: NaiveDate,
    /// Deregistration date (注销日期), when deregistered.
    pub deregistered_on: Option<NaiveDate>,
    /// Why it was deregistered.
    pub deregistration_reason: Option<String>,
    /// Version; the ETag is `"v<version>"`.
    pub version: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub updated_at: chrono::NaiveDateTime,
}

/// The stored record as the audit log keeps it: the view without the derived status.
#[derive(Serialize)]
struct EnterpriseRecord<'a> {
    credit_code: &'a str,
    name: &'a str,
    region_code: &'a str,
    city_code: &'a str,
    registered_on: NaiveDate,
    industry_code: &'a str,
    tech_domain: Option<&'a str>,
    zone_level: &'a str,
    zone_id: Option<&'a str>,
    above_scale: bool,
    carrier_id: Option<&'a str>,
    listing_status: &'a str,
    deregistered_on: Option<NaiveDate>,
    deregistration_reason: Option<&'a str>,
    version: i32,
    #[serde(with = "hte_shared::time::utc")]
    created_at: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    updated_at: NaiveDateTime,
}

fn record_json(row: &EnterpriseRow) -> Result<serde_json::Value, RegistryError> {
    to_json(&EnterpriseRecord {
        credit_code: &row.credit_code,
        name: &row.name,
        region_code: &row.region_code,
        city_code: &row.city_code,
        registered_on: row.registered_on,
        industry_code: &row.industry_code,
        tech_domain: row.tech_domain.as_deref(),
        zone_level: &row.zone_level,
        zone_id: row.zone_id.as_deref(),
        above_scale: row.above_scale,
        carrier_id: row.carrier_id.as_deref(),
        listing_status: &row.listing_status,
        deregistered_on: row.deregistered_on,
        deregistration_reason: row.deregistration_reason.as_deref(),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The kinds an enterprise is classed by (technology domain, high-tech zone level, listing
/// status), parsed back from their stored keys.
fn stored_classes(
    row: &EnterpriseRow,
) -> Result<(Option<TechDomain>, ZoneLevel, ListingStatus), RegistryError> {
    let tech_domain = row
        .tech_domain
        .as_deref()
        .map(TechDomain::parse)
        .transpose()
        .map_err(|e| RegistryError::internal("stored tech_domain does not parse", e))?;
    let zone_level = stored("zone_level", &row.zone_level, ZoneLevel::from_key)?;
    let listing = stored(
        "listing_status",
        &row.listing_status,
        ListingStatus::from_key,
    )?;
    Ok((tech_domain, zone_level, listing))
}

/// The fields of a stored enterprise, parsed back into domain values.
pub fn stored_fields(row: &EnterpriseRow) -> Result<EnterpriseFields, RegistryError> {
    let damaged = |column: &str, e: &dyn std::fmt::Display| {
        RegistryError::internal(
            "stored enterprise does not parse",
            format!("{} {column}: {e}", row.credit_code),
        )
    };
    let credit_code =
        CreditCode::parse(&row.credit_code).map_err(|e| damaged("credit_code", &e))?;
    let name = EnterpriseName::parse(&row.name).map_err(|e| damaged("name", &e))?;
    let county =
        CountyCode::parse(&row.region_code).map_err(|(_, e)| damaged("region_code", &e))?;
    let industry_code =
        IndustryCode::parse(&row.industry_code).map_err(|e| damaged("industry_code", &e))?;
    let (tech_domain, zone_level, listing_status) = stored_classes(row)?;
    Ok(EnterpriseFields {
        credit_code,
        name,
        county,
        industry_code,
        tech_domain,
        zone_level,
        listing_status,
        registered_on: row.registered_on,
        zone_id: row.zone_id.clone(),
        above_scale: row.above_scale,
        carrier_id: row.carrier_id.clone(),
    })
}

/// The row for `fields`: a new record, or the next version of `previous`.
pub fn row_of(fields: &EnterpriseFields, previous: Option<&EnterpriseRow>) -> EnterpriseRow {
    let now = now();
    EnterpriseRow {
        credit_code: fields.credit_code.to_string(),
        name: fields.name.as_str().to_owned(),
        region_code: fields.county.code().to_string(),
        city_code: fields.county.city().to_string(),
        registered_on: fields.registered_on,
        industry_code: fields.industry_code.as_str().to_owned(),
        tech_domain: fields.tech_domain.map(|d| d.key().to_owned()),
        zone_level: fields.zone_level.key().to_owned(),
        zone_id: fields.zone_id.clone(),
        above_scale: fields.above_scale,
        carrier_id: fields.carrier_id.clone(),
        listing_status: fields.listing_status.key().to_owned(),
        deregistered_on: previous.and_then(|p| p.deregistered_on),
        deregistration_reason: previous.and_then(|p| p.deregistration_reason.clone()),
        version: previous.map_or(1, |p| p.version + 1),
        created_at: previous.map_or(now, |p| p.created_at),
        updated_at: now,
    }
}

fn view_of(
    row: &EnterpriseRow,
    (status, as_of): (EnterpriseStatus, NaiveDate),
    zone_levels: &HashMap<String, ZoneLevel>,
) -> Result<EnterpriseView, RegistryError> {
    let (tech_domain, _, listing_status) = stored_classes(row)?;
    // The level is the referenced zone's, as it stands now (the province may re-rank zones).
    let zone_level = match &row.zone_id {
        None => ZoneLevel::None,
        Some(id) => *zone_levels.get(id).ok_or_else(|| {
            RegistryError::internal(
                "enterprise names an unknown zone",
                format!("{}: {id}", row.credit_code),
            )
        })?,
    };
    Ok(EnterpriseView {
        credit_code: row.credit_code.clone(),
        name: row.name.clone(),
        region_code: row.region_code.clone(),
        city_code: row.city_code.clone(),
        registered_on: row.registered_on,
        industry_code: row.industry_code.clone(),
        tech_domain,
        zone_level,
        zone_id: row.zone_id.clone(),
        above_scale: row.above_scale,
        carrier_id: row.carrier_id.clone(),
        listing_status,
        status,
        status_as_of: as_of,
        deregistered_on: row.deregistered_on,
        deregistration_reason: row.deregistration_reason.clone(),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Views of `rows` with their status on `as_of` (two queries for the whole page).
pub fn views_with_status(
    conn: &mut DbConnection,
    rows: &[EnterpriseRow],
    as_of: NaiveDate,
) -> Result<Vec<EnterpriseView>, RegistryError> {
    let codes: Vec<String> = rows.iter().map(|r| r.credit_code.clone()).collect();
    let certificates = queries::certificate_spans(conn, &codes)?;
    let pool = queries::pool_spans(conn, &codes)?;
    let zone_ids: Vec<String> = rows.iter().filter_map(|r| r.zone_id.clone()).collect();
    let zone_levels = zones::levels_of(conn, &zone_ids)?;
    rows.iter()
        .map(|row| {
            let facts = StatusFacts {
                registered_on: row.registered_on,
                deregistered_on: row.deregistered_on,
                certificates: certificates
                    .get(&row.credit_code)
                    .map_or(&[], Vec::as_slice),
                pool_entries: pool.get(&row.credit_code).map_or(&[], Vec::as_slice),
            };
            view_of(row, (status_on(&facts, as_of), as_of), &zone_levels)
        })
        .collect()
}

pub fn view_with_status(
    conn: &mut DbConnection,
    row: &EnterpriseRow,
    as_of: NaiveDate,
) -> Result<EnterpriseView, RegistryError> {
    views_with_status(conn, std::slice::from_ref(row), as_of)?
        .pop()
        .ok_or_else(|| RegistryError::internal("no view of a loaded enterprise", &row.credit_code))
}

/// The county an enterprise is registered in, as stored.
pub fn stored_region(row: &EnterpriseRow) -> Result<RegionCode, RegistryError> {
    RegionCode::parse(&row.region_code).map_err(|e| {
        RegistryError::internal(
            "stored region_code does not parse",
            format!("{}: {e}", row.credit_code),
        )
    })
}

fn not_found(code: &CreditCode) -> Problem {
    Problem::not_found(hte_shared::text!(
        "no enterprise with credit code {code} in your region",
        "您的辖区内未找到统一社会信用代码为 {code} 的企业"
    ))
}

/// The enterprise, if it exists and the caller may see it; otherwise 404, so records outside
/// the caller's region are indistinguishable from absent ones.
pub fn load_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
) -> Result<EnterpriseRow, RegistryError> {
    let row = queries::find(conn, code.as_str())?.ok_or_else(|| not_found(code))?;
    if caller.may_read(&stored_region(&row)?) {
        Ok(row)
    } else {
        Err(not_found(code).into())
    }
}

/// The view on `as_of` of the enterprise whose facts were read for `code` (`None`: no such
/// firm), if the caller may see it; otherwise 404, as [`load_visible`].
pub fn visible_view(
    facts: Option<&EnterpriseFacts>,
    caller: &Caller,
    code: &CreditCode,
    as_of: NaiveDate,
) -> Result<EnterpriseView, RegistryError> {
    let facts = facts.ok_or_else(|| not_found(code))?;
    if !caller.may_read(&stored_region(&facts.row)?) {
        return Err(not_found(code).into());
    }
    let mut zone_levels = HashMap::new();
    if let (Some(id), Some(level)) = (&facts.row.zone_id, &facts.zone_level) {
        zone_levels.insert(id.clone(), zones::stored_level(level)?);
    }
    let status = status_on(
        &StatusFacts {
            registered_on: facts.row.registered_on,
            deregistered_on: facts.row.deregistered_on,
            certificates: &facts.certificates,
            pool_entries: &facts.pool_entries,
        },
        as_of,
    );
    view_of(&facts.row, (status, as_of), &zone_levels)
}

/// The enterprise for a write by `caller`: 404 when invisible, 403 when visible but not
/// writable.
pub fn load_writable(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
) -> Result<EnterpriseRow, RegistryError> {
    let row = load_visible(conn, caller, code)?;
    caller.require_write(&stored_region(&row)?)?;
    Ok(row)
}

/// A new fact must fall within the enterprise's existence: not before its registration,
/// not after its deregistration.
pub fn check_within_existence(
    field: &str,
    date: NaiveDate,
    enterprise: &EnterpriseRow,
) -> Result<(), Problem> {
    match outside_existence(enterprise.registered_on, enterprise.deregistered_on, date) {
        None => Ok(()),
        Some(OutsideExistence::AfterDeregistration(gone)) => Err(Problem::invalid_field(
            field,
            "after_deregistration",
            hte_shared::text!(
                "{field} {date} is after the enterprise's deregistration on {gone}",
                "{field} {date} 晚于企业注销日期 {gone}"
            ),
        )),
        Some(OutsideExistence::BeforeRegistration(registered)) => Err(Problem::invalid_field(
            field,
            "not_before_registration",
            hte_shared::text!(
                "{field} {date} is before the enterprise's registration on {registered}",
                "{field} {date} 早于企业注册日期 {registered}"
            ),
        )),
    }
}

/// Audits a new enterprise (its row is inserted by the caller, alone or in a batch).
pub fn record_created(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    row: &EnterpriseRow,
    reason: Option<&str>,
) -> Result<(), RegistryError> {
    let key = ("enterprise", row.credit_code.as_str());
    trail.changed(conn, key, ("create", reason), None, record_json(row)?)?;
    Ok(())
}

/// The one way a stored enterprise changes: only over the version read, so a concurrent
/// write is never overwritten, and audited. False when another write got there first.
pub fn write_update(
    conn: &mut DbConnection,
    trail: &mut AuditTrail<'_>,
    before: &EnterpriseRow,
    after: &EnterpriseRow,
    action: &str,
    reason: Option<&str>,
) -> Result<bool, RegistryError> {
    if !queries::update_if_version(conn, after, before.version)? {
        return Ok(false);
    }
    let key = ("enterprise", after.credit_code.as_str());
    let before = Some(record_json(before)?);
    trail.changed(conn, key, (action, reason), before, record_json(after)?)?;
    Ok(true)
}

/// Whether the registry holds any enterprise (seeders fill only an empty one).
pub fn any_registered(conn: &mut DbConnection) -> Result<bool, RegistryError> {
    Ok(queries::any(conn)?)
}

/// The answer about a credit code registered in a region the caller may not see: the same
/// for any such firm, naming neither its region nor anything else stored about it.
pub fn registered_outside(code: &str) -> Text {
    text!(
        "credit code {code} belongs to an enterprise outside your region",
        "统一社会信用代码 {code} 属于您辖区以外的企业"
    )
}

/// Registers an enterprise for `caller`, who may write its fields' region: a code already
/// registered where the caller cannot see is refused as outside the region (403), not as a
/// duplicate, which would say more.
pub fn create_for(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    fields: &EnterpriseFields,
    today: NaiveDate,
) -> Result<EnterpriseView, RegistryError> {
    if let Some(stored) = queries::find(conn, fields.credit_code.as_str())?
        && !caller.may_read(&stored_region(&stored)?)
    {
        return Err(Problem::forbidden(registered_outside(fields.credit_code.as_str())).into());
    }
    create(conn, actor, fields, today)
}

/// Registers an enterprise whose fields the caller may write.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: &EnterpriseFields,
    today: NaiveDate,
) -> Result<EnterpriseView, RegistryError> {
    if queries::find(conn, fields.credit_code.as_str())?.is_some() {
        return Err(Problem::conflict(hte_shared::text!(
            "an enterprise with credit code {} is already registered",
            "统一社会信用代码为 {} 的企业已存在",
            fields.credit_code
        ))
        .into());
    }
    let mut fields = fields.clone();
    zones::settle_enterprise_zone(conn, &mut fields)?;
    let row = row_of(&fields, None);
    queries::insert(conn, &row)?;
    record_created(conn, &mut AuditTrail::Append(actor), &row, None)?;
    view_with_status(conn, &row, today)
}

/// Refuses a registration date that recorded facts or the deregistration would contradict.
fn check_registration_move(
    conn: &mut DbConnection,
    before: &EnterpriseRow,
    registered_on: NaiveDate,
) -> Result<(), RegistryError> {
    let facts = queries::earliest_facts(conn, &before.credit_code)?;
    match facts.contradiction(registered_on, before.deregistered_on) {
        None => Ok(()),
        Some(why) => Err(Problem::invalid_field(
            "registered_on",
            "not_after_recorded_facts",
            hte_shared::i18n::Text::new(
                format!("registered_on {registered_on} cannot be: {why}"),
                format!("注册日期不能为 {registered_on}：{}", why.zh()),
            ),
        )
        .into()),
    }
}

/// Applies a patch to an enterprise the caller may write, over the version it read.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    check_version: impl FnOnce(i32) -> Result<(), Problem>,
    patch: &EnterprisePatch,
    today: NaiveDate,
) -> Result<EnterpriseView, RegistryError> {
    let before = load_writable(conn, caller, code)?;
    check_version(before.version)?;
    let current = stored_fields(&before)?;
    let mut fields = patch.apply(&current, today)?;
    caller.require_write(&fields.county.code())?;
    // Checked on every change, so a move to another city drops no zone silently.
    zones::settle_enterprise_zone(conn, &mut fields)?;
    if fields == current {
        // Nothing to change: no new version, so other clients' ETags stay good.
        return view_with_status(conn, &before, today);
    }
    if fields.registered_on != before.registered_on {
        check_registration_move(conn, &before, fields.registered_on)?;
    }
    let after = row_of(&fields, Some(&before));
    if !write_update(
        conn,
        &mut AuditTrail::Append(actor),
        &before,
        &after,
        "update",
        None,
    )? {
        return Err(super::changed_meanwhile().into());
    }
    view_with_status(conn, &after, today)
}

/// Deregisters (注销) an enterprise: nothing is deleted; its history stays.
pub fn deregister(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    code: &CreditCode,
    ending: &Ending,
    today: NaiveDate,
) -> Result<EnterpriseView, RegistryError> {
    let before = load_writable(conn, caller, code)?;
    if let Some(date) = before.deregistered_on {
        return Err(Problem::conflict(hte_shared::text!(
            "already deregistered on {date}",
            "该企业已于 {date} 注销"
        ))
        .into());
    }
    if ending.on < before.registered_on {
        return Err(Problem::invalid_field(
            "deregistered_on",
            "not_before_registration",
            hte_shared::text!(
                "deregistered_on is before the registration date {}",
                "注销日期早于注册日期 {}",
                before.registered_on
            ),
        )
        .into());
    }
    let after = EnterpriseRow {
        deregistered_on: Some(ending.on),
        deregistration_reason: Some(ending.reason.clone()),
        version: before.version + 1,
        updated_at: now(),
        ..before.clone()
    };
    let mut trail = AuditTrail::Append(actor);
    if !write_update(
        conn,
        &mut trail,
        &before,
        &after,
        "deregister",
        Some(&ending.reason),
    )? {
        return Err(Problem::conflict(hte_shared::i18n::Text::fixed(
            "the record changed concurrently; retry",
            "记录已被他人修改，请重新读取后再试",
        ))
        .into());
    }
    view_with_status(conn, &after, today)
}

/// One page of the list, with each firm's status on `as_of`.
pub fn list(
    conn: &mut DbConnection,
    page: ListPage<'_>,
    as_of: NaiveDate,
) -> Result<Vec<EnterpriseView>, RegistryError> {
    let rows = queries::list(conn, page)?;
    views_with_status(conn, &rows, as_of)
}

/// Every recorded change to a visible enterprise and its records, oldest first.
pub fn history(
    conn: &mut DbConnection,
    caller: &Caller,
    code: &CreditCode,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, RegistryError> {
    load_visible(conn, caller, code)?;
    Ok(audit::history(conn, code.as_str(), after, limit)?)
}
