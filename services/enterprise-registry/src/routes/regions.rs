//! Jiangsu divisions (行政区划), GB/T 2260.

use actix_web::{HttpResponse, get, web};
use hte_shared::auth::Caller;
use hte_shared::openapi::BadRequest;
use hte_shared::openapi::refusals::ReadRefusals;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, Region, RegionCode, RegionKind, RegionLevel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A division (行政区划).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegionView {
    /// Division code (行政区划代码), 6 digits.
    #[schema(value_type = String, example = "320500")]
    pub code: RegionCode,
    /// Name (名称).
    #[schema(example = "苏州市")]
    pub name: String,
    /// Level (层级): province 省, city 设区市, county 县级.
    pub level: RegionLevel,
    /// Kind (类型): district 市辖区, county-level city 县级市, county 县, functional zone 功能区 …
    pub kind: RegionKind,
    /// Parent division code (上级区划); absent for the province.
    #[schema(value_type = Option<String>, example = "320000")]
    pub parent_code: Option<RegionCode>,
    /// False for NBS statistical codes of functional zones (e.g. 苏州工业园区), which are not
    /// GB/T 2260 divisions.
    pub in_gbt2260: bool,
}

impl From<&Region> for RegionView {
    fn from(region: &Region) -> Self {
        Self {
            code: region.code,
            name: region.name.clone(),
            level: region.level,
            kind: region.kind,
            parent_code: region.parent,
            in_gbt2260: region.in_gbt2260,
        }
    }
}

/// A division with its parents and children.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegionDetail {
    #[serde(flatten)]
    pub region: RegionView,
    /// From the province down to the direct parent (a county has two).
    #[schema(max_items = 2)]
    pub ancestors: Vec<RegionView>,
    /// Direct children (下级区划), ordered by code.
    #[schema(max_items = 200)]
    pub children: Vec<RegionView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegionList {
    /// Every matching division, ordered by code (the table is small: no pagination; at most
    /// `hte_shared::regions::MAX_REGIONS`).
    #[schema(max_items = 200)]
    pub items: Vec<RegionView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionFilter {
    /// Only this level: `province`, `city` or `county`.
    #[param(pattern = "^(province|city|county)$")]
    level: Option<String>,
    /// Only direct children of this division code.
    parent: Option<String>,
    /// Include NBS functional-zone codes (default true).
    include_functional_zones: Option<bool>,
}

struct ParsedFilter {
    level: Option<RegionLevel>,
    parent: Option<RegionCode>,
    include_functional_zones: bool,
}

impl RegionFilter {
    fn parse(&self) -> Result<ParsedFilter, Problem> {
        let mut errors = Vec::new();
        let level = match self.level.as_deref().map(str::parse::<RegionLevel>) {
            None => None,
            Some(Ok(level)) => Some(level),
            Some(Err(message)) => {
                errors.push(FieldError::new("level", "enum", message));
                None
            }
        };
        let parent = match self.parent.as_deref().map(RegionCode::parse) {
            None => None,
            Some(Ok(code)) => Some(code),
            Some(Err(e)) => {
                errors.push(FieldError::new("parent", "format", e.text()));
                None
            }
        };
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        Ok(ParsedFilter {
            level,
            parent,
            include_functional_zones: self.include_functional_zones.unwrap_or(true),
        })
    }
}

/// List Jiangsu divisions, optionally by level and parent.
#[utoipa::path(
    tag = "regions",
    params(RegionFilter),
    responses(
        (status = 200, description = "Matching divisions", body = RegionList),
        (status = 400, response = BadRequest),
    )
)]
#[get("/regions")]
pub async fn list_regions(
    _caller: Caller,
    filter: web::Query<RegionFilter>,
) -> Result<HttpResponse, Problem> {
    let filter = filter.parse()?;
    let items = regions::all()
        .iter()
        .filter(|r| filter.level.is_none_or(|level| r.level == level))
        .filter(|r| filter.parent.is_none_or(|parent| r.parent == Some(parent)))
        .filter(|r| filter.include_functional_zones || r.kind != RegionKind::FunctionalZone)
        .map(RegionView::from)
        .collect();
    Ok(HttpResponse::Ok().json(RegionList { items }))
}

/// One division with its ancestors and children.
#[utoipa::path(
    tag = "regions",
    params(("code" = String, Path, description = "Division code (行政区划代码), 6 digits", example = "320500")),
    responses(
        (status = 200, description = "The division", body = RegionDetail),
        ReadRefusals,
    )
)]
#[get("/regions/{code}")]
pub async fn get_region(_caller: Caller, code: web::Path<String>) -> Result<HttpResponse, Problem> {
    let code =
        RegionCode::parse(&code).map_err(|e| Problem::invalid_field("code", "format", e.text()))?;
    let region = regions::find(&code).ok_or_else(|| {
        Problem::not_found(hte_shared::text!(
            "no Jiangsu division has code {code}",
            "未找到代码为 {code} 的江苏省行政区划"
        ))
    })?;
    let mut ancestors = Vec::new();
    let mut parent = region.parent;
    while let Some(code) = parent {
        match regions::find(&code) {
            Some(p) => {
                ancestors.push(RegionView::from(p));
                parent = p.parent;
            }
            None => break,
        }
    }
    ancestors.reverse();
    Ok(HttpResponse::Ok().json(RegionDetail {
        region: RegionView::from(region),
        ancestors,
        children: regions::children(&code).map(RegionView::from).collect(),
    }))
}
