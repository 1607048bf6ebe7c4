//! High-tech zones (高新区): reference data everyone reads and only the province writes, and
//! the rule that an enterprise's zone is one of them, in its own city.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use hte_shared::audit::Actor;
use hte_shared::auth::Caller;
use hte_shared::db::DbConnection;
use hte_shared::pagination::{Page, PageRequest};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{PROVINCE_CODE, RegionCode};
use hte_shared::text;
use hte_shared::time::now;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AuditTrail, pages};
use crate::db::zones::{self as queries, UnmatchedZoneRow, ZoneRow};
use crate::domain::enterprise::{EnterpriseFields, ZoneLevel};
use crate::domain::zones::{ZoneFields, ZoneId, ZonePatch, ZoneRank, check_zone_city};
use crate::error::{RegistryError, stored, to_json};

/// A high-tech zone (高新区).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ZoneView {
    /// Zone id (高新区编号).
    #[schema(example = "kunshan-hz")]
    pub id: String,
    /// Full name (全称).
    #[schema(example = "昆山高新技术产业开发区")]
    pub name: String,
    /// Short name (简称).
    #[schema(example = "昆山高新区")]
    pub short_name: String,
    /// Level (级别).
    pub level: ZoneRank,
    /// Prefecture-level city (设区市) the zone lies in.
    #[schema(example = "320500")]
    pub city_code: String,
    /// County-level divisions covered (覆盖县区), the host first.
    /// Stored from a zone body, which holds 1–20.
    #[schema(example = json!(["320583"]), max_items = 20)]
    pub county_codes: Vec<String>,
    /// Version; the ETag is `"v<version>"`.
    pub version: i32,
    #[serde(with = "hte_shared::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "hte_shared::time::utc")]
    pub updated_at: NaiveDateTime,
}

/// A free-text zone an enterprise held before zones were reference data, which matched no
/// zone of its city by name; the enterprise's zone was cleared and must be set again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnmatchedZoneValue {
    /// Unified social credit code (统一社会信用代码).
    pub credit_code: String,
    /// The enterprise's county (所在县区).
    pub region_code: String,
    /// The zone level it had (高新区级别).
    pub zone_level: ZoneLevel,
    /// The text it had as its zone (原高新区名称).
    pub zone_text: String,
}

fn rank_of(row: &ZoneRow) -> Result<ZoneRank, RegistryError> {
    stored("zones.level", &row.level, ZoneRank::from_key)
}

