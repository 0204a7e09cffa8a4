//! `/api/v1/rooms/{slug}/moderators`: the owner's co-moderators (create, list, revoke).

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::bearer;
use super::schemas::{self, InvalidJson, NotOwner, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::engine::co_moderators::{CoModeratorError, NewModerator};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// Owner: add a co-moderator; the answer carries their token and link, shown only this once.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/moderators", params(("slug" = String, Path, description = "the room's name (its slug)")), request_body = schemas::NewModerator,
    responses(
        (status = 201, description = "the co-moderator, with their token and link (shown only this once)", body = schemas::CreatedModerator),
        (status = 400, response = InvalidJson),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`invalid_request` (a body of the wrong shape), `invalid_label` (over 50 characters, or control or invisible characters), `too_many_moderators` (20 active ones)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req, body))]
pub async fn create(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<NewModerator>,
) -> Result<HttpResponse, CoModeratorError> {
    let created = engine
        .co_moderators()
        .create(&slug, bearer(&req).as_deref(), body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Owner: the room's active co-moderators (without their tokens).
#[utoipa::path(get, path = "/api/v1/rooms/{slug}/moderators", params(("slug" = String, Path, description = "the room's name (its slug)")),
    responses(
        (status = 200, description = "the active co-moderators, oldest first", body = schemas::ModeratorList),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn list(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, CoModeratorError> {
    Ok(HttpResponse::Ok().json(engine.co_moderators().list(&slug, bearer(&req).as_deref()).await?))
}

/// Owner: revoke a co-moderator; their token is refused from now on.
#[utoipa::path(delete, path = "/api/v1/rooms/{slug}/moderators/{id}",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the co-moderator's id")),
    responses(
        (status = 204, description = "revoked (revoking twice changes nothing)"),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`, `moderator_not_found`, or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
#[tracing::instrument(skip(engine, req))]
pub async fn revoke(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, CoModeratorError> {
    let (slug, id) = path.into_inner();
    engine
        .co_moderators()
        .revoke(&slug, bearer(&req).as_deref(), id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
