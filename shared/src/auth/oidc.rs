//! Tokens issued by the province's identity platform (an OpenID Connect provider): RS256 or
//! ES256, signed with a key from the platform's JWKS, for our audience, from the configured
//! issuer. Each refusal says which of these failed.

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde_json::Value;

use super::Caller;
use super::claims::ClaimNames;
use super::jwks::{JwksCache, Lookup};
use crate::problem::Problem;

pub struct OidcVerifier {
    pub issuer: String,
    pub audience: String,
    pub claims: ClaimNames,
    pub leeway_secs: u64,
    pub jwks: JwksCache,
}

impl OidcVerifier {
    pub async fn verify(&self, token: &str, header: &Header) -> Result<Caller, Problem> {
        let kid = header.kid.as_deref().ok_or_else(|| {
            Problem::unauthenticated(
                "the bearer token names no signing key (kid) (令牌未指明签名密钥)",
            )
        })?;
        let key = match self.jwks.find(kid).await {
            Lookup::Found(key) => key,
            Lookup::Unknown => {
                return Err(Problem::unauthenticated(format!(
                    "the bearer token is signed with an unknown key {kid:?}: the identity \
                     platform does not publish it (令牌的签名密钥未知)"
                )));
            }
            Lookup::Unavailable(reason) => {
                tracing::warn!(%reason, "no signing keys to verify a token with");
                return Err(Problem::service_unavailable(
                    "the identity platform's signing keys cannot be fetched; retry later \
                     (无法获取身份认证平台的签名密钥，请稍后重试)",
                ));
            }
        };
        if key.algorithm != header.alg {
            return Err(Problem::unauthenticated(format!(
                "the bearer token says {:?} but its key {kid:?} is for {:?} (令牌的签名算法与密钥不符)",
                header.alg, key.algorithm
            )));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway_secs;
        match jsonwebtoken::decode::<Value>(token, &key.key, &validation) {
            Ok(data) => self.claims.caller(&data.claims),
            Err(error) => Err(self.refusal(token, kid, error.kind())),
        }
    }

    fn refusal(&self, token: &str, kid: &str, kind: &ErrorKind) -> Problem {
        // Issuer and audience are checked after the signature: the payload is genuine, so
        // quoting what it says helps whoever configures the platform.
        let claim = |name: &str| unverified_claim(token, name).unwrap_or_else(|| "none".into());
        let detail = match kind {
            ErrorKind::InvalidSignature => {
                format!("the bearer token's signature is not valid for key {kid:?} (令牌签名无效)")
            }
            ErrorKind::ExpiredSignature => "the bearer token has expired (令牌已过期)".to_owned(),
            ErrorKind::ImmatureSignature => {
                "the bearer token is not valid yet (nbf) (令牌尚未生效)".to_owned()
            }
            ErrorKind::InvalidIssuer => format!(
                "the bearer token's issuer {} is not the accepted issuer {:?} (令牌签发者不符)",
                claim("iss"),
                self.issuer
            ),
            ErrorKind::InvalidAudience => format!(
                "the bearer token's audience {} does not include {:?} (令牌受众不符)",
                claim("aud"),
                self.audience
            ),
            ErrorKind::MissingRequiredClaim(name) => {
                format!("the bearer token lacks a required claim ({name}) (令牌缺少必需的声明)")
            }
            ErrorKind::InvalidAlgorithm => format!(
                "the bearer token's algorithm does not fit its key {kid:?} (令牌的签名算法与密钥不符)"
            ),
            _ => "the bearer token is malformed (令牌格式不正确)".to_owned(),
        };
        Problem::unauthenticated(detail)
    }
}

/// A claim of a token whose signature has been checked, as JSON text, for messages only.
fn unverified_claim(token: &str, name: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get(name).map(Value::to_string)
}

/// The algorithms an identity platform's tokens may use.
pub const ACCEPTED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];
