//! A message as clients see it: in `message.created`, the JSON API and the transcript.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Seq;
use crate::parse_list::Token;

/// Where a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Post,
    Tweet,
    Toot,
    /// A Bluesky post (from Jetstream).
    Bluesky,
    System,
}

/// Where a stored message is in moderation (the CMS's `messages.state`; the API's
/// `MessageView.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Visible,
    /// Waiting for the owner's approval (no seq yet).
    Pending,
    /// Deleted, or rejected unseen.
    Deleted,
}

impl MessageKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            MessageKind::Post => "post",
            MessageKind::Tweet => "tweet",
            MessageKind::Toot => "toot",
            MessageKind::Bluesky => "bluesky",
            MessageKind::System => "system",
        }
    }
}

/// docs/protocol.md's message object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: u64,
    pub seq: Seq,
    /// The room's slug.
    pub room: String,
    pub nickname: String,
    /// The speaker's colour, `#rrggbb`, stable per participant.
    #[cfg_attr(feature = "openapi", schema(pattern = "^#[0-9a-f]{6}$", example = "#1f77b4"))]
    pub color: String,
    pub body: String,
    pub tokens: Vec<Token>,
    pub kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "uuid"))]
    pub client_id: Option<Uuid>,
    /// Participants' upvotes (Q&A); one per participant.
    #[serde(default)]
    pub votes: u32,
    /// The owner marked the question answered.
    #[serde(default)]
    pub answered: bool,
    /// The owner pinned it (at most one pinned message per room).
    #[serde(default)]
    pub pinned: bool,
}
