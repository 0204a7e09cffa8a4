//! Q&A: votes on messages, and the owner's answered and pinned marks (docs/protocol.md v1.1).

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::bearer;
use super::schemas::{self, InvalidJson, NotOwner, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::engine::questions::{Ballot, MessageMarks, QuestionError};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// Participant: upvote a visible message (voting twice counts once).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/messages/{id}/vote",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the message's id")),
    responses(
        (status = 200, description = "the message's count with the caller's vote", body = schemas::VoteState),
        (status = 401, description = "`token_required` (no join token), `password_required` (a password room), `invalid_token` (a token that is neither a join token of the room nor the owner token)", body = ErrorBody),
        (status = 403, description = "`not_member`: a join token of another room", body = ErrorBody),
        (status = 404, description = "`room_not_found`, `message_not_found` (or not visible), or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("join_token" = []), ("owner_token" = [])))]
pub async fn vote(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, QuestionError> {
    cast(engine, req, path, Ballot::Cast).await
}

/// Participant: take one's vote back (without one, nothing changes).
#[utoipa::path(delete, path = "/api/v1/rooms/{slug}/messages/{id}/vote",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the message's id")),
    responses(
        (status = 200, description = "the message's count without the caller's vote", body = schemas::VoteState),
        (status = 401, description = "`token_required` (no join token), `password_required` (a password room), `invalid_token` (a token that is neither a join token of the room nor the owner token)", body = ErrorBody),
        (status = 403, description = "`not_member`: a join token of another room", body = ErrorBody),
        (status = 404, description = "`room_not_found`, `message_not_found` (or not visible), or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("join_token" = []), ("owner_token" = [])))]
pub async fn unvote(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, QuestionError> {
    cast(engine, req, path, Ballot::Withdraw).await
}

async fn cast(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
    ballot: Ballot,
) -> Result<HttpResponse, QuestionError> {
    let (slug, id) = path.into_inner();
    let state = engine
        .questions()
        .vote(&slug, bearer(&req).as_deref(), id, ballot)
        .await?;
    Ok(HttpResponse::Ok().json(state))
}

/// Owner or co-moderator: mark a message answered and/or pinned (one pinned message per room).
#[utoipa::path(patch, path = "/api/v1/rooms/{slug}/messages/{id}",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the message's id")),
    request_body = schemas::MessageMarks,
    responses(
        (status = 200, description = "the message with its marks", body = schemas::MessageView),
        (status = 400, response = InvalidJson),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`, `message_not_found` (or not visible), or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`invalid_request`: a body of the wrong shape", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn mark(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
    body: web::Json<MessageMarks>,
) -> Result<HttpResponse, QuestionError> {
    let (slug, id) = path.into_inner();
    let view = engine
        .questions()
        .mark(&slug, bearer(&req).as_deref(), id, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
