//! Polls: the owner's question with 2 to 10 options, and its events (`poll.opened`,
//! `poll.updated`, `poll.closed`), in the room's seq like every room event.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Event, RoomId, Routing, Seq};

/// Fewest and most options a poll has.
pub const POLL_OPTIONS: std::ops::RangeInclusive<usize> = 2..=10;

/// Whether a poll takes votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PollState {
    Open,
    Closed,
}

/// One choice of a poll, with its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PollOption {
    pub id: u64,
    pub text: String,
    pub votes: u32,
}

/// docs/protocol.md's poll object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Poll {
    pub id: u64,
    pub question: String,
    pub options: Vec<PollOption>,
    /// Participants may choose several options.
    pub multiple: bool,
    pub state: PollState,
    /// Participants who voted.
    pub voters: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// The payload of every poll event: the poll as it is now, with the event's place in the room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollEvent {
    pub room_id: RoomId,
    pub seq: Seq,
    #[serde(flatten)]
    pub poll: Poll,
}

macro_rules! poll_event {
    ($(#[$doc:meta])* $name:ident, $type:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name(pub PollEvent);

        impl Event for $name {
            const TYPE: &'static str = $type;
            const VERSION: u32 = 1;
            const ROUTING: Routing = Routing::Room { suffix: $type };
            fn room_id(&self) -> Option<RoomId> {
                Some(self.0.room_id)
            }
        }
    };
}

poll_event!(
    /// `room.<id>.poll.opened`: the owner opened a poll.
    PollOpened,
    "poll.opened"
);
poll_event!(
    /// `room.<id>.poll.updated`: its counts changed (coalesced: at most one per poll per second).
    PollUpdated,
    "poll.updated"
);
poll_event!(
    /// `room.<id>.poll.closed`: the owner closed it; its counts are final.
    PollClosed,
    "poll.closed"
);
