//! Coalesced count updates: votes come in bursts (a whole hall within seconds), so a vote does
//! not append an event. It records its subject (a message or a poll) in `pending_updates`, in
//! the vote's own transaction, and [`Updates::flush`] appends one `message.updated` or
//! `poll.updated` per recorded subject with the count as it is then. The flusher runs once per
//! `[qa] update_interval_ms`, so each subject gets at most one such event per interval, and a
//! subject voted on during a flush is recorded again for the next one (its vote waits for the
//! flush's row lock), so no count is left unannounced.
//!
//! Lock order: the flush locks the room, then its pending rows, and reads counts without
//! locking; a vote locks its message or poll, then its pending row, and never the room. Owner
//! actions lock the room first. No cycle.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use tm_core::event::{MessageState, PollEvent, PollState, PollUpdated, RoomId, RoomState};

use super::db::columns::StoredName;
use super::{clock, event_log, polls, questions, Updates};
use crate::engine::db::models::MessageRow;
use crate::engine::db::schema::{messages, pending_updates};
use crate::engine::db::DbError;

/// What a pending update is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Message,
    Poll,
}

/// Records that `subject`'s counts changed, inside the vote's transaction.
pub(crate) async fn mark_pending(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    subject: Subject,
    id: u64,
) -> Result<(), DbError> {
    diesel::insert_or_ignore_into(pending_updates::table)
        .values((
            pending_updates::room_id.eq(room_id),
            pending_updates::subject.eq(subject.stored_name()),
            pending_updates::subject_id.eq(id),
            pending_updates::created_at.eq(clock::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Rooms flushed per pass; a pass with more leaves the rest for the next interval.
const ROOMS_PER_FLUSH: i64 = 500;

impl Updates<'_> {
    /// Appends one update event per recorded subject, room by room. Returns how many events it
    /// appended.
    #[tracing::instrument(skip(self))]
    pub async fn flush(&self) -> Result<usize, DbError> {
        let mut conn = self.conn().await?;
        let rooms: Vec<RoomId> = pending_updates::table
            .select(pending_updates::room_id)
            .distinct()
            .limit(ROOMS_PER_FLUSH)
            .load(&mut conn)
            .await?;
        let mut appended = 0;
        for room_id in rooms {
            appended += conn
                .transaction::<_, DbError, _>(async move |conn| flush_room(conn, room_id).await)
                .await?;
        }
        if appended > 0 {
            self.events_committed();
            tracing::debug!(appended, "coalesced updates appended");
        }
        Ok(appended)
    }
}

async fn flush_room(conn: &mut AsyncMysqlConnection, room_id: RoomId) -> Result<usize, DbError> {
    let Some(mut room) = event_log::lock_room(conn, room_id).await? else {
        return Ok(0);
    };
    let pending: Vec<(u64, String, u64)> = pending_updates::table
        .filter(pending_updates::room_id.eq(room_id))
        .select((
            pending_updates::id,
            pending_updates::subject,
            pending_updates::subject_id,
        ))
        .order(pending_updates::id.asc())
        .for_update()
        .load(conn)
        .await?;
    let mut appended = 0;
    // A closed room's last event is `room.closed`: its counts are kept, not announced.
    let announce = room.state != RoomState::Closed;
    for (_, subject, id) in &pending {
        if !announce {
            break;
        }
        match Subject::from_stored_name(subject) {
            Some(Subject::Message) => {
                let row: Option<MessageRow> = messages::table
                    .filter(messages::id.eq(id))
                    .filter(messages::state.eq(MessageState::Visible.stored_name()))
                    .select(MessageRow::as_select())
                    .first(conn)
                    .await
                    .optional()?;
                if let Some(row) = row {
                    questions::announce_update(conn, &mut room, &row).await?;
                    appended += 1;
                }
            }
            Some(Subject::Poll) => {
                if let Some(poll) = polls::load(conn, room_id, *id).await? {
                    if poll.state == PollState::Open {
                        let seq = event_log::next_seq(conn, &mut room).await?;
                        let event = PollUpdated(PollEvent { room_id, seq, poll });
                        event_log::append(conn, Some(room_id), Some(seq), event).await?;
                        appended += 1;
                    }
                }
            }
            None => tracing::warn!(subject, id, "unknown pending update dropped"),
        }
    }
    let ids: Vec<u64> = pending.iter().map(|(id, _, _)| *id).collect();
    diesel::delete(pending_updates::table.filter(pending_updates::id.eq_any(ids)))
        .execute(conn)
        .await?;
    Ok(appended)
}
