//! Polls: the owner opens a single- or multiple-choice question with 2 to 10 options,
//! participants vote and may change their vote, the owner closes it. docs/protocol.md, "Q&A,
//! polls and the fallback transport".
//!
//! A participant's ballot is their set of options (`poll_votes`); voting again replaces it. A
//! ballot locks its poll's row, so ballots on one poll queue rather than deadlock, and keeps
//! the option counts and `voters` exact in the same transaction. Its `poll.updated` is
//! coalesced ([`super::updates`]); opening and closing take the room's lock and append their
//! event at once.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Unsigned};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use tm_core::domain::has_forbidden_char;
use tm_core::event::{Poll, PollClosed, PollEvent, PollOpened, PollOption, PollState, RoomId, RoomState, POLL_OPTIONS};

use super::access::AccessError;
use super::db::columns::{Named, StoredName};
use super::moderation::audit;
use super::rooms::find_by_slug;
use super::updates::{self, Subject};
use super::{clock, event_log, from_diesel, Polls};
use crate::engine::db::models::RoomRow;
use crate::engine::db::schema::{poll_options, poll_votes, polls};
use crate::engine::db::DbError;

/// Longest question and option text, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_OPTION_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("no such poll in this room")]
    PollNotFound,
    #[error("this needs the room's owner token")]
    NotOwner,
    #[error("the room is closed")]
    RoomClosed,
    #[error("the poll is closed")]
    PollClosed,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("this poll takes one option")]
    SingleChoice,
    #[error("an option id is not one of this poll's")]
    UnknownOption,
    #[error(transparent)]
    Db(#[from] DbError),
}
from_diesel!(PollError);

/// `POST /api/v1/rooms/{slug}/polls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    pub question: String,
    pub options: Vec<String>,
    #[serde(default)]
    pub multiple: bool,
}

/// `POST /api/v1/rooms/{slug}/polls/{id}/votes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// Option ids; voting again replaces the caller's earlier choice.
    pub options: Vec<u64>,
}

#[derive(Debug, Serialize)]
pub struct PollList {
    /// Newest first.
    pub polls: Vec<Poll>,
}

impl NewPoll {
    /// Trimmed, checked text: a question and 2 to 10 distinct options.
    fn validated(&self) -> Result<(String, Vec<String>), PollError> {
        let question = self.question.trim();
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(PollError::Invalid("the question is 1 to 500 characters"));
        }
        if has_forbidden_char(question, false) {
            return Err(PollError::Invalid("the question has control or invisible characters"));
        }
        if !POLL_OPTIONS.contains(&self.options.len()) {
            return Err(PollError::Invalid("a poll has 2 to 10 options"));
        }
        let mut options = Vec::with_capacity(self.options.len());
        for option in &self.options {
            let option = option.trim();
            if option.is_empty() || option.chars().count() > MAX_OPTION_CHARS {
                return Err(PollError::Invalid("each option is 1 to 200 characters"));
            }
            if has_forbidden_char(option, false) {
                return Err(PollError::Invalid("an option has control or invisible characters"));
            }
            if options
                .iter()
                .any(|o: &String| o.to_lowercase() == option.to_lowercase())
            {
                return Err(PollError::Invalid("the options must differ"));
            }
            options.push(option.to_owned());
        }
        Ok((question.to_owned(), options))
    }
}

