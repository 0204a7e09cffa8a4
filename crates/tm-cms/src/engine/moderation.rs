//! Owner, admin and co-moderator actions on messages and participants, and the audit log every
//! moderation action writes to (actor, action, target, time). Each action needs
//! [`Capability::Moderate`].

use std::collections::HashSet;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tm_core::event::{MessageDeleted, MessageState, PostRejected, PostRejectionCode, RoomId, RoomState};

use super::db::columns::StoredName;
use super::messages::{to_view, MessageView};
use super::rooms::{find_by_slug, Actor, Capability};
use super::Moderator;
use super::{clock, event_log, from_diesel, posting};
use crate::engine::db::models::{AuditRow, MessageRow, RoomRow};
use crate::engine::db::schema::{messages, moderation_log, mutes};
use crate::engine::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    #[error("no such room")]
    RoomNotFound,
    #[error("no such message in this room")]
    MessageNotFound,
    #[error("this needs the room's owner token or a moderator token")]
    NotOwner,
    #[error("the room is closed")]
    Closed,
    #[error("the message is not waiting for approval")]
    NotPending,
    #[error("participant ids are 1 to 128 characters")]
    InvalidParticipant,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
from_diesel!(ModerationError);

/// `POST /api/v1/rooms/{slug}/mutes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MuteRequest {
    pub participant_id: String,
}

/// A participant muted in a room.
#[derive(Debug, Clone, Serialize)]
pub struct MutedParticipant {
    pub participant_id: String,
    /// The nickname of their latest message in the room, if they wrote one.
    pub nickname: Option<String>,
    /// The kind of that message (`post`, `tweet`, `toot`, `bluesky`).
    pub kind: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

/// One audit log entry.
#[derive(Debug, Serialize)]
pub struct AuditEntry {
    pub id: u64,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
}

/// A message in the owner's moderation queue, and whether its author is muted in the room.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub view: MessageView,
    pub author_muted: bool,
}

/// Records a moderation action inside the caller's transaction.
pub(crate) async fn audit(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    actor: &Actor,
    action: &str,
    target: &str,
) -> Result<(), DbError> {
    audit_as(conn, room_id, &actor.audit_name(), action, target).await
}

