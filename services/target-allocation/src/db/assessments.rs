use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;
use hte_shared::stored::corrupt;

use super::schema::assessments;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = assessments)]
#[diesel(treat_none_as_null = true)]
pub struct AssessmentRow {
    pub id: String,
    pub plan_id: String,
    pub indicator: String,
    pub period: String,
    pub as_of: NaiveDate,
    pub cap: String,
    pub weight: String,
    pub status: String,
    pub tree_version: i32,
    pub rows_json: String,
    pub computed_at: NaiveDateTime,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub published_by: Option<String>,
    pub published_at: Option<NaiveDateTime>,
}

impl AssessmentRow {
    /// The formula's parameters, stored as text so the number written is the number read.
    pub fn cap_and_weight(&self) -> QueryResult<(f64, f64)> {
        let number = |what: &str, text: &str| text.parse::<f64>().map_err(|_| corrupt(what, text));
        Ok((
            number("assessment cap", &self.cap)?,
            number("assessment weight", &self.weight)?,
        ))
    }
}

pub fn insert(conn: &mut DbConnection, row: &AssessmentRow) -> QueryResult<()> {
    diesel::insert_into(assessments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut DbConnection,
    plan_id: &str,
    id: &str,
) -> QueryResult<Option<AssessmentRow>> {
    assessments::table
        .filter(assessments::plan_id.eq(plan_id))
        .filter(assessments::id.eq(id))
        .select(AssessmentRow::as_select())
        .first(conn)
        .optional()
}

/// The plan's assessments, newest first.
pub fn list(conn: &mut DbConnection, plan_id: &str) -> QueryResult<Vec<AssessmentRow>> {
    assessments::table
        .filter(assessments::plan_id.eq(plan_id))
        .order((assessments::created_at.desc(), assessments::id.desc()))
        .select(AssessmentRow::as_select())
        .load(conn)
}

/// Saves a draft; a published assessment is never written again.
pub fn save_draft(conn: &mut DbConnection, row: &AssessmentRow) -> QueryResult<bool> {
    let n = diesel::update(
        assessments::table
            .filter(assessments::id.eq(&row.id))
            .filter(assessments::status.eq("draft")),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}
