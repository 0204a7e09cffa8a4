//! The cookies the pages use, and HMAC signing for the ones that prove something.
//!
//! | cookie | holds | SameSite |
//! |---|---|---|
//! | `tm_pid` | this browser's participant id (random, signed: see `web::participant`) | Lax |
//! | `tm_nick` | the last nickname used | Lax |
//! | `tm_owner_<room id>` | the room's owner token | Lax |
//! | `tm_mod_<room id>` | a co-moderator's token for the room | Lax |
//! | `tm_access_<room id>` | signed proof the password was given, with expiry | Lax |
//! | `tm_flash_owner` | the owner link, shown once after creating a room | Strict |
//! | `tm_flash_notice` | which confirmation the owner page shows once (e.g. settings saved) | Strict |
//! | `tm_flash_moderator` | a new moderator link, shown once to the owner | Strict |
//! | `tm_admin` | signed admin session with expiry | Strict |
//!
//! All are `HttpOnly` (the live module never needs them) and `Secure` when the request came
//! over HTTPS.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const PARTICIPANT: &str = "tm_pid";
pub const NICKNAME: &str = "tm_nick";
pub const FLASH_OWNER: &str = "tm_flash_owner";
pub const FLASH_NOTICE: &str = "tm_flash_notice";
pub const FLASH_MODERATOR: &str = "tm_flash_moderator";
pub const ADMIN: &str = "tm_admin";

pub fn owner_cookie_name(room_id: u64) -> String {
    format!("tm_owner_{room_id}")
}

pub fn moderator_cookie_name(room_id: u64) -> String {
    format!("tm_mod_{room_id}")
}

pub fn access_cookie_name(room_id: u64) -> String {
    format!("tm_access_{room_id}")
}

/// A cookie with our defaults.
pub fn build(
    req: &HttpRequest,
    name: String,
    value: String,
    max_age_secs: i64,
    same_site: SameSite,
) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish();
    cookie.set_secure(req.connection_info().scheme() == "https");
    cookie
}

/// A cookie that deletes `name`.
pub fn removal(name: &str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name.to_owned(), "").path("/").finish();
    cookie.make_removal();
    cookie
}

/// A fresh random participant id (128 bits).
pub fn new_participant_id() -> String {
    let bytes: [u8; 16] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `payload.expiry.signature`, signed with `key` under a purpose label so a value made for one
/// cookie is useless in another.
pub fn sign(key: &[u8], purpose: &str, payload: &str, expires_unix: i64) -> String {
    let message = format!("{purpose}|{payload}|{expires_unix}");
    let signature = mac(key, &message)
        .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{}.{expires_unix}.{signature}", URL_SAFE_NO_PAD.encode(payload))
}

/// Seconds since the epoch: the clock that signed values expire by.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The payload of a value made by [`sign`], if the signature holds and it has not expired.
pub fn verify(key: &[u8], purpose: &str, value: &str, now_unix: i64) -> Option<String> {
    let mut parts = value.splitn(3, '.');
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
    let expires: i64 = parts.next()?.parse().ok()?;
    let signature = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    let message = format!("{purpose}|{payload}|{expires}");
    mac(key, &message)?.verify_slice(&signature).ok()?;
    (expires > now_unix).then_some(payload)
}

fn mac(key: &[u8], message: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(message.as_bytes());
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_verify_only_unchanged_unexpired_and_for_their_purpose() {
        let key = b"k".repeat(32);
        let value = sign(&key, "admin", "ada", 1_000);
        assert_eq!(verify(&key, "admin", &value, 999).as_deref(), Some("ada"));
        assert_eq!(verify(&key, "admin", &value, 1_000), None, "expired");
        assert_eq!(verify(&key, "access", &value, 0), None, "other purpose");
        assert_eq!(verify(&b"x".repeat(32), "admin", &value, 0), None, "other key");
        let forged = value.replacen(&URL_SAFE_NO_PAD.encode("ada"), &URL_SAFE_NO_PAD.encode("bob"), 1);
        assert_eq!(verify(&key, "admin", &forged, 0), None, "edited payload");
        let extended = value.replacen(".1000.", ".9999.", 1);
        assert_eq!(verify(&key, "admin", &extended, 0), None, "edited expiry");
        assert_eq!(verify(&key, "admin", "garbage", 0), None);
    }

    #[test]
    fn participant_ids_are_random_and_cookie_safe() {
        let a = new_participant_id();
        assert_ne!(a, new_participant_id());
        assert!(a.len() >= 20 && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
