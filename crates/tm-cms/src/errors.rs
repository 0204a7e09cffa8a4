//! Error policy of the JSON API.
//!
//! Each area of the engine has its own error enum (`RoomError`, `PostError`, …) that knows
//! nothing of HTTP; this module, the edge, gives each its HTTP status and docs/protocol.md's
//! snake_case code through [`ApiErrorCode`], and [`api_error!`] turns that into actix's
//! `ResponseError` with the body `{"error": {"code", "message"}}`.
//! Every enum has a database branch (unreachable database → 503 `unavailable`, other query
//! failures → 500) and an `Unexpected(anyhow::Error)` catch-all → 500. Both 5xx branches are
//! logged with their cause chain; their message to the client stays generic.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::engine::access::AccessError;
use crate::engine::co_moderators::CoModeratorError;
use crate::engine::db::DbError;
use crate::engine::join::JoinError;
use crate::engine::moderation::ModerationError;
use crate::engine::polls::PollError;
use crate::engine::posting::PostError;
use crate::engine::questions::QuestionError;
use crate::engine::rooms::RoomError;

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

/// Builds the typed error answer; `message` is the English one, translated to the request's
/// language by `code` (`crate::i18n::error_message`).
pub fn error_response(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    json_error(status, code, &crate::i18n::error_message(code, message, None))
}

fn json_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
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
    let message = message(err);
    let mut response = json_error(status, err.code(), &message);
    if let Some(secs) = err.retry_after() {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&secs.to_string()) {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
    }
    response
}

