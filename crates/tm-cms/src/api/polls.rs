//! Polls: open, list, vote, close (docs/protocol.md v1.1).

use actix_web::{web, HttpRequest, HttpResponse};
use tm_core::event::Poll;

use super::request::bearer;
use super::schemas::{self, InvalidJson, NotOwner, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::engine::polls::{Ballot, NewPoll, PollError};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// Owner: open a poll (`poll.opened`).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/polls", params(("slug" = String, Path, description = "the room's name (its slug)")),
    request_body = schemas::NewPoll,
    responses(
        (status = 201, description = "the poll, open", body = Poll),
        (status = 400, response = InvalidJson),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`invalid_poll` (the question, or not 2 to 10 different options), `invalid_request` (a body of the wrong shape)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn open(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<NewPoll>,
) -> Result<HttpResponse, PollError> {
    let poll = engine
        .polls()
        .open(&slug, bearer(&req).as_deref(), body.into_inner())
        .await?;
    Ok(HttpResponse::Created().json(poll))
}

/// The room's polls, newest first.
#[utoipa::path(get, path = "/api/v1/rooms/{slug}/polls", params(("slug" = String, Path, description = "the room's name (its slug)")),
    responses(
        (status = 200, description = "the room's polls, newest first", body = schemas::PollList),
        (status = 401, description = "`password_required`: a password room, and no join token of it or owner token as bearer", body = ErrorBody),
        (status = 403, description = "`not_member`: a join token of another room", body = ErrorBody),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security((), ("join_token" = []), ("owner_token" = [])))]
pub async fn list(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, PollError> {
    Ok(HttpResponse::Ok().json(engine.polls().list(&slug, bearer(&req).as_deref()).await?))
}

/// Participant: vote, replacing one's earlier choice.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/polls/{id}/votes",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the poll's id")),
    request_body = schemas::Ballot,
    responses(
        (status = 200, description = "the poll with the caller's ballot counted", body = Poll),
        (status = 400, response = InvalidJson),
        (status = 401, description = "`token_required` (no join token), `password_required` (a password room), `invalid_token` (a token that is neither a join token of the room nor the owner token)", body = ErrorBody),
        (status = 403, description = "`not_member`: a join token of another room", body = ErrorBody),
        (status = 404, description = "`room_not_found`, `poll_not_found`, or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 410, description = "`poll_closed` (the poll or its room is closed)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "`single_choice` (several options on a single-choice poll), `unknown_option`, `invalid_poll` (no option), `invalid_request` (a body of the wrong shape)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("join_token" = []), ("owner_token" = [])))]
pub async fn vote(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
    body: web::Json<Ballot>,
) -> Result<HttpResponse, PollError> {
    let (slug, id) = path.into_inner();
    let poll = engine
        .polls()
        .vote(&slug, bearer(&req).as_deref(), id, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(poll))
}

/// Owner: close a poll (`poll.closed`); closing twice changes nothing.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/polls/{id}/close",
    params(("slug" = String, Path, description = "the room's name (its slug)"), ("id" = u64, Path, description = "the poll's id")),
    responses(
        (status = 200, description = "the poll, closed, with its final counts", body = Poll),
        (status = 403, response = NotOwner),
        (status = 404, description = "`room_not_found`, `poll_not_found`, or `not_found` (an id that is not a number)", body = ErrorBody),
        (status = 503, response = Unavailable),
    ),
    security(("owner_token" = [])))]
pub async fn close(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, PollError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(engine.polls().close(&slug, bearer(&req).as_deref(), id).await?))
}
