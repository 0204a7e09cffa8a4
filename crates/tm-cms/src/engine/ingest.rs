//! Items from tm-ingest (tweets, toots, Bluesky posts): stored once per (room, source, external
//! id), in every open room they matched. Slow mode and rate limits do not apply; approve mode,
//! the word filter and mutes do: an item the filter matches is held for approval like a post,
//! and an author muted in a room (participant `<source>:<author id>`) is skipped there.
//! A retract deletes what an item made, through the owner's delete path.
//!
//! External text passes the same character filter as our users' text (tm-core
//! `domain::text`), but is *cleaned* rather than refused: characters the filter refuses (bidi
//! overrides, stray zero-width characters, controls) are stripped from the author's name and
//! from the text, so a post is not lost for an invisible character its author may not even
//! know about, and nothing invisible reaches the room.

use std::borrow::Cow;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use tm_core::domain::strip_forbidden;
use tm_core::event::{
    IngestItem, IngestRetract, IngestSource, MessageKind, MessageState, Moderation, RoomId, RoomState,
};
use tm_core::{parse_body, MessageBody, Nickname, HARD_MAX_BODY_CHARS};

use super::db::columns::StoredName;
use super::Messages;
use super::{clock, event_log, moderation, posting, speaker_colors};
use crate::engine::db::models::{MessageRow, NewMessage};
use crate::engine::db::schema::messages;
use crate::engine::db::DbError;

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

impl Messages<'_> {
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
            .filter(messages::external_id.eq(fit_column(&retract.external_id, EXTERNAL_ID_CHARS).as_ref()))
            .filter(messages::state.ne(MessageState::Deleted.stored_name()))
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
                    let Some(mut row) = row.filter(|r| r.state != MessageState::Deleted) else {
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
    if room.state != RoomState::Open {
        return Ok(IngestOutcome::Skipped);
    }
    // Mutes and messages store it in a 128-character column: fitted the same way every time.
    let participant = fit_column(&participant_of(item), PARTICIPANT_ID_CHARS).into_owned();
    if posting::is_muted(conn, room.id, &participant).await? {
        return Ok(IngestOutcome::Muted);
    }
    let source = item.source.as_str();
    // The same stored form for the lookup and the insert: a redelivery finds what was stored.
    let external_id = fit_column(&item.external_id, EXTERNAL_ID_CHARS);
    let existing: i64 = messages::table
        .filter(messages::room_id.eq(room.id))
        .filter(messages::source.eq(source))
        .filter(messages::external_id.eq(external_id.as_ref()))
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
    let filtered = posting::is_filtered(&room, &nickname, body.as_str());
    let pending = room.moderation == Moderation::Approve || filtered;
    let seq = if pending {
        None
    } else {
        Some(event_log::next_seq(conn, &mut room).await?)
    };
    let kind = match item.source {
        IngestSource::Twitter => MessageKind::Tweet,
        IngestSource::Mastodon => MessageKind::Toot,
        IngestSource::Bluesky => MessageKind::Bluesky,
    };
    let url: String = item.url.chars().take(2048).collect();
    diesel::insert_into(messages::table)
        .values(NewMessage {
            room_id: room.id,
            seq,
            nickname: if nickname.is_empty() { source } else { &nickname },
            participant_id: &participant,
            color: speaker_colors::speaker_color(&participant),
            body: body.as_str(),
            tokens: &tokens,
            kind: kind.stored_name(),
            source: Some(source),
            external_id: Some(external_id.as_ref()),
            source_url: Some(&url),
            client_id: None,
            state: if pending {
                MessageState::Pending
            } else {
                MessageState::Visible
            }
            .stored_name(),
            created_at: clock::to_db(item.posted_at),
        })
        .execute(conn)
        .await?;
    if seq.is_some() || filtered {
        let row = posting::last_inserted(conn).await?;
        if seq.is_some() {
            posting::announce(conn, &room, &row).await?;
        }
        if filtered {
            posting::record_hold(conn, &room, &row).await?;
        }
    }
    Ok(IngestOutcome::Stored)
}

/// Width of `messages.external_id` (characters).
const EXTERNAL_ID_CHARS: usize = 191;
/// Width of `messages.participant_id` and `mutes.participant_id` (characters).
const PARTICIPANT_ID_CHARS: usize = 128;
/// `~` and 16 hex digits of a hash, the tail of a shortened value.
const HASH_TAIL_CHARS: usize = 17;

/// `value` if it fits `max_chars` characters; otherwise its first characters (cut on a character
/// boundary) and a hash of the whole value, exactly `max_chars` long. Deterministic, so a
/// redelivered item maps to the same stored value, and two long values that share a prefix stay
/// distinct.
pub(crate) fn fit_column(value: &str, max_chars: usize) -> Cow<'_, str> {
    if value.chars().count() <= max_chars {
        return Cow::Borrowed(value);
    }
    let digest = Sha256::digest(value.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let head: String = value.chars().take(max_chars.saturating_sub(HASH_TAIL_CHARS)).collect();
    Cow::Owned(format!("{head}~{hash}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_kept_and_long_ones_fit_exactly_and_stay_distinct() {
        assert_eq!(
            fit_column("mastodon:ada@example.social", 128),
            "mastodon:ada@example.social"
        );
        let long_a = format!("mastodon:{}a@example.social", "é".repeat(150));
        let long_b = format!("mastodon:{}b@example.social", "é".repeat(150));
        let (a, b) = (fit_column(&long_a, 128), fit_column(&long_b, 128));
        assert_eq!(a.chars().count(), 128);
        assert_eq!(b.chars().count(), 128);
        assert_ne!(a, b, "a shared prefix must not merge two authors");
        assert_eq!(a, fit_column(&long_a, 128), "the same input always fits the same way");
        let exact = "x".repeat(191);
        assert_eq!(fit_column(&exact, 191), exact);
    }
}