/// The message of `err` in the request's language, logging server-side failures: those say
/// only that something failed, never why.
pub fn message<E: ApiErrorCode>(err: &E) -> String {
    let status = err.status();
    let (code, english) = if status.is_server_error() {
        tracing::error!(error = %err, cause = ?std::error::Error::source(err), "request failed");
        if status == StatusCode::SERVICE_UNAVAILABLE {
            (
                "unavailable",
                "the service is temporarily unavailable; try again shortly".to_owned(),
            )
        } else {
            ("internal", "an unexpected error occurred".to_owned())
        }
    } else {
        (err.code(), err.to_string())
    };
    crate::i18n::error_message(code, &english, err.retry_after())
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

// The engine's errors as the API answers them: status, code and `Retry-After`.

impl ApiErrorCode for AccessError {
    fn status(&self) -> StatusCode {
        match self {
            AccessError::NotFound => StatusCode::NOT_FOUND,
            AccessError::PasswordRequired | AccessError::InvalidToken | AccessError::TokenRequired => {
                StatusCode::UNAUTHORIZED
            }
            AccessError::NotMember => StatusCode::FORBIDDEN,
            AccessError::Db(e) => db_status(e).0,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AccessError::NotFound => "room_not_found",
            AccessError::PasswordRequired => "password_required",
            AccessError::NotMember => "not_member",
            AccessError::InvalidToken => "invalid_token",
            AccessError::TokenRequired => "token_required",
            AccessError::Db(e) => db_status(e).1,
        }
    }
}

api_error!(AccessError);

impl ApiErrorCode for JoinError {
    fn status(&self) -> StatusCode {
        match self {
            JoinError::NotFound => StatusCode::NOT_FOUND,
            JoinError::Closed => StatusCode::GONE,
            JoinError::PasswordRequired | JoinError::WrongPassword => StatusCode::UNAUTHORIZED,
            JoinError::NotMember => StatusCode::FORBIDDEN,
            JoinError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            JoinError::Db(e) => db_status(e).0,
            JoinError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            JoinError::NotFound => "room_not_found",
            JoinError::Closed => "room_closed",
            JoinError::PasswordRequired => "password_required",
            JoinError::WrongPassword => "wrong_password",
            JoinError::NotMember => "not_member",
            JoinError::TooManyAttempts(_) => "too_many_attempts",
            JoinError::Db(e) => db_status(e).1,
            JoinError::Unexpected(_) => "internal",
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            JoinError::TooManyAttempts(secs) => Some(*secs),
            _ => None,
        }
    }
}

api_error!(JoinError);

impl ApiErrorCode for ModerationError {
    fn status(&self) -> StatusCode {
        match self {
            ModerationError::RoomNotFound | ModerationError::MessageNotFound => StatusCode::NOT_FOUND,
            ModerationError::NotOwner => StatusCode::FORBIDDEN,
            ModerationError::Closed => StatusCode::GONE,
            ModerationError::NotPending => StatusCode::CONFLICT,
            ModerationError::InvalidParticipant => StatusCode::UNPROCESSABLE_ENTITY,
            ModerationError::Db(e) => db_status(e).0,
            ModerationError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            ModerationError::RoomNotFound => "room_not_found",
            ModerationError::MessageNotFound => "message_not_found",
            ModerationError::NotOwner => "not_owner",
            ModerationError::Closed => "room_closed",
            ModerationError::NotPending => "not_pending",
            ModerationError::InvalidParticipant => "invalid_participant",
            ModerationError::Db(e) => db_status(e).1,
            ModerationError::Unexpected(_) => "internal",
        }
    }
}

api_error!(ModerationError);

impl ApiErrorCode for PostError {
    fn status(&self) -> StatusCode {
        match self {
            PostError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PostError::NotFound => StatusCode::NOT_FOUND,
            PostError::Paused => StatusCode::LOCKED,
            PostError::Closed => StatusCode::GONE,
            PostError::Muted => StatusCode::FORBIDDEN,
            PostError::SlowDown(_) => StatusCode::TOO_MANY_REQUESTS,
            PostError::Db(e) => db_status(e).0,
            PostError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            PostError::Invalid(v) => v.code(),
            PostError::NotFound => "room_not_found",
            PostError::Paused => "room_paused",
            PostError::Closed => "room_closed",
            PostError::Muted => "muted",
            PostError::SlowDown(_) => "slow_down",
            PostError::Db(e) => db_status(e).1,
            PostError::Unexpected(_) => "internal",
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            PostError::SlowDown(wait) => Some(wait.as_secs_f64().ceil().max(1.0) as u64),
            _ => None,
        }
    }
}

api_error!(PostError);

impl ApiErrorCode for RoomError {
    fn status(&self) -> StatusCode {
        match self {
            RoomError::NameTaken => StatusCode::CONFLICT,
            RoomError::TooManyRooms(_) => StatusCode::TOO_MANY_REQUESTS,
            RoomError::NotFound => StatusCode::NOT_FOUND,
            RoomError::NotOwner => StatusCode::FORBIDDEN,
            RoomError::Closed => StatusCode::GONE,
            RoomError::Db(e) => db_status(e).0,
            RoomError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            RoomError::Invalid(v) => v.code(),
            RoomError::InvalidTopic => "invalid_topic",
            RoomError::InvalidPassword => "invalid_password",
            RoomError::InvalidMaxLength => "invalid_max_length",
            RoomError::InvalidSlowMode => "invalid_slow_mode",
            RoomError::TooManyHashtags => "too_many_hashtags",
            RoomError::BlockedWords(tm_core::BlockedWordsError::TooMany) => "too_many_blocked_words",
            RoomError::BlockedWords(tm_core::BlockedWordsError::Invalid(_)) => "invalid_blocked_word",
            RoomError::InvalidState => "invalid_state",
            RoomError::NameTaken => "name_taken",
            RoomError::TooManyRooms(_) => "too_many_rooms",
            RoomError::NotFound => "room_not_found",
            RoomError::NotOwner => "not_owner",
            RoomError::Closed => "room_closed",
            RoomError::Db(e) => db_status(e).1,
            RoomError::Unexpected(_) => "internal",
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            RoomError::TooManyRooms(secs) => Some(*secs),
            _ => None,
        }
    }
}

api_error!(RoomError);

impl ApiErrorCode for QuestionError {
    fn status(&self) -> StatusCode {
        match self {
            QuestionError::Access(e) => e.status(),
            QuestionError::MessageNotFound => StatusCode::NOT_FOUND,
            QuestionError::NotOwner => StatusCode::FORBIDDEN,
            QuestionError::Closed => StatusCode::GONE,
            QuestionError::Db(e) => db_status(e).0,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            QuestionError::Access(e) => e.code(),
            QuestionError::MessageNotFound => "message_not_found",
            QuestionError::NotOwner => "not_owner",
            QuestionError::Closed => "room_closed",
            QuestionError::Db(e) => db_status(e).1,
        }
    }
}

api_error!(QuestionError);

impl ApiErrorCode for PollError {
    fn status(&self) -> StatusCode {
        match self {
            PollError::Access(e) => e.status(),
            PollError::PollNotFound => StatusCode::NOT_FOUND,
            PollError::NotOwner => StatusCode::FORBIDDEN,
            PollError::RoomClosed | PollError::PollClosed => StatusCode::GONE,
            PollError::Invalid(_) | PollError::SingleChoice | PollError::UnknownOption => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            PollError::Db(e) => db_status(e).0,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            PollError::Access(e) => e.code(),
            PollError::PollNotFound => "poll_not_found",
            PollError::NotOwner => "not_owner",
            PollError::RoomClosed => "room_closed",
            PollError::PollClosed => "poll_closed",
            PollError::Invalid(_) => "invalid_poll",
            PollError::SingleChoice => "single_choice",
            PollError::UnknownOption => "unknown_option",
            PollError::Db(e) => db_status(e).1,
        }
    }
}

api_error!(PollError);

impl ApiErrorCode for CoModeratorError {
    fn status(&self) -> StatusCode {
        match self {
            CoModeratorError::RoomNotFound | CoModeratorError::NotFound => StatusCode::NOT_FOUND,
            CoModeratorError::NotOwner => StatusCode::FORBIDDEN,
            CoModeratorError::Closed => StatusCode::GONE,
            CoModeratorError::InvalidLabel | CoModeratorError::TooMany => StatusCode::UNPROCESSABLE_ENTITY,
            CoModeratorError::Db(e) => db_status(e).0,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            CoModeratorError::RoomNotFound => "room_not_found",
            CoModeratorError::NotFound => "moderator_not_found",
            CoModeratorError::NotOwner => "not_owner",
            CoModeratorError::Closed => "room_closed",
            CoModeratorError::InvalidLabel => "invalid_label",
            CoModeratorError::TooMany => "too_many_moderators",
            CoModeratorError::Db(e) => db_status(e).1,
        }
    }
}

api_error!(CoModeratorError);
