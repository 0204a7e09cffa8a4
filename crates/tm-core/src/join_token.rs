//! Join tokens: the CMS signs, the gateway verifies, with a shared secret and no call between.
//!
//! Format: `base64url(claims JSON) "." base64url(HMAC-SHA256(key, first part))`, unpadded,
//! where `key` is the join-token key derived from the shared secret ([`crate::keys`], HKDF
//! label `tm join-token`), never the secret itself. Small and easy to check from any language;
//! the claims are not secret, only unforgeable.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::event::RoomId;

type HmacSha256 = Hmac<Sha256>;

pub use crate::keys::MIN_SECRET_LEN;
use crate::keys::{derive_key, KeyPurpose};

/// What a participant may do in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Participant,
    Owner,
}

/// What the token vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinClaims {
    pub room_id: RoomId,
    pub slug: String,
    pub role: Role,
    /// Stable per browser; the gateway passes it on in `post.submit`.
    pub participant_id: String,
    /// The room's message limit, so the gateway can refuse long posts without asking.
    pub max_length: u32,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// The room's reaction emoji when the token was issued, so that a gateway which has not
    /// seen the room's latest `room.updated` still knows them. Absent in older tokens (and
    /// empty): the default set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<String>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinTokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token signature does not match")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("join-token secret must be at least {MIN_SECRET_LEN} bytes")]
    WeakSecret,
}

impl JoinClaims {
    /// Signs the claims.
    pub fn sign(&self, secret: &[u8]) -> Result<String, JoinTokenError> {
        let json = serde_json::to_vec(self).map_err(|_| JoinTokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD.encode(json);
        let signature = URL_SAFE_NO_PAD.encode(mac(secret, payload.as_bytes())?.finalize().into_bytes());
        Ok(format!("{payload}.{signature}"))
    }

    /// Checks signature (in constant time) and expiry against `now` (Unix seconds).
    pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<JoinClaims, JoinTokenError> {
        let (payload, signature) = token.split_once('.').ok_or(JoinTokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JoinTokenError::Malformed)?;
        mac(secret, payload.as_bytes())?
            .verify_slice(&signature)
            .map_err(|_| JoinTokenError::BadSignature)?;
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| JoinTokenError::Malformed)?;
        let claims: JoinClaims = serde_json::from_slice(&json).map_err(|_| JoinTokenError::Malformed)?;
        if claims.exp <= now {
            return Err(JoinTokenError::Expired);
        }
        Ok(claims)
    }
}

/// The MAC of `data` under the join-token key derived from the shared `secret`.
fn mac(secret: &[u8], data: &[u8]) -> Result<HmacSha256, JoinTokenError> {
    let key = derive_key(secret, KeyPurpose::JoinToken).map_err(|_| JoinTokenError::WeakSecret)?;
    let mut mac = HmacSha256::new_from_slice(&key).map_err(|_| JoinTokenError::WeakSecret)?;
    mac.update(data);
    Ok(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims(exp: i64) -> JoinClaims {
        JoinClaims {
            room_id: 42,
            slug: "physics-101".into(),
            role: Role::Participant,
            participant_id: "p1".into(),
            max_length: 280,
            exp,
            reactions: Vec::new(),
        }
    }

    #[test]
    fn round_trips_before_expiry() {
        let token = claims(1_000).sign(SECRET).unwrap();
        assert_eq!(JoinClaims::verify(&token, SECRET, 999).unwrap(), claims(1_000));
    }

    #[test]
    fn refuses_expired_forged_and_malformed_tokens() {
        let token = claims(1_000).sign(SECRET).unwrap();
        assert_eq!(JoinClaims::verify(&token, SECRET, 1_000), Err(JoinTokenError::Expired));
        let other = b"ffffffffffffffffffffffffffffffff";
        assert_eq!(JoinClaims::verify(&token, other, 0), Err(JoinTokenError::BadSignature));
        // Same signature, claims edited to another room.
        let (_, sig) = token.split_once('.').unwrap();
        let mut forged = claims(1_000);
        forged.room_id = 43;
        let forged_payload = forged.sign(SECRET).unwrap();
        let (payload, _) = forged_payload.split_once('.').unwrap();
        assert_eq!(
            JoinClaims::verify(&format!("{payload}.{sig}"), SECRET, 0),
            Err(JoinTokenError::BadSignature)
        );
        for junk in ["", "abc", "a.b", "..", "@@@.@@@"] {
            assert!(JoinClaims::verify(junk, SECRET, 0).is_err(), "{junk}");
        }
    }

    #[test]
    fn a_token_signed_with_the_secret_itself_is_refused() {
        // What tokens looked like before keys were derived: HMAC keyed by the shared secret.
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(1_000)).unwrap());
        let mut raw = HmacSha256::new_from_slice(SECRET).unwrap();
        raw.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(raw.finalize().into_bytes());
        assert_eq!(
            JoinClaims::verify(&format!("{payload}.{signature}"), SECRET, 0),
            Err(JoinTokenError::BadSignature)
        );
    }

    #[test]
    fn refuses_short_secrets() {
        assert_eq!(claims(1).sign(b"short"), Err(JoinTokenError::WeakSecret));
    }
}
