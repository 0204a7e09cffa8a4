//! Posting a message: one code path for HTTP posts and `post.submit` commands.
//!
//! Order of checks: lock the room, reading in the same statement whether the poster is muted,
//! whether a message has the post's `client_id` and whether the post was already refused →
//! refused before (queued posts): nothing to do → idempotency on `client_id` (a resend returns
//! the stored message) → rate limits (in memory) → room open → nickname and body rules → mute →
//! slow mode → insert (visible, or pending in approve mode or when the room's word filter
//! matches the nickname or the body) → `message.created` with the next seq.
//!
//! Time-based rules (rate limits, slow mode) are judged at the time the post was *received*
//! (`PostSubmit.received_at` for posts from the queue, now for HTTP posts), and a queued post is
//! stored with that time: a backlog consumed in one burst after an outage is judged as it was
//! sent. The owner has no exemption here, and none at the gateway either (same rules on both
//! sides). A queued post the rules refuse gets a `post.rejected` event ([`Engine::reject_post`]).

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tm_core::event::{MessageCreated, MessageKind, MessageState, PostRejected, PostRejectionCode, RoomId, RoomState};
use tm_core::{parse_body, MessageBody, Nickname, ValidationError};
use uuid::Uuid;

use super::db::columns::StoredName;
use super::messages::{to_message, MessageView};
use super::rate_limit::Limiters;
use super::Messages;
use super::{clock, event_log, from_diesel, speaker_colors};
use crate::engine::db::models::{MessageRow, NewMessage, RoomRow};
use crate::engine::db::reuse::Reuse;
use crate::engine::db::schema::{messages, mutes, room_events, rooms};
use crate::engine::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("no such room")]
    NotFound,
    #[error("the room is paused")]
    Paused,
    #[error("the room is closed")]
    Closed,
    #[error("you are muted in this room")]
    Muted,
    #[error("slow down: try again in {} s", .0.as_secs().max(1))]
    SlowDown(Duration),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
from_diesel!(PostError);

impl PostError {
    /// How a refusal by the room's rules is reported to the poster; `None` for failures of the
    /// infrastructure (database, encoding), which are not the post's fault.
    pub fn rejection_code(&self) -> Option<PostRejectionCode> {
        Some(match self {
            PostError::Invalid(ValidationError::BodyEmpty) => PostRejectionCode::BodyEmpty,
            PostError::Invalid(ValidationError::BodyTooLong { .. }) => PostRejectionCode::BodyTooLong,
            PostError::Invalid(ValidationError::InvalidNickname) => PostRejectionCode::InvalidNickname,
            PostError::Invalid(_) => PostRejectionCode::InvalidBody,
            PostError::NotFound => PostRejectionCode::RoomNotFound,
            PostError::Paused => PostRejectionCode::RoomPaused,
            PostError::Closed => PostRejectionCode::RoomClosed,
            PostError::Muted => PostRejectionCode::Muted,
            PostError::SlowDown(_) => PostRejectionCode::SlowDown,
            PostError::Db(_) | PostError::Unexpected(_) => return None,
        })
    }
}

/// Which room a post is for.
#[derive(Debug, Clone)]
pub enum RoomRef {
    Id(RoomId),
    Slug(String),
}

/// A post from either edge.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub room: RoomRef,
    pub nickname: String,
    pub body: String,
    pub participant_id: String,
    pub client_id: Option<Uuid>,
    /// Also rate-limited by client address (HTTP posts).
    pub client_ip: Option<String>,
    /// When the gateway received it (posts from the queue); `None`: now (HTTP posts).
    pub received_at: Option<OffsetDateTime>,
}

