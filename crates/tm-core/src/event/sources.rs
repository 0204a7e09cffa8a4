//! The watch list: which hashtags each open room follows (cms → ingest).

use serde::{Deserialize, Serialize};

use super::{Event, RoomId, Routing};

/// One room's hashtags (without `#`, lower case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSources {
    pub room_id: RoomId,
    pub hashtags: Vec<String>,
}

/// `sources.changed`: a room's full hashtag list after a change (empty when it closed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcesChanged {
    pub room_id: RoomId,
    pub hashtags: Vec<String>,
}

impl Event for SourcesChanged {
    const TYPE: &'static str = "sources.changed";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Event { key: "sources.changed" };
}

/// `sources.snapshot`: every open room that follows at least one hashtag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcesSnapshot {
    pub rooms: Vec<RoomSources>,
}

impl Event for SourcesSnapshot {
    const TYPE: &'static str = "sources.snapshot";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Event {
        key: "sources.snapshot",
    };
}
