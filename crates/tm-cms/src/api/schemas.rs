//! The OpenAPI schemas of the engine's request and answer types, and the error answers many
//! operations share.
//!
//! The engine knows nothing of OpenAPI: its types (`engine::rooms::Room`, …) carry only serde.
//! Each type here describes one of them on the wire under the same name, field by field, with
//! the same serde attributes, and exists only for [`super::openapi::ApiDoc`]. They cannot drift
//! apart unnoticed: the e2e schemathesis run checks every answer against these schemas.

// Never built: only their derived descriptions are used.
#![allow(dead_code)]

use serde::Deserialize;
use time::OffsetDateTime;
use tm_core::event::{CloseReason, Message, Moderation, Poll, RoomId, RoomState, Seq};
use utoipa::{IntoParams, ToResponse, ToSchema};

use crate::errors::ErrorBody;

/// A room as the API shows it.
#[derive(ToSchema)]
pub struct Room {
    pub id: RoomId,
    pub slug: String,
    pub url: String,
    pub topic: String,
    pub state: RoomState,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    pub seq: u64,
    pub hashtags: Vec<String>,
    pub max_length: u32,
    pub slow_mode_seconds: u32,
    pub moderation: Moderation,
    /// The emoji participants may react with, in the owner's order (1 to 8, each one emoji).
    #[schema(min_items = 1, max_items = 8, example = json!(["👍", "❤️", "😂", "😮", "👏"]))]
    pub reactions: Vec<String>,
    pub password_required: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Only on a closed room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<CloseReason>,
    /// The word filter: only in answers to the owner token (or the admin token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_words: Option<Vec<String>>,
}

/// `POST /api/v1/rooms`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    /// `a-z 0-9 -` (upper case is folded), no dash at either end or twice in a row, not a
    /// reserved name.
    #[schema(
        min_length = 3,
        max_length = 64,
        pattern = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
        example = "physics-101"
    )]
    pub name: String,
    #[schema(schema_with = lifetime_schema)]
    pub lifetime: String,
    /// No control characters.
    #[schema(max_length = 200)]
    pub topic: Option<String>,
    /// Each 1–100 letters, digits or `_` (`#` optional), not only digits.
    #[schema(max_items = 10)]
    pub hashtags: Option<Vec<String>>,
    #[schema(min_length = 1, max_length = 128)]
    pub password: Option<String>,
    /// The longest message in characters (default 280).
    #[schema(minimum = 1, maximum = 2000)]
    pub max_length: Option<u32>,
}

/// `Lifetime`'s wire forms (the field is parsed by the engine, to answer `invalid_lifetime`).
fn lifetime_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(tm_core::domain::Lifetime::ALL.map(|l| l.as_str())))
        .description(Some("`2h`, `1d`, `1w`, `1m` (30 days) or `1y` (365 days)"))
        .build()
}

/// `lifetime` of an update: optional, so `null` (no change) is allowed too.
fn optional_lifetime_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let values = tm_core::domain::Lifetime::ALL
        .map(|l| serde_json::Value::from(l.as_str()))
        .into_iter()
        .chain([serde_json::Value::Null]);
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .description(Some(
            "`2h`, `1d`, `1w`, `1m` (30 days) or `1y` (365 days) from now: the room now closes then \
             (later or sooner than before), as the answer's `expires_at` says",
        ))
        .build()
}

/// `PATCH /api/v1/rooms/{slug}`: every field optional.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoom {
    /// No control characters.
    #[schema(max_length = 200)]
    pub topic: Option<String>,
    /// `open` or `paused` (`closed` is refused with 422 `invalid_state`: use `/close`).
    pub state: Option<RoomState>,
    #[schema(maximum = 3600)]
    pub slow_mode_seconds: Option<u32>,
    pub moderation: Option<Moderation>,
    /// Each 1–100 letters, digits or `_` (`#` optional), not only digits.
    #[schema(max_items = 10)]
    pub hashtags: Option<Vec<String>>,
    /// The room now closes this long from now (later or sooner than before): the choices of
    /// creation. The answer's `expires_at` is the new closing time.
    #[schema(schema_with = optional_lifetime_schema)]
    pub lifetime: Option<String>,
    /// The word filter, replacing the room's list (`[]` clears it): each entry 1–50 characters
    /// with a letter or digit, no control or invisible characters. Posts that match an entry
    /// as whole words (case and width folded) are held for approval.
    #[schema(max_items = 100)]
    pub blocked_words: Option<Vec<String>>,
    #[schema(schema_with = reactions_update_schema)]
    pub reactions: Option<Vec<String>>,
}

/// `UpdateRoom.reactions`: like the room's list, and the entries must differ (utoipa's field
/// attributes cannot say `uniqueItems`). `null` is the same as leaving the field out.
fn reactions_update_schema() -> utoipa::openapi::Array {
    use utoipa::openapi::{schema::SchemaType, ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(ObjectBuilder::new().schema_type(Type::String))
        .min_items(Some(1))
        .max_items(Some(tm_core::domain::MAX_REACTIONS))
        .unique_items(true)
        .description(Some(
            "1 to 8 different emoji, each a single emoji (422 `invalid_reactions`).",
        ))
        .examples([serde_json::json!(["👍", "🎉"])])
        .build()
}

/// A created room and its owner token (shown once).
#[derive(ToSchema)]
pub struct CreatedRoom {
    pub owner_token: String,
    #[serde(flatten)]
    pub room: Room,
}

/// The answer to a rotation: the new owner token, shown only this once.
#[derive(ToSchema)]
pub struct RotatedOwnerToken {
    pub owner_token: String,
}

/// `POST /api/v1/rooms/{slug}/join`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub password: Option<String>,
}

