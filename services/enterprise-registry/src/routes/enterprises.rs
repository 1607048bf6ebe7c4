//! Enterprises (企业): create, read, list, update, deregister, history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use hte_shared::audit::{Actor, AuditEntry};
use hte_shared::auth::Caller;
use hte_shared::db::Db;
use hte_shared::idempotency::{Created, MaybeIdempotencyKey, create_once};
use hte_shared::json::Json;
use hte_shared::openapi::refusals::{
    ChangeRefusals, CreateRefusals, InputRefusals, RecordInputRefusals,
};
use hte_shared::openapi::{
    BadRequest, NotFound, PreconditionFailed, PreconditionRequired, UnprocessableEntity,
};
use hte_shared::pagination::{Page, PageParams};
use hte_shared::preconditions::{IfMatch, json_with_etag};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::telemetry::RequestId;
use hte_shared::time::{parse_date_param, today};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{parse_ending, path_credit_code, region_filter};
use crate::app::enterprises::{self as operations, EnterpriseView};
use crate::app::keyed_read::{self, EnterpriseCache};
use crate::domain::credit_code::CreditCode;
use crate::domain::enterprise::{EnterprisePatch, NewEnterprise, ZoneLevel};
use crate::domain::labels::LabelKind;
use crate::domain::listing::{CURSOR_TIME_FORMAT, ListCursor, ListFilter, ListPage, SortKey};
use crate::domain::status::EnterpriseStatus;
use crate::domain::tech_domain::TechDomain;
use crate::error::{RegistryError, to_json};

/// Body of `POST /enterprises/{credit_code}/deregister`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deregistration {
    /// Date of deregistration (注销日期).
    pub deregistered_on: NaiveDate,
    /// Why (注销原因), 2–500 characters.
    #[schema(
        example = "企业已办理工商注销",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

/// Register an enterprise.
#[utoipa::path(
    tag = "enterprises",
    request_body = NewEnterprise,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: a replay returns the first answer")),
    responses(
        (status = 201, description = "Registered", body = EnterpriseView, headers(("Location" = String))),
        CreateRefusals,
    )
)]
#[post("/enterprises")]
pub async fn create_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    key: MaybeIdempotencyKey,
    body: Json<NewEnterprise>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let today = today();
    let fields = body.0.parse(today)?;
    caller.require_write(&fields.county.code())?;
    let request = to_json(&body.0)?;
    create_once(
        &db,
        Actor::new(&caller, &request_id),
        key.0,
        "POST /api/v1/enterprises".to_owned(),
        request,
        move |conn, actor| {
            let view = operations::create_for(conn, &caller, actor, &fields, today)?;
            Ok(Created {
                status: StatusCode::CREATED,
                location: Some(format!("/api/v1/enterprises/{}", view.credit_code)),
                body: to_json(&view)?,
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParam {
    /// Date the derived status refers to (default: today, China time).
    as_of: Option<String>,
}

/// One enterprise, with its status on a date.
#[utoipa::path(
    tag = "enterprises",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"), AsOfParam),
    responses(
        (status = 200, description = "The enterprise", body = EnterpriseView, headers(("ETag" = String, description = "Send back in If-Match to update"))),
        RecordInputRefusals,
    )
)]
#[get("/enterprises/{credit_code}")]
pub async fn get_enterprise(
    db: web::Data<Db>,
    cache: web::Data<EnterpriseCache>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<AsOfParam>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let as_of = parse_date_param("as_of", query.as_of.as_deref())?.unwrap_or_else(today);
    let facts = keyed_read::facts(&db, &cache, &code).await?;
    let view = operations::visible_view(facts.as_deref(), &caller, &code, as_of)?;
    Ok(json_with_etag(view.version, &view))
}

/// Change an enterprise's fields. Needs `If-Match` with the ETag of the last read.
#[utoipa::path(
    tag = "enterprises",
    request_body = EnterprisePatch,
    params(
        ("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"),
        ("If-Match" = String, Header, description = "ETag from the last read, e.g. \"v3\"", pattern = "^[!-~]([ -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "Updated", body = EnterpriseView, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 422, response = UnprocessableEntity),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 428, response = PreconditionRequired),
    )
)]
#[patch("/enterprises/{credit_code}")]
pub async fn update_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    if_match: IfMatch,
    body: Json<EnterprisePatch>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let code = path_credit_code(&path)?;
    let actor = Actor::new(&caller, &request_id);
    let today = today();
    let view = db
        .write(move |conn| {
            let check = |version| if_match.check(version);
            operations::update(conn, &caller, &actor, &code, check, &body.0, today)
        })
        .await?;
    Ok(json_with_etag(view.version, &view))
}

