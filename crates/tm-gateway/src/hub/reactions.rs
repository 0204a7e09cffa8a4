//! Live reactions: counted per room per one-second window, never stored and never sequenced.
//!
//! Sockets' `react` frames add to the room's local count. Once a second the reactions ticker
//! ([`Hub::reactions_tick`]) sends every room that had reactions one `reactions` frame (local
//! counts plus what other gateways reported since the last tick) and returns the local counts,
//! which the ticker publishes as `room.<id>.reactions` for the other gateways. So each socket
//! gets at most one frame a second, however many people react, and across gateways the counts
//! add up one tick later.

use std::collections::BTreeMap;
use std::time::Instant;

use tm_core::domain::DEFAULT_REACTIONS;
use tm_core::event::{RoomId, RoomState, Seq};
use tm_core::ReactionSet;

use super::Hub;
use crate::protocol::ServerFrame;

/// This gateway's reactions for one room in the current window, per room.
pub type ReactionAnnouncements = Vec<(RoomId, BTreeMap<String, u32>)>;

/// Why a reaction was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionRefusal {
    /// Not one of the room's emoji.
    NotOffered,
    Paused,
    Closed,
}

/// One room's reactions on this gateway.
#[derive(Debug, Default)]
pub(crate) struct ReactionTally {
    /// The room's emoji as last learned; `None` until learned (the default set applies).
    set: Option<ReactionSet>,
    /// The seq of the `room.updated` that set `set` (0: learned from a join token, or not at
    /// all), so that an older event never overrides a newer one and a token never overrides
    /// an event.
    set_seq: Seq,
    /// Reactions of this gateway's sockets in the current window.
    local: BTreeMap<String, u32>,
    /// Other gateways' counts received since the last tick.
    remote: BTreeMap<String, u64>,
}

impl ReactionTally {
    fn offers(&self, emoji: &str) -> bool {
        match &self.set {
            Some(set) => set.contains(emoji),
            None => DEFAULT_REACTIONS.contains(&emoji),
        }
    }

    /// The set carried by the `room.updated` with `seq` (`None`: the default set).
    pub(crate) fn learn_from_event(&mut self, seq: Seq, set: Option<ReactionSet>) {
        if seq > self.set_seq {
            self.set_seq = seq;
            self.set = set;
        }
    }

    /// The set a joiner's token carries, signed by the CMS when it was issued: it stands in
    /// until this gateway sees a `room.updated`, which is ordered and so always wins.
    pub(crate) fn learn_from_token(&mut self, set: ReactionSet) {
        if self.set_seq == 0 {
            self.set = Some(set);
        }
    }

    fn count(&mut self, emoji: &str) {
        let count = self.local.entry(emoji.to_owned()).or_default();
        *count = count.saturating_add(1);
    }

    /// Another gateway's counts. Only the room's emoji are taken (a bounded map, whatever the
    /// bus carries).
    pub(crate) fn add_remote(&mut self, counts: &BTreeMap<String, u32>) {
        for (emoji, count) in counts {
            if !self.offers(emoji) {
                continue;
            }
            let total = self.remote.entry(emoji.clone()).or_default();
            *total = total.saturating_add(u64::from(*count));
        }
    }

    /// Ends the window: the local counts (to announce) and the room's total (to broadcast).
    fn take_window(&mut self) -> (BTreeMap<String, u32>, BTreeMap<String, u64>) {
        let local = std::mem::take(&mut self.local);
        let mut total = std::mem::take(&mut self.remote);
        for (emoji, count) in &local {
            let sum = total.entry(emoji.clone()).or_default();
            *sum = sum.saturating_add(u64::from(*count));
        }
        (local, total)
    }
}

/// The reaction set a token or a `room.updated` carries: `None` (the default set) when absent
/// (issued before reactions existed) or, should the CMS ever send one, invalid.
pub fn reaction_set_of(emoji: &[String]) -> Option<ReactionSet> {
    if emoji.is_empty() {
        return None;
    }
    ReactionSet::parse(emoji)
        .inspect_err(|err| tracing::warn!(error = %err, "invalid reaction set ignored"))
        .ok()
}

