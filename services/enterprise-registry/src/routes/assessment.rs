//! Benchmarking against the HTE criteria (对标找差) and the rule sets behind it.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDate;
use hte_shared::audit::{self, Actor, Change};
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::json::Json;
use hte_shared::openapi::{BadRequest, Conflict, NotFound};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{now, parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::annual_reports::figures_of;
use super::enterprises::{load_visible, path_credit_code};
use crate::db::annual_reports::AnnualReportRow;
use crate::db::enterprises::{self as enterprise_queries, EnterpriseRow};
use crate::db::rule_sets::{self as queries, RuleSetRow};
use crate::db::schema::annual_reports;
use crate::domain::assessment::{Assessment, FirmFacts, RuleSet, YearFigures, assess};
use crate::domain::tech_domain::TechDomain;
use crate::error::RegistryError;

// ---- facts --------------------------------------------------------------------------------

fn year_figures(row: &AnnualReportRow) -> YearFigures {
    let f = figures_of(row);
    YearFigures {
        year: row.year,
        employees: f.employees,
        st_staff: f.st_staff,
        total_income_yuan: f.total_income_yuan,
        sales_revenue_yuan: f.sales_revenue_yuan,
        hightech_income_yuan: f.hightech_income_yuan,
        rd_expense_yuan: f.rd_expense_yuan,
        rd_expense_domestic_yuan: f.rd_expense_domestic_yuan,
        total_costs_yuan: f.total_costs_yuan,
        net_assets_yuan: f.net_assets_yuan,
        total_assets_yuan: f.total_assets_yuan,
        invention_patents: f.invention_patents,
        class1_ip: f.class1_ip,
        class2_ip: f.class2_ip,
        conversions: f.conversions,
        rd_institution: f.rd_institution,
    }
}

/// The engine's inputs for a batch of enterprises, in three queries whatever the batch size.
pub(crate) fn facts_for(
    conn: &mut DbConnection,
    rows: &[EnterpriseRow],
    as_of: NaiveDate,
) -> Result<Vec<FirmFacts>, RegistryError> {
    use diesel::prelude::*;
    let codes: Vec<String> = rows.iter().map(|r| r.credit_code.clone()).collect();
    let reports: Vec<AnnualReportRow> = annual_reports::table
        .filter(annual_reports::credit_code.eq_any(&codes))
        .select(AnnualReportRow::as_select())
        .load(conn)?;
    let mut by_code: HashMap<&str, Vec<YearFigures>> = HashMap::new();
    for report in &reports {
        by_code
            .entry(report.credit_code.as_str())
            .or_default()
            .push(year_figures(report));
    }
    let certificates = enterprise_queries::certificate_spans(conn, &codes)?;
    Ok(rows
        .iter()
        .map(|row| FirmFacts {
            registered_on: row.registered_on,
            tech_domain: row
                .tech_domain
                .as_deref()
                .and_then(|d| TechDomain::parse(d).ok()),
            holds_valid_hte_certificate: certificates
                .get(&row.credit_code)
                .is_some_and(|spans| spans.iter().any(|s| s.valid_on(as_of))),
            // The registry holds no accident or violation records: a declaration item.
            clean_record: None,
            reports: by_code.remove(row.credit_code.as_str()).unwrap_or_default(),
        })
        .collect())
}

// ---- rule sets ----------------------------------------------------------------------------

/// The rule set to apply: the requested version, else the active one, else the built-in
/// national 2016 rules.
pub(crate) fn resolve_rule_set(
    conn: &mut DbConnection,
    requested: Option<&str>,
) -> Result<RuleSet, RegistryError> {
    let builtin = RuleSet::national_2016();
    let row = match requested {
        Some(version) if version == builtin.version => return Ok(builtin),
        Some(version) => Some(queries::find(conn, version)?.ok_or_else(|| {
            Problem::invalid_field("rule_set", "unknown", format!("no rule set {version:?}"))
        })?),
        None => queries::active(conn)?,
    };
    match row {
        None => Ok(builtin),
        Some(row) => serde_json::from_str(&row.rules_json).map_err(|e| {
            tracing::error!(version = %row.version, error = %e, "stored rule set does not parse");
            RegistryError::from(Problem::internal())
        }),
    }
}

/// A stored rule set version (规则版本).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSetSummary {
    pub version: String,
    pub description: Option<String>,
    #[serde(with = "hte_shared::time::utc::option")]
    pub created_at: Option<chrono::NaiveDateTime>,
    pub created_by: Option<String>,
    /// When it became the active rule set, if it did.
    #[serde(with = "hte_shared::time::utc::option")]
    pub activated_at: Option<chrono::NaiveDateTime>,
    /// Whether assessments use it now.
    pub active: bool,
    /// True for the rules built into the service.
    pub builtin: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSetList {
    pub items: Vec<RuleSetSummary>,
}

/// A rule set with its full rules.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSetDocument {
    #[serde(flatten)]
    pub summary: RuleSetSummary,
    pub rules: RuleSet,
}

