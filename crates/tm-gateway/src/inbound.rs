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

use serde_json::Value;
use tm_core::event::{
    MessageDeleted, PostRejected, Presence, RawEnvelope, Reactions, RoomClosed, RoomHead, RoomState, RoomUpdated,
};
use tm_core::Event;
use uuid::Uuid;

use crate::hub::{reaction_set_of, Hub, RoomPolicy};
use crate::protocol::event_frame;

/// Handles one message body; malformed ones are logged and dropped (they cannot be fixed by
/// retrying, and an exclusive queue has no dead-letter).
pub fn dispatch(hub: &Hub, own_gateway: Uuid, body: &[u8]) {
    let envelope = match RawEnvelope::from_slice(body) {
        Ok(envelope) => envelope,
        Err(err) => return tracing::warn!(error = %err, "undecodable event dropped"),
    };
    if envelope.kind == Presence::TYPE {
        match envelope.decode::<Presence>() {
            Ok(p) if p.payload.gateway_id != own_gateway => {
                hub.record_presence(p.payload.room_id, p.payload.gateway_id, p.payload.count)
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "bad presence event dropped"),
        }
        return;
    }
    if envelope.kind == Reactions::TYPE {
        match envelope.decode::<Reactions>() {
            Ok(r) if r.payload.gateway_id != own_gateway => hub.record_reactions(r.payload.room_id, &r.payload.counts),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "bad reactions event dropped"),
        }
        return;
    }
    if envelope.kind == PostRejected::TYPE {
        match envelope.decode::<PostRejected>() {
            Ok(rejected) => hub.reject_post(&rejected.payload),
            Err(err) => tracing::warn!(error = %err, "bad post.rejected event dropped"),
        }
        return;
    }
    if envelope.kind == RoomHead::TYPE {
        match envelope.decode::<RoomHead>() {
            Ok(h) => hub.record_head(h.payload.room_id, h.payload.head),
            Err(err) => tracing::warn!(error = %err, "bad room.head dropped"),
        }
        return;
    }
    let (Some(room), Some(seq)) = (field(&envelope.payload, "room_id"), field(&envelope.payload, "seq")) else {
        return tracing::debug!(kind = %envelope.kind, "event without room and seq ignored");
    };
    if let Some(policy) = policy_of(&envelope) {
        hub.set_policy(room, seq, policy);
    }
    if let Some(reactions) = reactions_of(&envelope) {
        hub.set_reaction_set(room, seq, reaction_set_of(&reactions));
    }
    if envelope.kind == MessageDeleted::TYPE {
        // Before the delete is delivered, so a join that replays it never replays the text.
        if let Some(id) = field(&envelope.payload, "id") {
            hub.redact_message(room, id);
        }
    }
    tracing::trace!(room, seq, kind = %envelope.kind, "room event");
    hub.deliver(room, seq, &event_frame(seq, &envelope.kind, &envelope.payload));
}

fn field(payload: &Value, name: &str) -> Option<u64> {
    payload.get(name).and_then(Value::as_u64)
}

/// The reaction emoji a `room.updated` carries (empty in events from before the field).
fn reactions_of(envelope: &RawEnvelope) -> Option<Vec<String>> {
    if envelope.kind != RoomUpdated::TYPE {
        return None;
    }
    let updated: RoomUpdated = serde_json::from_value(envelope.payload.clone()).ok()?;
    Some(updated.reactions)
}

fn policy_of(envelope: &RawEnvelope) -> Option<RoomPolicy> {
    if envelope.kind == RoomUpdated::TYPE {
        let updated: RoomUpdated = serde_json::from_value(envelope.payload.clone()).ok()?;
        Some(RoomPolicy {
            state: Some(updated.state),
            slow_mode_seconds: updated.slow_mode_seconds,
            known_muted: false,
        })
    } else if envelope.kind == RoomClosed::TYPE {
        Some(RoomPolicy {
            state: Some(RoomState::Closed),
            slow_mode_seconds: 0,
            known_muted: false,
        })
    } else {
        None
    }
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
}
