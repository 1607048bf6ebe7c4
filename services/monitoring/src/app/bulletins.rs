//! Bulletins (定期通报) of a stored snapshot, for the province with its 13 cities or for a
//! city with its counties: the rows are loaded here, the value made by
//! [`crate::bulletin::build`] and written by [`crate::render`].
//!
//! Who reads which: the province, auditors and services any (the province's by default);
//! a city official its own city's (the default for them); county officials none (403),
//! because a bulletin's table ranks a region's subdivisions and a county has none: they read
//! their figures on the KPI board.

use chrono::NaiveDateTime;
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, PROVINCE_CODE, RegionCode, RegionLevel};
use hte_shared::telemetry::RequestId;
use hte_shared::text;

use super::{Monitor, check_plan_id, parse_region, require_read, subtree_codes};
use crate::bulletin::{self, Assessment, Bulletin, BulletinOptions, BulletinSource, Earlier};
use crate::db::alerts::{self, AlertFilter, AlertRow};
use crate::db::snapshots::{
    self as queries, Comparisons, SnapshotIndicatorRow, SnapshotRow, SnapshotValueRow,
};
use crate::domain::limits::MAX_BULLETIN_ALERTS;
use crate::domain::period::Period;
use crate::error::MonitoringError;
use crate::render::{self, BulletinFormat};

/// Which bulletin, as asked.
#[derive(Debug, Clone, Default)]
pub struct BulletinQuery {
    pub plan: String,
    pub period: String,
    pub revision: Option<i32>,
    pub region: Option<String>,
}

/// Which bulletin, checked against the caller's reach.
#[derive(Debug, Clone)]
pub struct BulletinOrder {
    pub plan_id: String,
    pub period: Period,
    /// A revision of the period's snapshot; the latest when absent.
    pub revision: Option<i32>,
    /// The province, or a city.
    pub scope: RegionCode,
}

/// A bulletin written in a format, with its download name.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub format: BulletinFormat,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The scope a bulletin covers: the region asked for (the province or a city, within the
/// caller's reach), else the caller's own city, else the province.
fn scope_of(caller: &Caller, region: Option<&str>) -> Result<RegionCode, Problem> {
    if caller.role == Role::County {
        return Err(Problem::forbidden(text!(
            "bulletins cover the province's cities or a city's counties; county officials \
             read their figures on the KPI board",
            "通报按全省各设区市或设区市所辖县（市、区）编制，县级用户请在指标看板查看本地区数据"
        )));
    }
    let scope = match region.map(str::trim) {
        Some(raw) => parse_region("region", raw)?,
        None => caller.read_scope().copied().unwrap_or(PROVINCE_CODE),
    };
    let level = regions::find(&scope).map(|r| r.level);
    if !matches!(level, Some(RegionLevel::Province | RegionLevel::City)) {
        return Err(Problem::invalid_field(
            "region",
            "level",
            text!(
                "a bulletin covers the province or a city; got {scope}",
                "通报范围须为全省或设区市；收到 {scope}"
            ),
        ));
    }
    require_read(caller, &scope)?;
    Ok(scope)
}

/// Checks a request: the plan id, the period, the revision (from 1) and the scope.
pub fn order_of(caller: &Caller, query: &BulletinQuery) -> Result<BulletinOrder, Problem> {
    let mut errors: Vec<FieldError> = Vec::new();
    let plan_id = check_plan_id("plan", &query.plan)
        .map_err(|p| errors.extend(p.errors))
        .ok();
    let period = Period::parse(&query.period)
        .map_err(|e| errors.push(FieldError::new("period", "format", e.text())))
        .ok();
    if let Some(revision) = query.revision.filter(|r| *r < 1) {
        errors.push(FieldError::new(
            "revision",
            "minimum",
            text!(
                "revision counts from 1; got {revision}",
                "版本号从 1 开始；收到 {revision}"
            ),
        ));
    }
    let scope = match scope_of(caller, query.region.as_deref()) {
        Ok(scope) => Some(scope),
        Err(problem) if problem.status == 400 => {
            errors.extend(problem.errors);
            None
        }
        Err(problem) => return Err(problem),
    };
    match (plan_id, period, scope) {
        (Some(plan_id), Some(period), Some(scope)) if errors.is_empty() => Ok(BulletinOrder {
            plan_id,
            period,
            revision: query.revision,
            scope,
        }),
        _ => Err(Problem::validation(errors)),
    }
}

/// The rows a bulletin is built from.
struct Loaded {
    snapshot: SnapshotRow,
    indicators: Vec<SnapshotIndicatorRow>,
    values: Vec<SnapshotValueRow>,
    compared: Comparisons,
    alerts: Vec<AlertRow>,
}

fn snapshot_of(
    conn: &mut DbConnection,
    order: &BulletinOrder,
) -> Result<SnapshotRow, MonitoringError> {
    let period = order.period.to_string();
    let found = match order.revision {
        Some(revision) => queries::revision_of(conn, &order.plan_id, &period, revision)?,
        None => queries::latest(conn, &order.plan_id, &period)?,
    };
    found.ok_or_else(|| {
        let plan = &order.plan_id;
        let revision = order.revision.map(|r| format!(" #{r}")).unwrap_or_default();
        Problem::not_found(text!(
            "no snapshot{revision} of plan {plan} for {period}",
            "规划 {plan} 尚无 {period} 的快照{revision}"
        ))
        .into()
    })
}

