//! From verified claims to a [`Caller`]: where the role and region sit in a token, how the
//! identity platform's role names map to ours, and the rules every token must keep whichever
//! way it was signed (a Jiangsu region; a role that fits the region's level).

use serde_json::Value;

use super::{Caller, Role};
use crate::i18n::{Text, quote};
use crate::problem::Problem;
use crate::regions::{PROVINCE_CODE, RegionCode, RegionLevel};
use crate::text;

/// Where a claim sits: a flat name (`role`, or a namespaced `https://example.gov.cn/role`),
/// or a dotted path into nested objects (`realm_access.roles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath(String);

impl ClaimPath {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() || raw.split('.').any(str::is_empty) {
            return Err(format!(
                "{raw:?} is not a claim name or a dotted path such as realm_access.roles"
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The claim's value: the whole name as a flat key first (namespaced claims contain
    /// dots), then the dotted path.
    pub fn find<'a>(&self, claims: &'a Value) -> Option<&'a Value> {
        if let Some(value) = claims.get(&self.0) {
            return Some(value);
        }
        self.0
            .split('.')
            .try_fold(claims, |value, segment| value.get(segment))
    }
}

/// The identity platform's role names and the role each stands for here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMap(Vec<(String, Role)>);

impl RoleMap {
    /// Our own role names map to themselves (tokens that already speak our names).
    pub fn identity() -> Self {
        Self(
            [
                Role::Province,
                Role::City,
                Role::County,
                Role::Auditor,
                Role::Service,
            ]
            .into_iter()
            .map(|role| (role.key().to_owned(), role))
            .collect(),
        )
    }

    /// `platform_name=role,…`, e.g. `hte-city=city,hte-audit=auditor`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (platform, ours) = entry
                .split_once('=')
                .ok_or_else(|| format!("{entry:?} must be platform_role=role"))?;
            let (platform, ours) = (platform.trim(), ours.trim());
            if platform.is_empty() {
                return Err(format!("{entry:?} names no platform role"));
            }
            let role: Role = ours.parse()?;
            if pairs.iter().any(|(name, _)| name == platform) {
                return Err(format!("the platform role {platform:?} is mapped twice"));
            }
            pairs.push((platform.to_owned(), role));
        }
        if pairs.is_empty() {
            return Err("the role map is empty".to_owned());
        }
        Ok(Self(pairs))
    }

    fn get(&self, platform: &str) -> Option<Role> {
        self.0
            .iter()
            .find(|(name, _)| name == platform)
            .map(|(_, role)| *role)
    }
}

/// Where an identity platform's tokens keep the caller's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    pub subject: ClaimPath,
    pub role: ClaimPath,
    pub region: ClaimPath,
    pub roles: RoleMap,
}

impl ClaimNames {
    /// The caller named by verified `claims`.
    pub fn caller(&self, claims: &Value) -> Result<Caller, Problem> {
        let subject = match self.subject.find(claims) {
            Some(Value::String(s)) => s.clone(),
            _ => {
                let claim = quote(self.subject.as_str());
                return Err(Problem::unauthenticated(text!(
                    "the bearer token lacks the subject claim {claim}",
                    "令牌缺少用户标识声明 {claim}"
                )));
            }
        };
        let role = self.role(claims)?;
        let region = match self.region.find(claims) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Array(items)) if items.len() == 1 => items[0].as_str().map(str::to_owned),
            Some(other) => Some(other.to_string()),
        };
        caller_from_parts(subject, role, region.as_deref())
    }

    fn role(&self, claims: &Value) -> Result<Role, Problem> {
        let names: Vec<&str> = match self.role.find(claims) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let mut roles: Vec<Role> = names.iter().filter_map(|n| self.roles.get(n)).collect();
        roles.sort_by_key(|r| r.key());
        roles.dedup();
        let claim = quote(self.role.as_str());
        match roles.as_slice() {
            [role] => Ok(*role),
            [] => Err(Problem::unauthenticated(text!(
                "the bearer token's role claim {claim} names no role of this system",
                "令牌的角色声明 {claim} 中没有本系统的角色"
            ))),
            several => {
                let names = several
                    .iter()
                    .map(|r| r.key())
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(Problem::unauthenticated(text!(
                    "the bearer token's role claim {claim} maps to several roles ({names}); the \
                     identity platform must grant exactly one",
                    "令牌的角色声明 {claim} 对应多个角色（{names}）；身份认证平台只能授予一个"
                )))
            }
        }
    }
}

/// Longest subject accepted, in characters: it names the actor in every audit entry.
pub const MAX_SUBJECT_CHARS: usize = 128;