impl Hub {
    /// Whether `room` takes a reaction with `emoji` now: one of its emoji, and the room neither
    /// paused nor closed (like posts).
    pub fn reaction_allowed(&self, room: RoomId, emoji: &str) -> Result<(), ReactionRefusal> {
        let state = self.state();
        let Some(entry) = state.rooms.get(&room) else {
            // A joined socket's room exists; without one there is nothing to count into.
            return Err(ReactionRefusal::NotOffered);
        };
        if !entry.reactions.offers(emoji) {
            return Err(ReactionRefusal::NotOffered);
        }
        match entry.policy.state {
            Some(RoomState::Paused) => Err(ReactionRefusal::Paused),
            Some(RoomState::Closed) => Err(ReactionRefusal::Closed),
            _ => Ok(()),
        }
    }

    /// Counts an allowed reaction (see [`Hub::reaction_allowed`]) in the current window.
    pub fn count_reaction(&self, room: RoomId, emoji: &str) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.reactions.count(emoji);
        }
    }

    /// The reaction set of a `room.updated` (`None`: the default set).
    pub fn set_reaction_set(&self, room: RoomId, seq: Seq, set: Option<ReactionSet>) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.reactions.learn_from_event(seq, set);
        }
    }

    /// The reaction set a joiner's token carries.
    pub fn learn_reaction_set(&self, room: RoomId, set: ReactionSet) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.reactions.learn_from_token(set);
        }
    }

    /// Another gateway's reaction counts for a room we serve.
    pub fn record_reactions(&self, room: RoomId, counts: &BTreeMap<String, u32>) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.reactions.add_remote(counts);
        }
    }

    /// Once a second: each room with reactions since the last tick gets one `reactions` frame
    /// with the room's total; returns this gateway's own counts, to announce on the bus.
    pub fn reactions_tick(&self) -> ReactionAnnouncements {
        let now = Instant::now();
        let mut announce = ReactionAnnouncements::new();
        let mut state = self.state();
        for (id, room) in state.rooms.iter_mut() {
            let (local, total) = room.reactions.take_window();
            if !total.is_empty() && room.local_count() > 0 {
                let frame = ServerFrame::Reactions { counts: &total }.to_message();
                self.metrics.frames_sent.inc_by(room.local_count() as u64);
                room.broadcast(&frame, now);
            }
            if !local.is_empty() {
                announce.push((*id, local));
            }
        }
        announce
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(emoji: &[&str]) -> Option<ReactionSet> {
        Some(ReactionSet::parse(emoji).unwrap())
    }

    #[test]
    fn the_default_set_applies_until_one_is_learned() {
        let mut tally = ReactionTally::default();
        assert!(tally.offers("👍") && !tally.offers("🎉"));
        tally.learn_from_token(ReactionSet::parse(&["🎉"]).unwrap());
        assert!(tally.offers("🎉") && !tally.offers("👍"));
    }

    #[test]
    fn an_event_wins_over_tokens_and_older_events() {
        let mut tally = ReactionTally::default();
        tally.learn_from_event(5, set(&["🎉"]));
        tally.learn_from_token(ReactionSet::parse(&["🔥"]).unwrap());
        assert!(tally.offers("🎉"), "a token never overrides an ordered event");
        tally.learn_from_event(4, set(&["🔥"]));
        assert!(tally.offers("🎉"), "an older event is ignored");
        tally.learn_from_event(6, None);
        assert!(tally.offers("👍") && !tally.offers("🎉"), "back to the default set");
    }

    #[test]
    fn a_window_adds_local_and_remote_counts_then_starts_afresh() {
        let mut tally = ReactionTally::default();
        tally.count("👍");
        tally.count("👍");
        tally.count("❤️");
        tally.add_remote(&BTreeMap::from([("👍".to_owned(), 5), ("🎉".to_owned(), 9)]));
        let (local, total) = tally.take_window();
        assert_eq!(local, BTreeMap::from([("👍".to_owned(), 2), ("❤️".to_owned(), 1)]));
        assert_eq!(
            total,
            BTreeMap::from([("👍".to_owned(), 7), ("❤️".to_owned(), 1)]),
            "🎉 is not offered here"
        );
        let (local, total) = tally.take_window();
        assert!(local.is_empty() && total.is_empty());
    }
}
