//! Live reactions between gateways: advisory, like presence. Neither sequenced nor logged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Event, RoomId, Routing};

/// `room.<id>.reactions`: the reactions one gateway instance received for a room during its
/// last one-second window, per emoji (only emoji with a non-zero count). Other gateways add
/// them into their next `reactions` frame; the sender knows its own by `gateway_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reactions {
    pub room_id: RoomId,
    pub gateway_id: Uuid,
    pub counts: BTreeMap<String, u32>,
}

impl Event for Reactions {
    const TYPE: &'static str = "reactions";
    const VERSION: u32 = 1;
    const ROUTING: Routing = Routing::Room { suffix: "reactions" };
    fn room_id(&self) -> Option<RoomId> {
        Some(self.room_id)
    }
}
