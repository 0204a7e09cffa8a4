//! Turns one message from `tm.events` into work for the hub.
//!
//! Any room event that carries `room_id` and `seq` is forwarded, whatever its `type`: a type
//! the gateway does not know yet still occupies a seq, and dropping it would look like a gap to
//! every client. `room.updated` and `room.closed` also update what the gateway knows of the
//! room's state; `presence` feeds the cross-gateway count. Everything else is ignored.

use serde_json::Value;
use tm_core::event::{Presence, RawEnvelope, RoomClosed, RoomState, RoomUpdated};
use tm_core::Event;
use uuid::Uuid;

use crate::hub::{Hub, RoomPolicy};
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
    let (Some(room), Some(seq)) = (field(&envelope.payload, "room_id"), field(&envelope.payload, "seq")) else {
        return tracing::debug!(kind = %envelope.kind, "event without room and seq ignored");
    };
    if let Some(policy) = policy_of(&envelope) {
        hub.set_policy(room, policy);
    }
    tracing::trace!(room, seq, kind = %envelope.kind, "room event");
    hub.deliver(room, seq, &event_frame(seq, &envelope.kind, &envelope.payload));
}

fn field(payload: &Value, name: &str) -> Option<u64> {
    payload.get(name).and_then(Value::as_u64)
}

fn policy_of(envelope: &RawEnvelope) -> Option<RoomPolicy> {
    if envelope.kind == RoomUpdated::TYPE {
        let updated: RoomUpdated = serde_json::from_value(envelope.payload.clone()).ok()?;
        Some(RoomPolicy {
            state: Some(updated.state),
            slow_mode_seconds: updated.slow_mode_seconds,
        })
    } else if envelope.kind == RoomClosed::TYPE {
        Some(RoomPolicy {
            state: Some(RoomState::Closed),
            slow_mode_seconds: 0,
        })
    } else {
        None
    }
}
