//! The wire contract of docs/protocol.md: one JSON object per WebSocket text frame, `type`
//! first, and the same JSON as server-sent events (`/sse`).
//!
//! Client frames are parsed leniently (unknown fields are ignored, so clients may send more);
//! server frames are built here and nowhere else, so the contract lives in one file.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tm_core::event::Seq;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// What a client may send.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Join {
        token: String,
        #[serde(default)]
        since: Option<Seq>,
    },
    Post {
        nickname: String,
        body: String,
        client_id: Uuid,
    },
    Ping,
    /// A live reaction: one of the room's emoji.
    React {
        emoji: String,
    },
}

/// The `code` of an `error` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidToken,
    NotJoined,
    InvalidMessage,
    InvalidNickname,
    InvalidBody,
    BodyEmpty,
    BodyTooLong,
    SlowDown,
    RoomPaused,
    RoomClosed,
    Muted,
    Unavailable,
    /// A `react` with an emoji the room does not offer.
    InvalidReaction,
}

/// What the gateway sends (besides `event` frames, see [`event_frame`]).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    Joined {
        room: &'a str,
        seq: Seq,
    },
    Presence {
        count: u64,
    },
    Accepted {
        client_id: Uuid,
    },
    /// The CMS refused a post after it was `accepted` (from a `post.rejected` event).
    Rejected {
        client_id: Uuid,
        code: &'a str,
        message: &'a str,
    },
    Error {
        code: ErrorCode,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<Uuid>,
    },
    Reset {
        seq: Seq,
    },
    Pong,
    /// Live reactions of the last second, in the whole room (every gateway), per emoji. No seq:
    /// ephemeral, never replayed.
    Reactions {
        counts: &'a BTreeMap<String, u64>,
    },
}

impl ServerFrame<'_> {
    /// The frame as a WebSocket text message.
    pub fn to_message(&self) -> Message {
        text_message(self)
    }
}

#[derive(Serialize)]
struct EventFrame<'a, D: ?Sized> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: Seq,
    event: &'a str,
    data: &'a D,
}

/// `{"type":"event","seq":n,"event":<envelope type>,"data":<payload>}`, built once per event
/// and shared by every subscriber (cloning a text message clones a reference-counted buffer).
/// `data` is usually the event's payload as it arrived ([`serde_json::value::RawValue`]), which
/// is copied into the frame as it is.
pub fn event_frame<D: Serialize + ?Sized>(seq: Seq, event: &str, data: &D) -> Message {
    text_message(&EventFrame {
        kind: "event",
        seq,
        event,
        data,
    })
}

/// The fields of a server frame that name its server-sent event.
#[derive(Deserialize)]
struct FrameHead<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    seq: Option<Seq>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
}

/// Appends a server frame to `out` as one server-sent event: a room event as `id: <seq>`,
/// `event: <its name>` (`message.created`, ...), every other frame as `event: <its type>`
/// (`joined`, `presence`, `reset`, ...) without an `id` (so `Last-Event-ID` stays the last
/// room event's seq); `data:` is the frame's JSON, exactly as on the WebSocket.
///
/// The hub frames each event once, for WebSockets; an event stream re-reads the frame's head
/// here rather than every queued frame carrying its SSE name too: event streams are the
/// fallback few, and reading the head is cheap next to writing the frame out.
pub fn append_sse_event(frame: &Message, out: &mut Vec<u8>) {
    let Ok(text) = frame.to_text() else { return };
    let Ok(head) = serde_json::from_str::<FrameHead<'_>>(text) else {
        return;
    };
    match (head.kind.as_ref(), head.seq, head.event) {
        ("event", Some(seq), Some(name)) => {
            out.extend_from_slice(format!("id: {seq}\nevent: {name}\n").as_bytes());
        }
        (kind, ..) => out.extend_from_slice(format!("event: {kind}\n").as_bytes()),
    }
    // Compact JSON has no raw line breaks; split anyway, as a line break would end the field.
    for line in text.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}

fn text_message<T: Serialize>(frame: &T) -> Message {
    // Serialising these plain structs cannot fail (string keys, no maps with non-string keys);
    // an empty object is still a valid frame should it ever happen.
    Message::text(serde_json::to_string(frame).unwrap_or_else(|_| "{}".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json_of(message: Message) -> serde_json::Value {
        serde_json::from_str(message.to_text().unwrap()).unwrap()
    }

    #[test]
    fn parses_every_client_frame_and_ignores_extra_fields() {
        let join: ClientFrame = serde_json::from_str(r#"{"type":"join","token":"t","since":7,"x":1}"#).unwrap();
        assert_eq!(
            join,
            ClientFrame::Join {
                token: "t".into(),
                since: Some(7)
            }
        );
        let post: ClientFrame = serde_json::from_value(json!({"type": "post", "nickname": "ada",
            "body": "hi", "client_id": "0191b1d2-0000-7000-8000-000000000001"}))
        .unwrap();
        assert!(matches!(post, ClientFrame::Post { ref body, .. } if body == "hi"));
        assert_eq!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"ping"}"#).unwrap(),
            ClientFrame::Ping
        );
        assert_eq!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"react","emoji":"👍"}"#).unwrap(),
            ClientFrame::React { emoji: "👍".into() }
        );
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"react"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"shout"}"#).is_err());
    }

    #[test]
    fn server_frames_put_type_first_and_match_the_protocol() {
        let joined = ServerFrame::Joined {
            room: "physics-101",
            seq: 3,
        }
        .to_message();
        assert!(joined.to_text().unwrap().starts_with(r#"{"type":"joined""#));
        assert_eq!(
            json_of(joined),
            json!({"type": "joined", "room": "physics-101", "seq": 3})
        );
        let error = ServerFrame::Error {
            code: ErrorCode::BodyTooLong,
            message: "too long",
            client_id: None,
        };
        assert_eq!(
            json_of(error.to_message()),
            json!({"type": "error", "code": "body_too_long", "message": "too long"})
        );
        let rejected = ServerFrame::Rejected {
            client_id: Uuid::nil(),
            code: "muted",
            message: "you are muted in this room",
        };
        assert_eq!(
            json_of(rejected.to_message()),
            json!({"type": "rejected", "client_id": Uuid::nil(), "code": "muted",
                   "message": "you are muted in this room"})
        );
        let counts = BTreeMap::from([("👍".to_owned(), 3), ("❤️".to_owned(), 1)]);
        let reactions = ServerFrame::Reactions { counts: &counts }.to_message();
        assert!(reactions.to_text().unwrap().starts_with(r#"{"type":"reactions""#));
        assert_eq!(
            json_of(reactions),
            json!({"type": "reactions", "counts": {"👍": 3, "❤️": 1}})
        );
        let event = event_frame(9, "message.deleted", &json!({"room_id": 1, "seq": 9, "id": 4}));
        let mut sse = Vec::new();
        append_sse_event(&event, &mut sse);
        append_sse_event(&ServerFrame::Reset { seq: 12 }.to_message(), &mut sse);
        assert_eq!(
            String::from_utf8(sse).unwrap(),
            format!(
                "id: 9\nevent: message.deleted\ndata: {}\n\nevent: reset\ndata: {}\n\n",
                event.to_text().unwrap(),
                r#"{"type":"reset","seq":12}"#
            ),
            "room events carry their seq as the id, other frames none"
        );
        assert!(event.to_text().unwrap().starts_with(r#"{"type":"event""#));
        assert_eq!(
            json_of(event),
            json!({"type": "event", "seq": 9, "event": "message.deleted",
                   "data": {"room_id": 1, "seq": 9, "id": 4}})
        );
    }
}
