//! Q&A: participants upvote messages (one vote each, and undo), the owner marks them answered
//! and pins one. docs/protocol.md, "Q&A, polls and the fallback transport".
//!
//! A vote changes the count in its own transaction, without the room's lock: a whole hall votes
//! within seconds, and serialising every vote behind posts would make both slow. The vote locks
//! the message row (so concurrent votes on one message queue instead of deadlocking on the
//! foreign key), writes the ballot and the count, and records the message in `pending_updates`;
//! [`super::updates`] turns that into one `message.updated` per message per interval. The owner's
//! marks take the room's lock and append their `message.updated` at once.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use tm_core::event::{MessageState, MessageUpdated, RoomState};

use super::access::AccessError;
use super::db::columns::StoredName;
use super::messages::{to_message, to_view, MessageView};
use super::moderation::audit;
use super::rooms::{find_by_slug, Capability};
use super::updates::{self, Subject};
use super::{clock, event_log, from_diesel, Questions};
use crate::engine::db::models::{MessageRow, RoomRow};
use crate::engine::db::schema::{message_votes, messages};
use crate::engine::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum QuestionError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("no such message in this room")]
    MessageNotFound,
    #[error("this needs the room's owner token or a moderator token")]
    NotOwner,
    #[error("the room is closed")]
    Closed,
    #[error(transparent)]
    Db(#[from] DbError),
}
from_diesel!(QuestionError);

/// A participant's vote on one message, as the vote endpoints answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoteState {
    pub id: u64,
    pub votes: u32,
    /// Whether the caller's vote is now counted.
    pub voted: bool,
}

/// `PATCH /api/v1/rooms/{slug}/messages/{id}`: the owner's marks.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageMarks {
    pub answered: Option<bool>,
    /// Pinning one message unpins the room's previously pinned one.
    pub pinned: Option<bool>,
}

/// Whether a vote is being cast or taken back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ballot {
    Cast,
    Withdraw,
}

