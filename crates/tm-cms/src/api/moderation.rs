//! Moderation endpoints beyond docs/protocol.md: mutes, the approval queue and the audit log.
//! Each takes the owner token, the admin token or a co-moderator's token of the room.

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::bearer;
use super::schemas::{self, InvalidJson, NotOwner, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::engine::moderation::{ModerationError, MuteRequest};
use crate::engine::rooms::RoomError;
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// Owner or co-moderator: mute a participant in this room.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/mutes", params(("slug" = String, Path, description = "the room's name (its slug)")), request_body = schemas::MuteRequest,
    responses(
        (status = 204, description = "muted (muting twice changes nothing)"),
        (status = 400, response = InvalidJson),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`invalid_request` (a body of the wrong shape), `invalid_participant` (not 1 to 128 characters)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn mute(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<MuteRequest>,
) -> Result<HttpResponse, ModerationError> {
    engine
        .moderation()
        .mute(&slug, bearer(&req).as_deref(), &body.participant_id, true)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Owner or co-moderator: lift a mute.
#[utoipa::path(delete, path = "/api/v1/rooms/{slug}/mutes/{participant_id}",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("participant_id" = String, Path, description = "the muted participant's id")),
    responses(
        (status = 204, description = "the mute is lifted (or there was none)"),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_participant`: not 1 to 128 characters", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn unmute(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ModerationError> {
    let (slug, participant) = path.into_inner();
    engine
        .moderation()
        .mute(&slug, bearer(&req).as_deref(), &participant, false)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Owner or co-moderator: messages waiting for approval.
#[utoipa::path(get, path = "/api/v1/rooms/{slug}/pending", params(("slug" = String, Path, description = "the room's name (its slug)")),
    responses(
        (status = 200, description = "the messages waiting for approval, oldest first", body = schemas::MessageList),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn pending(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, RoomError> {
    Ok(HttpResponse::Ok().json(engine.messages().pending(&slug, bearer(&req).as_deref()).await?))
}

/// Owner or co-moderator: show a pending message.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/messages/{id}/approve",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the pending message's id")),
    responses(
        (status = 200, description = "the message, now visible with the next seq", body = schemas::MessageView),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`, `message_not_found`, or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 409, description = "`not_pending`", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn approve(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ModerationError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(engine.moderation().approve(&slug, bearer(&req).as_deref(), id).await?))
}

/// Owner or co-moderator: drop a pending message unseen.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/messages/{id}/reject",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the pending message's id")),
    responses(
        (status = 200, description = "the message, deleted unseen", body = schemas::MessageView),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`, `message_not_found`, or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 409, description = "`not_pending`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn reject(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ModerationError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(engine.moderation().reject(&slug, bearer(&req).as_deref(), id).await?))
}

/// Owner or co-moderator: the moderation log, newest first.
#[utoipa::path(get, path = "/api/v1/rooms/{slug}/audit", params(("slug" = String, Path, description = "the room's name (its slug)")),
    responses(
        (status = 200, description = "the moderation log, newest first", body = schemas::AuditList),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn audit(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ModerationError> {
    Ok(HttpResponse::Ok().json(engine.moderation().audit_log(&slug, bearer(&req).as_deref()).await?))
}
