//! Reading one proposed split and deciding it: accepted (its shares enter the tree, rival
//! proposals are superseded), withdrawn by its proposer, or rejected by the province. Each
//! change of a proposal's status is an audit entry of its own.

use hte_shared::audit::Actor;
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::preconditions::IfMatch;
use hte_shared::problem::Problem;
use hte_shared::telemetry::RequestId;
use hte_shared::time::now;

use super::allocations::{AllocationView, Decision, parent_of, view};
use super::plans::load;
use super::record_change;
use super::rights::require_split_right;
use super::targets::{TreeEdit, commit_tree_edit, current_value};
use crate::db::allocations::{self as queries, AllocationRow};
use crate::db::plans::PlanRow;
use crate::db::targets::TargetChange;
use crate::domain::lifecycle::ProposalStatus;
use crate::domain::plan::check_reason;
use crate::error::AllocationError;

fn not_found(plan_id: &str, id: &str) -> Problem {
    Problem::not_found(hte_shared::text!(
        "plan {plan_id} has no proposal {id}",
        "规划 {plan_id} 中未找到分解方案 {id}"
    ))
}

/// The proposal if the caller may see it (its region is in their subtree); another
/// region's proposal looks absent (404), as in the registry.
fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    (plan_id, id): (&str, &str),
) -> Result<AllocationRow, AllocationError> {
    match queries::find(conn, plan_id, id)? {
        Some(row) if caller.may_read(&parent_of(&row)?) => Ok(row),
        _ => Err(not_found(plan_id, id).into()),
    }
}

/// One proposal, or 404.
pub async fn get(
    db: &Db,
    caller: Caller,
    (plan_id, allocation_id): (String, String),
) -> Result<AllocationView, AllocationError> {
    db.read(move |conn| {
        load(conn, &plan_id)?;
        Ok(view(&visible(conn, &caller, (&plan_id, &allocation_id))?)?)
    })
    .await
}

/// A decision taken: who, why, the status it leaves.
struct Decided<'a> {
    actor: &'a Actor,
    reason: &'a str,
    status: ProposalStatus,
    action: &'a str,
}

/// Saves a proposal's new status (409 when it changed meanwhile) and records the change.
fn decide(
    conn: &mut DbConnection,
    mut row: AllocationRow,
    decided: &Decided<'_>,
) -> Result<AllocationView, AllocationError> {
    let before = view(&row)?;
    row.status = decided.status.key().to_owned();
    row.version = before.version + 1;
    row.decided_by = Some(decided.actor.subject.clone());
    row.decided_at = Some(now());
    row.decision_reason = Some(decided.reason.to_owned());
    if !queries::save_if_version(conn, &row, before.version)? {
        return Err(Problem::conflict(hte_shared::i18n::Text::fixed(
            "the proposal changed meanwhile; read it again",
            "分解方案已被他人修改，请重新读取后再试",
        ))
        .into());
    }
    let after = view(&row)?;
    record_change(
        conn,
        decided.actor,
        (decided.action, Some(decided.reason)),
        Some(&before),
        &after,
    )?;
    Ok(after)
}

/// 409 unless the proposal is still open (proposed).
fn require_open(row: &AllocationRow) -> Result<(), AllocationError> {
    let status = view(row)?.status;
    if status.is_open() {
        Ok(())
    } else {
        Err(Problem::conflict({
            let (id, key, label) = (&row.id, status.key(), status.label_zh());
            hte_shared::text!(
                "proposal {id} is {key}; only a proposed split can be decided",
                "分解方案 {id} 的状态为{label}；仅待批准的方案可以处理"
            )
        })
        .into())
    }
}

/// 409 unless the parent's target is still the one the proposal split.
fn require_current_parent(
    conn: &mut DbConnection,
    plan: &PlanRow,
    row: &AllocationRow,
) -> Result<(), AllocationError> {
    let now_value = current_value(conn, plan, &row.indicator, &row.parent_code, &row.period)?;
    if now_value == Some(row.parent_value) {
        return Ok(());
    }
    let (now_en, now_zh) = now_value.map_or(("unset".to_owned(), "未设定".to_owned()), |v| {
        (v.to_string(), v.to_string())
    });
    Err(Problem::conflict(hte_shared::text!(
        "region {}'s target is now {now_en}, not the {} this proposal split; propose again",
        "地区 {} 的目标现为{now_zh}，而不是本方案分解时的 {}；请重新提出方案",
        row.parent_code,
        row.parent_value
    ))
    .into())
}

fn checked_reason(decision: &Decision) -> Result<String, Problem> {
    check_reason(&decision.reason).map_err(|e| Problem::invalid_field("reason", "length", e))
}

