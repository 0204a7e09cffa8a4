//! The shared secret and the keys derived from it.
//!
//! tm-cms and every tm-gateway share one secret (`join.secret` / `tokens.secret`). Nothing is
//! signed with it directly: each use gets its own key, derived with HKDF-SHA256 under a label of
//! its own, so a value signed for one purpose (a participant cookie, say) proves nothing in
//! another (a join token), and a leak of one derived key does not give away the others.

use hkdf::Hkdf;
use sha2::Sha256;

/// The smallest secret we accept: 32 bytes, the HMAC-SHA256 block's worth of strength.
pub const MIN_SECRET_LEN: usize = 32;

/// The public development secret shipped in the services' built-in defaults. It is refused
/// unless the service runs in development mode (`dev_mode = true`, which `make run` sets).
pub const DEVELOPMENT_SECRET: &str = "dev-only-join-secret-change-me-0123456789";

/// HKDF salt: fixed, so that every service derives the same keys from the same secret.
const SALT: &[u8] = b"tm shared-secret key derivation v1";

/// What a derived key is for; each has its own HKDF label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    /// Join tokens (signed by the CMS, checked by gateways).
    JoinToken,
    /// `tm_access_<room>`: proof that the room's password was given.
    AccessCookie,
    /// `tm_pid`: the browser's participant id.
    ParticipantCookie,
    /// `tm_admin`: a site admin's session.
    AdminCookie,
    /// Salt of the participant ids the CMS derives from client addresses.
    AddressParticipant,
}

impl KeyPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            KeyPurpose::JoinToken => b"tm join-token",
            KeyPurpose::AccessCookie => b"tm-cms access cookie",
            KeyPurpose::ParticipantCookie => b"tm-cms participant cookie",
            KeyPurpose::AdminCookie => b"tm-cms admin cookie",
            KeyPurpose::AddressParticipant => b"tm-cms address participant",
        }
    }
}

/// Why a shared secret cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret must be at least {MIN_SECRET_LEN} bytes")]
    TooShort,
    #[error("the secret is the public development default; set a random one (or dev_mode = true for development)")]
    DevelopmentSecret,
}

/// Checks a configured shared secret: long enough, and not the public development default
/// unless `dev_mode`.
pub fn check_secret(secret: &str, dev_mode: bool) -> Result<(), SecretError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(SecretError::TooShort);
    }
    if secret == DEVELOPMENT_SECRET && !dev_mode {
        return Err(SecretError::DevelopmentSecret);
    }
    Ok(())
}

/// The 32-byte key for `purpose`, derived from `secret` (HKDF-SHA256).
pub fn derive_key(secret: &[u8], purpose: KeyPurpose) -> Result<[u8; 32], SecretError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(SecretError::TooShort);
    }
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(SALT), secret)
        .expand(purpose.label(), &mut key)
        .map_err(|_| SecretError::TooShort)?;
    Ok(key)
}

/// Every key the CMS signs with, derived once from the shared secret.
#[derive(Clone)]
pub struct DerivedKeys {
    pub join_token: [u8; 32],
    pub access_cookie: [u8; 32],
    pub participant_cookie: [u8; 32],
    pub admin_cookie: [u8; 32],
    pub address_participant: [u8; 32],
}

impl DerivedKeys {
    pub fn derive(secret: &[u8]) -> Result<Self, SecretError> {
        Ok(DerivedKeys {
            join_token: derive_key(secret, KeyPurpose::JoinToken)?,
            access_cookie: derive_key(secret, KeyPurpose::AccessCookie)?,
            participant_cookie: derive_key(secret, KeyPurpose::ParticipantCookie)?,
            admin_cookie: derive_key(secret, KeyPurpose::AdminCookie)?,
            address_participant: derive_key(secret, KeyPurpose::AddressParticipant)?,
        })
    }
}

impl std::fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKeys([redacted])")
    }
}

/// Compares two secrets in time that depends on their lengths only, never on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn every_purpose_gets_its_own_stable_key_and_none_is_the_secret() {
        let keys = DerivedKeys::derive(SECRET).unwrap();
        let all = [
            keys.join_token,
            keys.access_cookie,
            keys.participant_cookie,
            keys.admin_cookie,
            keys.address_participant,
        ];
        for (i, a) in all.iter().enumerate() {
            assert_ne!(&a[..], SECRET);
            for b in &all[i + 1..] {
                assert_ne!(a, b, "two purposes share a key");
            }
        }
        assert_eq!(DerivedKeys::derive(SECRET).unwrap().admin_cookie, keys.admin_cookie);
        let other = DerivedKeys::derive(b"ffffffffffffffffffffffffffffffff").unwrap();
        assert_ne!(other.admin_cookie, keys.admin_cookie);
    }

    #[test]
    fn short_and_development_secrets_are_refused_outside_development() {
        assert_eq!(check_secret("short", true), Err(SecretError::TooShort));
        assert_eq!(check_secret(&"x".repeat(31), false), Err(SecretError::TooShort));
        assert_eq!(
            check_secret(DEVELOPMENT_SECRET, false),
            Err(SecretError::DevelopmentSecret)
        );
        assert_eq!(check_secret(DEVELOPMENT_SECRET, true), Ok(()));
        assert_eq!(check_secret(&"x".repeat(32), false), Ok(()));
        assert_eq!(derive_key(b"short", KeyPurpose::JoinToken), Err(SecretError::TooShort));
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sama"));
        assert!(!constant_time_eq(b"same", b"same!"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