/// The rules every token keeps: a sane subject, a Jiangsu region, and a role that fits the
/// region's level. A service account that names no region acts for the province (machine
/// accounts rarely carry one).
pub(crate) fn caller_from_parts(
    subject: String,
    role: Role,
    region: Option<&str>,
) -> Result<Caller, Problem> {
    check_subject(&subject)?;
    let region = match (region, role) {
        (None, Role::Service) => PROVINCE_CODE,
        (None, _) => {
            return Err(Problem::unauthenticated(Text::fixed(
                "the bearer token lacks a required claim (region)",
                "令牌缺少必需的地区声明（region）",
            )));
        }
        (Some(raw), _) => RegionCode::parse(raw)
            .ok()
            .filter(|code| crate::regions::find(code).is_some())
            .ok_or_else(|| {
                let raw = quote(raw);
                Problem::unauthenticated(text!(
                    "the bearer token's region {raw} is not a Jiangsu region code",
                    "令牌中的地区代码 {raw} 不是江苏省行政区划代码"
                ))
            })?,
    };
    let level = crate::regions::find(&region).map(|r| r.level);
    let consistent = match role {
        Role::City => level == Some(RegionLevel::City),
        Role::County => level == Some(RegionLevel::County),
        Role::Province => level == Some(RegionLevel::Province),
        Role::Auditor | Role::Service => true,
    };
    if !consistent {
        let role = role.key();
        return Err(Problem::unauthenticated(text!(
            "a {role} token must name a {role}-level region, not {region}",
            "{role} 角色的令牌须对应同级地区，而非 {region}"
        )));
    }
    Ok(Caller {
        subject,
        role,
        region,
    })
}

/// A subject names a person or an account: non-empty, at most [`MAX_SUBJECT_CHARS`]
/// characters, printable, without surrounding spaces.
fn check_subject(subject: &str) -> Result<(), Problem> {
    let sane = !subject.is_empty()
        && subject.chars().count() <= MAX_SUBJECT_CHARS
        && subject.trim() == subject
        && !subject.chars().any(char::is_control);
    if sane {
        return Ok(());
    }
    Err(Problem::unauthenticated(text!(
        "the bearer token's subject (sub) must be 1 to {MAX_SUBJECT_CHARS} printable \
         characters",
        "令牌的用户标识（sub）须为 1 至 {MAX_SUBJECT_CHARS} 个可打印字符"
    )))
}

/// Time rules every token keeps, however it was signed, beyond `exp` and `nbf` (which the
/// JWT library checks with the same leeway): a lifetime `exp - iat` no longer than the
/// configured maximum, an `iat` not in the future, and an `exp` no further ahead than one
/// lifetime (tokens without `iat` cannot escape the bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRules {
    /// Leeway on every time, in seconds (`AUTH_CLOCK_SKEW_SECS`).
    pub leeway_secs: u64,
    /// The longest lifetime accepted, in seconds (`AUTH_MAX_TOKEN_LIFETIME_SECS`).
    pub max_lifetime_secs: u64,
}

impl Default for TokenRules {
    fn default() -> Self {
        Self {
            leeway_secs: crate::config::DEFAULT_CLOCK_SKEW_SECS,
            max_lifetime_secs: crate::config::DEFAULT_MAX_TOKEN_LIFETIME_SECS,
        }
    }
}

impl TokenRules {
    /// Checks the times of verified `claims` against `now` (seconds since the epoch).
    pub fn check(&self, claims: &Value, now: i64) -> Result<(), Problem> {
        let time = |name: &str| claims.get(name).and_then(Value::as_f64).map(|t| t as i64);
        let leeway = i64::try_from(self.leeway_secs).unwrap_or(i64::MAX);
        let max = i64::try_from(self.max_lifetime_secs).unwrap_or(i64::MAX);
        let Some(exp) = time("exp") else {
            return Err(Problem::unauthenticated(Text::fixed(
                "the bearer token lacks a required claim (exp)",
                "令牌缺少必需的声明（exp）",
            )));
        };
        if let Some(iat) = time("iat") {
            if iat > now.saturating_add(leeway) {
                return Err(Problem::unauthenticated(Text::fixed(
                    "the bearer token was issued in the future (iat)",
                    "令牌的签发时间（iat）晚于当前时间",
                )));
            }
            if exp.saturating_sub(iat) > max {
                return Err(too_long(max));
            }
        }
        if exp.saturating_sub(now) > max.saturating_add(leeway) {
            return Err(too_long(max));
        }
        Ok(())
    }
}