/// Body of `PUT /rule-sets/{version}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRuleSet {
    /// What changed and why (说明).
    pub description: Option<String>,
    /// The rules; `rules.version` must equal the path's version.
    pub rules: RuleSet,
}

fn summary(row: &RuleSetRow, active: Option<&str>) -> RuleSetSummary {
    RuleSetSummary {
        version: row.version.clone(),
        description: row.description.clone(),
        created_at: Some(row.created_at),
        created_by: Some(row.created_by.clone()),
        activated_at: row.activated_at,
        active: active == Some(row.version.as_str()),
        builtin: false,
    }
}

fn builtin_summary(active: Option<&str>) -> RuleSetSummary {
    RuleSetSummary {
        version: RuleSet::national_2016().version,
        description: Some("National HTE criteria (国科发火〔2016〕32号/195号), tech-SME evaluation (国科发政〔2017〕115号); gazelle thresholds unconfirmed".to_owned()),
        created_at: None,
        created_by: None,
        activated_at: None,
        active: active.is_none(),
        builtin: true,
    }
}

/// Rule set versions: the built-in one and those the province added.
#[utoipa::path(tag = "assessment", responses((status = 200, description = "Versions", body = RuleSetList)))]
#[get("/rule-sets")]
pub async fn list_rule_sets(
    db: web::Data<Db>,
    _caller: Caller,
) -> Result<HttpResponse, RegistryError> {
    let items = db
        .read(|conn| {
            let active = queries::active(conn)?.map(|r| r.version);
            let mut items = vec![builtin_summary(active.as_deref())];
            items.extend(
                queries::list(conn)?
                    .iter()
                    .map(|row| summary(row, active.as_deref())),
            );
            Ok::<_, RegistryError>(items)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RuleSetList { items }))
}

/// One rule set with its thresholds and bands.
#[utoipa::path(
    tag = "assessment",
    params(("version" = String, Path, description = "Rule set version (规则版本)")),
    responses((status = 200, description = "The rule set", body = RuleSetDocument), (status = 404, response = NotFound))
)]
#[get("/rule-sets/{version}")]
pub async fn get_rule_set(
    db: web::Data<Db>,
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    let version = path.into_inner();
    let document = db
        .read(move |conn| {
            let active = queries::active(conn)?.map(|r| r.version);
            let builtin = RuleSet::national_2016();
            if version == builtin.version {
                return Ok(RuleSetDocument {
                    summary: builtin_summary(active.as_deref()),
                    rules: builtin,
                });
            }
            let row = queries::find(conn, &version)?
                .ok_or_else(|| Problem::not_found(format!("no rule set {version:?}")))?;
            let rules = serde_json::from_str(&row.rules_json).map_err(|_| Problem::internal())?;
            Ok::<_, RegistryError>(RuleSetDocument {
                summary: summary(&row, active.as_deref()),
                rules,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(document))
}

/// Add a rule set version (province only). Versions are immutable: the same body again is
/// accepted, a different body under an existing version is a 409.
#[utoipa::path(
    tag = "assessment",
    request_body = NewRuleSet,
    params(("version" = String, Path, description = "Rule set version (规则版本), 1–64 characters")),
    responses(
        (status = 201, description = "Stored", body = RuleSetDocument),
        (status = 200, description = "Already stored with this body", body = RuleSetDocument),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
    )
)]
#[put("/rule-sets/{version}")]
pub async fn put_rule_set(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    body: Json<NewRuleSet>,
) -> Result<HttpResponse, RegistryError> {
    if caller.role != Role::Province {
        return Err(Problem::forbidden("only the province sets assessment rules").into());
    }
    let version = path.into_inner();
    let NewRuleSet { description, rules } = body.into_inner();
    let mut errors: Vec<FieldError> = Vec::new();
    if version.is_empty() || version.chars().count() > 64 || version.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "version",
            "format",
            "a version has 1 to 64 characters",
        ));
    }
    if rules.version != version {
        errors.push(FieldError::new(
            "rules.version",
            "matches_path",
            format!("rules.version must be {version:?}"),
        ));
    }
    if let Err(rule_errors) = rules.validate() {
        errors.extend(rule_errors.into_iter().map(|(field, message)| {
            FieldError::new(format!("rules.{field}"), "rule_set", message)
        }));
    }
    if version == RuleSet::national_2016().version {
        errors.push(FieldError::new(
            "version",
            "builtin",
            "this version is built in and cannot be replaced",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors).into());
    }
    let rules_json = serde_json::to_string(&rules).map_err(|_| Problem::internal())?;
    let actor = Actor::new(&caller, &request_id);
    let (created, document) = db
        .write(move |conn| {
            if let Some(existing) = queries::find(conn, &version)? {
                let same = serde_json::from_str::<RuleSet>(&existing.rules_json).ok().as_ref() == Some(&rules);
                if !same {
                    return Err(Problem::conflict(format!("rule set {version:?} exists with other rules; versions are immutable, use a new version")).into());
                }
                let active = queries::active(conn)?.map(|r| r.version);
                return Ok((false, RuleSetDocument { summary: summary(&existing, active.as_deref()), rules }));
            }
            let row = RuleSetRow {
                version: version.clone(),
                rules_json,
                description,
                created_at: now(),
                created_by: actor.subject.clone(),
                activated_at: None,
            };
            queries::insert(conn, &row)?;
            audit::append(conn, &actor, Change {
                entity_type: "rule_set",
                entity_key: &version,
                action: "create",
                reason: row.description.as_deref(),
                before: None,
                after: serde_json::to_value(&rules).ok(),
            })?;
            let active = queries::active(conn)?.map(|r| r.version);
            Ok::<_, RegistryError>((true, RuleSetDocument { summary: summary(&row, active.as_deref()), rules }))
        })
        .await?;
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(document))
}

