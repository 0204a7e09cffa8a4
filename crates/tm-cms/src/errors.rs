//! Error policy of the JSON API.
//!
//! Each area of the engine has its own error enum (`RoomError`, `PostError`, …); each names its
//! HTTP status and docs/protocol.md's snake_case code through [`ApiErrorCode`], and [`api_error!`]
//! turns that into actix's `ResponseError` with the body `{"error": {"code", "message"}}`.
//! Every enum has a database branch (unreachable database → 503 `unavailable`, other query
//! failures → 500) and an `Unexpected(anyhow::Error)` catch-all → 500. Both 5xx branches are
//! logged with their cause chain; their message to the client stays generic.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::db::DbError;

/// What the API needs to know about an error.
pub trait ApiErrorCode: std::error::Error {
    fn status(&self) -> StatusCode;
    fn code(&self) -> &'static str;
    /// Seconds for a `Retry-After` header (429 answers).
    fn retry_after(&self) -> Option<u64> {
        None
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

/// Builds the typed error answer.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.to_owned(),
        },
    })
}

/// Status and code of a database failure.
pub fn db_status(err: &DbError) -> (StatusCode, &'static str) {
    match err {
        DbError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        DbError::Query(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// Renders any [`ApiErrorCode`], logging server-side failures.
pub fn respond<E: ApiErrorCode>(err: &E) -> HttpResponse {
    let status = err.status();
    let message = if status.is_server_error() {
        tracing::error!(error = %err, cause = ?std::error::Error::source(err), "request failed");
        if status == StatusCode::SERVICE_UNAVAILABLE {
            "the service is temporarily unavailable; try again shortly".to_owned()
        } else {
            "an unexpected error occurred".to_owned()
        }
    } else {
        err.to_string()
    };
    let mut response = error_response(status, err.code(), &message);
    if let Some(secs) = err.retry_after() {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&secs.to_string()) {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
    }
    response
}

/// Implements actix's `ResponseError` for an [`ApiErrorCode`] enum.
macro_rules! api_error {
    ($name:ty) => {
        impl actix_web::ResponseError for $name {
            fn status_code(&self) -> actix_web::http::StatusCode {
                crate::errors::ApiErrorCode::status(self)
            }
            fn error_response(&self) -> actix_web::HttpResponse {
                crate::errors::respond(self)
            }
        }
    };
}
pub(crate) use api_error;
