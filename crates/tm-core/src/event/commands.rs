//! Commands: work one service asks the CMS to do, on durable quorum queues.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Event, RoomId, Routing};

/// `post.submit` (gateway → cms, queue `cms.posts`): a post that arrived over a WebSocket.
/// The CMS stores it once per `client_id`, however often it is delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostSubmit {
    pub room_id: RoomId,
    pub nickname: String,
    /// Stable per browser; drives slow mode, mutes and the speaker colour.
    pub participant_id: String,
    pub body: String,
    pub client_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

impl Event for PostSubmit {
    const TYPE: &'static str = "post.submit";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Command { key: "post.submit" };
}

/// The external service an ingested item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestSource {
    Twitter,
    Mastodon,
    Bluesky,
}

impl IngestSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            IngestSource::Twitter => "twitter",
            IngestSource::Mastodon => "mastodon",
            IngestSource::Bluesky => "bluesky",
        }
    }
}

/// `ingest.item` (ingest → cms, queue `cms.ingest`): a post from an external source that
/// matched one or more rooms' hashtags. Idempotent on (source, external_id, room).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestItem {
    pub source: IngestSource,
    pub external_id: String,
    pub room_ids: Vec<RoomId>,
    /// Display form of the author, e.g. `@ada` or `ada@example.social`.
    pub author: String,
    /// Plain text; never markup.
    pub text: String,
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub posted_at: OffsetDateTime,
    /// The author's stable id at the source when the display form can change (Bluesky: the
    /// DID, while `author` is the handle). Mutes follow it; absent = `author` is stable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
}

impl Event for IngestItem {
    const TYPE: &'static str = "ingest.item";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Command { key: "ingest.item" };
}

/// `ingest.retract` (ingest → cms, queue `cms.ingest`, after the items it may retract): the
/// source deleted a post it delivered earlier. The CMS deletes the message it made from it in
/// every room, exactly as an owner's delete would (`message.deleted`, redaction). Idempotent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestRetract {
    pub source: IngestSource,
    pub external_id: String,
}

impl Event for IngestRetract {
    const TYPE: &'static str = "ingest.retract";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Command { key: "ingest.retract" };
}

/// `sources.snapshot.request` (ingest → cms, queue `cms.control`): please publish a
/// `sources.snapshot`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourcesSnapshotRequest {
    /// Who asks, for the logs.
    #[serde(default)]
    pub requested_by: String,
}

impl Event for SourcesSnapshotRequest {
    const TYPE: &'static str = "sources.snapshot.request";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Command {
        key: "sources.snapshot.request",
    };
}

/// `room.head.request` (gateway → cms, queue `cms.control`): please publish the room's
/// `room.head`. A gateway asks after binding a room it did not follow, before it trusts a
/// client's `since`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomHeadRequest {
    pub room_id: RoomId,
}

impl Event for RoomHeadRequest {
    const TYPE: &'static str = "room.head.request";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Command {
        key: "room.head.request",
    };
}