#[derive(ToSchema)]
pub struct JoinResponse {
    pub token: String,
    pub gateway_url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// `participant` or `owner`.
    pub role: String,
    pub participant_id: String,
}

/// `?after=&limit=` of the read endpoints.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Only items with a greater seq (default 0).
    pub after: Option<u64>,
    /// At most this many (default 100, max 1000).
    pub limit: Option<u32>,
}

/// `?after=&limit=&order=` of `/messages`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessagePage {
    /// Only messages with a greater seq (default 0).
    pub after: Option<u64>,
    /// At most this many (default 100, max 1000).
    pub limit: Option<u32>,
    /// `seq` (default, oldest first) or `votes` (most votes first, ties oldest first).
    #[param(inline)]
    pub order: Option<Order>,
}

/// The order of `/messages`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Seq,
    Votes,
}

/// A message with its moderation state.
#[derive(ToSchema)]
pub struct MessageView {
    #[serde(flatten)]
    pub message: Message,
    /// `visible`, `pending` (waiting for the owner's approval; `seq` 0) or `deleted` (what a
    /// reject answers).
    #[schema(schema_with = message_state_schema)]
    pub state: String,
}

/// The values `messages.state` takes (the column is a string).
fn message_state_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["visible", "pending", "deleted"]))
        .build()
}

#[derive(ToSchema)]
pub struct MessageList {
    pub messages: Vec<MessageView>,
    /// The room's current seq.
    pub seq: Seq,
}

#[derive(ToSchema)]
pub struct EventList {
    pub events: Vec<LoggedEvent>,
    /// The room's current seq.
    pub seq: Seq,
}

/// One replayed event as `/events` serves it: `data` is the stored payload.
#[derive(ToSchema)]
pub struct LoggedEvent {
    pub seq: Seq,
    /// The event type, e.g. `message.created`.
    pub event: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// `POST /api/v1/rooms/{slug}/mutes`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub participant_id: String,
}

/// The answer of the vote endpoints.
#[derive(ToSchema)]
pub struct VoteState {
    pub id: u64,
    pub votes: u32,
    /// Whether the caller's vote is now counted.
    pub voted: bool,
}

/// `PATCH /api/v1/rooms/{slug}/messages/{id}`: the owner's marks, each optional.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageMarks {
    pub answered: Option<bool>,
    /// Pinning one message unpins the room's previously pinned one.
    pub pinned: Option<bool>,
}

/// `POST /api/v1/rooms/{slug}/polls`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    /// 1 to 500 characters, no control or invisible characters.
    #[schema(min_length = 1, max_length = 500)]
    pub question: String,
    /// 2 to 10 different options, each 1 to 200 characters.
    #[schema(min_items = 2, max_items = 10)]
    pub options: Vec<String>,
    /// Participants may choose several options (default false).
    pub multiple: Option<bool>,
}

/// `POST /api/v1/rooms/{slug}/polls/{id}/votes`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// Option ids (one on a single-choice poll); voting again replaces the earlier choice.
    #[schema(min_items = 1)]
    pub options: Vec<u64>,
}

#[derive(ToSchema)]
pub struct PollList {
    /// Newest first.
    pub polls: Vec<Poll>,
}

/// `POST /api/v1/rooms/{slug}/moderators`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModerator {
    /// How the audit log and the owner page name them (default `Moderator <n>`): at most 50
    /// characters, no control or invisible characters.
    #[schema(max_length = 50)]
    pub label: Option<String>,
}

/// A co-moderator (never their token: shown once, at creation).
#[derive(ToSchema)]
pub struct ModeratorView {
    pub id: u64,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(ToSchema)]
pub struct ModeratorList {
    /// The active ones, oldest first.
    pub moderators: Vec<ModeratorView>,
}

/// A new co-moderator with their token and link, shown only this once.
#[derive(ToSchema)]
pub struct CreatedModerator {
    #[serde(flatten)]
    pub moderator: ModeratorView,
    pub token: String,
    /// `<room url>/moderate#<token>`.
    pub link: String,
}

/// One audit log entry.
#[derive(ToSchema)]
pub struct AuditEntry {
    pub id: u64,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

#[derive(ToSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
}

/// 400 `invalid_json`: the body is not JSON (a syntax error, cut short, or unreadable).
#[derive(ToResponse)]
pub struct InvalidJson(ErrorBody);

/// 400 `invalid_query`: `after` or `limit` is not a non-negative integer, or the query string
/// has another parameter.
#[derive(ToResponse)]
pub struct InvalidQuery(ErrorBody);

/// 413 `payload_too_large`: the body is over `http.max_json_bytes`.
#[derive(ToResponse)]
pub struct PayloadTooLarge(ErrorBody);

/// 415 `unsupported_media_type`: the body is not sent as `application/json`.
#[derive(ToResponse)]
pub struct UnsupportedMediaType(ErrorBody);

/// 403 `not_owner`: the bearer is not a token this operation accepts: the room's owner token
/// or the admin token, and for moderation (delete, approve, reject, mutes, the queue, the audit
/// log, answered and pinned) also a co-moderator's token of the room.
#[derive(ToResponse)]
pub struct NotOwner(ErrorBody);

/// 503 `unavailable`: the database is unreachable; try again shortly.
#[derive(ToResponse)]
pub struct Unavailable(ErrorBody);
