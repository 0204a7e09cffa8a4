//! The event log (transactional outbox): appending inside a write's transaction, and reading a
//! room's events back for `/events?after=` replay.

use diesel::prelude::*;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};
use serde::Serialize;
use tm_core::event::{Envelope, Event, MessageCreated, RoomId, Seq};
use uuid::Uuid;

use super::clock;
use crate::engine::db::models::{EventRow, NewEvent, RoomRow};
use crate::engine::db::reuse::Reuse;
use crate::engine::db::schema::{room_events, rooms};
use crate::engine::db::DbError;

/// Locks a room's row for the rest of the transaction: writes to one room are serialised, so
/// its `seq` and its events are assigned in commit order.
pub async fn lock_room(conn: &mut AsyncMysqlConnection, id: RoomId) -> Result<Option<RoomRow>, DbError> {
    Ok(rooms::table
        .find(id)
        .select(RoomRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Takes the room's next `seq` (the room row must be locked).
pub async fn next_seq(conn: &mut AsyncMysqlConnection, room: &mut RoomRow) -> Result<Seq, DbError> {
    room.seq += 1;
    Reuse(diesel::update(rooms::table.find(room.id)).set(rooms::seq.eq(room.seq)))
        .execute(conn)
        .await?;
    Ok(room.seq)
}

/// Appends one event. `seq` is set for room-visible events; `room_id` for anything about a room.
pub async fn append<E: Event>(
    conn: &mut AsyncMysqlConnection,
    room_id: Option<RoomId>,
    seq: Option<Seq>,
    payload: E,
) -> Result<(), DbError> {
    append_with_id(conn, Uuid::now_v7(), room_id, seq, payload).await
}

/// [`append`] under a given envelope id (unique in the log: a second append with the same id
/// fails with a unique violation).
pub async fn append_with_id<E: Event>(
    conn: &mut AsyncMysqlConnection,
    envelope_id: Uuid,
    room_id: Option<RoomId>,
    seq: Option<Seq>,
    payload: E,
) -> Result<(), DbError> {
    let now = clock::now();
    let envelope = Envelope::with_id(envelope_id, clock::from_db(now), crate::SERVICE, payload);
    let json = envelope
        .to_json()
        .map_err(|e| DbError::Unavailable(format!("cannot encode event: {e}")))?;
    let json = String::from_utf8(json).map_err(|e| DbError::Unavailable(e.to_string()))?;
    let id = envelope.id.to_string();
    let routing_key = envelope.routing_key();
    let message_id = envelope.payload.message_id();
    Reuse(diesel::insert_into(room_events::table).values(NewEvent {
        room_id,
        seq,
        event_type: E::TYPE,
        routing_key: &routing_key,
        envelope_id: &id,
        envelope: &json,
        created_at: now,
        message_id,
    }))
    .execute(conn)
    .await?;
    Ok(())
}

/// What the `message.created` and `message.updated` entries of a deleted message keep: its place in the room's seq,
/// and which message it was. The text, nickname and everything else are gone.
#[derive(Debug, Serialize)]
struct DeletedMessage {
    room_id: RoomId,
    seq: Seq,
    id: u64,
    deleted: bool,
}

/// Redacts every logged copy of a message being deleted, inside the delete's transaction: its
/// `message.created` (at `created_seq`) and its `message.updated` events. `/events`, every
/// replay and a relay that has not published them yet all see only
/// `{"room_id", "seq", "id", "deleted": true}`, each entry keeping its own seq.
pub async fn redact_message(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    created_seq: Option<Seq>,
    message_id: u64,
) -> Result<(), DbError> {
    let tagged = room_events::room_id
        .eq(room_id)
        .and(room_events::message_id.eq(message_id));
    // Events logged before `message_id` existed are found by the message's seq.
    let legacy = room_events::room_id
        .eq(room_id)
        .and(room_events::seq.eq(created_seq.unwrap_or(0)))
        .and(room_events::event_type.eq(MessageCreated::TYPE));
    let stored: Vec<EventRow> = room_events::table
        .filter(tagged.or(legacy))
        .select(EventRow::as_select())
        .load(conn)
        .await?;
    for row in stored {
        let Some(seq) = row.seq else { continue };
        let mut envelope: serde_json::Value = serde_json::from_str(&row.envelope)
            .map_err(|e| DbError::Unavailable(format!("stored event {} is not JSON: {e}", row.id)))?;
        let redacted = DeletedMessage {
            room_id,
            seq,
            id: message_id,
            deleted: true,
        };
        envelope["payload"] =
            serde_json::to_value(redacted).map_err(|e| DbError::Unavailable(format!("cannot encode event: {e}")))?;
        diesel::update(room_events::table.find(row.id))
            .set(room_events::envelope.eq(envelope.to_string()))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// One replayed event as `/events` serves it: `data` is the stored payload.
#[derive(Debug, Serialize)]
pub struct LoggedEvent {
    pub seq: Seq,
    /// The event type, e.g. `message.created`.
    pub event: String,
    pub data: serde_json::Value,
}

/// A room's events with `seq > after`, oldest first, at most `limit`.
pub async fn read_room_events(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    after: Seq,
    limit: i64,
) -> Result<Vec<LoggedEvent>, DbError> {
    let rows: Vec<EventRow> = room_events::table
        .filter(room_events::room_id.eq(room_id))
        .filter(room_events::seq.gt(after))
        .order(room_events::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let seq = row.seq?;
            let envelope: serde_json::Value = serde_json::from_str(&row.envelope).ok()?;
            Some(LoggedEvent {
                seq,
                event: row.event_type,
                data: envelope.get("payload").cloned().unwrap_or_default(),
            })
        })
        .collect())
}