impl Messages<'_> {
    /// Stores a post (or returns the one already stored under its `client_id`). On an HTTP
    /// worker it goes through the worker's group commit ([`super::post_writer`]).
    #[tracing::instrument(skip_all, fields(room = ?post.room, participant = %post.participant_id, client_id = ?post.client_id))]
    pub async fn post(&self, post: NewPost) -> Result<MessageView, PostError> {
        match &self.writer {
            Some(writer) => writer.submit(self, post).await,
            None => self.post_alone(post).await,
        }
    }

    /// [`Messages::post`] in a transaction of its own.
    pub async fn post_alone(&self, post: NewPost) -> Result<MessageView, PostError> {
        match self.store_post(post, None).await? {
            Stored::Message(view) => Ok(*view),
            Stored::AlreadyRefused => Err(PostError::Unexpected(anyhow::anyhow!(
                "a post without a refusal to look for was found refused"
            ))),
        }
    }

    /// Stores a post from the queue, unless its refusal was already recorded: a redelivered
    /// post whose poster was told it is refused is not judged again.
    #[tracing::instrument(skip_all, fields(room = ?post.room, participant = %post.participant_id, client_id = ?post.client_id))]
    pub async fn post_queued(&self, post: NewPost) -> Result<Stored, PostError> {
        let refusal = match (&post.room, post.client_id) {
            (RoomRef::Id(room_id), Some(client_id)) => Some(rejection_envelope_id(*room_id, client_id)),
            _ => None,
        };
        self.store_post(post, refusal).await
    }

    /// Stores posts in one transaction, in order within each room; each post gets what
    /// [`Messages::post_alone`] would answer. `Err` when the database failed: nothing of the
    /// batch was kept.
    pub async fn post_batch(&self, posts: &[NewPost]) -> Result<Vec<Result<MessageView, PostError>>, PostError> {
        let outcomes = self.store_together(posts, false).await?;
        Ok(outcomes
            .into_iter()
            .map(|outcome| match outcome? {
                Stored::Message(view) => Ok(*view),
                Stored::AlreadyRefused => Err(PostError::Unexpected(anyhow::anyhow!(
                    "a post without a refusal to look for was found refused"
                ))),
            })
            .collect())
    }

    /// Judges posts from the queue that were ready together, in one transaction: each ends as
    /// with [`Messages::post_queued`], and one the rules refuse gets its `post.rejected` in the
    /// same transaction (the `Err` in its place says why). `Err` when the database failed:
    /// nothing of the batch was kept, and the caller judges each on its own.
    pub async fn post_queued_batch(&self, posts: &[NewPost]) -> Result<Vec<Result<Stored, PostError>>, PostError> {
        self.store_together(posts, true).await
    }

    /// Group commit: one transaction (one `BEGIN`/`COMMIT`, one wake-up of the relay) for all of
    /// `posts`, rooms locked in ascending id order, each room's posts in the order given. Each
    /// post's outcome, in the order given: what [`store`] made of it, or the rule that refused
    /// it. `queued`: a post's earlier refusal is looked up, and a refusal is recorded as
    /// `post.rejected`. (A batch that fails has spent its posts' rate-limit allowance; judged
    /// again one by one, they spend it twice.)
    #[tracing::instrument(skip_all, fields(count = posts.len(), queued))]
    async fn store_together(
        &self,
        posts: &[NewPost],
        queued: bool,
    ) -> Result<Vec<Result<Stored, PostError>>, PostError> {
        let mut conn = self.conn().await?;
        let mut rooms = Vec::with_capacity(posts.len());
        for post in posts {
            rooms.push(match &post.room {
                RoomRef::Id(id) => Some(*id),
                RoomRef::Slug(slug) => super::rooms::find_by_slug(&mut conn, slug).await?.map(|room| room.id),
            });
        }
        let count = posts.len();
        let limiters = self.limiters.clone();
        let (outcomes, created) = conn
            .transaction::<_, PostError, _>(async move |conn| {
                let mut outcomes: Vec<Result<Stored, PostError>> =
                    posts.iter().map(|_| Err(PostError::NotFound)).collect();
                let mut created = false;
                for index in lock_order(&rooms) {
                    let (Some(room_id), post) = (rooms[index], &posts[index]) else {
                        continue;
                    };
                    let client_id = post.client_id.filter(|_| queued);
                    let refusal = client_id.map(|client_id| rejection_envelope_id(room_id, client_id));
                    let participant_id = post.participant_id.clone();
                    outcomes[index] = match store(conn, room_id, post, refusal, &limiters).await {
                        Ok((stored, appended)) => {
                            created |= appended;
                            Ok(stored)
                        }
                        Err(rule) => {
                            let Some(code) = rule.rejection_code() else {
                                return Err(rule);
                            };
                            if let Some(client_id) = client_id {
                                let refusal = Refusal {
                                    room_id,
                                    client_id,
                                    participant_id,
                                    code,
                                    message: rule.to_string(),
                                };
                                created |= record_refusal(conn, refusal).await?;
                            }
                            Err(rule)
                        }
                    };
                }
                Ok((outcomes, created))
            })
            .await?;
        if created {
            self.events_committed();
        }
        self.metrics.post_batches.inc();
        self.metrics.batched_posts.inc_by(count as u64);
        Ok(outcomes)
    }

    async fn store_post(&self, post: NewPost, refusal: Option<Uuid>) -> Result<Stored, PostError> {
        let mut conn = self.conn().await?;
        let room_id = match &post.room {
            RoomRef::Id(id) => *id,
            RoomRef::Slug(slug) => {
                super::rooms::find_by_slug(&mut conn, slug)
                    .await?
                    .ok_or(PostError::NotFound)?
                    .id
            }
        };
        let limiters = self.limiters.clone();
        let (stored, created) = conn
            .transaction::<_, PostError, _>(async move |conn| store(conn, room_id, &post, refusal, &limiters).await)
            .await?;
        if created {
            self.events_committed();
        }
        Ok(stored)
    }
}

