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

    /// Replaces the buffered `message.created` and `message.updated` frames of message `id` by
    /// their redacted form (`{"room_id", "seq", "id", "deleted": true}`, as the CMS's log keeps
    /// them), so no replay sends a deleted message's text. Each frame keeps its seq: replays
    /// stay gap-free.
    pub(crate) fn redact_message(&mut self, id: u64) {
        for (seq, frame) in self.frames.iter_mut() {
            let Some((event, room_id)) = message_frame(frame, id) else {
                continue;
            };
            let data = serde_json::json!({"room_id": room_id, "seq": *seq, "id": id, "deleted": true});
            *frame = event_frame(*seq, event, &data);
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

/// The event name and room id of `frame` if it is a `message.created` or `message.updated`
/// event of message `id`.
fn message_frame(frame: &Message, id: u64) -> Option<(&'static str, u64)> {
    let text = frame.to_text().ok()?;
    // Cheap filter first: most buffered frames are not about a message.
    if !text.contains("\"message.created\"") && !text.contains("\"message.updated\"") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let data = value.get("data")?;
    if data.get("id")?.as_u64()? != id {
        return None;
    }
    let event = match value.get("event")?.as_str()? {
        "message.created" => "message.created",
        "message.updated" => "message.updated",
        _ => return None,
    };
    let room_id = data
        .get("room_id")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_default();
    Some((event, room_id))
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

    #[test]
    fn a_delete_redacts_the_created_and_every_updated_frame_of_the_message() {
        let message = |votes: u32| serde_json::json!({"room_id": 3, "id": 40, "body": "secret", "votes": votes});
        let other = serde_json::json!({"room_id": 3, "id": 41, "body": "kept"});
        let mut buffer = ReplayBuffer::new(10);
        buffer.push(1, event_frame(1, "message.created", &message(0)));
        buffer.push(2, event_frame(2, "message.created", &other));
        buffer.push(3, event_frame(3, "message.updated", &message(5)));
        buffer.redact_message(40);
        let frames: Vec<serde_json::Value> = buffer
            .after(0)
            .unwrap()
            .into_iter()
            .map(|f| serde_json::from_str(f.to_text().unwrap()).unwrap())
            .collect();
        assert_eq!(frames.len(), 3, "redacted frames keep their seq");
        for (frame, seq, event) in [(&frames[0], 1, "message.created"), (&frames[2], 3, "message.updated")] {
            assert_eq!(frame["event"], event);
            assert_eq!(frame["seq"], seq);
            assert_eq!(
                frame["data"],
                serde_json::json!({"room_id": 3, "seq": seq, "id": 40, "deleted": true})
            );
        }
        assert_eq!(frames[1]["data"]["body"], "kept", "other messages are untouched");
    }
}