impl Questions<'_> {
    /// Casts or withdraws the caller's vote on a visible message. Voting twice counts once;
    /// withdrawing a vote never cast changes nothing. Answers the count as committed.
    #[tracing::instrument(skip(self, bearer))]
    pub async fn vote(
        &self,
        slug: &str,
        bearer: Option<&str>,
        id: u64,
        ballot: Ballot,
    ) -> Result<VoteState, QuestionError> {
        let room = self.rooms().find(slug).await.map_err(AccessError::from)?;
        let voter = self.access().voter(&room, bearer)?;
        if room.state == RoomState::Closed {
            return Err(QuestionError::Closed);
        }
        let room_id = room.id;
        let mut conn = self.conn().await?;
        let votes = conn
            .transaction::<_, QuestionError, _>(async move |conn| {
                let current: Option<u32> = messages::table
                    .filter(messages::id.eq(id))
                    .filter(messages::room_id.eq(room_id))
                    .filter(messages::state.eq(MessageState::Visible.stored_name()))
                    .select(messages::votes)
                    .for_update()
                    .first(conn)
                    .await
                    .optional()?;
                let votes = current.ok_or(QuestionError::MessageNotFound)?;
                let changed = match ballot {
                    Ballot::Cast => {
                        diesel::insert_or_ignore_into(message_votes::table)
                            .values((
                                message_votes::message_id.eq(id),
                                message_votes::participant_id.eq(&voter),
                                message_votes::created_at.eq(clock::now()),
                            ))
                            .execute(conn)
                            .await?
                            == 1
                    }
                    Ballot::Withdraw => {
                        diesel::delete(
                            message_votes::table
                                .filter(message_votes::message_id.eq(id))
                                .filter(message_votes::participant_id.eq(&voter)),
                        )
                        .execute(conn)
                        .await?
                            == 1
                    }
                };
                if !changed {
                    return Ok(votes);
                }
                let votes = match ballot {
                    Ballot::Cast => votes.saturating_add(1),
                    Ballot::Withdraw => votes.saturating_sub(1),
                };
                diesel::update(messages::table.find(id))
                    .set(messages::votes.eq(votes))
                    .execute(conn)
                    .await?;
                updates::mark_pending(conn, room_id, Subject::Message, id).await?;
                Ok(votes)
            })
            .await?;
        Ok(VoteState {
            id,
            votes,
            voted: ballot == Ballot::Cast,
        })
    }

    /// The room's pinned message, if it is visible.
    pub async fn pinned(&self, room: &RoomRow) -> Result<Option<MessageView>, DbError> {
        let mut conn = self.conn().await?;
        let row: Option<MessageRow> = messages::table
            .filter(messages::room_id.eq(room.id))
            .filter(messages::pinned.eq(true))
            .filter(messages::state.eq(MessageState::Visible.stored_name()))
            .select(MessageRow::as_select())
            .first(&mut conn)
            .await
            .optional()?;
        Ok(row.map(|row| to_view(&row, &room.slug)))
    }

    /// The `count` visible messages with the most votes (at least one), ties oldest first: the
    /// projector's top questions.
    pub async fn top(&self, room: &RoomRow, count: i64) -> Result<Vec<MessageView>, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<MessageRow> = messages::table
            .filter(messages::room_id.eq(room.id))
            .filter(messages::state.eq(MessageState::Visible.stored_name()))
            .filter(messages::votes.gt(0))
            .order((messages::votes.desc(), messages::seq.asc()))
            .limit(count)
            .select(MessageRow::as_select())
            .load(&mut conn)
            .await?;
        Ok(rows.iter().map(|row| to_view(row, &room.slug)).collect())
    }

    /// The owner (or a co-moderator) marks a visible message answered and/or pinned. Pinning unpins the room's
    /// other pinned message; each changed message gets a `message.updated`.
    #[tracing::instrument(skip(self, bearer))]
    pub async fn mark(
        &self,
        slug: &str,
        bearer: Option<&str>,
        id: u64,
        marks: MessageMarks,
    ) -> Result<MessageView, QuestionError> {
        let mut conn = self.conn().await?;
        let room = find_by_slug(&mut conn, slug).await?.ok_or(AccessError::NotFound)?;
        let actor = self
            .rooms()
            .permit_on(&mut conn, &room, bearer, Capability::Moderate)
            .await?
            .ok_or(QuestionError::NotOwner)?;
        let room_id = room.id;
        let (view, emitted) = conn
            .transaction::<_, QuestionError, _>(async move |conn| {
                let mut room = event_log::lock_room(conn, room_id)
                    .await?
                    .ok_or(AccessError::NotFound)?;
                if room.state == RoomState::Closed {
                    return Err(QuestionError::Closed);
                }
                let mut row = visible_message(conn, room_id, id).await?;
                let mut emitted = false;
                if marks.pinned == Some(true) && !row.pinned {
                    let others: Vec<MessageRow> = messages::table
                        .filter(messages::room_id.eq(room_id))
                        .filter(messages::pinned.eq(true))
                        .filter(messages::id.ne(id))
                        .select(MessageRow::as_select())
                        .load(conn)
                        .await?;
                    for mut other in others {
                        other.pinned = false;
                        diesel::update(messages::table.find(other.id))
                            .set(messages::pinned.eq(false))
                            .execute(conn)
                            .await?;
                        if other.state == MessageState::Visible {
                            announce_update(conn, &mut room, &other).await?;
                            emitted = true;
                        }
                    }
                }
                let answered = marks.answered.unwrap_or(row.answered);
                let pinned = marks.pinned.unwrap_or(row.pinned);
                if (answered, pinned) != (row.answered, row.pinned) {
                    row.answered = answered;
                    row.pinned = pinned;
                    diesel::update(messages::table.find(id))
                        .set((messages::answered.eq(answered), messages::pinned.eq(pinned)))
                        .execute(conn)
                        .await?;
                    announce_update(conn, &mut room, &row).await?;
                    emitted = true;
                    let target = format!("message:{id}");
                    if let Some(answered) = marks.answered {
                        let action = if answered { "answer" } else { "unanswer" };
                        audit(conn, room_id, &actor, action, &target).await?;
                    }
                    if let Some(pinned) = marks.pinned {
                        audit(conn, room_id, &actor, if pinned { "pin" } else { "unpin" }, &target).await?;
                    }
                }
                Ok((to_view(&row, &room.slug), emitted))
            })
            .await?;
        if emitted {
            self.events_committed();
        }
        Ok(view)
    }
}

async fn visible_message(
    conn: &mut diesel_async::AsyncMysqlConnection,
    room_id: u64,
    id: u64,
) -> Result<MessageRow, QuestionError> {
    messages::table
        .filter(messages::id.eq(id))
        .filter(messages::room_id.eq(room_id))
        .filter(messages::state.eq(MessageState::Visible.stored_name()))
        .select(MessageRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(QuestionError::MessageNotFound)
}

/// Appends `message.updated` with the message as it is now (the room row locked).
pub(crate) async fn announce_update(
    conn: &mut diesel_async::AsyncMysqlConnection,
    room: &mut RoomRow,
    row: &MessageRow,
) -> Result<(), DbError> {
    let seq = event_log::next_seq(conn, room).await?;
    let mut message = to_message(row, &room.slug);
    // Every sequenced payload's `seq` is its own place in the room (the gateway orders and
    // replays by it); the message is known by its `id`.
    message.seq = seq;
    let updated = MessageUpdated {
        room_id: room.id,
        message,
    };
    event_log::append(conn, Some(room.id), Some(seq), updated).await
}
