//! Rooms: their API shapes, rules, errors and reads (writes are in `room_writes`). Names are
//! unique among open rooms (the `open_slug` unique key) and free again once a room closes.

use diesel::prelude::*;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tm_core::event::{CloseReason, Moderation, RoomId, RoomState};
use tm_core::keys::constant_time_eq;
use tm_core::{BlockedWordsError, Hashtag, ReactionSet, RoomSlug, ValidationError, HARD_MAX_BODY_CHARS};

use super::Rooms;
use super::{clock, from_diesel, secrets};
use crate::engine::db::models::RoomRow;
use crate::engine::db::schema::rooms;
use crate::engine::db::DbError;

pub const MAX_TOPIC_CHARS: usize = 200;
pub const MAX_HASHTAGS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MAX_SLOW_MODE_SECONDS: u32 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("the topic is at most {MAX_TOPIC_CHARS} characters, without control characters")]
    InvalidTopic,
    #[error("passwords are 1 to {MAX_PASSWORD_CHARS} characters")]
    InvalidPassword,
    #[error("max_length must be between 1 and {HARD_MAX_BODY_CHARS}")]
    InvalidMaxLength,
    #[error("slow_mode_seconds must be between 0 and {MAX_SLOW_MODE_SECONDS}")]
    InvalidSlowMode,
    #[error("a room follows at most {MAX_HASHTAGS} hashtags")]
    TooManyHashtags,
    #[error("{0}")]
    BlockedWords(#[from] BlockedWordsError),
    #[error("a room may only be set to open or paused; use /close to close it")]
    InvalidState,
    #[error("a room with this name is open")]
    NameTaken,
    #[error("too many rooms created from this address; try again in {0} s")]
    TooManyRooms(u64),
    #[error("no such room")]
    NotFound,
    #[error("this needs the room's owner token")]
    NotOwner,
    #[error("the room is closed")]
    Closed,
    #[error(transparent)]
    Db(DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
from_diesel!(RoomError);

impl From<DbError> for RoomError {
    fn from(err: DbError) -> Self {
        RoomError::Db(err)
    }
}

/// A room as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Room {
    pub id: RoomId,
    pub slug: String,
    pub url: String,
    pub topic: String,
    pub state: RoomState,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub seq: u64,
    pub hashtags: Vec<String>,
    pub max_length: u32,
    pub slow_mode_seconds: u32,
    pub moderation: Moderation,
    /// Live reactions: the emoji participants may send (section "Live reactions" below).
    pub reactions: ReactionSet,
    pub password_required: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Only on a closed room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<CloseReason>,
    /// The word filter, only in the owner's view ([`Rooms::owner_view`]): who reads the room
    /// without the owner token must not learn what is held back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_words: Option<Vec<String>>,
}

/// `POST /api/v1/rooms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    /// `a-z 0-9 -` (upper case is folded), no dash at either end or twice in a row, not a
    /// reserved name.
    pub name: String,
    pub lifetime: String,
    /// No control characters.
    pub topic: Option<String>,
    /// Each 1–100 letters, digits or `_` (`#` optional), not only digits.
    pub hashtags: Option<Vec<String>>,
    pub password: Option<String>,
    /// The longest message in characters (default 280).
    pub max_length: Option<u32>,
}

/// `PATCH /api/v1/rooms/{slug}`: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoom {
    /// No control characters.
    pub topic: Option<String>,
    /// `open` or `paused` (`closed` is refused with 422 `invalid_state`: use `/close`).
    pub state: Option<RoomState>,
    pub slow_mode_seconds: Option<u32>,
    pub moderation: Option<Moderation>,
    /// Each 1–100 letters, digits or `_` (`#` optional), not only digits.
    pub hashtags: Option<Vec<String>>,
    /// 1 to 8 different emoji, each a single emoji (422 `invalid_reactions`).
    pub reactions: Option<Vec<String>>,
    /// `2h`, `1d`, `1w`, `1m` or `1y`, as at creation: the room now closes this long from now
    /// (later or sooner than before).
    pub lifetime: Option<String>,
    /// The word filter: at most 100 words or phrases of at most 50 characters. Posts that match
    /// one are held for approval. Replaces the list; `[]` clears it.
    pub blocked_words: Option<Vec<String>>,
}

/// The answer to "may a new room take this name?".
#[derive(Debug, Clone, Serialize)]
pub struct NameCheck {
    /// The name as a room would have it (upper case folded).
    pub name: String,
    /// False while a room of that name is open or paused.
    pub available: bool,
}

/// A created room and its owner token (shown once).
#[derive(Debug, Serialize)]
pub struct CreatedRoom {
    pub owner_token: String,
    #[serde(flatten)]
    pub room: Room,
}

