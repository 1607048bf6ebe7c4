//! Enterprises from a file: new ones registered, stored ones updated over the version read,
//! the columns a file lacks kept.

use super::{Batch, RowOutcome, RowResult, firms_of, rejected};
use crate::app::enterprises::{
    record_created, registered_outside, row_of, stored_fields, stored_region, write_update,
};
use crate::app::imports::parse::Line;
use crate::app::zones::ZoneBook;
use crate::db::enterprises::{self as queries, EnterpriseRow};
use crate::domain::enterprise::EnterpriseFields;
use crate::error::RegistryError;

pub(in crate::app::imports) fn apply(
    batch: &mut Batch<'_>,
    lines: Vec<Line<EnterpriseFields>>,
) -> Result<Vec<RowResult>, RegistryError> {
    let firms = firms_of(batch.conn, &lines)?;
    let zones = ZoneBook::load(batch.conn)?;
    let mut new_rows = Vec::new();
    let mut results = Vec::with_capacity(lines.len());
    for line in lines {
        results.push(match firms.get(&line.credit_code) {
            None => create(batch, &mut new_rows, &zones, line)?,
            Some(stored) => update(batch, stored, &zones, line)?,
        });
    }
    queries::insert_all(batch.conn, &new_rows)?;
    batch.trail.flush(batch.conn)?;
    Ok(results)
}

/// A new enterprise, in a region the caller may write.
fn create(
    batch: &mut Batch<'_>,
    new_rows: &mut Vec<EnterpriseRow>,
    zones: &ZoneBook,
    mut line: Line<EnterpriseFields>,
) -> Result<RowResult, RegistryError> {
    let county = line.record.county.code();
    if !batch.caller.may_write(&county) {
        return Ok(Err(refused_region(line.number, &county.to_string())));
    }
    // Files may name a zone by id or by its exact name.
    if let Err(e) = zones.settle(&mut line.record, true) {
        return Ok(Err(rejected(line.number, Some(&e.field), e.message)));
    }
    let row = row_of(&line.record, None);
    record_created(batch.conn, &mut batch.trail, &row, Some(batch.reason))?;
    new_rows.push(row);
    Ok(Ok(RowOutcome::Created))
}

fn refused_region(line: u64, region: &str) -> super::RowError {
    rejected(
        line,
        Some("region_code"),
        hte_shared::text!(
            "your token may not write region {region}",
            "您的令牌无权写入 {region} 地区"
        ),
    )
}

/// A stored enterprise restated by the file: moving it needs a right over both regions.
fn update(
    batch: &mut Batch<'_>,
    stored: &EnterpriseRow,
    zones: &ZoneBook,
    line: Line<EnterpriseFields>,
) -> Result<RowResult, RegistryError> {
    // A firm the caller may not see is answered as any firm outside the region, before
    // anything stored about it (its county, its dates) can reach a message.
    if !batch.caller.may_read(&stored_region(stored)?) {
        return Ok(Err(rejected(
            line.number,
            Some("credit_code"),
            registered_outside(&stored.credit_code),
        )));
    }
    let current = stored_fields(stored)?;
    let settled = line
        .record
        .keeping_absent(&current, batch.present)
        .and_then(|mut fields| zones.settle(&mut fields, true).map(|()| fields));
    let fields = match settled {
        Ok(fields) => fields,
        Err(e) => return Ok(Err(rejected(line.number, Some(&e.field), e.message))),
    };
    // Name the region that is not the caller's: the new one, or where the firm is now.
    let county = fields.county.code();
    if !batch.caller.may_write(&county) {
        return Ok(Err(refused_region(line.number, &county.to_string())));
    }
    if !batch.caller.may_write(&stored_region(stored)?) {
        return Ok(Err(refused_region(line.number, &stored.region_code)));
    }
    if fields == current {
        return Ok(Ok(RowOutcome::Unchanged));
    }
    let after = row_of(&fields, Some(stored));
    let reason = Some(batch.reason);
    if !write_update(
        batch.conn,
        &mut batch.trail,
        stored,
        &after,
        "update",
        reason,
    )? {
        return Ok(Err(rejected(
            line.number,
            None,
            hte_shared::i18n::Text::fixed(
                "the enterprise changed while importing; import the row again",
                "导入期间企业信息已被他人修改，请重新导入该行",
            ),
        )));
    }
    Ok(Ok(RowOutcome::Updated))
}
