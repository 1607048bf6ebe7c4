use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hte_shared::db::DbConnection;

use super::schema::assessments;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = assessments)]
#[diesel(treat_none_as_null = true)]
pub struct AssessmentRow {
    pub id: String,
    pub plan_id: String,
    pub period: String,
    pub level: String,
    pub parent_code: String,
    pub as_of: NaiveDate,
    pub scheme_version: i32,
    pub scheme_json: String,
    pub status: String,
    pub version: i32,
    pub tree_version: i32,
    pub rows_json: String,
    pub computed_at: NaiveDateTime,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub published_by: Option<String>,
    pub published_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &AssessmentRow) -> QueryResult<()> {
    hte_shared::db::insert_row(conn, assessments::table, row)
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

/// The plan's assessments, newest first; only published ones unless `drafts`; after the
/// cursor position `(created_at, id)` when given; at most `limit` when given.
pub fn list(
    conn: &mut DbConnection,
    plan_id: &str,
    drafts: bool,
    after: Option<(NaiveDateTime, String)>,
    limit: Option<i64>,
) -> QueryResult<Vec<AssessmentRow>> {
    let mut query = assessments::table
        .filter(assessments::plan_id.eq(plan_id))
        .order((assessments::created_at.desc(), assessments::id.desc()))
        .select(AssessmentRow::as_select())
        .into_boxed();
    if !drafts {
        query = query.filter(assessments::status.eq("published"));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            assessments::created_at
                .lt(at)
                .or(assessments::created_at.eq(at).and(assessments::id.lt(id))),
        );
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    query.load(conn)
}

/// The published assessment of the same period and regions, if any.
pub fn published_like(
    conn: &mut DbConnection,
    row: &AssessmentRow,
) -> QueryResult<Option<AssessmentRow>> {
    assessments::table
        .filter(assessments::plan_id.eq(&row.plan_id))
        .filter(assessments::period.eq(&row.period))
        .filter(assessments::level.eq(&row.level))
        .filter(assessments::parent_code.eq(&row.parent_code))
        .filter(assessments::status.eq("published"))
        .select(AssessmentRow::as_select())
        .first(conn)
        .optional()
}

/// Saves a draft if it is still at `expected` version; a published assessment is never
/// written again.
pub fn save_draft(
    conn: &mut DbConnection,
    row: &AssessmentRow,
    expected: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        assessments::table
            .filter(assessments::id.eq(&row.id))
            .filter(assessments::status.eq("draft"))
            .filter(assessments::version.eq(expected)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}
