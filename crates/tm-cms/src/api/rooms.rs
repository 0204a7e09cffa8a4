//! `/api/v1/rooms` and `/api/v1/rooms/{slug}`: create, read, update, close.

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::{bearer, client_ip};
use crate::engine::room_writes::RotatedOwnerToken;
use crate::engine::rooms::{CreateRoom, CreatedRoom, Room, RoomError, UpdateRoom};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// Creates a room; the answer carries the owner token, shown only this once.
#[utoipa::path(post, path = "/api/v1/rooms", request_body = CreateRoom,
    responses((status = 201, body = CreatedRoom), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn create(
    engine: web::Data<Engine>,
    req: HttpRequest,
    body: web::Json<CreateRoom>,
) -> Result<HttpResponse, RoomError> {
    let created = engine.create_room(body.into_inner(), &client_ip(&req, &engine)).await?;
    Ok(HttpResponse::Created().json(created))
}

#[utoipa::path(get, path = "/api/v1/rooms/{slug}",
    responses((status = 200, body = Room), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip(engine))]
pub async fn get(engine: web::Data<Engine>, slug: web::Path<String>) -> Result<HttpResponse, RoomError> {
    Ok(HttpResponse::Ok().json(engine.get_room(&slug).await?))
}

/// Owner: change topic, state (open/paused), slow mode, moderation mode or hashtags.
#[utoipa::path(patch, path = "/api/v1/rooms/{slug}", request_body = UpdateRoom,
    responses((status = 200, body = Room), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req, body))]
pub async fn update(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<UpdateRoom>,
) -> Result<HttpResponse, RoomError> {
    let room = engine
        .update_room(&slug, bearer(&req).as_deref(), body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(room))
}

/// Owner: close the room (its name becomes free).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/close",
    responses((status = 200, body = Room), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn close(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, RoomError> {
    let room = engine.close_room_as(&slug, bearer(&req).as_deref()).await?;
    Ok(HttpResponse::Ok().json(room))
}

/// Owner: replace the owner token; the old one is refused from now on (403 `not_owner`).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/owner_token",
    responses((status = 200, body = RotatedOwnerToken), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn rotate_owner_token(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, RoomError> {
    Ok(HttpResponse::Ok().json(engine.rotate_owner_token(&slug, bearer(&req).as_deref()).await?))
}