impl Polls<'_> {
    /// The owner opens a poll: `poll.opened`.
    #[tracing::instrument(skip(self, bearer, poll))]
    pub async fn open(&self, slug: &str, bearer: Option<&str>, poll: NewPoll) -> Result<Poll, PollError> {
        let (question, options) = poll.validated()?;
        let multiple = poll.multiple;
        let (room_id, actor) = self.owned_room(slug, bearer).await?;
        let mut conn = self.conn().await?;
        let poll = conn
            .transaction::<_, PollError, _>(async move |conn| {
                let mut room = locked_open_room(conn, room_id).await?;
                let now = clock::now();
                diesel::insert_into(polls::table)
                    .values((
                        polls::room_id.eq(room_id),
                        polls::question.eq(&question),
                        polls::multiple.eq(multiple),
                        polls::state.eq(PollState::Open.stored_name()),
                        polls::created_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                let id: u64 = diesel::select(diesel::dsl::sql::<Unsigned<BigInt>>("LAST_INSERT_ID()"))
                    .first(conn)
                    .await?;
                let rows: Vec<_> = options
                    .iter()
                    .enumerate()
                    .map(|(position, text)| {
                        (
                            poll_options::poll_id.eq(id),
                            poll_options::position.eq(u32::try_from(position).unwrap_or(u32::MAX)),
                            poll_options::text.eq(text),
                        )
                    })
                    .collect();
                diesel::insert_into(poll_options::table)
                    .values(rows)
                    .execute(conn)
                    .await?;
                let poll = load(conn, room_id, id).await?.ok_or(PollError::PollNotFound)?;
                let seq = event_log::next_seq(conn, &mut room).await?;
                let event = PollOpened(PollEvent {
                    room_id,
                    seq,
                    poll: poll.clone(),
                });
                event_log::append(conn, Some(room_id), Some(seq), event).await?;
                audit(conn, room_id, &actor, "poll_open", &format!("poll:{id}")).await?;
                Ok(poll)
            })
            .await?;
        self.events_committed();
        Ok(poll)
    }

    /// The room's polls, newest first (anyone who may read the room).
    pub async fn list(&self, slug: &str, bearer: Option<&str>) -> Result<PollList, PollError> {
        let room = self.access().readable_room(slug, bearer).await?;
        self.polls().list_in(&room).await
    }

    /// The polls of a room already looked up (and its access checked), newest first.
    pub async fn list_in(&self, room: &RoomRow) -> Result<PollList, PollError> {
        let mut conn = self.conn().await?;
        let ids: Vec<u64> = polls::table
            .filter(polls::room_id.eq(room.id))
            .order(polls::id.desc())
            .select(polls::id)
            .limit(100)
            .load(&mut conn)
            .await?;
        let mut polls = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(poll) = load(&mut conn, room.id, id).await? {
                polls.push(poll);
            }
        }
        Ok(PollList { polls })
    }

    /// A participant's ballot, replacing their earlier one. Answers the poll as committed.
    #[tracing::instrument(skip(self, bearer, ballot))]
    pub async fn vote(&self, slug: &str, bearer: Option<&str>, id: u64, ballot: Ballot) -> Result<Poll, PollError> {
        let room = self.rooms().find(slug).await.map_err(AccessError::from)?;
        let voter = self.access().voter(&room, bearer)?;
        let chosen: BTreeSet<u64> = ballot.options.into_iter().collect();
        if chosen.is_empty() {
            return Err(PollError::Invalid("choose at least one option"));
        }
        let room_id = room.id;
        let room_closed = room.state == RoomState::Closed;
        let mut conn = self.conn().await?;
        conn.transaction::<_, PollError, _>(async move |conn| {
            // The poll's row lock orders ballots on it: the counts read here are current, so the
            // answer is computed from them instead of read back.
            let mut poll = read(conn, room_id, id, Lock::ForUpdate)
                .await?
                .ok_or(PollError::PollNotFound)?;
            if room_closed || poll.state != PollState::Open {
                return Err(PollError::PollClosed);
            }
            if !poll.multiple && chosen.len() > 1 {
                return Err(PollError::SingleChoice);
            }
            if !chosen.iter().all(|c| poll.options.iter().any(|o| o.id == *c)) {
                return Err(PollError::UnknownOption);
            }
            let before: BTreeSet<u64> = poll_votes::table
                .filter(poll_votes::poll_id.eq(id))
                .filter(poll_votes::participant_id.eq(&voter))
                .select(poll_votes::option_id)
                .load::<u64>(conn)
                .await?
                .into_iter()
                .collect();
            if before != chosen {
                replace_ballot(conn, id, &voter, &before, &chosen).await?;
                updates::mark_pending(conn, room_id, Subject::Poll, id).await?;
                for option in &mut poll.options {
                    if before.contains(&option.id) && !chosen.contains(&option.id) {
                        option.votes = option.votes.saturating_sub(1);
                    } else if chosen.contains(&option.id) && !before.contains(&option.id) {
                        option.votes = option.votes.saturating_add(1);
                    }
                }
                if before.is_empty() {
                    poll.voters = poll.voters.saturating_add(1);
                }
            }
            Ok(poll)
        })
        .await
    }

    /// The owner closes a poll: `poll.closed` with the final counts. Closing twice changes
    /// nothing.
    #[tracing::instrument(skip(self, bearer))]
    pub async fn close(&self, slug: &str, bearer: Option<&str>, id: u64) -> Result<Poll, PollError> {
        let (room_id, actor) = self.owned_room(slug, bearer).await?;
        let mut conn = self.conn().await?;
        let (poll, emitted) = conn
            .transaction::<_, PollError, _>(async move |conn| {
                let mut room = event_log::lock_room(conn, room_id)
                    .await?
                    .ok_or(AccessError::NotFound)?;
                let poll = load(conn, room_id, id).await?.ok_or(PollError::PollNotFound)?;
                if poll.state == PollState::Closed || room.state == RoomState::Closed {
                    return Ok((poll, false));
                }
                diesel::update(polls::table.find(id))
                    .set((
                        polls::state.eq(PollState::Closed.stored_name()),
                        polls::closed_at.eq(Some(clock::now())),
                    ))
                    .execute(conn)
                    .await?;
                let poll = Poll {
                    state: PollState::Closed,
                    ..poll
                };
                let seq = event_log::next_seq(conn, &mut room).await?;
                let event = PollClosed(PollEvent {
                    room_id,
                    seq,
                    poll: poll.clone(),
                });
                event_log::append(conn, Some(room_id), Some(seq), event).await?;
                audit(conn, room_id, &actor, "poll_close", &format!("poll:{id}")).await?;
                Ok((poll, true))
            })
            .await?;
        if emitted {
            self.events_committed();
        }
        Ok(poll)
    }

    async fn owned_room(&self, slug: &str, bearer: Option<&str>) -> Result<(RoomId, super::rooms::Actor), PollError> {
        let mut conn = self.conn().await?;
        let room = find_by_slug(&mut conn, slug).await?.ok_or(AccessError::NotFound)?;
        let actor = self
            .rooms()
            .permit_on(&mut conn, &room, bearer, super::rooms::Capability::Manage)
            .await?
            .ok_or(PollError::NotOwner)?;
        Ok((room.id, actor))
    }
}