/// What became of a post.
#[derive(Debug)]
pub enum Stored {
    /// Stored now, or earlier under the same `client_id`.
    Message(Box<MessageView>),
    /// Refused earlier (queued posts only): nothing was done.
    AlreadyRefused,
}

/// The transaction body. Returns what became of the post and whether an event was appended.
async fn store(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    post: &NewPost,
    refusal: Option<Uuid>,
    limiters: &Limiters,
) -> Result<(Stored, bool), PostError> {
    let client_id = post.client_id.map(|c| c.to_string());
    let refusal = refusal.map(|id| id.to_string());
    let PostContext {
        mut room,
        muted,
        resent,
        refused,
    } = lock_for_post(
        conn,
        room_id,
        &post.participant_id,
        client_id.as_deref(),
        refusal.as_deref(),
    )
    .await?
    .ok_or(PostError::NotFound)?;
    if refused {
        return Ok((Stored::AlreadyRefused, false));
    }
    if let Some(existing) = resent {
        let existing = messages::table
            .find(existing)
            .select(MessageRow::as_select())
            .first(conn)
            .await?;
        return Ok((Stored::Message(Box::new(view(&existing, &room))), false));
    }
    // Rate limits are checked once the database answered and the post is not a resend, so a
    // delivery retried through a database outage, or redelivered, spends no allowance.
    let now = OffsetDateTime::now_utc();
    // A gateway clock ahead of ours must not date posts in the future.
    let received_at = post.received_at.map_or(now, |at| at.min(now));
    limiters
        .post(&post.participant_id, received_at)
        .map_err(PostError::SlowDown)?;
    if let Some(ip) = &post.client_ip {
        limiters
            .post(&format!("ip:{ip}"), received_at)
            .map_err(PostError::SlowDown)?;
    }
    match room.state {
        RoomState::Closed => return Err(PostError::Closed),
        RoomState::Paused => return Err(PostError::Paused),
        RoomState::Open => {}
    }
    let nickname = Nickname::parse(&post.nickname)?;
    let body = MessageBody::parse(&post.body, room.max_length as usize)?;
    if muted {
        return Err(PostError::Muted);
    }
    let received_at = clock::to_db(received_at);
    check_slow_mode(conn, &room, &post.participant_id, received_at).await?;
    let tokens = serde_json::to_string(&parse_body(body.as_str())).map_err(anyhow::Error::from)?;
    let filtered = is_filtered(&room, nickname.as_str(), body.as_str());
    let pending = room.moderation == tm_core::event::Moderation::Approve || filtered;
    let seq = if pending {
        None
    } else {
        Some(event_log::next_seq(conn, &mut room).await?)
    };
    Reuse(
        diesel::insert_into(messages::table).values(NewMessage {
            room_id: room.id,
            seq,
            nickname: nickname.as_str(),
            participant_id: &post.participant_id,
            color: speaker_colors::speaker_color(&post.participant_id),
            body: body.as_str(),
            tokens: &tokens,
            kind: MessageKind::Post.stored_name(),
            source: None,
            external_id: None,
            source_url: None,
            client_id: client_id.as_deref(),
            state: if pending {
                MessageState::Pending
            } else {
                MessageState::Visible
            }
            .stored_name(),
            created_at: received_at,
        }),
    )
    .execute(conn)
    .await?;
    let row = last_inserted(conn).await?;
    if seq.is_some() {
        announce(conn, &room, &row).await?;
    }
    if filtered {
        record_hold(conn, &room, &row).await?;
    }
    Ok((Stored::Message(Box::new(view(&row, &room))), seq.is_some()))
}

