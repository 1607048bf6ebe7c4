//! The target tree (目标树) of a plan: province → city → county, per indicator and period.
//! Every change makes a new tree version with its actor and reason; older versions stay
//! readable with `?version=`.

use actix_web::{HttpResponse, get, post, put, web};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{RecordInputRefusals, VersionedUpdateRefusals};
use hte_shared::pagination::Page;
use hte_shared::preconditions::json_with_etag;
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{Change, ListParams, PlanPath};
use crate::app::targets::{
    self, Adjustment, TargetInput, TargetTree, TargetView, TreeQuery, TreeVersionView,
};
use crate::error::AllocationError;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TreeParams {
    /// Tree version to show, 0 up to the current one (default: current).
    #[param(minimum = 0)]
    version: Option<i32>,
    /// Only this indicator.
    #[param(pattern = "^[a-z][a-z0-9_]{1,63}$")]
    indicator: Option<String>,
    /// Only this period.
    #[param(pattern = "^[0-9]{4}$")]
    period: Option<String>,
    /// Only this region and the regions below it.
    region: Option<String>,
}

/// The target tree (目标树) at the current or an older version, with each split region's
/// children sum and whether it balances. City and county officials see their own subtree,
/// and the version's change only when it set a value in it.
#[utoipa::path(
    tag = "targets",
    params(PlanPath, TreeParams),
    responses(
        (status = 200, description = "The tree", body = TargetTree, headers(("ETag" = String, description = "Current tree version; send in If-Match to change targets"))),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/targets")]
pub async fn get_targets(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<PlanPath>,
    params: web::Query<TreeParams>,
) -> Result<HttpResponse, AllocationError> {
    let TreeParams {
        version,
        indicator,
        period,
        region,
    } = params.into_inner();
    super::params::filter_rules(indicator.as_deref(), period.as_deref())?;
    let query = TreeQuery {
        version,
        indicator,
        period,
        region,
    };
    let tree: TargetTree = targets::tree(&db, &caller, path.into_inner().id, query).await?;
    Ok(json_with_etag(tree.current_version, &tree))
}

/// Every version of the tree, newest first, a page at a time (`limit` 1–500, default 50;
/// follow `next_cursor`): who changed it, how and why (目标调整记录). City and county
/// officials see the versions that set a value in their own region.
#[utoipa::path(
    tag = "targets",
    params(PlanPath, ListParams),
    responses(
        (status = 200, description = "A page of versions", body = Page<TreeVersionView>),
        RecordInputRefusals,
    )
)]
#[get("/plans/{id}/targets/versions")]
pub async fn list_tree_versions(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<PlanPath>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AllocationError> {
    let page = params.into_inner().page().parse::<(String, i32)>()?;
    let page = targets::versions(&db, &caller, path.into_inner().id, page).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Set one region's target for an indicator and period, as a new tree version. The province
/// sets the provincial and city targets; a city sets its counties' targets. On a published
/// plan this is an adjustment (调整) and must keep the tree balanced.
#[utoipa::path(
    tag = "targets",
    request_body = TargetInput,
    params(
        ("id" = String, Path, description = "Plan id (规划代码)"),
        ("region" = String, Path, description = "Region code (地区代码), GB/T 2260"),
        ("If-Match" = String, Header, description = "ETag of the tree from GET …/targets, e.g. \"v3\""),
    ),
    responses(
        (status = 200, description = "Set", body = TargetView, headers(("ETag" = String))),
        VersionedUpdateRefusals,
    )
)]
// Six digits only: `PUT …/targets/versions` is a method the versions list lacks (405).
#[put("/plans/{id}/targets/{region:[0-9]+}")]
pub async fn put_target(
    change: Change<(String, String)>,
    body: Json<TargetInput>,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let input = body.into_inner();
    let (view, version): (TargetView, i32) =
        targets::set_target(&db, &caller, &request_id, path, if_match, input).await?;
    Ok(json_with_etag(version, &view))
}

/// Change several targets at once as one new tree version (调整), e.g. raise the provincial
/// target and the cities' shares together so a published tree stays balanced. Each value
/// needs the same right as setting it alone.
#[utoipa::path(
    tag = "targets",
    request_body = Adjustment,
    params(
        PlanPath,
        ("If-Match" = String, Header, description = "ETag of the tree from GET …/targets"),
    ),
    responses(
        (status = 200, description = "Applied", body = TreeVersionView, headers(("ETag" = String))),
        VersionedUpdateRefusals,
    )
)]
#[post("/plans/{id}/adjustments")]
pub async fn post_adjustment(
    change: Change<PlanPath>,
    body: Json<Adjustment>,
) -> Result<HttpResponse, AllocationError> {
    let (db, caller, request_id, path, if_match) = change.into_parts();
    let input = body.into_inner();
    let version: TreeVersionView =
        targets::adjust(&db, &caller, &request_id, path.id, if_match, input).await?;
    Ok(json_with_etag(version.version, &version))
}