/// Make a rule set the one assessments use (province only): a stored one, or the built-in
/// national rules again.
#[utoipa::path(
    tag = "assessment",
    params(("version" = String, Path, description = "Rule set version (规则版本)")),
    responses((status = 200, description = "Active", body = RuleSetSummary), (status = 404, response = NotFound))
)]
#[post("/rule-sets/{version}/activate")]
pub async fn activate_rule_set(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistryError> {
    if caller.role != Role::Province {
        return Err(Problem::forbidden("only the province sets assessment rules").into());
    }
    let version = path.into_inner();
    let actor = Actor::new(&caller, &request_id);
    let result = db
        .write(move |conn| {
            let previous = queries::active(conn)?.map(|r| r.version);
            let activated = if version == RuleSet::national_2016().version {
                queries::deactivate_all(conn)?;
                builtin_summary(None)
            } else {
                let row = queries::find(conn, &version)?.ok_or_else(|| {
                    Problem::not_found(format!(
                        "no stored rule set {version:?} (the built-in one is active when no other is)"
                    ))
                })?;
                let at = now();
                queries::activate(conn, &version, at)?;
                RuleSetSummary {
                    activated_at: Some(at),
                    active: true,
                    ..summary(&row, None)
                }
            };
            audit::append(
                conn,
                &actor,
                Change {
                    entity_type: "rule_set",
                    entity_key: &version,
                    action: "activate",
                    reason: None,
                    before: Some(serde_json::json!({"active": previous})),
                    after: Some(serde_json::json!({"active": version})),
                },
            )?;
            Ok::<_, RegistryError>(activated)
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

// ---- assessment -----------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentParams {
    /// Assessment date, taken as the application date (default today).
    as_of: Option<String>,
    /// Rule set version (default: the active one).
    rule_set: Option<String>,
}

/// Benchmark an enterprise against the HTE conditions (对标找差): each condition's value,
/// threshold, pass/fail/unknown and the gap in units a manager acts on; plus the tech-SME
/// evaluation and the gazelle test. Names the rule set version used.
#[utoipa::path(
    tag = "assessment",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"), AssessmentParams),
    responses(
        (status = 200, description = "The assessment", body = Assessment),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
#[get("/enterprises/{credit_code}/assessment")]
pub async fn get_assessment(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    params: web::Query<AssessmentParams>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let as_of = parse_date_param("as_of", params.as_of.as_deref())?.unwrap_or_else(today);
    let requested = params.rule_set.clone();
    let assessment = db
        .read(move |conn| {
            let row = load_visible(conn, &caller, &code)?;
            let rules = resolve_rule_set(conn, requested.as_deref())?;
            let facts = facts_for(conn, std::slice::from_ref(&row), as_of)?;
            let facts = facts.first().ok_or_else(Problem::internal)?;
            Ok::<_, RegistryError>(assess(facts, as_of, &rules))
        })
        .await?;
    Ok(HttpResponse::Ok().json(assessment))
}
