use chrono::NaiveDateTime;
use diesel::prelude::*;
use hte_shared::db::DbConnection;
use hte_shared::regions::{self, RegionCode};
use hte_shared::stored::corrupt;

use super::schema::{plans, targets, tree_versions};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = targets)]
pub struct TargetRow {
    pub plan_id: String,
    pub indicator: String,
    pub region_code: String,
    pub period: String,
    pub value: i64,
    pub from_version: i32,
    pub to_version: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tree_versions)]
pub struct TreeVersionRow {
    pub plan_id: String,
    pub version: i32,
    pub kind: String,
    pub reason: String,
    pub actor: String,
    pub actor_role: String,
    pub actor_region: String,
    pub allocation_id: Option<String>,
    pub changes: i32,
    pub created_at: NaiveDateTime,
}

impl TargetRow {
    /// The stored region code; one that is not a Jiangsu region is a damaged row.
    pub fn region(&self) -> QueryResult<RegionCode> {
        RegionCode::parse(&self.region_code)
            .ok()
            .filter(|code| regions::find(code).is_some())
            .ok_or_else(|| corrupt("target region code", &self.region_code))
    }
}

/// The tree as it stood at `version`, ordered by indicator, period and region.
pub fn targets_at(
    conn: &mut DbConnection,
    plan_id: &str,
    version: i32,
) -> QueryResult<Vec<TargetRow>> {
    targets::table
        .filter(targets::plan_id.eq(plan_id))
        .filter(targets::from_version.le(version))
        .filter(
            targets::to_version
                .is_null()
                .or(targets::to_version.gt(version)),
        )
        .order((
            targets::indicator.asc(),
            targets::period.asc(),
            targets::region_code.asc(),
        ))
        .select(TargetRow::as_select())
        .load(conn)
}

/// One change of a target value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetChange {
    pub indicator: String,
    pub region_code: String,
    pub period: String,
    pub value: i64,
}

/// Applies `changes` as tree version `version`: each current value it replaces stops at
/// `version`; the new value starts there. Values equal to the current one are left alone.
/// Returns how many values changed.
pub fn apply(
    conn: &mut DbConnection,
    plan_id: &str,
    version: i32,
    changes: &[TargetChange],
) -> QueryResult<i32> {
    let mut changed = 0;
    for change in changes {
        let current = targets::table
            .filter(targets::plan_id.eq(plan_id))
            .filter(targets::indicator.eq(&change.indicator))
            .filter(targets::region_code.eq(&change.region_code))
            .filter(targets::period.eq(&change.period))
            .filter(targets::to_version.is_null())
            .select(TargetRow::as_select())
            .first(conn)
            .optional()?;
        if current.as_ref().is_some_and(|c| c.value == change.value) {
            continue;
        }
        if let Some(current) = current {
            diesel::update(
                targets::table
                    .filter(targets::plan_id.eq(plan_id))
                    .filter(targets::indicator.eq(&current.indicator))
                    .filter(targets::region_code.eq(&current.region_code))
                    .filter(targets::period.eq(&current.period))
                    .filter(targets::from_version.eq(current.from_version)),
            )
            .set(targets::to_version.eq(Some(version)))
            .execute(conn)?;
        }
        diesel::insert_into(targets::table)
            .values(&TargetRow {
                plan_id: plan_id.to_owned(),
                indicator: change.indicator.clone(),
                region_code: change.region_code.clone(),
                period: change.period.clone(),
                value: change.value,
                from_version: version,
                to_version: None,
            })
            .execute(conn)?;
        changed += 1;
    }
    Ok(changed)
}

/// Records a new tree version and makes it the plan's current one.
pub fn insert_version(conn: &mut DbConnection, row: &TreeVersionRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, tree_versions::table, row)?;
    diesel::update(plans::table.find(&row.plan_id))
        .set(plans::tree_version.eq(row.version))
        .execute(conn)?;
    Ok(())
}

pub fn find_version(
    conn: &mut DbConnection,
    plan_id: &str,
    version: i32,
) -> QueryResult<Option<TreeVersionRow>> {
    tree_versions::table
        .find((plan_id, version))
        .select(TreeVersionRow::as_select())
        .first(conn)
        .optional()
}

/// The plan's tree versions, newest first, below version `before` when given (the cursor of
/// the previous page).
pub fn versions_of(
    conn: &mut DbConnection,
    plan_id: &str,
    before: Option<i32>,
) -> QueryResult<Vec<TreeVersionRow>> {
    let mut query = tree_versions::table
        .filter(tree_versions::plan_id.eq(plan_id))
        .order(tree_versions::version.desc())
        .select(TreeVersionRow::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(tree_versions::version.lt(before));
    }
    query.load(conn)
}

/// (tree version, region) of every value ever set in the plan's tree: which regions each
/// version touched.
pub fn regions_by_version(
    conn: &mut DbConnection,
    plan_id: &str,
) -> QueryResult<Vec<(i32, String)>> {
    targets::table
        .filter(targets::plan_id.eq(plan_id))
        .select((targets::from_version, targets::region_code))
        .load(conn)
}
