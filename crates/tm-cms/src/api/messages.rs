//! Messages and events of a room: list, post, delete, replay.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::request::{bearer, client_ip, participant_id};
use super::schemas::{self, InvalidJson, InvalidQuery, NotOwner, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::engine::messages::{MessagePage, Page};
use crate::engine::moderation::ModerationError;
use crate::engine::posting::{NewPost, RoomRef};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// `POST /api/v1/rooms/{slug}/messages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// No control or invisible characters.
    #[schema(min_length = 1, max_length = 32)]
    pub nickname: String,
    /// At most the room's `max_length` characters; no control or invisible characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub body: String,
    /// Makes the post idempotent: a resend with the same id returns the stored message.
    #[schema(value_type = Option<String>, example = "0193c6a4-7c4e-7d2a-9f1e-2b3c4d5e6f70")]
    pub client_id: Option<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/rooms/{slug}/messages", params(("slug" = String, Path, description = "the room's name (its slug)"), schemas::MessagePage),
    responses(
        (status = 200, description = "visible messages with `seq > after`, in seq order (`order=votes`: most votes first)", body = schemas::MessageList),
        (status = 400, response = InvalidQuery),
        (status = 401, description = "`password_required`: a password room, and no join token of it or owner token as bearer", body = ErrorBody),
        (status = 403, description = "`not_member`: a join token of another room", body = ErrorBody),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security((), ("join_token" = []), ("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn list(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    page: web::Query<MessagePage>,
) -> Result<HttpResponse, actix_web::Error> {
    let room = engine.access().readable_room(&slug, bearer(&req).as_deref()).await?;
    Ok(HttpResponse::Ok().json(engine.messages().list_in(&room, &page).await?))
}

#[utoipa::path(get, path = "/api/v1/rooms/{slug}/events", params(("slug" = String, Path, description = "the room's name (its slug)"), schemas::Page),
    responses(
        (status = 200, description = "the room's events with `seq > after`, in seq order", body = schemas::EventList),
        (status = 400, response = InvalidQuery),
        (status = 401, description = "`password_required`: a password room, and no join token of it or owner token as bearer", body = ErrorBody),
        (status = 403, description = "`not_member`: a join token of another room", body = ErrorBody),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security((), ("join_token" = []), ("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn events(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    page: web::Query<Page>,
) -> Result<HttpResponse, actix_web::Error> {
    let room = engine.access().readable_room(&slug, bearer(&req).as_deref()).await?;
    Ok(HttpResponse::Ok().json(engine.messages().events_in(&room, &page).await?))
}

/// Posts synchronously: 201 once the message is stored (pending in approve mode). With a join
/// token the post is that token's participant's (colour, limits, mutes); without one, in a room
/// without a password, the identity is derived from the client's address.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/messages", params(("slug" = String, Path, description = "the room's name (its slug)")), request_body = PostMessage,
    responses(
        (status = 201, description = "the stored message (`pending` in a room with approval)", body = schemas::MessageView),
        (status = 400, response = InvalidJson),
        (status = 401, description = "`password_required` (a password room, no credential), `invalid_token` (a bearer token that is neither a join token of the room nor the owner token)", body = ErrorBody),
        (status = 403, description = "`not_member` (a join token of another room), `muted`", body = ErrorBody),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`invalid_request` (a body of the wrong shape), `body_empty`, `body_too_long`, `invalid_body`, `invalid_nickname`", body = ErrorBody),
        (status = 423, description = "`room_paused`", body = ErrorBody),
        (status = 429, description = "`slow_down`: slow mode, or over the posts per minute of the participant or client address", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, response = Unavailable),
    ),
    security((), ("join_token" = []), ("owner_token" = [])))]
#[tracing::instrument(skip(engine, req, body))]
pub async fn post(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<PostMessage>,
) -> Result<HttpResponse, actix_web::Error> {
    let (room, access) = engine.access().postable_room(&slug, bearer(&req).as_deref()).await?;
    let body = body.into_inner();
    let participant_id = match access.participant_id() {
        Some(id) => id.to_owned(),
        None => participant_id(&req, &engine),
    };
    let post = NewPost {
        room: RoomRef::Id(room.id),
        nickname: body.nickname,
        body: body.body,
        participant_id,
        client_id: body.client_id,
        client_ip: Some(client_ip(&req, &engine)),
        received_at: None,
    };
    Ok(HttpResponse::Created().json(engine.messages().post(post).await.map_err(actix_web::Error::from)?))
}

/// Owner or co-moderator: delete a message (emits `message.deleted` if it was visible).
#[utoipa::path(delete, path = "/api/v1/rooms/{slug}/messages/{id}",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the message's id")),
    responses(
        (status = 204, description = "deleted (deleting a deleted message changes nothing)"),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`, `message_not_found`, or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn delete(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ModerationError> {
    let (slug, id) = path.into_inner();
    engine.moderation().delete(&slug, bearer(&req).as_deref(), id).await?;
    Ok(HttpResponse::NoContent().finish())
}
