//! Room-visible events (cms → gateways) and presence (gateway → gateways).
//!
//! Each sequenced payload carries `room_id` and `seq`; the gateway forwards the payload as the
//! `data` of a WebSocket `event` frame unchanged, and `/events?after=` serves the same JSON.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Event, Message, RoomId, Routing, Seq};

/// `room.<id>.message.created`: a message became visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageCreated {
    pub room_id: RoomId,
    #[serde(flatten)]
    pub message: Message,
}

impl Event for MessageCreated {
    const TYPE: &'static str = "message.created";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room {
        suffix: "message.created",
    };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
    fn message_id(&self) -> Option<u64> {
        Some(self.message.id)
    }
}

/// `room.<id>.message.updated`: a visible message's votes, answered or pinned changed. Carries
/// the whole message as it is now; vote changes are coalesced (at most one per message per
/// second).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageUpdated {
    pub room_id: RoomId,
    #[serde(flatten)]
    pub message: Message,
}

impl Event for MessageUpdated {
    const TYPE: &'static str = "message.updated";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room {
        suffix: "message.updated",
    };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
    fn message_id(&self) -> Option<u64> {
        Some(self.message.id)
    }
}

/// `room.<id>.message.deleted`: a visible message was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageDeleted {
    pub room_id: RoomId,
    pub seq: Seq,
    /// The deleted message's id.
    pub id: u64,
}

impl Event for MessageDeleted {
    const TYPE: &'static str = "message.deleted";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room {
        suffix: "message.deleted",
    };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
}

/// Whether a room takes posts right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoomState {
    Open,
    Paused,
    Closed,
}

/// Whether posts show at once or wait for the owner's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    Post,
    Approve,
}

/// `room.<id>.updated`: topic, state, slow mode, moderation or the reactions changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomUpdated {
    pub room_id: RoomId,
    pub seq: Seq,
    pub topic: String,
    pub state: RoomState,
    pub slow_mode_seconds: u32,
    pub moderation: Moderation,
    /// The emoji participants may react with (see [`crate::ReactionSet`]). Empty in events
    /// written before the field existed: readers then assume the default set.
    #[serde(default)]
    pub reactions: Vec<String>,
}

impl Event for RoomUpdated {
    const TYPE: &'static str = "room.updated";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room { suffix: "updated" };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
}

/// Why a room closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    Owner,
    Expired,
    Admin,
}

/// `room.<id>.closed`: the room's last event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomClosed {
    pub room_id: RoomId,
    pub seq: Seq,
    pub reason: CloseReason,
}

impl Event for RoomClosed {
    const TYPE: &'static str = "room.closed";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room { suffix: "closed" };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
}

/// `room.<id>.presence`: one gateway instance's connected count for a room. Not sequenced and
/// not logged; gateways add up the latest count of every instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Presence {
    pub room_id: RoomId,
    pub gateway_id: Uuid,
    pub count: u32,
}

impl Event for Presence {
    const TYPE: &'static str = "presence";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room { suffix: "presence" };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
}

/// Why the CMS refused a post it consumed from `cms.posts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostRejectionCode {
    SlowDown,
    Muted,
    RoomPaused,
    RoomClosed,
    RoomNotFound,
    BodyTooLong,
    BodyEmpty,
    InvalidNickname,
    InvalidBody,
    NotApproved,
}

impl PostRejectionCode {
    /// The code as clients see it (`rejected.code`).
    pub fn as_str(&self) -> &'static str {
        match self {
            PostRejectionCode::SlowDown => "slow_down",
            PostRejectionCode::Muted => "muted",
            PostRejectionCode::RoomPaused => "room_paused",
            PostRejectionCode::RoomClosed => "room_closed",
            PostRejectionCode::RoomNotFound => "room_not_found",
            PostRejectionCode::BodyTooLong => "body_too_long",
            PostRejectionCode::BodyEmpty => "body_empty",
            PostRejectionCode::InvalidNickname => "invalid_nickname",
            PostRejectionCode::InvalidBody => "invalid_body",
            PostRejectionCode::NotApproved => "not_approved",
        }
    }
}

/// `room.<id>.post.rejected`: the CMS refused a post that a gateway had already acknowledged
/// (`accepted`), so the gateways tell its poster (`rejected` frame). Not room state: no `seq`,
/// not replayed from `/events`; gateways keep it for a while for a poster who reconnects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostRejected {
    pub room_id: RoomId,
    /// The post's `client_id`.
    pub client_id: Uuid,
    /// Whose post it was (the join token's participant).
    pub participant_id: String,
    pub code: PostRejectionCode,
    /// Human text, e.g. `slow down: try again in 4 s`.
    pub message: String,
}

impl Event for PostRejected {
    const TYPE: &'static str = "post.rejected";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room {
        suffix: "post.rejected",
    };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
}

/// `room.<id>.head`: the room's latest seq, the answer to `room.head.request`. Not a room event
/// (it takes no seq of its own; the field is `head`, not `seq`, so that no consumer mistakes it
/// for one). Published through the outbox after every event up to `head`, so a gateway that
/// bound the room before asking has then seen, or will see, everything after `head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomHead {
    pub room_id: RoomId,
    pub head: Seq,
}

impl Event for RoomHead {
    const TYPE: &'static str = "room.head";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room { suffix: "head" };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
}
