use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;
use hte_shared::stored::corrupt;

use super::schema::{indicators, plans};
use crate::domain::plan::{
    Aggregation, Comparator, DataSource, Formula, InputPeriod, Measure, PlanStatus,
};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = plans)]
#[diesel(treat_none_as_null = true)]
pub struct PlanRow {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub document_no: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: String,
    pub version: i32,
    pub tree_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub archived_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = indicators)]
pub struct IndicatorRow {
    pub plan_id: String,
    pub indicator_key: String,
    pub position: i32,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub comparator: String,
    pub target_value: Option<String>,
    pub source: String,
    pub splittable: bool,
    pub measure: Option<String>,
    pub aggregation: String,
    /// The formula monitoring evaluates, as JSON (absent: not monitored).
    pub formula_json: Option<String>,
    pub input_period: String,
    /// Whether ready pool firms add to the indicator's forecast.
    pub pipeline: bool,
}

impl PlanRow {
    /// The stored status; a key this code does not know is a damaged row.
    pub fn status(&self) -> QueryResult<PlanStatus> {
        PlanStatus::from_key(&self.status).ok_or_else(|| corrupt("plan status", &self.status))
    }
}

impl IndicatorRow {
    pub fn comparator(&self) -> QueryResult<Comparator> {
        Comparator::from_key(&self.comparator)
            .ok_or_else(|| corrupt("indicator comparator", &self.comparator))
    }

    pub fn source(&self) -> QueryResult<DataSource> {
        DataSource::from_key(&self.source).ok_or_else(|| corrupt("indicator source", &self.source))
    }

    pub fn measure(&self) -> QueryResult<Option<Measure>> {
        self.measure
            .as_deref()
            .map(|key| Measure::from_key(key).ok_or_else(|| corrupt("indicator measure", key)))
            .transpose()
    }

    pub fn aggregation(&self) -> QueryResult<Aggregation> {
        Aggregation::from_key(&self.aggregation)
            .ok_or_else(|| corrupt("indicator aggregation", &self.aggregation))
    }

    pub fn formula(&self) -> QueryResult<Option<Formula>> {
        self.formula_json
            .as_deref()
            .map(|text| hte_shared::stored::parse("indicator formula", text))
            .transpose()
    }

    pub fn input_period(&self) -> QueryResult<InputPeriod> {
        InputPeriod::from_key(&self.input_period)
            .ok_or_else(|| corrupt("indicator input period", &self.input_period))
    }

    /// Stored as text, so the number written is the number read back.
    pub fn target_value(&self) -> QueryResult<Option<f64>> {
        self.target_value
            .as_deref()
            .map(|text| {
                text.parse()
                    .map_err(|_| corrupt("indicator target value", text))
            })
            .transpose()
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PlanRow>> {
    plans::table
        .find(id)
        .select(PlanRow::as_select())
        .first(conn)
        .optional()
}

/// Plans ordered by id, after `after`, at most `limit`; archived ones only when asked.
pub fn list(
    conn: &mut DbConnection,
    after: Option<&str>,
    limit: i64,
    include_archived: bool,
) -> QueryResult<Vec<PlanRow>> {
    let mut query = plans::table
        .select(PlanRow::as_select())
        .order(plans::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(plans::id.gt(after.to_owned()));
    }
    if !include_archived {
        query = query.filter(plans::archived_at.is_null());
    }
    query.load(conn)
}

/// Removes a plan and everything filed under it (its audit entries stay).
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    use super::schema::{
        allocations, assessments, assessments_legacy, registry_cache, scoring_schemes, targets,
        tree_versions,
    };
    diesel::delete(assessments::table.filter(assessments::plan_id.eq(id))).execute(conn)?;
    diesel::delete(assessments_legacy::table.filter(assessments_legacy::plan_id.eq(id)))
        .execute(conn)?;
    diesel::delete(allocations::table.filter(allocations::plan_id.eq(id))).execute(conn)?;
    diesel::delete(scoring_schemes::table.filter(scoring_schemes::plan_id.eq(id))).execute(conn)?;
    diesel::delete(targets::table.filter(targets::plan_id.eq(id))).execute(conn)?;
    diesel::delete(tree_versions::table.filter(tree_versions::plan_id.eq(id))).execute(conn)?;
    diesel::delete(registry_cache::table.filter(registry_cache::plan_id.eq(id))).execute(conn)?;
    diesel::delete(indicators::table.filter(indicators::plan_id.eq(id))).execute(conn)?;
    diesel::delete(plans::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn insert(conn: &mut DbConnection, row: &PlanRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, plans::table, row)
}

/// Saves `row` if the stored version is still `expected`; false when it changed meanwhile.
pub fn update_if_version(
    conn: &mut DbConnection,
    row: &PlanRow,
    expected: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        plans::table
            .filter(plans::id.eq(&row.id))
            .filter(plans::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

pub fn indicators_of(conn: &mut DbConnection, plan_id: &str) -> QueryResult<Vec<IndicatorRow>> {
    indicators::table
        .filter(indicators::plan_id.eq(plan_id))
        .order(indicators::position.asc())
        .select(IndicatorRow::as_select())
        .load(conn)
}

pub fn replace_indicators(
    conn: &mut DbConnection,
    plan_id: &str,
    rows: &[IndicatorRow],
) -> QueryResult<()> {
    diesel::delete(indicators::table.filter(indicators::plan_id.eq(plan_id))).execute(conn)?;
    for row in rows {
        diesel::insert_into(indicators::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}
