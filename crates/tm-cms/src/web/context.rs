//! What every page handler needs from a request: who is asking and what they may do.

use actix_web::{web, HttpRequest};

use super::cookies;
use crate::api::request::bearer;
use crate::engine::access::AccessError;
use crate::engine::db::models::RoomRow;
use crate::engine::Engine;

/// The site name shown in titles.
pub const SITE_NAME: &str = "tm";

/// The owner token this browser holds for `room` (its cookie), or the request's bearer token
/// (scripts fetching pages and transcripts).
pub fn owner_token(req: &HttpRequest, room: &RoomRow) -> Option<String> {
    req.cookie(&cookies::owner_cookie_name(room.id))
        .map(|c| c.value().to_owned())
        .or_else(|| bearer(req))
}

/// Whether this browser owns `room` (or is an admin).
pub fn is_owner(req: &HttpRequest, engine: &Engine, room: &RoomRow) -> bool {
    engine
        .rooms()
        .authorize(room, owner_token(req, room).as_deref())
        .is_some()
}

/// Whether this browser holds a working co-moderator token for `room` (its `tm_mod_<room>`
/// cookie): the room page then links the moderator page.
pub async fn is_moderator(req: &HttpRequest, engine: &Engine, room: &RoomRow) -> bool {
    let Some(token) = req.cookie(&cookies::moderator_cookie_name(room.id)) else {
        return false;
    };
    matches!(
        engine.rooms().actor(room, Some(token.value())).await,
        Ok(Some(crate::engine::rooms::Actor::Moderator { .. }))
    )
}

/// Whether this browser may read and join `room`: no password, owner, the password given
/// (the signed access cookie), or a bearer join token of this room. Otherwise why not:
/// `PasswordRequired` without a credential, `NotMember` with a token of another room.
pub fn page_access(req: &HttpRequest, engine: &Engine, room: &RoomRow) -> Result<(), AccessError> {
    if room.password_hash.is_none() || is_owner(req, engine, room) {
        return Ok(());
    }
    let unlocked = req
        .cookie(&cookies::access_cookie_name(room.id))
        .and_then(|c| cookies::verify(&engine.keys().access_cookie, "access", c.value(), cookies::now_unix()))
        .is_some_and(|room_id| room_id == room.id.to_string());
    if unlocked {
        return Ok(());
    }
    engine.access().check(room, bearer(req).as_deref()).map(|_| ())
}

pub type EngineData = web::Data<Engine>;