/// The room's row, locked, if it still takes new polls.
async fn locked_open_room(conn: &mut AsyncMysqlConnection, room_id: RoomId) -> Result<RoomRow, PollError> {
    let room = event_log::lock_room(conn, room_id)
        .await?
        .ok_or(AccessError::NotFound)?;
    if room.state == RoomState::Closed {
        return Err(PollError::RoomClosed);
    }
    Ok(room)
}

/// Swaps a participant's ballot from `before` to `after`, keeping the counts exact.
async fn replace_ballot(
    conn: &mut AsyncMysqlConnection,
    poll_id: u64,
    voter: &str,
    before: &BTreeSet<u64>,
    after: &BTreeSet<u64>,
) -> Result<(), DbError> {
    let dropped: Vec<u64> = before.difference(after).copied().collect();
    let added: Vec<u64> = after.difference(before).copied().collect();
    if !dropped.is_empty() {
        diesel::delete(
            poll_votes::table
                .filter(poll_votes::poll_id.eq(poll_id))
                .filter(poll_votes::participant_id.eq(voter))
                .filter(poll_votes::option_id.eq_any(&dropped)),
        )
        .execute(conn)
        .await?;
        diesel::update(poll_options::table.filter(poll_options::id.eq_any(&dropped)))
            .set(poll_options::votes.eq(poll_options::votes - 1))
            .execute(conn)
            .await?;
    }
    if !added.is_empty() {
        let now = clock::now();
        let rows: Vec<_> = added
            .iter()
            .map(|option| {
                (
                    poll_votes::poll_id.eq(poll_id),
                    poll_votes::participant_id.eq(voter),
                    poll_votes::option_id.eq(*option),
                    poll_votes::created_at.eq(now),
                )
            })
            .collect();
        diesel::insert_into(poll_votes::table)
            .values(rows)
            .execute(conn)
            .await?;
        diesel::update(poll_options::table.filter(poll_options::id.eq_any(&added)))
            .set(poll_options::votes.eq(poll_options::votes + 1))
            .execute(conn)
            .await?;
    }
    if before.is_empty() && !after.is_empty() {
        diesel::update(polls::table.find(poll_id))
            .set(polls::voters.eq(polls::voters + 1))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Whether reading a poll locks its row (a ballot) or not (everyone else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    None,
    ForUpdate,
}

/// A poll of a room with its options in order, read without locking.
pub(crate) async fn load(conn: &mut AsyncMysqlConnection, room_id: RoomId, id: u64) -> Result<Option<Poll>, DbError> {
    read(conn, room_id, id, Lock::None).await
}

async fn read(conn: &mut AsyncMysqlConnection, room_id: RoomId, id: u64, lock: Lock) -> Result<Option<Poll>, DbError> {
    type PollColumns = (u64, String, bool, Named<PollState>, u32, time::PrimitiveDateTime);
    let query = polls::table
        .filter(polls::id.eq(id))
        .filter(polls::room_id.eq(room_id))
        .select((
            polls::id,
            polls::question,
            polls::multiple,
            polls::state,
            polls::voters,
            polls::created_at,
        ));
    let row: Option<PollColumns> = match lock {
        Lock::None => query.first(conn).await.optional()?,
        Lock::ForUpdate => query.for_update().first(conn).await.optional()?,
    };
    let Some((id, question, multiple, state, voters, created_at)) = row else {
        return Ok(None);
    };
    let options: Vec<(u64, String, u32)> = poll_options::table
        .filter(poll_options::poll_id.eq(id))
        .order(poll_options::position.asc())
        .select((poll_options::id, poll_options::text, poll_options::votes))
        .load(conn)
        .await?;
    Ok(Some(Poll {
        id,
        question,
        options: options
            .into_iter()
            .map(|(id, text, votes)| PollOption { id, text, votes })
            .collect(),
        multiple,
        state: state.try_into().unwrap_or_else(|never| match never {}),
        voters,
        created_at: clock::from_db(created_at),
    }))
}