/// Who is acting on a room, by the token they presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The room's owner token.
    Owner,
    /// The site's admin API token: the owner of every room.
    Admin,
    /// A co-moderator's token ([`super::co_moderators`]): moderation, not the room itself.
    Moderator { id: u64, label: String },
}

/// What an operation on a room needs its caller to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Judge messages and people: delete, approve, reject, mute and unmute, answer and pin, read
    /// the approval queue and the audit log.
    Moderate,
    /// Run the room: its settings, pause and resume, close, polls, the owner token and the
    /// co-moderators.
    Manage,
}

impl Actor {
    /// Whether this actor may do what `capability` covers. The one place the roles differ.
    pub fn may(&self, capability: Capability) -> bool {
        match self {
            Actor::Owner | Actor::Admin => true,
            Actor::Moderator { .. } => capability == Capability::Moderate,
        }
    }

    /// How the audit log names the actor: `owner`, `admin`, or `moderator:<id> (<label>)`.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Owner => "owner".to_owned(),
            Actor::Admin => "admin".to_owned(),
            Actor::Moderator { id, label } => format!("moderator:{id} ({label})"),
        }
    }
}

pub(crate) fn parse_topic(topic: &str) -> Result<String, RoomError> {
    let topic = topic.trim();
    if topic.chars().count() > MAX_TOPIC_CHARS || tm_core::domain::has_forbidden_char(topic, false) {
        return Err(RoomError::InvalidTopic);
    }
    Ok(topic.to_owned())
}

pub(crate) fn parse_hashtags(tags: &[String]) -> Result<Vec<Hashtag>, RoomError> {
    let mut parsed = Vec::new();
    for tag in tags {
        let tag = Hashtag::parse(tag)?;
        if !parsed.contains(&tag) {
            parsed.push(tag);
        }
    }
    if parsed.len() > MAX_HASHTAGS {
        return Err(RoomError::TooManyHashtags);
    }
    Ok(parsed)
}

/// Hashtags as the events and the API carry them.
pub(crate) fn tag_names(tags: &[Hashtag]) -> Vec<String> {
    tags.iter().map(|tag| tag.as_str().to_owned()).collect()
}

// ---- Live reactions -------------------------------------------------------------------------
// The owner's set of reaction emoji. The counts are never stored: the gateways aggregate them.

/// An owner's new reaction set (422 `invalid_reactions` unless 1 to 8 different emoji).
pub(crate) fn parse_reactions(entries: &[String]) -> Result<ReactionSet, RoomError> {
    Ok(ReactionSet::parse(entries)?)
}

// ---- end of live reactions ----------------------------------------------------------------

