//! Signing webhook deliveries (推送签名).
//!
//! Every delivery is a `POST` of a JSON body to the subscription's URL with these headers:
//!
//! | header | value |
//! |---|---|
//! | `X-HTE-Event-Id` | the event's id (UUID): the same on every attempt and for every subscription; receivers de-duplicate by it (delivery is at least once) |
//! | `X-HTE-Event-Kind` | `snapshot.taken`, `alert.opened`, `alert.escalated` or `alert.resolved` |
//! | `X-HTE-Delivery-Id` | this subscription's delivery of the event (UUID) |
//! | `X-HTE-Signature` | `t=<unix seconds>,v1=<hex>` |
//!
//! `v1` is the lowercase hex HMAC-SHA256 of `<t>.<body>` — the decimal timestamp, a full stop
//! and the raw body bytes exactly as received — keyed with the subscription's secret (the
//! whole `whsec_…` string as UTF-8). A receiver recomputes it, compares in constant time,
//! and refuses a timestamp more than five minutes from its clock, which stops replays. The
//! header may carry several `v1=` values (while a secret is being replaced); one match is
//! enough. Verifying in Python:
//!
//! ```python
//! import hashlib
//! import hmac
//! import time
//!
//!
//! def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
//!     """True when X-HTE-Signature `header` signs the raw request `body` with `secret`."""
//!     items = [item.strip().split("=", 1) for item in header.split(",")]
//!     timestamps = [value for key, value in items if key == "t"]
//!     if len(timestamps) != 1 or not timestamps[0].isdigit():
//!         return False
//!     if abs(time.time() - int(timestamps[0])) > tolerance:
//!         return False  # too old (or from the future): a replay
//!     signed = timestamps[0].encode() + b"." + body
//!     expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
//!     return any(hmac.compare_digest(expected, value) for key, value in items if key == "v1")
//! ```

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const EVENT_ID_HEADER: &str = "X-HTE-Event-Id";
pub const EVENT_KIND_HEADER: &str = "X-HTE-Event-Kind";
pub const DELIVERY_ID_HEADER: &str = "X-HTE-Delivery-Id";
pub const SIGNATURE_HEADER: &str = "X-HTE-Signature";

/// How far a signature's timestamp may be from the receiver's clock, in seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// A subscription's signing secret: `whsec_` and 64 hex digits from the OS's random source.
/// Stored so deliveries can be signed; shown once, when the subscription is created. Its
/// `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(format!("whsec_{}", hex(&bytes))))
    }

    /// A secret read back from storage.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is not t=<unix seconds>,v1=<hex> (签名格式错误)")]
    Malformed,
    #[error("the signature is {age} s from now, beyond {tolerance} s (签名已过期)")]
    Expired { age: i64, tolerance: i64 },
    #[error("no v1 signature matches the body (签名不匹配)")]
    Mismatch,
    #[error("the secret cannot key HMAC-SHA256")]
    Key,
}

fn mac(secret: &Secret, timestamp: i64, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| SignatureError::Key)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// The hex HMAC-SHA256 of `<timestamp>.<body>`.
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
    Ok(hex(&mac(secret, timestamp, body)?.finalize().into_bytes()))
}

