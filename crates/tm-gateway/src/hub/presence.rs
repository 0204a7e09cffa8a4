//! Presence across gateways: how many people are in a room, everywhere.
//!
//! Each gateway announces its own per-room count (`room.<id>.presence`) when it changes, and
//! again every heartbeat so that the count of a gateway that died silently expires. When a
//! gateway hears from an instance it did not know, it announces its own count at the next tick:
//! a newly started gateway learns the others' counts within a second instead of a heartbeat.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// One room's view of the other gateways, and what this gateway last told them and its clients.
#[derive(Debug, Default)]
pub(crate) struct PresenceCounts {
    remote: HashMap<Uuid, (u32, Instant)>,
    /// The total last sent to local clients.
    pub(crate) last_sent: Option<u64>,
    /// The local count last announced on the bus.
    pub(crate) last_announced: Option<u32>,
    /// A gateway we did not know has appeared: announce ours at the next tick.
    pub(crate) announce_soon: bool,
}

impl PresenceCounts {
    /// Another gateway's latest count for this room (0 means it has left the room).
    pub(crate) fn record(&mut self, gateway: Uuid, count: u32, now: Instant) {
        if count == 0 {
            self.remote.remove(&gateway);
            return;
        }
        if self.remote.insert(gateway, (count, now)).is_none() {
            self.announce_soon = true;
        }
    }

    /// Forgets gateways that have not refreshed their count within `ttl`.
    pub(crate) fn expire(&mut self, now: Instant, ttl: Duration) {
        self.remote
            .retain(|_, (_, seen)| now.saturating_duration_since(*seen) < ttl);
    }

    /// Local plus every other gateway's count.
    pub(crate) fn total(&self, local: usize) -> u64 {
        let remote: u64 = self.remote.values().map(|(count, _)| u64::from(*count)).sum();
        remote + local as u64
    }

    /// Whether the local count must be announced now, and records that it was.
    pub(crate) fn take_announcement(&mut self, local: u32, heartbeat: bool) -> bool {
        let due = heartbeat || self.announce_soon || self.last_announced != Some(local);
        if due {
            self.last_announced = Some(local);
            self.announce_soon = false;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_other_gateways_and_forgets_silent_ones() {
        let now = Instant::now();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut counts = PresenceCounts::default();
        counts.record(a, 3, now);
        counts.record(b, 4, now + Duration::from_secs(20));
        assert_eq!(counts.total(2), 9);
        counts.expire(now + Duration::from_secs(30), Duration::from_secs(30));
        assert_eq!(counts.total(2), 6, "a was not refreshed within 30 s");
        counts.record(b, 0, now);
        assert_eq!(counts.total(2), 2, "b said goodbye");
    }

    #[test]
    fn announces_on_change_on_heartbeat_and_when_a_stranger_appears() {
        let mut counts = PresenceCounts::default();
        assert!(counts.take_announcement(1, false), "never announced");
        assert!(!counts.take_announcement(1, false), "unchanged");
        assert!(counts.take_announcement(2, false), "changed");
        assert!(counts.take_announcement(2, true), "heartbeat");
        counts.record(Uuid::new_v4(), 5, Instant::now());
        assert!(counts.take_announcement(2, false), "a new gateway must learn our count");
        assert!(!counts.take_announcement(2, false));
    }
}