/// Whether the room's word filter holds a post by `nickname` saying `body` for approval.
pub(crate) fn is_filtered(room: &RoomRow, nickname: &str, body: &str) -> bool {
    room.blocked_words.matches(body) || room.blocked_words.matches(nickname)
}

/// Notes in the audit log that the word filter held a message, so the owner sees why it waits.
pub(crate) async fn record_hold(
    conn: &mut AsyncMysqlConnection,
    room: &RoomRow,
    row: &MessageRow,
) -> Result<(), DbError> {
    super::moderation::audit_as(conn, room.id, WORD_FILTER_ACTOR, "hold", &format!("message:{}", row.id)).await
}

/// The audit log's actor for what the word filter does.
pub const WORD_FILTER_ACTOR: &str = "word_filter";

fn view(row: &MessageRow, room: &RoomRow) -> MessageView {
    super::messages::to_view(row, &room.slug)
}

/// Appends `message.created` for a message that just became visible.
pub(crate) async fn announce(conn: &mut AsyncMysqlConnection, room: &RoomRow, row: &MessageRow) -> Result<(), DbError> {
    let created = MessageCreated {
        room_id: room.id,
        message: to_message(row, &room.slug),
    };
    event_log::append(conn, Some(room.id), row.seq, created).await
}

/// The row this connection inserted last, read in the same statement that asks for its id.
pub(crate) async fn last_inserted(conn: &mut AsyncMysqlConnection) -> Result<MessageRow, DbError> {
    let last_id = diesel::dsl::sql::<diesel::sql_types::Unsigned<diesel::sql_types::BigInt>>("LAST_INSERT_ID()");
    Ok(Reuse(
        messages::table
            .filter(messages::id.eq(last_id))
            .select(MessageRow::as_select())
            .limit(1),
    )
    .get_result(conn)
    .await?)
}

/// The room, locked for the rest of the transaction, with what a post's checks need from other
/// tables, read in the same statement (one round trip instead of four): whether the poster is
/// muted, the message already stored under the post's `client_id` (a resend), and whether the
/// post's refusal is already in the event log (a redelivered queued post).
struct PostContext {
    room: RoomRow,
    muted: bool,
    resent: Option<u64>,
    refused: bool,
}

async fn lock_for_post(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    participant: &str,
    client_id: Option<&str>,
    refusal_envelope_id: Option<&str>,
) -> Result<Option<PostContext>, DbError> {
    // The subqueries read after the room's row is locked: a mute or a post of the same
    // `client_id` committed by a writer holding that lock before is seen.
    let muted = diesel::dsl::exists(
        mutes::table
            .filter(mutes::room_id.eq(room_id))
            .filter(mutes::participant_id.eq(participant)),
    );
    let resent = messages::table
        .filter(messages::room_id.eq(room_id))
        .filter(messages::client_id.eq(client_id))
        .select(messages::id)
        .limit(1)
        .single_value();
    // `= NULL` matches nothing: no refusal to look for.
    let refused =
        diesel::dsl::exists(room_events::table.filter(room_events::envelope_id.nullable().eq(refusal_envelope_id)));
    let found: Option<(RoomRow, bool, Option<u64>, bool)> = Reuse(
        rooms::table
            .find(room_id)
            .select((RoomRow::as_select(), muted, resent, refused))
            .for_update(),
    )
    .get_result(conn)
    .await
    .optional()?;
    Ok(found.map(|(room, muted, resent, refused)| PostContext {
        room,
        muted,
        resent,
        refused,
    }))
}