/// The `X-HTE-Signature` value for `body` sent at `timestamp` (unix seconds).
pub fn signature_header(
    secret: &Secret,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignatureError> {
    Ok(format!(
        "t={timestamp},v1={}",
        sign(secret, timestamp, body)?
    ))
}

/// Checks a received `X-HTE-Signature` against the body, at `now` (unix seconds): the
/// timestamp within `tolerance` seconds, and one `v1` equal to the HMAC (compared in
/// constant time).
pub fn verify(
    secret: &Secret,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t))
                if timestamp.is_none()
                    && !t.is_empty()
                    && t.bytes().all(|b| b.is_ascii_digit()) =>
            {
                timestamp = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?);
            }
            Some(("v1", v)) => signatures.push(unhex(v).ok_or(SignatureError::Malformed)?),
            // Other schemes (v0, a future v2) are ignored, as the receiver should.
            Some((key, _)) if key != "t" => {}
            _ => return Err(SignatureError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age = now.saturating_sub(timestamp);
    if age.saturating_abs() > tolerance {
        return Err(SignatureError::Expired { age, tolerance });
    }
    let expected = mac(secret, timestamp, body)?;
    // verify_slice compares in constant time.
    if signatures
        .iter()
        .any(|s| expected.clone().verify_slice(s).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    use super::*;

    /// HMAC-SHA256 by its definition (RFC 2104) on the bare hash, independent of the `hmac`
    /// crate the module uses.
    fn hmac_by_hand(key: &[u8], message: &[u8]) -> String {
        let mut block = [0_u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| block.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
        let inner = Sha256::new()
            .chain_update(pad(0x36))
            .chain_update(message)
            .finalize();
        let outer = Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize();
        outer.iter().map(|b| format!("{b:02x}")).collect()
    }

    const SECRET: &str = "whsec_3f8a1c0d9e7b6a5f4e3d2c1b0a998877";
    const BODY: &[u8] = br#"{"id":"0b7e2f9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c","kind":"alert.opened","region_code":"320500"}"#;
    const T: i64 = 1_601_424_000;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        let secret = Secret::from_stored(SECRET.to_owned());
        let header = signature_header(&secret, T, BODY).unwrap();
        // Computed with Python's hmac module (the module documentation's recipe).
        let python = "085d36e4ab70772a07d4f31dbe733b40768cfaab34e9788d289c9c929bc8b5c0";
        assert_eq!(header, format!("t={T},v1={python}"));
        let signed = [format!("{T}.").as_bytes(), BODY].concat();
        assert_eq!(hmac_by_hand(SECRET.as_bytes(), &signed), python);
        // A key longer than a block is hashed first, both ways.
        let long = Secret::from_stored("k".repeat(100));
        assert_eq!(
            sign(&long, T, BODY).unwrap(),
            hmac_by_hand("k".repeat(100).as_bytes(), &signed)
        );
    }

    #[test]
    fn verification_checks_the_body_the_secret_and_the_time() {
        let secret = Secret::from_stored(SECRET.to_owned());
        let header = signature_header(&secret, T, BODY).unwrap();
        let ok =
            |h: &str, body: &[u8], now: i64| verify(&secret, h, body, now, DEFAULT_TOLERANCE_SECS);
        assert_eq!(ok(&header, BODY, T + 300), Ok(()));
        assert_eq!(
            ok(&header, BODY, T - 300),
            Ok(()),
            "a receiver's clock may run behind"
        );
        assert_eq!(
            ok(&header, BODY, T + 301),
            Err(SignatureError::Expired {
                age: 301,
                tolerance: 300
            })
        );
        assert_eq!(ok(&header, b"{}", T), Err(SignatureError::Mismatch));
        let other = Secret::from_stored("whsec_other".to_owned());
        assert_eq!(
            verify(&other, &header, BODY, T, 300),
            Err(SignatureError::Mismatch)
        );
        // While a secret is replaced the header may carry two signatures; other schemes
        // are ignored.
        let rotated = format!("t={T},v1={},{} , v0=zz", "00".repeat(32), &header[13..]);
        assert_eq!(ok(&rotated, BODY, T), Ok(()));
        for bad in [
            "",
            "v1=00",
            &format!("t={T}"),
            "t=abc,v1=00",
            &format!("t={T},v1=0g"),
            &format!("t={T},t={T},v1=00"),
            "garbage",
        ] {
            assert_eq!(ok(bad, BODY, T), Err(SignatureError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_random_and_never_printed() {
        let a = Secret::generate().unwrap();
        let b = Secret::generate().unwrap();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("whsec_") && a.expose().len() == 6 + 64);
        assert_eq!(format!("{a:?}"), "Secret(…)");
        assert_eq!(unhex(&hex(&[0, 1, 254, 255])), Some(vec![0, 1, 254, 255]));
    }
}