fn view_of(row: &ZoneRow) -> Result<ZoneView, RegistryError> {
    Ok(ZoneView {
        id: row.id.clone(),
        name: row.name.clone(),
        short_name: row.short_name.clone(),
        level: rank_of(row)?,
        city_code: row.city_code.clone(),
        county_codes: row.county_codes.split(',').map(str::to_owned).collect(),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn stored_fields(row: &ZoneRow) -> Result<ZoneFields, RegistryError> {
    let damaged = |e: &dyn std::fmt::Display| {
        RegistryError::internal("stored zone does not parse", format!("{}: {e}", row.id))
    };
    let counties = row
        .county_codes
        .split(',')
        .map(|c| RegionCode::parse(c).map_err(|e| damaged(&e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ZoneFields {
        name: row.name.clone(),
        short_name: row.short_name.clone(),
        rank: rank_of(row)?,
        city: RegionCode::parse(&row.city_code).map_err(|e| damaged(&e))?,
        counties,
    })
}

fn row_of(id: &str, fields: &ZoneFields, previous: Option<&ZoneRow>) -> ZoneRow {
    let now = now();
    let counties: Vec<String> = fields.counties.iter().map(ToString::to_string).collect();
    ZoneRow {
        id: id.to_owned(),
        name: fields.name.clone(),
        short_name: fields.short_name.clone(),
        level: fields.rank.key().to_owned(),
        city_code: fields.city.to_string(),
        county_codes: counties.join(","),
        version: previous.map_or(1, |p| p.version + 1),
        created_at: previous.map_or(now, |p| p.created_at),
        updated_at: now,
    }
}

fn not_found(id: &str) -> Problem {
    Problem::not_found(text!("no high-tech zone {id}", "没有编号为 {id} 的高新区"))
}

/// A page of zones, by id (the cursor's key); only those of `city` when given.
pub fn list(
    conn: &mut DbConnection,
    city: Option<RegionCode>,
    page: &PageRequest<String>,
) -> Result<Page<ZoneView>, RegistryError> {
    let city = city.map(|c| c.to_string());
    let after = page.after.as_deref();
    let rows = queries::list(conn, city.as_deref(), after, pages::fetched(page))?;
    pages::views_of(Page::from_rows(rows, page.limit, |r| r.id.clone()), view_of)
}

pub fn load(conn: &mut DbConnection, id: &ZoneId) -> Result<ZoneView, RegistryError> {
    let row = queries::find(conn, id.as_str())?.ok_or_else(|| not_found(id.as_str()))?;
    view_of(&row)
}

/// 409 when another zone already has one of these names.
fn check_names_free(
    conn: &mut DbConnection,
    id: &str,
    fields: &ZoneFields,
) -> Result<(), RegistryError> {
    let names = [fields.name.as_str(), fields.short_name.as_str()];
    match queries::name_taken(conn, id, names)? {
        None => Ok(()),
        Some(other) => Err(Problem::conflict(text!(
            "zone {other} already has this name or short name",
            "高新区 {other} 已使用该全称或简称"
        ))
        .into()),
    }
}

/// Records a new zone (province only).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    (id, fields): &(ZoneId, ZoneFields),
) -> Result<ZoneView, RegistryError> {
    caller.require_write(&PROVINCE_CODE)?;
    if queries::find(conn, id.as_str())?.is_some() {
        return Err(super::id_taken(("zone", "高新区"), id.as_str()).into());
    }
    check_names_free(conn, id.as_str(), fields)?;
    let row = row_of(id.as_str(), fields, None);
    queries::insert(conn, &row)?;
    let key = ("zone", row.id.as_str());
    AuditTrail::Append(actor).changed(
        conn,
        key,
        ("create", None),
        None,
        to_json(&view_of(&row)?)?,
    )?;
    view_of(&row)
}

/// Changes a zone (province only) over the version read. A zone may not move to another
/// city while enterprises elsewhere name it.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    actor: &Actor,
    id: &ZoneId,
    check_version: impl FnOnce(i32) -> Result<(), Problem>,
    patch: &ZonePatch,
) -> Result<ZoneView, RegistryError> {
    caller.require_write(&PROVINCE_CODE)?;
    let before = queries::find(conn, id.as_str())?.ok_or_else(|| not_found(id.as_str()))?;
    let current = stored_fields(&before)?;
    // An invalid body is a 400 whatever If-Match says (RFC 9110 §13.2.1).
    let fields = patch.apply(&current)?;
    check_version(before.version)?;
    if fields == current {
        return view_of(&before);
    }
    check_names_free(conn, id.as_str(), &fields)?;
    let city = fields.city.to_string();
    let outside = queries::enterprises_outside_city(conn, id.as_str(), &city)?;
    if outside > 0 {
        return Err(Problem::invalid_field(
            "county_codes",
            "zone_in_city",
            text!(
                "{outside} enterprises in other cities name this zone; it cannot move to city {city}",
                "有 {outside} 家其他设区市的企业属于该高新区，不能将其移至 {city}"
            ),
        )
        .into());
    }
    let after = row_of(id.as_str(), &fields, Some(&before));
    if !queries::update_if_version(conn, &after, before.version)? {
        return Err(super::changed_meanwhile().into());
    }
    let key = ("zone", after.id.as_str());
    let before_json = Some(to_json(&view_of(&before)?)?);
    AuditTrail::Append(actor).changed(
        conn,
        key,
        ("update", None),
        before_json,
        to_json(&view_of(&after)?)?,
    )?;
    view_of(&after)
}

/// Every zone, read once for a write or a batch of imported rows (the table is small).
pub struct ZoneBook(Vec<ZoneRow>);

impl ZoneBook {
    pub fn load(conn: &mut DbConnection) -> Result<Self, RegistryError> {
        Ok(Self(queries::all(conn)?))
    }

    /// The zone with this id, or with `by_name_too` the one with this exact full or short name.
    fn find(&self, key: &str, by_name_too: bool) -> Option<&ZoneRow> {
        self.0.iter().find(|z| z.id == key).or_else(|| {
            by_name_too
                .then(|| self.0.iter().find(|z| z.name == key || z.short_name == key))
                .flatten()
        })
    }

    /// Makes an enterprise's zone a reference: `fields.zone_id` must name a zone (by id, or
    /// for imports also by its exact full or short name) in the enterprise's city; it becomes
    /// the zone's id and `zone_level` the zone's level. A level the sender stated must agree.
    pub fn settle(
        &self,
        fields: &mut EnterpriseFields,
        by_name_too: bool,
    ) -> Result<(), FieldError> {
        let Some(key) = fields.zone_id.clone() else {
            fields.zone_level = ZoneLevel::None;
            return Ok(());
        };
        let shown = hte_shared::i18n::quote(&key);
        let row = self.find(&key, by_name_too).ok_or_else(|| {
            FieldError::new(
                "zone_id",
                "known_zone",
                text!(
                    "{shown} is not a recorded high-tech zone; see GET /api/v1/zones",
                    "{shown} 不是已登记的高新区，请查阅 GET /api/v1/zones"
                ),
            )
        })?;
        let city = RegionCode::parse(&row.city_code).map_err(|e| {
            tracing::error!(zone = %row.id, error = %e, "stored zone city does not parse");
            FieldError::new(
                "zone_id",
                "known_zone",
                text!("zone {} is damaged", "高新区 {} 数据损坏", row.id),
            )
        })?;
        check_zone_city(&row.id, city, fields.county.city())?;
        let Some(rank) = ZoneRank::from_key(&row.level) else {
            tracing::error!(zone = %row.id, level = %row.level, "stored zone level does not parse");
            return Err(FieldError::new(
                "zone_id",
                "known_zone",
                text!("zone {} is damaged", "高新区 {} 数据损坏", row.id),
            ));
        };
        let level = rank.level();
        if fields.zone_level != ZoneLevel::None && fields.zone_level != level {
            let (stated, actual) = (fields.zone_level.key(), level.key());
            return Err(FieldError::new(
                "zone_level",
                "zone_level_of_zone",
                text!(
                    "zone {} is {actual}, not {stated}; zone_level follows the zone",
                    "高新区 {} 的级别为 {actual}，不是 {stated}；高新区级别以所选高新区为准",
                    row.id
                ),
            ));
        }
        fields.zone_id = Some(row.id.clone());
        fields.zone_level = level;
        Ok(())
    }
}

/// 400 unless `id` names a recorded zone lying in `city` (a carrier's zone).
pub fn check_zone_in_city(
    conn: &mut DbConnection,
    id: &ZoneId,
    city: RegionCode,
) -> Result<(), RegistryError> {
    let id = id.as_str();
    let row = queries::find(conn, id)?.ok_or_else(|| {
        Problem::invalid_field(
            "zone_id",
            "known_zone",
            text!("no high-tech zone {id}", "没有编号为 {id} 的高新区"),
        )
    })?;
    let zone = stored_fields(&row)?;
    check_zone_city(id, zone.city, city).map_err(one_field)
}

/// [`ZoneBook::settle`] for one write through the API: zones by id only.
pub fn settle_enterprise_zone(
    conn: &mut DbConnection,
    fields: &mut EnterpriseFields,
) -> Result<(), RegistryError> {
    ZoneBook::load(conn)?
        .settle(fields, false)
        .map_err(one_field)
}

fn one_field(error: FieldError) -> RegistryError {
    Problem::validation(vec![error]).into()
}

/// The level of each zone named, by id (what views and statistics count by).
pub fn levels_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, ZoneLevel>, RegistryError> {
    queries::levels(conn, ids)?
        .into_iter()
        .map(|(id, level)| Ok((id, stored_level(&level)?)))
        .collect()
}

/// The zone level a stored `zones.level` key stands for.
pub fn stored_level(level: &str) -> Result<ZoneLevel, RegistryError> {
    Ok(stored("zones.level", level, ZoneRank::from_key)?.level())
}

/// A page of the free-text zones the migration could not match, within the caller's
/// region, by credit code (the cursor's key).
pub fn unmatched(
    conn: &mut DbConnection,
    caller: &Caller,
    page: &PageRequest<String>,
) -> Result<Page<UnmatchedZoneValue>, RegistryError> {
    let scope: Option<Vec<String>> = caller.read_scope().map(|region| {
        hte_shared::regions::subtree(region)
            .map(|r| r.code.to_string())
            .collect()
    });
    let after = page.after.as_deref();
    let rows = queries::unmatched(conn, scope.as_deref(), after, pages::fetched(page))?;
    let page = Page::from_rows(rows, page.limit, |r| r.credit_code.clone());
    pages::views_of(page, |row: &UnmatchedZoneRow| {
        Ok(UnmatchedZoneValue {
            zone_level: stored("zone_level", &row.zone_level, ZoneLevel::from_key)?,
            credit_code: row.credit_code.clone(),
            region_code: row.region_code.clone(),
            zone_text: row.zone_text.clone(),
        })
    })
}
