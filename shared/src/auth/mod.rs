//! Bearer-token authentication and region-scoped authorisation.
//!
//! Two kinds of token are accepted: HS256 tokens signed with the suite's own secret
//! (development, `cargo run`, and the CLI's `token` command), and RS256/ES256 tokens from the
//! province's identity platform, verified against its published keys ([`oidc`], [`jwks`]).
//! Both carry a role and a region and obey the same rules ([`claims`]). A handler takes a
//! [`Caller`] argument; without a valid token the request never reaches it (401). Whether the
//! caller may read or write a region is answered by [`Caller::may_read`] /
//! [`Caller::may_write`].

pub mod claims;
pub mod jwks;
mod keys;
mod oidc;
mod outbound;

use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::Text;
use crate::problem::Problem;
use crate::regions::RegionCode;
use crate::text;

pub use claims::{MAX_SUBJECT_CHARS, TokenRules};
pub use keys::{AuthKeys, KeyError, MIN_SECRET_LEN};

pub const ISSUER: &str = "jiangsu-hte";

/// What a caller is, which fixes what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Provincial department (省科技厅): reads and writes everything.
    Province,
    /// City bureau (设区市): reads and writes its city and the counties under it.
    City,
    /// County or district bureau (县/区): reads and writes its own county.
    County,
    /// Auditor (审计/只读): reads everything, writes nothing.
    Auditor,
    /// Another service of this suite: reads everything, writes nothing.
    Service,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "province" => Ok(Self::Province),
            "city" => Ok(Self::City),
            "county" => Ok(Self::County),
            "auditor" => Ok(Self::Auditor),
            "service" => Ok(Self::Service),
            other => Err(format!(
                "unknown role {other:?}: use province, city, county, auditor or service"
            )),
        }
    }
}

/// JWT claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// Region code the caller acts for (6 digits, GB/T 2260).
    pub region: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub role: Role,
    pub region: RegionCode,
}

impl Caller {
    /// Province, auditors and services see the whole province; city and county officials
    /// see their own subtree.
    pub fn may_read(&self, region: &RegionCode) -> bool {
        match self.role {
            Role::Province | Role::Auditor | Role::Service => true,
            Role::City | Role::County => region.is_within(&self.region),
        }
    }

    pub fn may_write(&self, region: &RegionCode) -> bool {
        match self.role {
            Role::Province => true,
            Role::City | Role::County => region.is_within(&self.region),
            Role::Auditor | Role::Service => false,
        }
    }

    /// The subtree a list query must stay inside: `None` means the whole province.
    pub fn read_scope(&self) -> Option<&RegionCode> {
        match self.role {
            Role::Province | Role::Auditor | Role::Service => None,
            Role::City | Role::County => Some(&self.region),
        }
    }

    /// 403 unless the caller may write in `region`.
    pub fn require_write(&self, region: &RegionCode) -> Result<(), Problem> {
        if self.may_write(region) {
            Ok(())
        } else if matches!(self.role, Role::Auditor | Role::Service) {
            Err(self.read_only())
        } else {
            let (role, own) = (self.role.key(), &self.region);
            Err(Problem::forbidden(text!(
                "a {role} token for region {own} may not write in region {region}",
                "{own} 地区的 {role} 令牌无权写入 {region} 地区"
            )))
        }
    }

    /// 403 unless the caller may write at all (used before the target region is known).
    pub fn require_writer(&self) -> Result<(), Problem> {
        match self.role {
            Role::Auditor | Role::Service => Err(self.read_only()),
            _ => Ok(()),
        }
    }

    /// 403 unless the caller is the province (省科技厅), the only one who may do `what`
    /// (the action, in English and Chinese).
    pub fn require_province(&self, (what, what_zh): (&str, &str)) -> Result<(), Problem> {
        self.require_writer()?;
        if self.role == Role::Province {
            Ok(())
        } else {
            Err(Problem::forbidden(text!(
                "only the province may {what}",
                "仅省级（省科技厅）用户可以{what_zh}"
            )))
        }
    }

    fn read_only(&self) -> Problem {
        let role = self.role.key();
        Problem::forbidden(text!(
            "the {role} role is read-only",
            "{role} 角色只能读取，不能写入"
        ))
    }
}

impl Role {
    /// The role as tokens and the audit log spell it.
    pub fn key(self) -> &'static str {
        match self {
            Role::Province => "province",
            Role::City => "city",
            Role::County => "county",
            Role::Auditor => "auditor",
            Role::Service => "service",
        }
    }
}

impl FromRequest for Caller {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate_request(&req).await })
    }
}

/// The verdict on a request's bearer token, kept with the request so the token is checked
/// once even when the rate limiter has already looked at it.
#[derive(Clone)]
struct Verdict(Result<Caller, Problem>);

/// The caller a request's bearer token names, checking the token the first time it is asked.
pub async fn authenticate_request(req: &HttpRequest) -> Result<Caller, Problem> {
    if let Some(Verdict(verdict)) = req.extensions().get::<Verdict>().cloned() {
        return verdict;
    }
    let verdict = match bearer_token(req) {
        Ok((keys, token)) => keys.authenticate(&token).await,
        Err(problem) => Err(problem),
    };
    req.extensions_mut().insert(Verdict(verdict.clone()));
    verdict
}

/// The verifier and the token a request presents.
fn bearer_token(req: &HttpRequest) -> Result<(web::Data<AuthKeys>, String), Problem> {
    let keys = req
        .app_data::<web::Data<AuthKeys>>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("AuthKeys missing from app data");
            Problem::internal()
        })?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            Problem::unauthenticated(Text::fixed(
                "this route needs an Authorization: Bearer token",
                "此接口需要 Authorization: Bearer 令牌",
            ))
        })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Problem::unauthenticated(Text::fixed(
                "the Authorization header must be 'Bearer <token>'",
                "Authorization 请求头须为 'Bearer <令牌>'",
            ))
        })?;
    Ok((keys, token.to_owned()))
}