/// Finds a room by slug: the open room of that name, else the latest closed one.
pub(crate) async fn find_by_slug(conn: &mut AsyncMysqlConnection, slug: &str) -> Result<Option<RoomRow>, DbError> {
    Ok(rooms::table
        .filter(rooms::slug.eq(slug))
        .order((rooms::open_slug.is_null().asc(), rooms::id.desc()))
        .select(RoomRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

impl Rooms<'_> {
    /// The API view of a row.
    pub fn view(&self, row: &RoomRow) -> Room {
        Room {
            id: row.id,
            slug: row.slug.clone(),
            url: format!("{}/r/{}", self.settings.http.public_url.trim_end_matches('/'), row.slug),
            topic: row.topic.clone(),
            state: row.state,
            expires_at: clock::from_db(row.expires_at),
            seq: row.seq,
            hashtags: tag_names(&row.hashtags),
            max_length: row.max_length,
            slow_mode_seconds: row.slow_mode_seconds,
            moderation: row.moderation,
            reactions: row.reactions.clone(),
            password_required: row.password_hash.is_some(),
            created_at: clock::from_db(row.created_at),
            close_reason: row.close_reason,
            blocked_words: None,
        }
    }

    /// The view for the room's owner (or an admin): the public view and the word filter.
    pub fn owner_view(&self, row: &RoomRow) -> Room {
        Room {
            blocked_words: Some(row.blocked_words.entries()),
            ..self.view(row)
        }
    }

    /// Whether the bearer token is the room's owner token or the admin token: the credentials
    /// that hold every [`Capability`] (and, unlike a co-moderator's, open a password room to
    /// their holder). Both comparisons take the same time wherever the strings differ (the admin
    /// token's is of SHA-256 digests, so not even its length shows), so response times reveal
    /// nothing about either token. [`Rooms::permit`] also knows co-moderators.
    pub fn authorize(&self, row: &RoomRow, bearer: Option<&str>) -> Option<Actor> {
        let token = bearer?;
        let admin = self.settings.admin.api_token.expose();
        let token_hash = secrets::sha256_hex(token);
        if !admin.is_empty() && constant_time_eq(token_hash.as_bytes(), secrets::sha256_hex(admin).as_bytes()) {
            return Some(Actor::Admin);
        }
        constant_time_eq(token_hash.as_bytes(), row.owner_token_hash.as_bytes()).then_some(Actor::Owner)
    }

    /// Who the bearer token makes the caller in `row`: the owner or an admin
    /// ([`Rooms::authorize`]), else one of the room's co-moderators whose token it is and who
    /// is not revoked. Takes a pooled connection only for that last lookup.
    pub async fn actor(&self, row: &RoomRow, bearer: Option<&str>) -> Result<Option<Actor>, DbError> {
        if let Some(actor) = self.rooms().authorize(row, bearer) {
            return Ok(Some(actor));
        }
        if bearer.is_none() {
            return Ok(None);
        }
        let mut conn = self.conn().await?;
        self.rooms().actor_on(&mut conn, row, bearer).await
    }

    /// [`Rooms::actor`] on a connection the caller already holds: taking a second one from the
    /// pool while holding one could wait until the timeout when every worker does the same.
    pub(crate) async fn actor_on(
        &self,
        conn: &mut AsyncMysqlConnection,
        row: &RoomRow,
        bearer: Option<&str>,
    ) -> Result<Option<Actor>, DbError> {
        if let Some(actor) = self.rooms().authorize(row, bearer) {
            return Ok(Some(actor));
        }
        let Some(token) = bearer else { return Ok(None) };
        let moderator = super::co_moderators::find_by_token(conn, row.id, token).await?;
        Ok(moderator.map(|m| Actor::Moderator {
            id: m.id,
            label: m.label,
        }))
    }

    /// The caller, if the bearer token allows `capability` in `row`; `None` otherwise (no
    /// token, a token of nobody, or a co-moderator asking to manage the room). Every operation
    /// that needs more than a join token asks here (or [`Rooms::permit_on`]).
    pub async fn permit(
        &self,
        row: &RoomRow,
        bearer: Option<&str>,
        capability: Capability,
    ) -> Result<Option<Actor>, DbError> {
        Ok(self
            .rooms()
            .actor(row, bearer)
            .await?
            .filter(|actor| actor.may(capability)))
    }

    /// [`Rooms::permit`] on a connection the caller already holds.
    pub(crate) async fn permit_on(
        &self,
        conn: &mut AsyncMysqlConnection,
        row: &RoomRow,
        bearer: Option<&str>,
        capability: Capability,
    ) -> Result<Option<Actor>, DbError> {
        Ok(self
            .rooms()
            .actor_on(conn, row, bearer)
            .await?
            .filter(|actor| actor.may(capability)))
    }

    /// The room a slug names (open first, else the latest closed one).
    pub async fn find(&self, slug: &str) -> Result<RoomRow, RoomError> {
        let mut conn = self.conn().await?;
        find_by_slug(&mut conn, slug).await?.ok_or(RoomError::NotFound)
    }

    /// The latest rooms, open or closed, newest first (the admin's overview).
    pub async fn recent(&self) -> Result<Vec<RoomRow>, DbError> {
        let mut conn = self.conn().await?;
        Ok(rooms::table
            .order(rooms::id.desc())
            .limit(500)
            .select(RoomRow::as_select())
            .load(&mut conn)
            .await?)
    }

    /// Whether a new room may take `name` now: the name's rules (as at creation, reserved
    /// names included), and no open room of that name (a closed room's name is free again).
    pub async fn name_check(&self, name: &str) -> Result<NameCheck, RoomError> {
        let slug = RoomSlug::parse(name)?;
        let open = self.rooms().name_is_open(&slug).await?;
        Ok(NameCheck {
            name: slug.as_str().to_owned(),
            available: !open,
        })
    }

    /// Whether an open (or paused) room has this name: `rooms.open_slug`, NULL once closed.
    pub(crate) async fn name_is_open(&self, slug: &RoomSlug) -> Result<bool, DbError> {
        let open: i64 = rooms::table
            .filter(rooms::open_slug.eq(slug.as_str()))
            .count()
            .get_result(&mut self.conn().await?)
            .await?;
        Ok(open > 0)
    }

    /// The room as `bearer` may see it: the owner's view for the owner token (or the admin
    /// token), the public view for anyone else.
    pub async fn get(&self, slug: &str, bearer: Option<&str>) -> Result<Room, RoomError> {
        let row = self.rooms().find(slug).await?;
        Ok(match self.rooms().authorize(&row, bearer) {
            Some(_) => self.rooms().owner_view(&row),
            None => self.rooms().view(&row),
        })
    }
}
