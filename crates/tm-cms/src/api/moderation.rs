//! Moderation endpoints beyond docs/protocol.md: mutes, the approval queue and the audit log.

use actix_web::{web, HttpRequest, HttpResponse};

use super::request::bearer;
use crate::engine::messages::{MessageList, MessageView};
use crate::engine::moderation::{AuditList, ModerationError, MuteRequest};
use crate::engine::rooms::RoomError;
use crate::engine::Engine;
use crate::errors::ErrorBody;

/// Owner: mute a participant in this room.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/mutes", request_body = MuteRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("owner_token" = [])))]
pub async fn mute(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Json<MuteRequest>,
) -> Result<HttpResponse, ModerationError> {
    engine
        .mute(&slug, bearer(&req).as_deref(), &body.participant_id, true)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Owner: lift a mute.
#[utoipa::path(delete, path = "/api/v1/rooms/{slug}/mutes/{participant_id}",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("owner_token" = [])))]
pub async fn unmute(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ModerationError> {
    let (slug, participant) = path.into_inner();
    engine.mute(&slug, bearer(&req).as_deref(), &participant, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Owner: messages waiting for approval.
#[utoipa::path(get, path = "/api/v1/rooms/{slug}/pending",
    responses((status = 200, body = MessageList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("owner_token" = [])))]
pub async fn pending(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, RoomError> {
    Ok(HttpResponse::Ok().json(engine.list_pending(&slug, bearer(&req).as_deref()).await?))
}

/// Owner: show a pending message.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/messages/{id}/approve",
    responses((status = 200, body = MessageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("owner_token" = [])))]
pub async fn approve(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ModerationError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(engine.approve_message(&slug, bearer(&req).as_deref(), id).await?))
}

/// Owner: drop a pending message unseen.
#[utoipa::path(post, path = "/api/v1/rooms/{slug}/messages/{id}/reject",
    responses((status = 200, body = MessageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("owner_token" = [])))]
pub async fn reject(
    engine: web::Data<Engine>,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> Result<HttpResponse, ModerationError> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(engine.reject_message(&slug, bearer(&req).as_deref(), id).await?))
}

/// Owner: the moderation log, newest first.
#[utoipa::path(get, path = "/api/v1/rooms/{slug}/audit",
    responses((status = 200, body = AuditList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("owner_token" = [])))]
pub async fn audit(
    engine: web::Data<Engine>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ModerationError> {
    Ok(HttpResponse::Ok().json(engine.audit_log(&slug, bearer(&req).as_deref()).await?))
}