/// Accepts a proposal: its shares become the children's targets in a new tree version,
/// with the caller and reason; every other open proposal for the same split is superseded,
/// each with its own audit entry. 409 when the parent's target changed since, when the
/// proposal is no longer open, or, on a published plan, when the shares would unbalance a
/// child that is itself split. Same rights as proposing. Returns the proposal and the new
/// tree version.
pub async fn accept(
    db: &Db,
    caller: Caller,
    request_id: &RequestId,
    (plan_id, allocation_id): (String, String),
    (if_match, decision): (IfMatch, Decision),
) -> Result<(AllocationView, i32), AllocationError> {
    caller.require_writer()?;
    let reason = checked_reason(&decision)?;
    let actor = Actor::new(&caller, request_id);
    db.write(move |conn| {
        let plan = load(conn, &plan_id)?;
        let row = visible(conn, &caller, (&plan_id, &allocation_id))?;
        require_split_right(&caller, &parent_of(&row)?)?;
        if_match.check_if_sent(row.version)?;
        require_open(&row)?;
        require_current_parent(conn, &plan, &row)?;
        let changes = view(&row)?
            .children
            .iter()
            .map(|c| TargetChange {
                indicator: row.indicator.clone(),
                region_code: c.region_code.clone(),
                period: row.period.clone(),
                value: c.share,
            })
            .collect();
        let edit = TreeEdit {
            kind: "allocation",
            reason: reason.clone(),
            allocation_id: Some(row.id.clone()),
            changes,
        };
        let version = commit_tree_edit(conn, &plan, &actor, edit)?.version;
        let rivals = queries::open_rivals(conn, &row)?;
        let mut accepted = row;
        accepted.accepted_tree_version = Some(version);
        let decided = Decided {
            actor: &actor,
            reason: &reason,
            status: ProposalStatus::Accepted,
            action: "accept",
        };
        let view = decide(conn, accepted, &decided)?;
        supersede(conn, &actor, rivals, &view.id)?;
        Ok((view, version))
    })
    .await
}

/// Marks each rival proposal superseded by `accepted`, each with its audit entry.
fn supersede(
    conn: &mut DbConnection,
    actor: &Actor,
    rivals: Vec<AllocationRow>,
    accepted: &str,
) -> Result<(), AllocationError> {
    let reason = format!("superseded by accepted proposal {accepted} (已被方案 {accepted} 替代)");
    let decided = Decided {
        actor,
        reason: &reason,
        status: ProposalStatus::Superseded,
        action: "supersede",
    };
    for rival in rivals {
        decide(conn, rival, &decided)?;
    }
    Ok(())
}

/// What ends a proposal without accepting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// By its proposer (撤回).
    Withdraw,
    /// By the province (驳回).
    Reject,
}

/// Withdraws (its proposer only) or rejects (the province only) an open proposal, with a
/// reason. 404 for a proposal outside the caller's region, 403 for anyone else, 409 once
/// decided; a stale `If-Match` is a 412.
pub async fn end(
    db: &Db,
    caller: Caller,
    request_id: &RequestId,
    (plan_id, allocation_id): (String, String),
    (if_match, ending, decision): (IfMatch, Ending, Decision),
) -> Result<AllocationView, AllocationError> {
    caller.require_writer()?;
    let reason = checked_reason(&decision)?;
    let actor = Actor::new(&caller, request_id);
    db.write(move |conn| {
        load(conn, &plan_id)?;
        let row = visible(conn, &caller, (&plan_id, &allocation_id))?;
        require_ending_right(&caller, &row, ending)?;
        if_match.check_if_sent(row.version)?;
        require_open(&row)?;
        let (status, action) = match ending {
            Ending::Withdraw => (ProposalStatus::Withdrawn, "withdraw"),
            Ending::Reject => (ProposalStatus::Rejected, "reject"),
        };
        let decided = Decided {
            actor: &actor,
            reason: &reason,
            status,
            action,
        };
        decide(conn, row, &decided)
    })
    .await
}

/// A proposal is withdrawn by whoever proposed it and rejected by the level above the
/// cities, the province.
fn require_ending_right(
    caller: &Caller,
    row: &AllocationRow,
    ending: Ending,
) -> Result<(), Problem> {
    match ending {
        Ending::Withdraw if caller.subject == row.created_by => Ok(()),
        Ending::Withdraw => Err(Problem::forbidden(hte_shared::i18n::Text::fixed(
            "only its proposer may withdraw a proposal",
            "仅方案提出人可以撤回方案",
        ))),
        Ending::Reject if caller.role == Role::Province => Ok(()),
        Ending::Reject => Err(Problem::forbidden(hte_shared::i18n::Text::fixed(
            "only the province rejects proposals",
            "仅省级用户可以驳回方案",
        ))),
    }
}