pub(crate) async fn is_muted(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    participant: &str,
) -> Result<bool, DbError> {
    let count: i64 = mutes::table
        .filter(mutes::room_id.eq(room_id))
        .filter(mutes::participant_id.eq(participant))
        .count()
        .get_result(conn)
        .await?;
    Ok(count > 0)
}

/// Slow mode: the participant's previous post must be at least `slow_mode_seconds` older than
/// this one, both dated when they were received.
async fn check_slow_mode(
    conn: &mut AsyncMysqlConnection,
    room: &RoomRow,
    participant: &str,
    received_at: time::PrimitiveDateTime,
) -> Result<(), PostError> {
    if room.slow_mode_seconds == 0 {
        return Ok(());
    }
    let last: Option<time::PrimitiveDateTime> = messages::table
        .filter(messages::room_id.eq(room.id))
        .filter(messages::participant_id.eq(participant))
        .select(diesel::dsl::max(messages::created_at))
        .first(conn)
        .await?;
    if let Some(last) = last {
        let next = last + time::Duration::seconds(i64::from(room.slow_mode_seconds));
        if next > received_at {
            let wait = (next - received_at).unsigned_abs();
            return Err(PostError::SlowDown(wait));
        }
    }
    Ok(())
}

/// The envelope id of the `post.rejected` event for one post: derived from the room and the
/// post's `client_id`, so recording the same refusal twice (a redelivery) stores it once.
pub(crate) fn rejection_envelope_id(room_id: RoomId, client_id: Uuid) -> Uuid {
    let digest = Sha256::new()
        .chain_update(b"post.rejected/")
        .chain_update(room_id.to_be_bytes())
        .chain_update(client_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// A refusal of a queued post, to be told to its poster.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub room_id: RoomId,
    pub client_id: Uuid,
    pub participant_id: String,
    pub code: PostRejectionCode,
    pub message: String,
}

impl Messages<'_> {
    /// Writes `post.rejected` through the outbox (the relay publishes it to the gateways, which
    /// tell the poster). Recording the same refusal again does nothing.
    #[tracing::instrument(skip_all, fields(room_id = refusal.room_id, client_id = %refusal.client_id, code = refusal.code.as_str()))]
    pub async fn reject_post(&self, refusal: Refusal) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let stored = conn
            .transaction::<_, DbError, _>(async move |conn| record_refusal(conn, refusal).await)
            .await?;
        if stored {
            self.events_committed();
        }
        Ok(())
    }
}

/// The order in which a batch's posts are stored: by room id, and within a room as they came.
/// Every batch locks its rooms in ascending order, so two batches never wait for each other in
/// a cycle (a deadlock). Posts whose room is unknown (`None`) come first.
fn lock_order(rooms: &[Option<RoomId>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rooms.len()).collect();
    order.sort_by_key(|&index| rooms[index]);
    order
}

/// Appends `post.rejected` unless this refusal is already logged; true if it appended.
async fn record_refusal(conn: &mut AsyncMysqlConnection, refusal: Refusal) -> Result<bool, DbError> {
    let envelope_id = rejection_envelope_id(refusal.room_id, refusal.client_id);
    let exists: i64 = room_events::table
        .filter(room_events::envelope_id.eq(envelope_id.to_string()))
        .count()
        .get_result(conn)
        .await?;
    if exists > 0 {
        return Ok(false);
    }
    // A room that no longer exists has no row to refer to (the event still names it).
    let room_row = event_log::lock_room(conn, refusal.room_id).await?.map(|r| r.id);
    let event = PostRejected {
        room_id: refusal.room_id,
        client_id: refusal.client_id,
        participant_id: refusal.participant_id,
        code: refusal.code,
        message: refusal.message,
    };
    event_log::append_with_id(conn, envelope_id, room_row, None, event).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::lock_order;

    #[test]
    fn a_batch_locks_its_rooms_in_ascending_order_and_keeps_each_rooms_posts_in_order() {
        assert_eq!(
            lock_order(&[Some(3), Some(1), Some(3), Some(2), Some(1)]),
            [1, 4, 3, 0, 2]
        );
        assert_eq!(lock_order(&[Some(2), None, Some(1)]), [1, 2, 0]);
        assert!(lock_order(&[]).is_empty());
    }
}
