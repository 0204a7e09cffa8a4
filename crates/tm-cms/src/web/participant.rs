//! The participant id of a browser: issued by the CMS (128 random bits) and kept in the
//! `tm_pid` cookie with an HMAC signature, so a client cannot choose it. An unsigned, edited or
//! expired value is ignored and replaced by a fresh id: a client that drops or forges the cookie
//! becomes a new participant, never a participant of its choosing.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use super::cookies;
use crate::engine::Engine;

/// How long a participant id lasts (the cookie's lifetime and its signature's).
const LIFETIME_SECS: i64 = 366 * 24 * 3600;
/// The signing purpose: a value signed for another cookie is no participant id.
const PURPOSE: &str = "participant";

/// The participant id a valid signed `tm_pid` cookie carries.
pub fn from_cookie(req: &HttpRequest, engine: &Engine) -> Option<String> {
    let cookie = req.cookie(cookies::PARTICIPANT)?;
    cookies::verify(
        &engine.keys().participant_cookie,
        PURPOSE,
        cookie.value(),
        cookies::now_unix(),
    )
}

/// This browser's participant id, and the cookie to set when it is new.
pub fn of_browser(req: &HttpRequest, engine: &Engine) -> (String, Option<Cookie<'static>>) {
    if let Some(id) = from_cookie(req, engine) {
        return (id, None);
    }
    let id = new_id();
    let value = cookies::sign(
        &engine.keys().participant_cookie,
        PURPOSE,
        &id,
        cookies::now_unix() + LIFETIME_SECS,
    );
    let cookie = cookies::build(req, cookies::PARTICIPANT.into(), value, LIFETIME_SECS, SameSite::Lax);
    (id, Some(cookie))
}

/// A fresh participant id (128 random bits).
pub fn new_id() -> String {
    cookies::new_participant_id()
}
