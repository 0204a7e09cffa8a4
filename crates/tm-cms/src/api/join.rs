//! `POST /api/v1/rooms/{slug}/join`: a join token for the gateway.

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::{bearer, client_ip, joining_participant_id};
use crate::engine::join::{JoinError, JoinRequest, JoinResponse};
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// The body is optional (`{}` or nothing for rooms without a password).
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/join", request_body(content = JoinRequest, description = "optional"),
    responses((status = 200, body = JoinResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip(engine, req, body))]
pub async fn join(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    let request: JoinRequest = if body.iter().all(u8::is_ascii_whitespace) {
        JoinRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(super::invalid_json)?
    };
    let answer = engine
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
