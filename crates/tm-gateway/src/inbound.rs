//! Turns one message from `tm.events` into work for the hub.
//!
//! Any room event that carries `room_id` and `seq` is forwarded, whatever its `type`: a type
//! the gateway does not know yet still occupies a seq, and dropping it would look like a gap to
//! every client. `room.updated` and `room.closed` also update what the gateway knows of the
//! room's state (unless a newer one already did); `message.deleted` redacts the deleted message
//! in the replay buffer; `presence` feeds the cross-gateway count; `reactions` adds another
//! gateway's counts into the next `reactions` frame (and `room.updated` carries the room's set); `post.rejected` goes to the
//! refused post's poster as a `rejected` frame; `room.head` (the answer to our
//! `room.head.request`) makes the room current. Everything else is ignored.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use tm_core::event::{
    BorrowedEnvelope, MessageDeleted, PostRejected, Presence, Reactions, RoomClosed, RoomHead, RoomState, RoomUpdated,
};
use tm_core::Event;
use uuid::Uuid;

use crate::hub::{reaction_set_of, Hub, RoomPolicy};
use crate::protocol::event_frame;

/// Handles one message body; malformed ones are logged and dropped (they cannot be fixed by
/// retrying, and an exclusive queue has no dead-letter).
///
/// A room event's payload is never decoded into a tree and encoded again: the gateway reads the
/// few fields it routes on and puts the payload's own bytes into the frame all sockets share.
pub fn dispatch(hub: &Hub, own_gateway: Uuid, body: &[u8]) {
    let envelope = match BorrowedEnvelope::from_slice(body) {
        Ok(envelope) => envelope,
        Err(err) => return tracing::warn!(error = %err, "undecodable event dropped"),
    };
    let kind = envelope.kind.as_ref();
    if kind == Presence::TYPE {
        match envelope.decode::<Presence>() {
            Ok(p) if p.gateway_id != own_gateway => hub.record_presence(p.room_id, p.gateway_id, p.count),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "bad presence event dropped"),
        }
        return;
    }
    if kind == Reactions::TYPE {
        match envelope.decode::<Reactions>() {
            Ok(r) if r.gateway_id != own_gateway => hub.record_reactions(r.room_id, &r.counts),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "bad reactions event dropped"),
        }
        return;
    }
    if kind == PostRejected::TYPE {
        match envelope.decode::<PostRejected>() {
            Ok(rejected) => hub.reject_post(&rejected),
            Err(err) => tracing::warn!(error = %err, "bad post.rejected event dropped"),
        }
        return;
    }
    if kind == RoomHead::TYPE {
        match envelope.decode::<RoomHead>() {
            Ok(h) => hub.record_head(h.room_id, h.head),
            Err(err) => tracing::warn!(error = %err, "bad room.head dropped"),
        }
        return;
    }
    let fields = RoutingFields::of(envelope.payload);
    let (Some(room), Some(seq)) = (fields.room_id, fields.seq) else {
        return tracing::debug!(%kind, "event without room and seq ignored");
    };
    if kind == RoomUpdated::TYPE {
        match envelope.decode::<RoomUpdated>() {
            Ok(updated) => {
                let policy = RoomPolicy {
                    state: Some(updated.state),
                    slow_mode_seconds: updated.slow_mode_seconds,
                    known_muted: false,
                };
                hub.set_policy(room, seq, policy);
                hub.set_reaction_set(room, seq, reaction_set_of(&updated.reactions));
            }
            // Still delivered: clients need its seq, whatever the gateway makes of it.
            Err(err) => tracing::warn!(error = %err, "room.updated the gateway cannot read"),
        }
    } else if kind == RoomClosed::TYPE {
        let policy = RoomPolicy {
            state: Some(RoomState::Closed),
            slow_mode_seconds: 0,
            known_muted: false,
        };
        hub.set_policy(room, seq, policy);
    } else if kind == MessageDeleted::TYPE {
        // Before the delete is delivered, so a join that replays it never replays the text.
        if let Some(id) = fields.id {
            hub.redact_message(room, id);
        }
    }
    tracing::trace!(room, seq, %kind, "room event");
    hub.deliver(room, seq, &event_frame(seq, kind, envelope.payload));
}

/// The payload fields the gateway routes on. A field that is missing or not an unsigned
/// integer reads as `None`, as if absent: one odd field must not hide the others.
#[derive(Debug, Default, Deserialize)]
struct RoutingFields {
    #[serde(default, deserialize_with = "lenient_u64")]
    room_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    seq: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    id: Option<u64>,
}

impl RoutingFields {
    fn of(payload: &RawValue) -> Self {
        serde_json::from_str(payload.get()).unwrap_or_default()
    }
}

fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(serde_json::Value::deserialize(deserializer)?.as_u64())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{json, Value};

    use super::*;
    use crate::hub::{outbox, JoinOutcome};
    use crate::metrics::Metrics;

    const ROOM: u64 = 7;

    fn envelope(kind: &str, payload: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": Uuid::now_v7(),
            "type": kind,
            "version": 1,
            "occurred_at": "2026-12-05T09:00:00Z",
            "producer": "tm-cms",
            "payload": payload,
        }))
        .unwrap()
    }

    fn created(seq: u64, id: u64, body: &str) -> Vec<u8> {
        envelope(
            "message.created",
            json!({"room_id": ROOM, "id": id, "seq": seq, "room": "r", "nickname": "Ada", "color": "#d1495b",
                   "body": body, "tokens": [{"type": "text", "text": body}], "kind": "post",
                   "created_at": "2026-12-05T09:00:00Z"}),
        )
    }

    fn replayed(hub: &Arc<Hub>, since: u64) -> Vec<Value> {
        let (queue, _inbox) = outbox(16);
        match hub.join(ROOM, Some(since), queue, true).outcome {
            JoinOutcome::Live { replay, .. } => replay
                .iter()
                .map(|m| serde_json::from_str(m.to_text().unwrap()).unwrap())
                .collect(),
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn a_deleted_message_is_never_replayed_with_its_text() {
        let hub = Hub::new(16, Arc::new(Metrics::default()));
        let gateway = Uuid::new_v4();
        let (queue, _inbox) = outbox(16);
        let _first = hub.join(ROOM, Some(0), queue, true); // keeps the room (and its buffer) alive
        dispatch(&hub, gateway, &created(1, 100, "keep me"));
        dispatch(&hub, gateway, &created(2, 101, "regrettable text"));
        dispatch(
            &hub,
            gateway,
            &envelope("message.deleted", json!({"room_id": ROOM, "seq": 3, "id": 101})),
        );

        let frames = replayed(&hub, 0);
        let seqs: Vec<u64> = frames.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, [1, 2, 3], "the redacted entry keeps its seq: no gap");
        assert!(
            !frames.iter().any(|f| f.to_string().contains("regrettable")),
            "{frames:?}"
        );
        assert_eq!(frames[1]["event"], "message.created");
        assert_eq!(
            frames[1]["data"],
            json!({"room_id": ROOM, "seq": 2, "id": 101, "deleted": true})
        );
        assert_eq!(frames[0]["data"]["body"], "keep me", "other messages are untouched");
        assert_eq!(frames[2]["event"], "message.deleted");
    }

    #[test]
    fn a_payload_reaches_sockets_byte_for_byte() {
        let hub = Hub::new(16, Arc::new(Metrics::default()));
        let (queue, _inbox) = outbox(16);
        let _member = hub.join(ROOM, Some(0), queue, true);
        // Spellings a decode-and-encode would change: an escaped character, a float's
        // trailing zero, key order.
        let payload = r#"{"seq":1,"room_id":7,"id":5,"body":"caf\u00e9","score":1.50,"kind":"post"}"#;
        let body = format!(
            r#"{{"id":"{}","type":"message.created","version":1,"occurred_at":"2026-12-05T09:00:00Z","producer":"tm-cms","payload":{payload}}}"#,
            Uuid::now_v7()
        );
        dispatch(&hub, Uuid::new_v4(), body.as_bytes());

        let (queue, _inbox) = outbox(16);
        let JoinOutcome::Live { replay, .. } = hub.join(ROOM, Some(0), queue, true).outcome else {
            panic!("the room is live");
        };
        assert_eq!(
            replay[0].to_text().unwrap(),
            format!(r#"{{"type":"event","seq":1,"event":"message.created","data":{payload}}}"#)
        );
    }

    #[test]
    fn odd_routing_fields_do_not_hide_the_others() {
        let hub = Hub::new(16, Arc::new(Metrics::default()));
        let (queue, _inbox) = outbox(16);
        let _member = hub.join(ROOM, Some(0), queue, true);
        // `id` is a string here (as a future event might have it): room and seq still route it.
        dispatch(
            &hub,
            Uuid::new_v4(),
            &envelope("poll.vote_tally", json!({"room_id": ROOM, "seq": 1, "id": "p-1"})),
        );
        assert_eq!(replayed(&hub, 0).len(), 1);
        dispatch(
            &hub,
            Uuid::new_v4(),
            &envelope("message.created", json!({"room_id": "seven", "seq": 2})),
        );
        assert_eq!(replayed(&hub, 0).len(), 1, "no room id: not routed");
    }
}
