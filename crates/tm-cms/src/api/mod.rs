//! The JSON API (docs/protocol.md) and its plumbing: routes, extractor error handlers that turn
//! malformed requests into typed 4xx answers, a JSON 404 for unknown routes, and a middleware
//! that gives every request a tracing span and its metrics.

pub mod health;
pub mod join;
pub mod messages;
pub mod moderation;
pub mod moderators;
pub mod openapi;
pub mod polls;
pub mod questions;
pub mod request;
pub mod rooms;
pub mod schemas;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use tracing::Instrument;

use crate::engine::Engine;
use crate::errors::error_response;
use crate::metrics::{HttpLabels, RouteLabels};

/// Every route of the JSON API, also the list the OpenAPI test checks against.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/rooms"),
    ("GET", "/api/v1/rooms/{slug}"),
    ("PATCH", "/api/v1/rooms/{slug}"),
    ("POST", "/api/v1/rooms/{slug}/close"),
    ("POST", "/api/v1/rooms/{slug}/owner_token"),
    ("GET", "/api/v1/rooms/{slug}/messages"),
    ("POST", "/api/v1/rooms/{slug}/messages"),
    ("DELETE", "/api/v1/rooms/{slug}/messages/{id}"),
    ("PATCH", "/api/v1/rooms/{slug}/messages/{id}"),
    ("POST", "/api/v1/rooms/{slug}/messages/{id}/vote"),
    ("DELETE", "/api/v1/rooms/{slug}/messages/{id}/vote"),
    ("GET", "/api/v1/rooms/{slug}/polls"),
    ("POST", "/api/v1/rooms/{slug}/polls"),
    ("POST", "/api/v1/rooms/{slug}/polls/{id}/votes"),
    ("POST", "/api/v1/rooms/{slug}/polls/{id}/close"),
    ("POST", "/api/v1/rooms/{slug}/messages/{id}/approve"),
    ("POST", "/api/v1/rooms/{slug}/messages/{id}/reject"),
    ("GET", "/api/v1/rooms/{slug}/events"),
    ("POST", "/api/v1/rooms/{slug}/join"),
    ("GET", "/api/v1/rooms/{slug}/pending"),
    ("POST", "/api/v1/rooms/{slug}/mutes"),
    ("DELETE", "/api/v1/rooms/{slug}/mutes/{participant_id}"),
    ("GET", "/api/v1/rooms/{slug}/audit"),
    ("POST", "/api/v1/rooms/{slug}/moderators"),
    ("GET", "/api/v1/rooms/{slug}/moderators"),
    ("DELETE", "/api/v1/rooms/{slug}/moderators/{id}"),
];

/// Registers the API on an actix app.
pub fn configure(cfg: &mut web::ServiceConfig, max_json_bytes: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(max_json_bytes)
            .error_handler(|err, _| json_error(err)),
    )
    .app_data(web::PathConfig::default().error_handler(|err, _| path_error(err)))
    .app_data(web::QueryConfig::default().error_handler(|err, _| query_error(err)))
    .app_data(web::PayloadConfig::default().limit(max_json_bytes))
    // One prefix check keeps every other path from being matched against the API's routes
    // (each a regex), and keeps API requests from walking the site's routes (registered after).
    .service(
        web::scope("/api/v1")
            .service(resource("/rooms").route(web::post().to(rooms::create)))
            .service(
                resource("/rooms/{slug}")
                    .route(web::get().to(rooms::get))
                    .route(web::patch().to(rooms::update)),
            )
            .service(resource("/rooms/{slug}/close").route(web::post().to(rooms::close)))
            .service(resource("/rooms/{slug}/owner_token").route(web::post().to(rooms::rotate_owner_token)))
            .service(
                resource("/rooms/{slug}/messages")
                    .route(web::get().to(messages::list))
                    .route(web::post().to(messages::post)),
            )
            .service(
                resource("/rooms/{slug}/messages/{id}")
                    .route(web::delete().to(messages::delete))
                    .route(web::patch().to(questions::mark)),
            )
            .service(
                resource("/rooms/{slug}/messages/{id}/vote")
                    .route(web::post().to(questions::vote))
                    .route(web::delete().to(questions::unvote)),
            )
            .service(
                resource("/rooms/{slug}/polls")
                    .route(web::get().to(polls::list))
                    .route(web::post().to(polls::open)),
            )
            .service(resource("/rooms/{slug}/polls/{id}/votes").route(web::post().to(polls::vote)))
            .service(resource("/rooms/{slug}/polls/{id}/close").route(web::post().to(polls::close)))
            .service(resource("/rooms/{slug}/messages/{id}/approve").route(web::post().to(moderation::approve)))
            .service(resource("/rooms/{slug}/messages/{id}/reject").route(web::post().to(moderation::reject)))
            .service(resource("/rooms/{slug}/events").route(web::get().to(messages::events)))
            .service(resource("/rooms/{slug}/join").route(web::post().to(join::join)))
            .service(resource("/rooms/{slug}/pending").route(web::get().to(moderation::pending)))
            .service(resource("/rooms/{slug}/mutes").route(web::post().to(moderation::mute)))
            .service(resource("/rooms/{slug}/mutes/{participant_id}").route(web::delete().to(moderation::unmute)))
            .service(resource("/rooms/{slug}/audit").route(web::get().to(moderation::audit)))
            .service(
                resource("/rooms/{slug}/moderators")
                    .route(web::post().to(moderators::create))
                    .route(web::get().to(moderators::list)),
            )
            .service(resource("/rooms/{slug}/moderators/{id}").route(web::delete().to(moderators::revoke)))
            .service(resource("/openapi.json").route(web::get().to(openapi::serve))),
    )
    .service(resource("/healthz").route(web::get().to(health::respond)))
    .service(resource("/readyz").route(web::get().to(health::respond)))
    .service(resource("/metrics").route(web::get().to(health::respond)))
    .default_service(web::to(not_found));
}

