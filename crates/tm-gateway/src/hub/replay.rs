//! A room's recent events, kept so that a client that reconnects with `since` resumes without a
//! gap. The buffer only ever holds a contiguous run of seqs: after a gap it starts over, so
//! "can I replay from `since`?" is a comparison with its first seq.

use std::collections::VecDeque;

use tm_core::event::Seq;
use tokio_tungstenite::tungstenite::Message;

use crate::protocol::event_frame;

/// The last `capacity` events of a room, oldest first, each as the frame clients get.
#[derive(Debug)]
pub(crate) struct ReplayBuffer {
    frames: VecDeque<(Seq, Message)>,
    capacity: usize,
}

impl ReplayBuffer {
    pub(crate) fn new(capacity: usize) -> Self {
        ReplayBuffer {
            frames: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The newest seq held, if any.
    pub(crate) fn latest(&self) -> Option<Seq> {
        self.frames.back().map(|(seq, _)| *seq)
    }

    /// Forgets everything: after a broker outage the buffer can no longer vouch that it holds
    /// the room's newest events.
    pub(crate) fn clear(&mut self) {
        self.frames.clear();
    }

    /// Appends the next event. The caller guarantees `seq` is newer than [`Self::latest`]; a
    /// seq that does not follow on drops the older run, which can no longer be replayed whole.
    pub(crate) fn push(&mut self, seq: Seq, frame: Message) {
        if self.latest().is_some_and(|latest| seq != latest + 1) {
            self.frames.clear();
        }
        if self.frames.len() == self.capacity {
            self.frames.pop_front();
        }
        self.frames.push_back((seq, frame));
    }

    /// Replaces the buffered `message.created` frame of message `id` by its redacted form
    /// (`{"room_id", "seq", "id", "deleted": true}`, as the CMS's log keeps it), so no replay
    /// sends a deleted message's text. The frame keeps its seq: replays stay gap-free.
    pub(crate) fn redact_message(&mut self, id: u64) {
        for (seq, frame) in self.frames.iter_mut() {
            let Some(room_id) = created_frame_room(frame, id) else {
                continue;
            };
            let data = serde_json::json!({"room_id": room_id, "seq": *seq, "id": id, "deleted": true});
            *frame = event_frame(*seq, "message.created", &data);
            return;
        }
    }

    /// Every frame with a seq greater than `since`, or `None` if the buffer does not reach back
    /// to `since + 1` (the client must fetch from the CMS). Empty when `since` is current.
    pub(crate) fn after(&self, since: Seq) -> Option<Vec<Message>> {
        let (first, latest) = match (self.frames.front(), self.latest()) {
            (Some((first, _)), Some(latest)) => (*first, latest),
            _ => return None,
        };
        if since >= latest {
            return Some(Vec::new());
        }
        if since + 1 < first {
            return None;
        }
        let skip = usize::try_from(since + 1 - first).ok()?;
        Some(self.frames.iter().skip(skip).map(|(_, frame)| frame.clone()).collect())
    }
}

/// The room id of `frame` if it is the `message.created` event of message `id`.
fn created_frame_room(frame: &Message, id: u64) -> Option<u64> {
    let text = frame.to_text().ok()?;
    // Cheap filter first: most buffered frames are not the one being deleted.
    if !text.contains("\"message.created\"") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let data = value.get("data")?;
    let is_it = value.get("event")?.as_str()? == "message.created" && data.get("id")?.as_u64()? == id;
    if !is_it {
        return None;
    }
    Some(
        data.get("room_id")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: Seq) -> Message {
        Message::text(seq.to_string())
    }

    fn filled(seqs: impl IntoIterator<Item = Seq>, capacity: usize) -> ReplayBuffer {
        let mut buffer = ReplayBuffer::new(capacity);
        for seq in seqs {
            buffer.push(seq, frame(seq));
        }
        buffer
    }

    fn seqs(frames: Vec<Message>) -> Vec<String> {
        frames.into_iter().map(|f| f.into_text().unwrap().to_string()).collect()
    }

    #[test]
    fn replays_exactly_the_events_after_since() {
        let buffer = filled(5..=9, 10);
        assert_eq!(seqs(buffer.after(6).unwrap()), ["7", "8", "9"]);
        assert_eq!(seqs(buffer.after(4).unwrap()), ["5", "6", "7", "8", "9"]);
        assert!(buffer.after(9).unwrap().is_empty());
        assert!(buffer.after(3).is_none(), "seq 4 is not held: the client must fetch it");
    }

    #[test]
    fn keeps_only_the_newest_capacity_events() {
        let buffer = filled(1..=10, 3);
        assert_eq!(seqs(buffer.after(7).unwrap()), ["8", "9", "10"]);
        assert!(buffer.after(6).is_none());
    }

    #[test]
    fn a_gap_starts_a_new_run() {
        let buffer = filled([1, 2, 3, 7, 8], 10);
        assert_eq!(buffer.latest(), Some(8));
        assert!(buffer.after(3).is_none(), "4..=6 were never seen");
        assert_eq!(seqs(buffer.after(6).unwrap()), ["7", "8"]);
    }

    #[test]
    fn an_empty_buffer_cannot_replay() {
        assert!(ReplayBuffer::new(4).after(0).is_none());
    }
}
