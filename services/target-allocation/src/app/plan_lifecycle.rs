//! The end of a plan's life: a draft (a test or a mistake) is deleted with everything
//! under it; a published or closed plan is archived (归档) so lists leave it out, and can be
//! brought back. Province only; each is an audit entry.

use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::Caller;
use hte_shared::db::{Db, DbConnection};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::Problem;
use hte_shared::stored;
use hte_shared::telemetry::RequestId;

use super::plans::{PlanView, StateChange, change_state, load, plan_view, require_draft};
use crate::db::plans::{self as queries, PlanRow};
use crate::domain::plan::PlanStatus;
use crate::error::AllocationError;

/// Deletes a draft plan with its indicators, targets, proposals, schemes and assessments
/// (its audit entries stay, the last one holding the plan as it was). 428 without
/// `If-Match`, 412 when stale, 409 unless a draft: a published plan is archived instead.
pub async fn delete(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    id: String,
    if_match: IfMatch,
) -> Result<(), AllocationError> {
    caller.require_province(("delete plans", "删除规划"))?;
    let actor = Actor::new(caller, request_id);
    db.write(move |conn| {
        let plan = load(conn, &id)?;
        if_match.check(plan.version)?;
        require_draft(
            &plan,
            ("be deleted; archive it instead", "删除，已发布的规划请归档"),
        )?;
        let before = plan_view(&plan, &queries::indicators_of(conn, &id)?)?;
        queries::delete(conn, &id)?;
        audit::append(
            conn,
            &actor,
            Change {
                entity_type: "plan",
                entity_key: &id,
                action: "delete",
                reason: None,
                before: Some(stored::to_value(&before)?),
                after: None,
            },
        )?;
        Ok(())
    })
    .await
}

/// Archives (`archive = true`) a published or closed plan, or brings an archived one back.
/// 409 for a draft (delete it instead) or when already so; a stale `If-Match` is a 412.
pub async fn set_archived(
    db: &Db,
    caller: &Caller,
    request_id: &RequestId,
    (id, if_match): (String, IfMatch),
    archive: bool,
) -> Result<PlanView, AllocationError> {
    let (permission, action) = if archive {
        (("archive plans", "归档规划"), "archive")
    } else {
        (("restore plans", "恢复规划"), "unarchive")
    };
    let change = StateChange {
        permission,
        action,
        refuse: move |_: &mut DbConnection, before: &PlanRow| refuse_archiving(before, archive),
        apply: move |after: &mut PlanRow| {
            after.archived_at = archive.then_some(after.updated_at);
        },
    };
    change_state(db, caller, request_id, (id, if_match), change).await
}

/// 409 when `plan` is a draft (deleted, never archived) or already archived (or not) as asked.
fn refuse_archiving(plan: &PlanRow, archive: bool) -> Result<(), AllocationError> {
    let id = &plan.id;
    if plan.status()? == PlanStatus::Draft {
        return Err(Problem::conflict(hte_shared::text!(
            "plan {id} is a draft; a draft is deleted, not archived",
            "规划 {id} 是草案；草案不归档，可直接删除"
        ))
        .into());
    }
    if plan.archived_at.is_some() == archive {
        let (state, state_zh) = if archive {
            ("already archived", "已归档")
        } else {
            ("not archived", "未归档")
        };
        return Err(Problem::conflict(hte_shared::text!(
            "plan {id} is {state}",
            "规划 {id} {state_zh}"
        ))
        .into());
    }
    Ok(())
}
