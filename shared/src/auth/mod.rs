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

use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::Problem;
use crate::regions::RegionCode;

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
            Err(Problem::forbidden(format!(
                "the {} role is read-only",
                self.role.key()
            )))
        } else {
            Err(Problem::forbidden(format!(
                "a {} token for region {} may not write in region {}",
                self.role.key(),
                self.region,
                region
            )))
        }
    }

    /// 403 unless the caller may write at all (used before the target region is known).
    pub fn require_writer(&self) -> Result<(), Problem> {
        match self.role {
            Role::Auditor | Role::Service => Err(Problem::forbidden(format!(
                "the {} role is read-only",
                self.role.key()
            ))),
            _ => Ok(()),
        }
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
        let presented = bearer_token(req);
        Box::pin(async move {
            let (keys, token) = presented?;
            keys.authenticate(&token).await
        })
    }
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
            Problem::unauthenticated(
                "this route needs an Authorization: Bearer token (需要 Bearer 令牌)",
            )
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
            Problem::unauthenticated(
                "the Authorization header must be 'Bearer <token>' (须为 Bearer 令牌)",
            )
        })?;
    Ok((keys, token.to_owned()))
}