/// Whether an alert belongs in the bulletin: raised for this plan (or for no plan, such as
/// expiring certificates), and either seen by this snapshot or open when it was taken.
fn in_force(alert: &AlertRow, snapshot: &SnapshotRow) -> bool {
    let plan = alert
        .plan_id
        .as_deref()
        .is_none_or(|p| p == snapshot.plan_id);
    let at: NaiveDateTime = snapshot.taken_at;
    let seen = alert.last_snapshot_id.as_deref() == Some(snapshot.id.as_str());
    let open = alert.first_seen <= at && alert.resolved_at.is_none_or(|r| r > at);
    plan && (seen || open)
}

fn load(conn: &mut DbConnection, order: &BulletinOrder) -> Result<Loaded, MonitoringError> {
    let snapshot = snapshot_of(conn, order)?;
    let regions = bulletin::regions_read(order.scope);
    let indicators = queries::indicators_of(conn, &snapshot.id)?;
    let values = queries::values_of(conn, &snapshot.id, None, Some(&regions))?;
    let compared = queries::comparisons(conn, &order.plan_id, order.period, &regions)?;
    let filter = AlertFilter {
        regions: Some(subtree_codes(&order.scope)),
        ..AlertFilter::default()
    };
    let alerts = alerts::list(conn, &filter, None, MAX_BULLETIN_ALERTS as i64)?
        .into_iter()
        .filter(|a| in_force(a, &snapshot))
        .collect();
    Ok(Loaded {
        snapshot,
        indicators,
        values,
        compared,
        alerts,
    })
}

/// The plan's assessments, or a note saying why the bulletin has none: the bulletin is
/// still worth issuing when the allocation service is down, and says so.
async fn assessments(
    monitor: &Monitor,
    plan_id: &str,
    request_id: &RequestId,
) -> (Vec<Assessment>, Option<String>) {
    match monitor
        .upstreams
        .allocation
        .assessments(plan_id, request_id)
        .await
    {
        Ok(list) => (list, None),
        Err(error) => {
            tracing::warn!(%error, plan_id, "bulletin without assessments");
            let note = "考核结果暂无法从目标分解服务读取，本通报未列考核结果。".to_owned();
            (Vec::new(), Some(note))
        }
    }
}

fn options(monitor: &Monitor, scope: RegionCode) -> BulletinOptions {
    let issuer = match regions::find(&scope) {
        Some(region) if region.level == RegionLevel::City => format!("{}科学技术局", region.name),
        _ => "江苏省科学技术厅".to_owned(),
    };
    BulletinOptions {
        scope,
        issuer,
        document_number: None,
        subject: "高新技术企业培育工作".to_owned(),
        addressees: None,
        schedule_margin: monitor.settings.alert_rules.schedule_margin,
        issued_on: hte_shared::time::today(),
    }
}

/// The bulletin of a stored snapshot (never a new one: take a snapshot first).
pub async fn bulletin(
    db: &Db,
    monitor: &Monitor,
    request_id: &RequestId,
    order: BulletinOrder,
) -> Result<Bulletin, MonitoringError> {
    let (assessments, note) = assessments(monitor, &order.plan_id, request_id).await;
    let mut built = from_storage(db, monitor, order, assessments).await?;
    built.notes.extend(note);
    Ok(built)
}

/// The bulletin from stored rows alone, with the assessments given (the dashboard shows
/// none, and so does not wait for the allocation service).
pub async fn from_storage(
    db: &Db,
    monitor: &Monitor,
    order: BulletinOrder,
    assessments: Vec<Assessment>,
) -> Result<Bulletin, MonitoringError> {
    let options = options(monitor, order.scope);
    db.read(move |conn| {
        let loaded = load(conn, &order)?;
        let source = BulletinSource {
            snapshot: &loaded.snapshot,
            indicators: &loaded.indicators,
            values: &loaded.values,
            previous: loaded.compared.previous.as_ref().map(|(s, v)| Earlier {
                snapshot: s,
                values: v,
            }),
            year_earlier: loaded.compared.year_earlier.as_ref().map(|(s, v)| Earlier {
                snapshot: s,
                values: v,
            }),
            alerts: &loaded.alerts,
            assessments: &assessments,
        };
        bulletin::build(&source, &options).map_err(|error| {
            tracing::error!(%error, "a bulletin cannot be built from stored rows");
            MonitoringError::from(Problem::internal())
        })
    })
    .await
}

/// The bulletin written in `format`.
pub fn render(bulletin: &Bulletin, format: BulletinFormat) -> Result<Rendered, MonitoringError> {
    let bytes = render::render(format, bulletin).map_err(|error| {
        tracing::error!(%error, format = format.key(), "a bulletin cannot be rendered");
        Problem::internal()
    })?;
    Ok(Rendered {
        format,
        file_name: format.file_name(bulletin),
        bytes,
    })
}
