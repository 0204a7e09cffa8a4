//! Rows as diesel reads and writes them, typed: enum and hashtag columns convert in
//! [`super::columns`]. Conversion to API shapes lives in the engine's domain modules.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use tm_core::event::{CloseReason, MessageKind, MessageState, Moderation, RoomState};
use tm_core::{BlockedWords, Hashtag, ReactionSet};

use super::columns::{Named, StoredBlockedWords, StoredHashtags, StoredReactions};
use super::schema::{messages, moderation_log, moderators, room_events, rooms};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rooms, check_for_backend(diesel::mysql::Mysql))]
pub struct RoomRow {
    pub id: u64,
    pub slug: String,
    pub open_slug: Option<String>,
    pub topic: String,
    #[diesel(deserialize_as = Named<RoomState>)]
    pub state: RoomState,
    #[diesel(deserialize_as = Named<Option<CloseReason>>)]
    pub close_reason: Option<CloseReason>,
    pub expires_at: PrimitiveDateTime,
    pub closed_at: Option<PrimitiveDateTime>,
    pub max_length: u32,
    pub slow_mode_seconds: u32,
    #[diesel(deserialize_as = Named<Moderation>)]
    pub moderation: Moderation,
    pub password_hash: Option<String>,
    pub owner_token_hash: String,
    #[diesel(deserialize_as = StoredHashtags)]
    pub hashtags: Vec<Hashtag>,
    #[diesel(deserialize_as = StoredReactions)]
    pub reactions: ReactionSet,
    pub seq: u64,
    pub created_at: PrimitiveDateTime,
    /// The word filter: posts matching it are held for approval. Only the owner sees it.
    #[diesel(deserialize_as = StoredBlockedWords)]
    pub blocked_words: BlockedWords,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = rooms)]
pub struct NewRoom<'a> {
    pub slug: &'a str,
    pub open_slug: Option<&'a str>,
    pub topic: &'a str,
    pub state: &'a str,
    pub expires_at: PrimitiveDateTime,
    pub max_length: u32,
    pub slow_mode_seconds: u32,
    pub moderation: &'a str,
    pub password_hash: Option<&'a str>,
    pub owner_token_hash: &'a str,
    pub hashtags: &'a str,
    pub reactions: &'a str,
    pub seq: u64,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages, check_for_backend(diesel::mysql::Mysql))]
pub struct MessageRow {
    pub id: u64,
    pub room_id: u64,
    pub seq: Option<u64>,
    pub nickname: String,
    pub participant_id: String,
    pub color: String,
    pub body: String,
    pub tokens: String,
    #[diesel(deserialize_as = Named<MessageKind>)]
    pub kind: MessageKind,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub source_url: Option<String>,
    pub client_id: Option<String>,
    #[diesel(deserialize_as = Named<MessageState>)]
    pub state: MessageState,
    pub created_at: PrimitiveDateTime,
    pub votes: u32,
    pub answered: bool,
    pub pinned: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage<'a> {
    pub room_id: u64,
    pub seq: Option<u64>,
    pub nickname: &'a str,
    pub participant_id: &'a str,
    pub color: &'a str,
    pub body: &'a str,
    pub tokens: &'a str,
    pub kind: &'a str,
    pub source: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub source_url: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub state: &'a str,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = room_events, check_for_backend(diesel::mysql::Mysql))]
pub struct EventRow {
    pub id: u64,
    pub room_id: Option<u64>,
    pub seq: Option<u64>,
    pub event_type: String,
    pub routing_key: String,
    pub envelope_id: String,
    pub envelope: String,
    pub created_at: PrimitiveDateTime,
    pub published_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = room_events)]
pub struct NewEvent<'a> {
    pub room_id: Option<u64>,
    pub seq: Option<u64>,
    pub event_type: &'a str,
    pub routing_key: &'a str,
    pub envelope_id: &'a str,
    pub envelope: &'a str,
    pub created_at: PrimitiveDateTime,
    pub message_id: Option<u64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = moderation_log, check_for_backend(diesel::mysql::Mysql))]
pub struct AuditRow {
    pub id: u64,
    pub room_id: u64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub created_at: PrimitiveDateTime,
}

/// A co-moderator of a room (its token only as a hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = moderators, check_for_backend(diesel::mysql::Mysql))]
pub struct ModeratorRow {
    pub id: u64,
    pub room_id: u64,
    pub label: String,
    pub token_hash: String,
    pub created_at: PrimitiveDateTime,
    pub revoked_at: Option<PrimitiveDateTime>,
}