/// Deregister (注销) an enterprise: nothing is deleted; its history stays.
#[utoipa::path(
    tag = "enterprises",
    request_body = Deregistration,
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)")),
    responses(
        (status = 200, description = "Deregistered", body = EnterpriseView, headers(("ETag" = String))),
        ChangeRefusals,
    )
)]
#[post("/enterprises/{credit_code}/deregister")]
pub async fn deregister_enterprise(
    db: web::Data<Db>,
    caller: Caller,
    request_id: RequestId,
    path: web::Path<String>,
    body: Json<Deregistration>,
) -> Result<HttpResponse, RegistryError> {
    caller.require_writer()?;
    let code = path_credit_code(&path)?;
    let today = today();
    let ending = parse_ending(
        ("deregistered_on", body.0.deregistered_on),
        &body.0.reason,
        today,
    )?;
    let actor = Actor::new(&caller, &request_id);
    let view = db
        .write(move |conn| operations::deregister(conn, &caller, &actor, &code, &ending, today))
        .await?;
    Ok(json_with_etag(view.version, &view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseFilter {
    /// Region code: a city matches its whole subtree, a county itself (default: your region).
    region: Option<String>,
    /// Status on `as_of`: hte, pool, registered, deregistered, not_yet_registered.
    #[param(value_type = Option<crate::domain::status::EnterpriseStatus>)]
    status: Option<String>,
    /// Date for `status` and for the status shown (default today).
    as_of: Option<String>,
    /// Technology domain key (技术领域).
    #[param(value_type = Option<crate::domain::tech_domain::TechDomain>)]
    tech_domain: Option<String>,
    /// Holds an unrevoked label of this kind (称号): gazelle, little_giant, …
    #[param(value_type = Option<crate::domain::labels::LabelKind>)]
    label: Option<String>,
    /// Level of the enterprise's high-tech zone (its zone's current level): none, provincial, national.
    #[param(value_type = Option<crate::domain::enterprise::ZoneLevel>)]
    zone_level: Option<String>,
    /// Above designated size (规上).
    above_scale: Option<bool>,
    /// Name contains this text (名称包含), at most 100 characters.
    #[param(max_length = 100)]
    q: Option<String>,
}

/// Order and page of `GET /enterprises` (exports take the filters only: they hold them all).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterprisePage {
    /// Order: `credit_code` (default), `name`, or `updated_at`; always ascending, ties by credit code.
    #[param(pattern = "^(credit_code|name|updated_at)$")]
    sort: Option<String>,
    /// Page size, 1–500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Clone)]
pub(super) struct ParsedFilter {
    pub filter: ListFilter,
    pub as_of: NaiveDate,
}

impl EnterpriseFilter {
    pub(super) fn parse(&self, caller: &Caller) -> Result<ParsedFilter, Problem> {
        let mut errors = Vec::new();
        let as_of = match parse_date_param("as_of", self.as_of.as_deref()) {
            Ok(date) => date.unwrap_or_else(today),
            Err(problem) => {
                errors.extend(problem.errors);
                today()
            }
        };
        let mut filter = region_filter(caller, self.region.as_deref(), &mut errors)?;
        if let Some(raw) = self.status.as_deref() {
            let statuses = [
                EnterpriseStatus::Hte,
                EnterpriseStatus::Pool,
                EnterpriseStatus::Registered,
                EnterpriseStatus::Deregistered,
                EnterpriseStatus::NotYetRegistered,
            ];
            match statuses.into_iter().find(|s| s.key() == raw) {
                Some(status) => filter.status = Some((status, as_of)),
                None => errors.push(FieldError::new(
                    "status",
                    "enum",
                    hte_shared::i18n::Text::fixed(
                        "status must be hte, pool, registered, deregistered or not_yet_registered",
                        "status 须为 hte（高新技术企业）、pool（培育库）、registered（已注册）、deregistered（已注销）或 not_yet_registered（尚未注册）",
                    ),
                )),
            }
        }
        if let Some(raw) = self.tech_domain.as_deref() {
            match TechDomain::parse(raw) {
                Ok(domain) => filter.tech_domain = Some(domain.key().to_owned()),
                Err(e) => errors.push(FieldError::new("tech_domain", "enum", e)),
            }
        }
        if let Some(raw) = self.label.as_deref() {
            match LabelKind::from_key(raw) {
                Some(kind) => filter.label = Some((kind.key().to_owned(), as_of)),
                None => errors.push(FieldError::new(
                    "label",
                    "enum",
                    hte_shared::i18n::Text::fixed(
                        "label must be gazelle, little_giant, single_champion, innovative_leader, top100, listing_pipeline or tech_sme",
                        "label 须为 gazelle（瞪羚企业）、little_giant（专精特新“小巨人”）、single_champion（单项冠军）、innovative_leader（创新型领军企业）、top100（百强）、listing_pipeline（上市后备）或 tech_sme（科技型中小企业）",
                    ),
                )),
            }
        }
        if let Some(raw) = self.zone_level.as_deref() {
            match ZoneLevel::from_key(raw) {
                Some(level) => filter.zone_level = Some(level.key().to_owned()),
                None => errors.push(FieldError::new(
                    "zone_level",
                    "enum",
                    hte_shared::i18n::Text::fixed(
                        "zone_level must be none, provincial or national",
                        "zone_level 须为 none（不在高新区）、provincial（省级高新区）或 national（国家级高新区）",
                    ),
                )),
            }
        }
        filter.above_scale = self.above_scale;
        if let Some(text) = self.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            if text.chars().count() > 100 {
                errors.push(FieldError::new(
                    "q",
                    "length",
                    hte_shared::i18n::Text::fixed(
                        "q may have at most 100 characters",
                        "q 最多 100 个字符",
                    ),
                ));
            }
            filter.name_contains = Some(text.to_owned());
        }
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        Ok(ParsedFilter { filter, as_of })
    }
}

/// List enterprises in your region, filtered, with cursor pagination.
#[utoipa::path(
    tag = "enterprises",
    params(EnterpriseFilter, EnterprisePage),
    responses(
        (status = 200, description = "A page of enterprises", body = Page<EnterpriseView>),
        InputRefusals,
    )
)]
#[get("/enterprises")]
pub async fn list_enterprises(
    db: web::Data<Db>,
    caller: Caller,
    query: web::Query<EnterpriseFilter>,
    order: web::Query<EnterprisePage>,
) -> Result<HttpResponse, RegistryError> {
    let parsed = query.parse(&caller)?;
    let query = order.into_inner();
    let (sort, sort_name) = parse_sort(query.sort.as_deref())?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    }
    .parse::<ListCursor>()?;
    if let Some(cursor) = &page.after {
        check_cursor(cursor, sort, &sort_name)?;
    }
    let limit = page.limit;
    let result = db
        .read(move |conn| {
            let asked = ListPage {
                filter: &parsed.filter,
                sort,
                after: page.after.as_ref(),
                limit: i64::from(limit) + 1,
            };
            let views = operations::list(conn, asked, parsed.as_of)?;
            Ok::<_, RegistryError>(Page::from_rows(views, limit, |v| ListCursor {
                sort: sort_name.clone(),
                value: match sort {
                    SortKey::CreditCode => v.credit_code.clone(),
                    SortKey::Name => v.name.clone(),
                    SortKey::UpdatedAt => v.updated_at.format(CURSOR_TIME_FORMAT).to_string(),
                },
                credit_code: v.credit_code.clone(),
            }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// The list's order and its name (the cursor carries the name).
fn parse_sort(raw: Option<&str>) -> Result<(SortKey, String), Problem> {
    let name = raw.unwrap_or("credit_code");
    let sort = match name {
        "credit_code" => SortKey::CreditCode,
        "name" => SortKey::Name,
        "updated_at" => SortKey::UpdatedAt,
        other => {
            return Err(Problem::invalid_field(
                "sort",
                "enum",
                hte_shared::text!(
                    "sort must be credit_code, name or updated_at; got {other:?}",
                    "sort 须为 credit_code、name 或 updated_at，收到的是 {other:?}"
                ),
            ));
        }
    };
    Ok((sort, name.to_owned()))
}

/// A cursor is opaque but decodable; one of another order, or whose position does not fit
/// its order, was not issued for this list.
fn check_cursor(cursor: &ListCursor, sort: SortKey, sort_name: &str) -> Result<(), Problem> {
    if cursor.sort != sort_name {
        return Err(Problem::invalid_field(
            "cursor",
            "sort_mismatch",
            hte_shared::i18n::Text::fixed(
                "the cursor belongs to another sort order",
                "该游标属于另一种排序方式",
            ),
        ));
    }
    if sort == SortKey::UpdatedAt
        && chrono::NaiveDateTime::parse_from_str(&cursor.value, CURSOR_TIME_FORMAT).is_err()
        || CreditCode::parse(&cursor.credit_code).is_err()
    {
        return Err(Problem::invalid_field(
            "cursor",
            "format",
            hte_shared::i18n::Text::fixed(
                "the cursor is not one this service issued; start again without it",
                "该游标不是本服务签发的，请去掉游标从头查询",
            ),
        ));
    }
    Ok(())
}

/// Every recorded change to an enterprise and its records (历史记录): who, when, why,
/// before and after. Oldest first.
#[utoipa::path(
    tag = "enterprises",
    params(("credit_code" = String, Path, description = "Unified social credit code (统一社会信用代码)"), PageParams),
    responses(
        (status = 200, description = "A page of changes", body = Page<AuditEntry>),
        RecordInputRefusals,
    )
)]
#[get("/enterprises/{credit_code}/history")]
pub async fn enterprise_history(
    db: web::Data<Db>,
    caller: Caller,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, RegistryError> {
    let code = path_credit_code(&path)?;
    let page = page.parse::<i64>()?;
    let result = db
        .read(move |conn| {
            let limit = i64::from(page.limit) + 1;
            let entries = operations::history(conn, &caller, &code, page.after, limit)?;
            Ok::<_, RegistryError>(Page::from_rows(entries, page.limit, |e| e.id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}
