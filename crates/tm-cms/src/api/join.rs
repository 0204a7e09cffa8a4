//! `POST /api/v1/rooms/{slug}/join`: a join token for the gateway.

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::{bearer, client_ip, joining_participant_id};
use super::schemas::{self, InvalidJson, PayloadTooLarge, Unavailable};
use crate::engine::join::{JoinError, JoinRequest};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// The body is optional (`{}` or nothing for rooms without a password).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/join", params(("slug" = String, Path, description = "the room's name (its slug)")),
    request_body(content = schemas::JoinRequest, description = "optional: `{}` or no body for a room without a password"),
    responses(
        (status = 200, description = "a join token for the gateway", body = schemas::JoinResponse),
        (status = 400, response = InvalidJson),
        (status = 401, description = "`password_required`, `wrong_password`", body = ErrorBody),
        (status = 403, description = "`not_member`: a join token of another room as bearer", body = ErrorBody),
        (status = 404, description = "`room_not_found`", body = ErrorBody),
        (status = 410, description = "`room_closed`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "`invalid_request`: JSON of the wrong shape", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many password guesses from this address for this room", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = 503, response = Unavailable),
    ),
    security((), ("join_token" = []), ("owner_token" = [])))]
#[tracing::instrument(skip(engine, req, body))]
pub async fn join(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: super::RawBody,
) -> Result<HttpResponse, actix_web::Error> {
    let body = body.0;
    let request: JoinRequest = if body.iter().all(u8::is_ascii_whitespace) {
        JoinRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(super::invalid_json)?
    };
    let answer = engine
        .access()
        .join(
            &slug,
            request,
            bearer(&req).as_deref(),
            joining_participant_id(&req, &engine),
            &client_ip(&req, &engine),
        )
        .await
        .map_err(|e: JoinError| actix_web::Error::from(e))?;
    Ok(HttpResponse::Ok().json(answer))
}