pub(crate) async fn audit_as(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    actor: &str,
    action: &str,
    target: &str,
) -> Result<(), DbError> {
    let target: String = target.chars().take(255).collect();
    diesel::insert_into(moderation_log::table)
        .values((
            moderation_log::room_id.eq(room_id),
            moderation_log::actor.eq(actor),
            moderation_log::action.eq(action),
            moderation_log::target.eq(target),
            moderation_log::created_at.eq(clock::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a message inside the caller's transaction (the room row locked): the state becomes
/// `deleted`; a visible message's `message.created` is redacted and a `message.deleted` is
/// appended. Returns whether an event was appended. The one delete path, for an owner's or an
/// admin's delete and for a post retracted at its source.
pub(crate) async fn delete_in_transaction(
    conn: &mut AsyncMysqlConnection,
    room: &mut RoomRow,
    row: &mut MessageRow,
) -> Result<bool, DbError> {
    if row.state == MessageState::Deleted {
        return Ok(false);
    }
    let was_visible = row.state == MessageState::Visible;
    row.state = MessageState::Deleted;
    diesel::update(messages::table.find(row.id))
        .set(messages::state.eq(MessageState::Deleted.stored_name()))
        .execute(conn)
        .await?;
    if !was_visible {
        return Ok(false);
    }
    event_log::redact_message(conn, room.id, row.seq, row.id).await?;
    let seq = event_log::next_seq(conn, room).await?;
    let deleted = MessageDeleted {
        room_id: room.id,
        seq,
        id: row.id,
    };
    event_log::append(conn, Some(room.id), Some(seq), deleted).await?;
    Ok(true)
}

/// What happens to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Delete,
    Approve,
    Reject,
}

impl Moderator<'_> {
    /// The latest visible and pending messages of a room, newest first (the owner's page).
    pub async fn queue(&self, room: &RoomRow) -> Result<Vec<QueuedMessage>, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<MessageRow> = messages::table
            .filter(messages::room_id.eq(room.id))
            .filter(messages::state.eq_any([MessageState::Visible, MessageState::Pending].map(StoredName::stored_name)))
            .order(messages::id.desc())
            .limit(200)
            .select(MessageRow::as_select())
            .load(&mut conn)
            .await?;
        let muted: HashSet<String> = mutes::table
            .filter(mutes::room_id.eq(room.id))
            .select(mutes::participant_id)
            .load(&mut conn)
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| QueuedMessage {
                view: to_view(&row, &room.slug),
                author_muted: muted.contains(&row.participant_id),
            })
            .collect())
    }

    async fn authorized_room(&self, slug: &str, bearer: Option<&str>) -> Result<(RoomId, Actor), ModerationError> {
        let mut conn = self.conn().await?;
        let room = find_by_slug(&mut conn, slug)
            .await?
            .ok_or(ModerationError::RoomNotFound)?;
        let actor = self
            .rooms()
            .permit_on(&mut conn, &room, bearer, Capability::Moderate)
            .await?
            .ok_or(ModerationError::NotOwner)?;
        Ok((room.id, actor))
    }

    /// Deletes a message: a visible one emits `message.deleted`; deleting twice is a no-op.
    pub async fn delete(&self, slug: &str, bearer: Option<&str>, id: u64) -> Result<(), ModerationError> {
        self.judge(slug, bearer, id, Verdict::Delete).await.map(|_| ())
    }

    /// Shows a pending message (emits `message.created` with the next seq).
    pub async fn approve(&self, slug: &str, bearer: Option<&str>, id: u64) -> Result<MessageView, ModerationError> {
        self.judge(slug, bearer, id, Verdict::Approve).await
    }

    /// Drops a pending message without it ever being shown.
    pub async fn reject(&self, slug: &str, bearer: Option<&str>, id: u64) -> Result<MessageView, ModerationError> {
        self.judge(slug, bearer, id, Verdict::Reject).await
    }

    #[tracing::instrument(skip(self, bearer))]
    async fn judge(
        &self,
        slug: &str,
        bearer: Option<&str>,
        id: u64,
        verdict: Verdict,
    ) -> Result<MessageView, ModerationError> {
        let (room_id, actor) = self.authorized_room(slug, bearer).await?;
        let mut conn = self.conn().await?;
        let (view, emitted) = conn
            .transaction::<_, ModerationError, _>(async move |conn| {
                let mut room = event_log::lock_room(conn, room_id)
                    .await?
                    .ok_or(ModerationError::RoomNotFound)?;
                let mut row: MessageRow = messages::table
                    .filter(messages::id.eq(id))
                    .filter(messages::room_id.eq(room.id))
                    .select(MessageRow::as_select())
                    .first(conn)
                    .await
                    .optional()?
                    .ok_or(ModerationError::MessageNotFound)?;
                if verdict != Verdict::Delete && row.state != MessageState::Pending {
                    return Err(ModerationError::NotPending);
                }
                if verdict == Verdict::Approve && room.state == RoomState::Closed {
                    return Err(ModerationError::Closed);
                }
                if verdict == Verdict::Delete {
                    if row.state == MessageState::Deleted {
                        return Ok((to_view(&row, &room.slug), false));
                    }
                    let emitted = delete_in_transaction(conn, &mut room, &mut row).await?;
                    audit(conn, room.id, &actor, "delete", &format!("message:{}", row.id)).await?;
                    return Ok((to_view(&row, &room.slug), emitted));
                }
                // Only pending messages get here: approving shows one, rejecting drops it unseen.
                let (state, action) = match verdict {
                    Verdict::Approve => (MessageState::Visible, "approve"),
                    Verdict::Reject | Verdict::Delete => (MessageState::Deleted, "reject"),
                };
                if verdict == Verdict::Approve {
                    row.seq = Some(event_log::next_seq(conn, &mut room).await?);
                }
                row.state = state;
                diesel::update(messages::table.find(row.id))
                    .set((messages::state.eq(state.stored_name()), messages::seq.eq(row.seq)))
                    .execute(conn)
                    .await?;
                let mut emitted = verdict == Verdict::Approve;
                if emitted {
                    posting::announce(conn, &room, &row).await?;
                } else if let Some(client_id) = rejected_post(verdict, &row) {
                    // Its poster was told `accepted` (or 201 pending) and waits for the outcome.
                    let rejected = PostRejected {
                        room_id: room.id,
                        client_id,
                        participant_id: row.participant_id.clone(),
                        code: PostRejectionCode::NotApproved,
                        message: "the room's owner did not approve this post".to_owned(),
                    };
                    let envelope_id = posting::rejection_envelope_id(room.id, client_id);
                    event_log::append_with_id(conn, envelope_id, Some(room.id), None, rejected).await?;
                    emitted = true;
                }
                audit(conn, room.id, &actor, action, &format!("message:{}", row.id)).await?;
                Ok((to_view(&row, &room.slug), emitted))
            })
            .await?;
        if emitted {
            self.events_committed();
        }
        Ok(view)
    }

    /// Mutes (or unmutes) a participant: their later posts are refused with `muted`, and a
    /// muted external author's items are skipped.
    pub async fn mute(
        &self,
        slug: &str,
        bearer: Option<&str>,
        participant: &str,
        muted: bool,
    ) -> Result<(), ModerationError> {
        if participant.is_empty() || participant.chars().count() > 128 {
            return Err(ModerationError::InvalidParticipant);
        }
        let (room_id, actor) = self.authorized_room(slug, bearer).await?;
        self.set_muted(room_id, actor, participant.to_owned(), muted).await
    }

    /// Mutes (or unmutes) whoever wrote message `id` of the room: a post's participant, or a
    /// tweet's, toot's or Bluesky post's author (participant `<source>:<author id>`). The owner
    /// pages act through this, so they never handle participant ids of messages.
    pub async fn mute_author(
        &self,
        slug: &str,
        bearer: Option<&str>,
        id: u64,
        muted: bool,
    ) -> Result<(), ModerationError> {
        let (room_id, actor) = self.authorized_room(slug, bearer).await?;
        let participant: String = messages::table
            .filter(messages::id.eq(id))
            .filter(messages::room_id.eq(room_id))
            .select(messages::participant_id)
            .first(&mut self.conn().await?)
            .await
            .optional()?
            .ok_or(ModerationError::MessageNotFound)?;
        self.set_muted(room_id, actor, participant, muted).await
    }

    async fn set_muted(
        &self,
        room_id: RoomId,
        actor: Actor,
        participant: String,
        muted: bool,
    ) -> Result<(), ModerationError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, ModerationError, _>(async move |conn| {
            event_log::lock_room(conn, room_id)
                .await?
                .ok_or(ModerationError::RoomNotFound)?;
            if muted {
                diesel::insert_or_ignore_into(mutes::table)
                    .values((
                        mutes::room_id.eq(room_id),
                        mutes::participant_id.eq(&participant),
                        mutes::created_at.eq(clock::now()),
                    ))
                    .execute(conn)
                    .await?;
            } else {
                diesel::delete(
                    mutes::table
                        .filter(mutes::room_id.eq(room_id))
                        .filter(mutes::participant_id.eq(&participant)),
                )
                .execute(conn)
                .await?;
            }
            let action = if muted { "mute" } else { "unmute" };
            audit(conn, room_id, &actor, action, &format!("participant:{participant}")).await?;
            Ok(())
        })
        .await
    }

    /// The ids among `ids` of the room's messages whose author is muted there (the owner's
    /// buttons offer "Unmute" on those).
    pub async fn muted_authors(&self, room: &RoomRow, ids: &[u64]) -> Result<HashSet<u64>, DbError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let muted_participants = mutes::table
            .filter(mutes::room_id.eq(room.id))
            .select(mutes::participant_id);
        let found: Vec<u64> = messages::table
            .filter(messages::room_id.eq(room.id))
            .filter(messages::id.eq_any(ids))
            .filter(messages::participant_id.eq_any(muted_participants))
            .select(messages::id)
            .load(&mut self.conn().await?)
            .await?;
        Ok(found.into_iter().collect())
    }

    /// Everyone muted in the room, newest mute first, each with the name they last used there
    /// (the owner page's list, where mutes are lifted).
    pub async fn mutes(&self, room: &RoomRow) -> Result<Vec<MutedParticipant>, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, time::PrimitiveDateTime)> = mutes::table
            .filter(mutes::room_id.eq(room.id))
            .order(mutes::id.desc())
            .limit(1000)
            .select((mutes::participant_id, mutes::created_at))
            .load(&mut conn)
            .await?;
        let mut muted = Vec::with_capacity(rows.len());
        for (participant_id, since) in rows {
            let last: Option<(String, String)> = messages::table
                .filter(messages::room_id.eq(room.id))
                .filter(messages::participant_id.eq(&participant_id))
                .order(messages::id.desc())
                .select((messages::nickname, messages::kind))
                .first(&mut conn)
                .await
                .optional()?;
            let (nickname, kind) = match last {
                Some((nickname, kind)) => (Some(nickname), Some(kind)),
                None => (None, None),
            };
            muted.push(MutedParticipant {
                participant_id,
                nickname,
                kind,
                since: clock::from_db(since),
            });
        }
        Ok(muted)
    }

    /// The room's moderation log, newest first.
    pub async fn audit_log(&self, slug: &str, bearer: Option<&str>) -> Result<AuditList, ModerationError> {
        let (room_id, _) = self.authorized_room(slug, bearer).await?;
        let mut conn = self.conn().await?;
        let rows: Vec<AuditRow> = moderation_log::table
            .filter(moderation_log::room_id.eq(room_id))
            .order(moderation_log::id.desc())
            .limit(1000)
            .select(AuditRow::as_select())
            .load(&mut conn)
            .await?;
        let entries = rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor: r.actor,
                action: r.action,
                target: r.target,
                at: clock::from_db(r.created_at),
            })
            .collect();
        Ok(AuditList { entries })
    }
}

/// The `client_id` of a pending post the owner rejects, if it has one (its poster is told).
fn rejected_post(verdict: Verdict, row: &MessageRow) -> Option<uuid::Uuid> {
    if verdict != Verdict::Reject {
        return None;
    }
    row.client_id.as_deref().and_then(|id| uuid::Uuid::parse_str(id).ok())
}