fn too_long(max: i64) -> Problem {
    Problem::unauthenticated(text!(
        "the bearer token lives longer than the {max} s allowed (exp - iat)",
        "令牌有效期超过允许的 {max} 秒（exp - iat）"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(role: &str, map: Option<&str>) -> ClaimNames {
        ClaimNames {
            subject: ClaimPath::parse("preferred_username").unwrap(),
            role: ClaimPath::parse(role).unwrap(),
            region: ClaimPath::parse("region").unwrap(),
            roles: map.map_or_else(RoleMap::identity, |m| RoleMap::parse(m).unwrap()),
        }
    }

    #[test]
    fn nested_and_namespaced_claims_are_found() {
        let claims = json!({
            "realm_access": {"roles": ["offline_access", "hte-city"]},
            "https://sso.js.gov.cn/role": "county",
        });
        let path = ClaimPath::parse("realm_access.roles").unwrap();
        assert_eq!(
            path.find(&claims),
            Some(&json!(["offline_access", "hte-city"]))
        );
        let flat = ClaimPath::parse("https://sso.js.gov.cn/role").unwrap();
        assert_eq!(flat.find(&claims), Some(&json!("county")));
        assert!(ClaimPath::parse("realm_access..roles").is_err());
    }

    #[test]
    fn platform_roles_map_to_exactly_one_of_ours() {
        let map = Some("hte-city=city, hte-audit=auditor");
        let city = json!({"preferred_username": "wang", "region": "320500",
                          "realm_access": {"roles": ["offline_access", "hte-city"]}});
        let caller = names("realm_access.roles", map).caller(&city).unwrap();
        assert_eq!((caller.subject.as_str(), caller.role), ("wang", Role::City));

        let both = json!({"preferred_username": "li", "region": "320500",
                          "realm_access": {"roles": ["hte-city", "hte-audit"]}});
        let error = names("realm_access.roles", map).caller(&both).unwrap_err();
        assert!(
            error
                .detail
                .unwrap()
                .contains("several roles (auditor, city)")
        );

        let none = json!({"preferred_username": "li", "region": "320500",
                          "realm_access": {"roles": ["city"]}});
        let error = names("realm_access.roles", map).caller(&none).unwrap_err();
        assert!(error.detail.unwrap().contains("names no role"));
    }

    #[test]
    fn the_region_rules_hold_for_every_token() {
        let service = json!({"preferred_username": "svc", "role": "service"});
        let caller = names("role", None).caller(&service).unwrap();
        assert_eq!(caller.region, PROVINCE_CODE);
        let county = json!({"preferred_username": "x", "role": "county"});
        let error = names("role", None).caller(&county).unwrap_err();
        assert!(error.detail.unwrap().contains("(region)"));
        let numeric = json!({"preferred_username": "x", "role": "county", "region": 320583});
        assert_eq!(
            names("role", None).caller(&numeric).unwrap().role,
            Role::County
        );
        let mismatch = json!({"preferred_username": "x", "role": "city", "region": "320583"});
        let error = names("role", None).caller(&mismatch).unwrap_err();
        assert!(error.detail.unwrap().contains("city-level region"));
    }

    #[test]
    fn subjects_must_be_sane() {
        for subject in [
            "",
            " wang",
            "wang\n",
            "a\u{0}b",
            &"x".repeat(MAX_SUBJECT_CHARS + 1),
        ] {
            let error = caller_from_parts(subject.to_owned(), Role::Service, None).unwrap_err();
            assert!(
                error.detail.unwrap().contains("subject (sub)"),
                "{subject:?}"
            );
        }
        for subject in [
            "王小明",
            "service:monitoring",
            &"x".repeat(MAX_SUBJECT_CHARS),
        ] {
            assert!(caller_from_parts(subject.to_owned(), Role::Service, None).is_ok());
        }
    }

    #[test]
    fn token_times_are_bounded() {
        let rules = TokenRules {
            leeway_secs: 5,
            max_lifetime_secs: 3600,
        };
        let now = 1_700_000_000;
        let ok = |claims: Value| rules.check(&claims, now);
        assert!(ok(json!({"exp": now + 600, "iat": now})).is_ok());
        assert!(ok(json!({"exp": now + 3600, "iat": now})).is_ok());
        assert!(ok(json!({"exp": now + 3601, "iat": now})).is_err());
        assert!(ok(json!({"exp": i64::MAX, "iat": now})).is_err());
        assert!(ok(json!({"exp": i64::MAX})).is_err());
        assert!(ok(json!({"exp": now + 3605})).is_ok());
        assert!(ok(json!({"exp": now + 600, "iat": now + 60})).is_err());
        assert!(ok(json!({"exp": now + 600, "iat": now + 5})).is_ok());
        assert!(ok(json!({"iat": now})).is_err());
    }

    #[test]
    fn role_maps_are_checked() {
        assert!(RoleMap::parse("a=city,a=county").is_err());
        assert!(RoleMap::parse("a=mayor").is_err());
        assert!(RoleMap::parse("city").is_err());
        assert!(RoleMap::parse(" , ").is_err());
    }
}
