//! `/api/v1/rooms` and `/api/v1/rooms/{slug}`: create, read, update, close.

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::{bearer, client_ip};
use super::schemas::{self, InvalidJson, NotOwner, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::engine::rooms::{CreateRoom, RoomError, UpdateRoom};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// Creates a room; the answer carries the owner token, shown only this once.
#[utoipa::path(post, path = "/api/v1/rooms", request_body = schemas::CreateRoom,
    responses(
        (status = 201, description = "the room, with its owner token", body = schemas::CreatedRoom),
        (status = 400, response = InvalidJson),
        (status = 409, description = "`name_taken`: an open room has this name", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`invalid_request` (a body of the wrong shape), `invalid_name`, `invalid_lifetime`, `invalid_topic`, `invalid_hashtag`, `too_many_hashtags`, `invalid_password`, `invalid_max_length`", body = ErrorBody),
        (status = 429, description = "`too_many_rooms`: this address created its share of rooms; `Retry-After` says when to try again", body = ErrorBody),
        (status = 503, response = Unavailable),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create(
    engine: web::Data<Engine>,
    req: HttpRequest,
    body: web::Json<CreateRoom>,
) -> Result<HttpResponse, RoomError> {
    let created = engine
        .rooms()
        .create(body.into_inner(), &client_ip(&req, &engine))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// The room's settings; with the owner token as bearer also its word filter (`blocked_words`).
#[utoipa::path(get, path = "/api/v1/rooms/{slug}", params(("slug" = String, Path, description = "the room's name (its slug)")),
    responses(
        (status = 200, description = "the open room of that name, or the most recent closed one (with `blocked_words` only for the owner token)", body = schemas::Room),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security((), ("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn get(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, RoomError> {
    Ok(HttpResponse::Ok().json(engine.rooms().get(&slug, bearer(&req).as_deref()).await?))
}

/// Owner: change topic, state (open/paused), slow mode, moderation mode, hashtags, the word
/// filter, or when the room closes (`lifetime`, from now).
#[utoipa::path(patch, path = "/api/v1/rooms/{slug}", params(("slug" = String, Path, description = "the room's name (its slug)")), request_body = schemas::UpdateRoom,
    responses(
        (status = 200, description = "the updated room", body = schemas::Room),
        (status = 400, response = InvalidJson),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`invalid_request` (a body of the wrong shape), `invalid_state` (use `/close` to close), `invalid_slow_mode`, `invalid_topic`, `invalid_hashtag`, `too_many_hashtags`, `invalid_lifetime`, `invalid_reactions`, `invalid_blocked_word`, `too_many_blocked_words`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req, body))]
pub async fn update(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<UpdateRoom>,
) -> Result<HttpResponse, RoomError> {
    let room = engine
        .rooms()
        .update(&slug, bearer(&req).as_deref(), body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(room))
}

/// Owner: close the room (its name becomes free).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/close", params(("slug" = String, Path, description = "the room's name (its slug)")),
    responses(
        (status = 200, description = "the closed room (closing a closed room changes nothing)", body = schemas::Room),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn close(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, RoomError> {
    let room = engine.rooms().close_as(&slug, bearer(&req).as_deref()).await?;
    Ok(HttpResponse::Ok().json(room))
}

/// Owner: replace the owner token; the old one is refused from now on (403 `not_owner`).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/owner_token", params(("slug" = String, Path, description = "the room's name (its slug)")),
    responses(
        (status = 200, description = "the new owner token, shown only this once", body = schemas::RotatedOwnerToken),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn rotate_owner_token(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, RoomError> {
    Ok(HttpResponse::Ok().json(
        engine
            .rooms()
            .rotate_owner_token(&slug, bearer(&req).as_deref())
            .await?,
    ))
}
