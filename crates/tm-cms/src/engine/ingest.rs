//! Items from tm-ingest (tweets, toots, Bluesky posts): stored once per (room, source, external
//! id), in every open room they matched. Slow mode and rate limits do not apply; approve mode
//! and mutes do: an author muted in a room (participant `<source>:<author id>`) is skipped there.
//! A retract deletes what an item made, through the owner's delete path.
//!
//! External text passes the same character filter as our users' text (tm-core
//! `domain::text`), but is *cleaned* rather than refused: characters the filter refuses (bidi
//! overrides, stray zero-width characters, controls) are stripped from the author's name and
//! from the text, so a post is not lost for an invisible character its author may not even
//! know about, and nothing invisible reaches the room.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use tm_core::domain::strip_forbidden;
use tm_core::event::{IngestItem, IngestRetract, IngestSource, Moderation, RoomId, RoomState};
use tm_core::{parse_body, MessageBody, Nickname, HARD_MAX_BODY_CHARS};

use super::rooms::{moderation_of, state_of};
use super::{clock, event_log, moderation, posting, secrets, Engine};
use crate::db::models::{MessageRow, NewMessage};
use crate::db::schema::messages;
use crate::db::DbError;

/// What happened to an item in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    Stored,
    Duplicate,
    /// The room is missing, paused or closed, or the text is unusable.
    Skipped,
    /// The author is muted in the room.
    Muted,
}

/// The participant id of an item's author: mutes and the speaker colour follow it. The stable
/// id when the source has one (a Bluesky DID), else the display form.
pub fn participant_of(item: &IngestItem) -> String {
    let id = item.author_id.as_deref().filter(|id| !id.trim().is_empty());
    format!("{}:{}", item.source.as_str(), id.unwrap_or(&item.author))
}

impl Engine {
    /// Stores an item in each of its rooms, each room in its own transaction (a redelivery
    /// finds the rooms already done and skips them).
    pub async fn ingest(&self, item: &IngestItem) -> Result<Vec<IngestOutcome>, DbError> {
        let mut outcomes = Vec::new();
        for room_id in &item.room_ids {
            let mut conn = self.conn().await?;
            let item = item.clone();
            let room_id = *room_id;
            let outcome = conn
                .transaction::<_, DbError, _>(async move |conn| store(conn, room_id, &item).await)
                .await?;
            if outcome == IngestOutcome::Stored {
                self.events_committed();
            }
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Deletes every message made from (source, external id), room by room, each in its own
    /// transaction, through the owner's delete path. Returns how many were deleted now (0 when
    /// unknown or already deleted: a redelivery changes nothing).
    pub async fn retract(&self, retract: &IngestRetract) -> Result<usize, DbError> {
        let targets: Vec<(u64, RoomId)> = messages::table
            .filter(messages::source.eq(retract.source.as_str()))
            .filter(messages::external_id.eq(&retract.external_id))
            .filter(messages::state.ne("deleted"))
            .select((messages::id, messages::room_id))
            .load(&mut self.conn().await?)
            .await?;
        let mut deleted = 0;
        for (message_id, room_id) in targets {
            let mut conn = self.conn().await?;
            let source = retract.source;
            let (done, emitted) = conn
                .transaction::<_, DbError, _>(async move |conn| {
                    let Some(mut room) = event_log::lock_room(conn, room_id).await? else {
                        return Ok((false, false));
                    };
                    let row: Option<MessageRow> = messages::table
                        .find(message_id)
                        .select(MessageRow::as_select())
                        .first(conn)
                        .await
                        .optional()?;
                    let Some(mut row) = row.filter(|r| r.state != "deleted") else {
                        return Ok((false, false));
                    };
                    let emitted = moderation::delete_in_transaction(conn, &mut room, &mut row).await?;
                    let actor = format!("source:{}", source.as_str());
                    moderation::audit_as(conn, room.id, &actor, "delete", &format!("message:{}", row.id)).await?;
                    Ok((true, emitted))
                })
                .await?;
            if emitted {
                self.events_committed();
            }
            deleted += usize::from(done);
        }
        Ok(deleted)
    }
}

async fn store(conn: &mut AsyncMysqlConnection, room_id: RoomId, item: &IngestItem) -> Result<IngestOutcome, DbError> {
    let Some(mut room) = event_log::lock_room(conn, room_id).await? else {
        return Ok(IngestOutcome::Skipped);
    };
    if state_of(&room) != RoomState::Open {
        return Ok(IngestOutcome::Skipped);
    }
    let participant = participant_of(item);
    if posting::is_muted(conn, room.id, &participant).await? {
        return Ok(IngestOutcome::Muted);
    }
    let source = item.source.as_str();
    let existing: i64 = messages::table
        .filter(messages::room_id.eq(room.id))
        .filter(messages::source.eq(source))
        .filter(messages::external_id.eq(&item.external_id))
        .count()
        .get_result(conn)
        .await?;
    if existing > 0 {
        return Ok(IngestOutcome::Duplicate);
    }
    // External text may be longer than a room's limit: shorten it rather than drop it.
    let text: String = strip_forbidden(&item.text, true)
        .chars()
        .take(HARD_MAX_BODY_CHARS)
        .collect();
    let Ok(body) = MessageBody::parse(&text, HARD_MAX_BODY_CHARS) else {
        tracing::info!(external_id = %item.external_id, "ingested item has unusable text; skipped");
        return Ok(IngestOutcome::Skipped);
    };
    let nickname: String = strip_forbidden(&item.author, false)
        .trim()
        .chars()
        .take(Nickname::MAX_CHARS)
        .collect();
    // Cutting at the limit may leave a joiner at the end: strip again.
    let nickname = strip_forbidden(&nickname, false).trim().to_owned();
    let tokens = serde_json::to_string(&parse_body(body.as_str())).map_err(|e| DbError::Unavailable(e.to_string()))?;
    let pending = moderation_of(&room) == Moderation::Approve;
    let seq = if pending {
        None
    } else {
        Some(event_log::next_seq(conn, &mut room).await?)
    };
    let kind = match item.source {
        IngestSource::Twitter => "tweet",
        IngestSource::Mastodon => "toot",
        IngestSource::Bluesky => "bluesky",
    };
    let external_id: String = item.external_id.chars().take(191).collect();
    let url: String = item.url.chars().take(2048).collect();
    diesel::insert_into(messages::table)
        .values(NewMessage {
            room_id: room.id,
            seq,
            nickname: if nickname.is_empty() { source } else { &nickname },
            participant_id: &participant,
            color: secrets::speaker_color(&participant),
            body: body.as_str(),
            tokens: &tokens,
            kind,
            source: Some(source),
            external_id: Some(&external_id),
            source_url: Some(&url),
            client_id: None,
            state: if pending { "pending" } else { "visible" },
            created_at: clock::to_db(item.posted_at),
        })
        .execute(conn)
        .await?;
    if seq.is_some() {
        let row = posting::last_inserted(conn).await?;
        posting::announce(conn, &room, &row).await?;
    }
    Ok(IngestOutcome::Stored)
}