/// A resource whose unsupported methods answer a typed 405.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed here",
        )
    }))
}

/// Unknown routes: a typed JSON 404 under `/api/`, the friendly page elsewhere.
async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        error_response(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
    } else {
        crate::web::not_found_page()
    }
}

/// A JSON body that could not be parsed: 400 for syntax, 422 for a well-formed body of the
/// wrong shape.
pub(crate) fn invalid_json(err: serde_json::Error) -> actix_web::Error {
    invalid_json_owned(&err)
}

fn json_error(err: JsonPayloadError) -> actix_web::Error {
    let message = err.to_string();
    let response = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            error_response(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &message)
        }
        JsonPayloadError::ContentType => error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        JsonPayloadError::Deserialize(inner) => return invalid_json_owned(inner),
        _ => error_response(StatusCode::BAD_REQUEST, "invalid_json", &message),
    };
    actix_web::error::InternalError::from_response(message, response).into()
}

fn invalid_json_owned(err: &serde_json::Error) -> actix_web::Error {
    let (status, code) = if err.is_syntax() || err.is_eof() {
        (StatusCode::BAD_REQUEST, "invalid_json")
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
    };
    let message = err.to_string();
    actix_web::error::InternalError::from_response(message.clone(), error_response(status, code, &message)).into()
}

/// A request body read as bytes (for handlers that parse optional JSON themselves) whose
/// failures answer like the JSON extractor's: 413 `payload_too_large` past `http.max_json_bytes`,
/// 400 `invalid_json` for a body that could not be read. actix's own `Bytes` extractor answers
/// those in plain text, outside the API's error contract.
pub struct RawBody(pub web::Bytes);

impl actix_web::FromRequest for RawBody {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move { bytes.await.map(RawBody).map_err(payload_error) })
    }
}

fn payload_error(err: actix_web::Error) -> actix_web::Error {
    let message = err.to_string();
    let overflow = matches!(
        err.as_error::<actix_web::error::PayloadError>(),
        Some(actix_web::error::PayloadError::Overflow)
    );
    let response = if overflow {
        error_response(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &message)
    } else {
        error_response(StatusCode::BAD_REQUEST, "invalid_json", &message)
    };
    actix_web::error::InternalError::from_response(message, response).into()
}

fn path_error(err: PathError) -> actix_web::Error {
    let message = err.to_string();
    actix_web::error::InternalError::from_response(
        message,
        error_response(StatusCode::NOT_FOUND, "not_found", "no such resource"),
    )
    .into()
}

fn query_error(err: QueryPayloadError) -> actix_web::Error {
    let message = err.to_string();
    actix_web::error::InternalError::from_response(
        message.clone(),
        error_response(StatusCode::BAD_REQUEST, "invalid_query", &message),
    )
    .into()
}

/// The `method` label of the HTTP metrics: the standard methods by name, anything else (a client
/// may send any token as a method) as `other`, so clients cannot grow the label set.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("other")
}

/// Request span (method, route, request id) and metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method()).to_owned();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let engine = req.app_data::<web::Data<Engine>>().cloned();
    let span = tracing::info_span!("http", %method, %route, path = %req.path(), request_id = %uuid::Uuid::new_v4());
    let response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    span.in_scope(|| tracing::debug!(status, elapsed_ms = started.elapsed().as_millis() as u64, "answered"));
    if let Some(engine) = engine {
        let metrics = engine.metrics();
        metrics
            .http_requests
            .get_or_create(&HttpLabels {
                method,
                route: route.clone(),
                status,
            })
            .inc();
        metrics
            .http_latency
            .get_or_create(&RouteLabels { route })
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}
