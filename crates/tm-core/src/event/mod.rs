//! The event contract: what crosses RabbitMQ, byte for byte.
//!
//! Every message is an [`Envelope`] in JSON. Each payload type names its wire `type`, its
//! `VERSION` and how it is routed. Adding a field is compatible; removing or renaming one needs a
//! new version. Readers ignore fields they do not know. The golden files in
//! `tests/fixtures/events/` fail the tests when the wire format changes by accident.

mod commands;
mod envelope;
mod message;
mod poll;
mod reactions;
mod room;
mod sources;

pub use commands::{IngestItem, IngestRetract, IngestSource, PostSubmit, RoomHeadRequest, SourcesSnapshotRequest};
pub use envelope::{BorrowedEnvelope, DecodeError, Envelope, RawEnvelope};
pub use message::{Message, MessageKind, MessageState};
pub use poll::{Poll, PollClosed, PollEvent, PollOpened, PollOption, PollState, PollUpdated, POLL_OPTIONS};
pub use reactions::Reactions;
pub use room::{
    CloseReason, MessageCreated, MessageDeleted, MessageUpdated, Moderation, PostRejected, PostRejectionCode, Presence,
    RoomClosed, RoomHead, RoomState, RoomUpdated,
};
pub use sources::{RoomSources, SourcesChanged, SourcesSnapshot};

use serde::{de::DeserializeOwned, Serialize};

/// Database id of a room. Room ids, not slugs, route events: a slug can be reused after close.
pub type RoomId = u64;
/// A room's sequence number: +1 per room-visible event, assigned in the CMS transaction.
pub type Seq = u64;

/// Exchange for events (topic).
pub const EVENTS_EXCHANGE: &str = "tm.events";
/// Exchange for commands (direct; routing key = command type).
pub const COMMANDS_EXCHANGE: &str = "tm.commands";
/// Dead-letter exchange; poison messages land in `tm.dead.<queue>`.
pub const DEAD_LETTER_EXCHANGE: &str = "tm.dead";

/// How a message of this type is routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// An event about one room, on `tm.events` with key `room.<id>.<suffix>`.
    Room { suffix: &'static str },
    /// An event with a fixed key on `tm.events`.
    Event { key: &'static str },
    /// A command on `tm.commands`, key = the queue binding.
    Command { key: &'static str },
}

impl Routing {
    /// The exchange this kind of message is published to.
    pub fn exchange(&self) -> &'static str {
        match self {
            Routing::Room { .. } | Routing::Event { .. } => EVENTS_EXCHANGE,
            Routing::Command { .. } => COMMANDS_EXCHANGE,
        }
    }
}

/// One payload type of the contract.
pub trait Event: Serialize + DeserializeOwned {
    /// The envelope's `type`, e.g. `message.created`.
    const TYPE: &'static str;
    /// Wire version of this payload.
    const VERSION: u32;
    /// How it is routed.
    const ROUTING: Routing;

    /// The room this payload belongs to, for room-routed events.
    fn room_id(&self) -> Option<RoomId> {
        None
    }

    /// The message whose text this payload copies (`message.created`, `message.updated`), so
    /// that a delete can find and redact every logged copy.
    fn message_id(&self) -> Option<u64> {
        None
    }

    /// The full routing key of this particular message.
    fn routing_key(&self) -> String {
        match (Self::ROUTING, self.room_id()) {
            (Routing::Room { suffix }, Some(room)) => room_routing_key(room, suffix),
            (Routing::Room { suffix }, None) => format!("room.unknown.{suffix}"),
            (Routing::Event { key }, _) | (Routing::Command { key }, _) => key.to_owned(),
        }
    }
}

/// `room.<id>.<suffix>`.
pub fn room_routing_key(room: RoomId, suffix: &str) -> String {
    format!("room.{room}.{suffix}")
}

/// The binding pattern that receives every event of one room.
pub fn room_binding(room: RoomId) -> String {
    format!("room.{room}.#")
}
