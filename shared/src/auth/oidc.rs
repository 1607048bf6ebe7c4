//! Tokens issued by the province's identity platform (an OpenID Connect provider): RS256 or
//! ES256, signed with a key from the platform's JWKS, for our audience, from the configured
//! issuer. Each refusal says which of these failed.

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde_json::Value;

use super::Caller;
use super::claims::{ClaimNames, TokenRules};
use super::jwks::{JwksCache, Lookup};
use crate::i18n::{Text, quote};
use crate::problem::Problem;
use crate::text;

pub struct OidcVerifier {
    pub issuer: String,
    pub audience: String,
    pub claims: ClaimNames,
    pub rules: TokenRules,
    pub jwks: JwksCache,
}

impl OidcVerifier {
    pub async fn verify(&self, token: &str, header: &Header) -> Result<Caller, Problem> {
        let kid = header.kid.as_deref().ok_or_else(|| {
            Problem::unauthenticated(Text::fixed(
                "the bearer token names no signing key (kid)",
                "令牌未指明签名密钥（kid）",
            ))
        })?;
        let key = match self.jwks.find(kid).await {
            Lookup::Found(key) => key,
            Lookup::Unknown => {
                let kid = quote(kid);
                return Err(Problem::unauthenticated(text!(
                    "the bearer token is signed with an unknown key {kid}: the identity \
                     platform does not publish it",
                    "令牌的签名密钥 {kid} 未知：身份认证平台未公布该密钥"
                )));
            }
            Lookup::Unavailable(reason) => {
                tracing::warn!(%reason, "no signing keys to verify a token with");
                return Err(Problem::service_unavailable(Text::fixed(
                    "the identity platform's signing keys cannot be fetched; retry later",
                    "无法获取身份认证平台的签名密钥，请稍后重试",
                ))
                .with_retry_after(10));
            }
        };
        if key.algorithm != header.alg {
            let (said, kid, fits) = (
                format!("{:?}", header.alg),
                quote(kid),
                format!("{:?}", key.algorithm),
            );
            return Err(Problem::unauthenticated(text!(
                "the bearer token says {said} but its key {kid} is for {fits}",
                "令牌声明的签名算法 {said} 与密钥 {kid} 的算法 {fits} 不符"
            )));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.rules.leeway_secs;
        match jsonwebtoken::decode::<Value>(token, &key.key, &validation) {
            Ok(data) => {
                self.rules
                    .check(&data.claims, chrono::Utc::now().timestamp())?;
                self.claims.caller(&data.claims)
            }
            Err(error) => Err(self.refusal(token, kid, error.kind())),
        }
    }

    fn refusal(&self, token: &str, kid: &str, kind: &ErrorKind) -> Problem {
        // Issuer and audience are checked after the signature: the payload is genuine, so
        // quoting (the start of) what it says helps whoever configures the platform.
        let claim = |name: &str| {
            unverified_claim(token, name).map_or_else(|| "none".to_owned(), |c| quote(&c))
        };
        let kid = quote(kid);
        let detail = match kind {
            ErrorKind::InvalidSignature => text!(
                "the bearer token's signature is not valid for key {kid}",
                "令牌签名对密钥 {kid} 无效"
            ),
            ErrorKind::ExpiredSignature => super::keys::expired(),
            ErrorKind::ImmatureSignature => super::keys::not_yet_valid(),
            ErrorKind::InvalidIssuer => {
                let (said, accepted) = (claim("iss"), format!("{:?}", self.issuer));
                text!(
                    "the bearer token's issuer {said} is not the accepted issuer {accepted}",
                    "令牌签发者 {said} 不是所接受的签发者 {accepted}"
                )
            }
            ErrorKind::InvalidAudience => {
                let (said, accepted) = (claim("aud"), format!("{:?}", self.audience));
                text!(
                    "the bearer token's audience {said} does not include {accepted}",
                    "令牌受众 {said} 不包含 {accepted}"
                )
            }
            ErrorKind::MissingRequiredClaim(name) => {
                // One of the claims we require (exp, iss, aud): our name, not the token's.
                text!(
                    "the bearer token lacks a required claim ({name})",
                    "令牌缺少必需的声明（{name}）"
                )
            }
            ErrorKind::InvalidAlgorithm => text!(
                "the bearer token's algorithm does not fit its key {kid}",
                "令牌的签名算法与密钥 {kid} 不符"
            ),
            _ => Text::fixed("the bearer token is malformed", "令牌格式不正确"),
        };
        Problem::unauthenticated(detail)
    }
}

/// A claim of a token whose signature has been checked (a string as is, anything else as
/// JSON text), for messages only.
fn unverified_claim(token: &str, name: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get(name).map(|value| match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// The algorithms an identity platform's tokens may use.
pub const ACCEPTED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];
