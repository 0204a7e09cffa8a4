//! Room writes: create, update and close, each one transaction that appends its events.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tm_core::event::{CloseReason, Moderation, RoomClosed, RoomId, RoomState, RoomUpdated, SourcesChanged};
use tm_core::{BlockedWords, Lifetime, RoomSlug, DEFAULT_MAX_BODY_CHARS, HARD_MAX_BODY_CHARS};

use super::db::columns::{blocked_words_json, hashtags_json, reactions_json, StoredName};
use super::rooms::{
    parse_hashtags, parse_reactions, parse_topic, tag_names, Actor, Capability, CreateRoom, CreatedRoom, Room,
    RoomError, UpdateRoom, MAX_PASSWORD_CHARS, MAX_SLOW_MODE_SECONDS,
};
use super::Rooms;
use super::{clock, event_log, secrets};
use crate::engine::db::models::{NewRoom, RoomRow};
use crate::engine::db::schema::rooms;

/// The answer to a rotation: the new owner token, shown only this once.
#[derive(Debug, serde::Serialize)]
pub struct RotatedOwnerToken {
    pub owner_token: String,
}

impl Rooms<'_> {
    /// Who may change `row` with this bearer token: the owner or an admin (a co-moderator's
    /// token is refused like any other, with `not_owner`).
    async fn manager(&self, row: &RoomRow, bearer: Option<&str>) -> Result<Actor, RoomError> {
        self.rooms()
            .permit(row, bearer, Capability::Manage)
            .await?
            .ok_or(RoomError::NotOwner)
    }

    /// Creates a room for a client at `client_ip`. The cheap checks come first (validation,
    /// the address's creation limit, the name), the argon2 hash of a password last.
    #[tracing::instrument(skip_all, fields(name = %req.name))]
    pub async fn create(&self, req: CreateRoom, client_ip: &str) -> Result<CreatedRoom, RoomError> {
        let slug = RoomSlug::parse(&req.name)?;
        let lifetime = Lifetime::parse(&req.lifetime)?;
        let topic = parse_topic(req.topic.as_deref().unwrap_or(""))?;
        let hashtags = parse_hashtags(req.hashtags.as_deref().unwrap_or(&[]))?;
        let max_length = req.max_length.unwrap_or(DEFAULT_MAX_BODY_CHARS as u32);
        if max_length == 0 || max_length as usize > HARD_MAX_BODY_CHARS {
            return Err(RoomError::InvalidMaxLength);
        }
        let password = req.password.filter(|p| !p.is_empty());
        if password
            .as_ref()
            .is_some_and(|p| p.chars().count() > MAX_PASSWORD_CHARS)
        {
            return Err(RoomError::InvalidPassword);
        }
        self.limiters
            .room_creation(client_ip)
            .map_err(|wait| RoomError::TooManyRooms(wait.as_secs().max(1)))?;
        // Taken names are refused before the password costs a hash (the insert below still
        // catches a race with another creation of the same name).
        if self.rooms().name_is_open(&slug).await? {
            return Err(RoomError::NameTaken);
        }
        let password_hash = match password {
            None => None,
            Some(p) => Some(self.passwords.hash(p).await.map_err(anyhow::Error::msg)?),
        };
        let (owner_token, token_hash) = secrets::new_owner_token();
        let now = clock::now();
        let expires_at = now + lifetime.duration();
        let tags_json = hashtags_json(&hashtags);
        let reactions = reactions_json(&tm_core::ReactionSet::default());
        let mut conn = self.conn().await?;
        let row = conn
            .transaction::<_, RoomError, _>(async move |conn| {
                let inserted = diesel::insert_into(rooms::table)
                    .values(NewRoom {
                        slug: slug.as_str(),
                        open_slug: Some(slug.as_str()),
                        topic: &topic,
                        state: RoomState::Open.stored_name(),
                        expires_at,
                        max_length,
                        slow_mode_seconds: 0,
                        moderation: Moderation::Post.stored_name(),
                        password_hash: password_hash.as_deref(),
                        owner_token_hash: &token_hash,
                        hashtags: &tags_json,
                        reactions: &reactions,
                        seq: 0,
                        created_at: now,
                    })
                    .execute(conn)
                    .await;
                match inserted {
                    Err(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    )) => return Err(RoomError::NameTaken),
                    other => other?,
                };
                let row = rooms::table
                    .filter(rooms::open_slug.eq(slug.as_str()))
                    .select(RoomRow::as_select())
                    .first(conn)
                    .await?;
                if !hashtags.is_empty() {
                    let changed = SourcesChanged {
                        room_id: row.id,
                        hashtags: tag_names(&hashtags),
                    };
                    event_log::append(conn, Some(row.id), None, changed).await?;
                }
                Ok(row)
            })
            .await?;
        if !row.hashtags.is_empty() {
            self.events_committed();
        }
        tracing::info!(room_id = row.id, slug = %row.slug, "room created");
        Ok(CreatedRoom {
            owner_token,
            room: self.rooms().owner_view(&row),
        })
    }

    /// Applies an owner's changes; emits `room.updated` and/or `sources.changed`. A new
    /// lifetime moves the closing time (the sweeper closes the room then); it emits nothing.
    /// Nor does the word filter, which is private to the owner.
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    pub async fn update(&self, slug: &str, bearer: Option<&str>, req: UpdateRoom) -> Result<Room, RoomError> {
        let found = self.rooms().find(slug).await?;
        let actor = self.rooms().manager(&found, bearer).await?;
        let topic = req.topic.as_deref().map(parse_topic).transpose()?;
        let hashtags = req.hashtags.as_deref().map(parse_hashtags).transpose()?;
        let reactions = req.reactions.as_deref().map(parse_reactions).transpose()?;
        let blocked_words = req.blocked_words.as_deref().map(BlockedWords::parse).transpose()?;
        if matches!(req.state, Some(RoomState::Closed)) {
            return Err(RoomError::InvalidState);
        }
        if req.slow_mode_seconds.is_some_and(|s| s > MAX_SLOW_MODE_SECONDS) {
            return Err(RoomError::InvalidSlowMode);
        }
        let lifetime = req.lifetime.as_deref().map(Lifetime::parse).transpose()?;
        let mut conn = self.conn().await?;
        let (row, emitted) = conn
            .transaction::<_, RoomError, _>(async move |conn| {
                let mut room = event_log::lock_room(conn, found.id).await?.ok_or(RoomError::NotFound)?;
                if room.state == RoomState::Closed {
                    return Err(RoomError::Closed);
                }
                let mut audit: Vec<(&str, String)> = Vec::new();
                if let Some(topic) = topic.filter(|t| *t != room.topic) {
                    audit.push(("set_topic", topic.clone()));
                    room.topic = topic;
                }
                if let Some(state) = req.state.filter(|s| *s != room.state) {
                    audit.push((
                        if state == RoomState::Paused { "pause" } else { "resume" },
                        String::new(),
                    ));
                    room.state = state;
                }
                if let Some(secs) = req.slow_mode_seconds.filter(|s| *s != room.slow_mode_seconds) {
                    audit.push(("slow_mode", secs.to_string()));
                    room.slow_mode_seconds = secs;
                }
                if let Some(m) = req.moderation.filter(|m| *m != room.moderation) {
                    audit.push(("moderation", m.stored_name().to_owned()));
                    room.moderation = m;
                }
                if let Some(set) = reactions.filter(|set| *set != room.reactions) {
                    audit.push(("set_reactions", set.to_strings().join(" ")));
                    room.reactions = set;
                }
                // What `room.updated` carries changed (the closing time is not in it).
                let room_changed = !audit.is_empty();
                if let Some(lifetime) = lifetime {
                    room.expires_at = clock::now() + lifetime.duration();
                    let expires_at = clock::from_db(room.expires_at)
                        .format(&time::format_description::well_known::Rfc3339)
                        .map_err(anyhow::Error::from)?;
                    audit.push(("set_lifetime", format!("{} until {expires_at}", lifetime.as_str())));
                }
                let tags_changed = hashtags.as_ref().is_some_and(|t| *t != room.hashtags);
                if let Some(tags) = hashtags.filter(|_| tags_changed) {
                    audit.push(("set_hashtags", tag_names(&tags).join(" ")));
                    room.hashtags = tags;
                }
                if let Some(words) = blocked_words.filter(|w| *w != room.blocked_words) {
                    // The count, not the words: a list of up to 100 entries does not fit the
                    // log's target column, and the owner's view of the room shows the list.
                    audit.push(("set_blocked_words", format!("{} entries", words.len())));
                    room.blocked_words = words;
                }
                diesel::update(rooms::table.find(room.id))
                    .set((
                        rooms::topic.eq(&room.topic),
                        rooms::state.eq(room.state.stored_name()),
                        rooms::slow_mode_seconds.eq(room.slow_mode_seconds),
                        rooms::moderation.eq(room.moderation.stored_name()),
                        rooms::hashtags.eq(hashtags_json(&room.hashtags)),
                        rooms::reactions.eq(reactions_json(&room.reactions)),
                        rooms::expires_at.eq(room.expires_at),
                        rooms::blocked_words.eq(blocked_words_json(&room.blocked_words)),
                    ))
                    .execute(conn)
                    .await?;
                if room_changed {
                    let seq = event_log::next_seq(conn, &mut room).await?;
                    let updated = RoomUpdated {
                        room_id: room.id,
                        seq,
                        topic: room.topic.clone(),
                        state: room.state,
                        slow_mode_seconds: room.slow_mode_seconds,
                        moderation: room.moderation,
                        reactions: room.reactions.to_strings(),
                    };
                    event_log::append(conn, Some(room.id), Some(seq), updated).await?;
                }
                if tags_changed {
                    let changed = SourcesChanged {
                        room_id: room.id,
                        hashtags: tag_names(&room.hashtags),
                    };
                    event_log::append(conn, Some(room.id), None, changed).await?;
                }
                for (action, target) in &audit {
                    super::moderation::audit(conn, room.id, &actor, action, target).await?;
                }
                Ok((room, room_changed || tags_changed))
            })
            .await?;
        if emitted {
            self.events_committed();
        }
        Ok(self.rooms().owner_view(&row))
    }

    /// Replaces the room's owner token (owner or admin): the old token stops working at once
    /// (API, owner page, owner cookies). The new token is returned once, like at creation.
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    pub async fn rotate_owner_token(&self, slug: &str, bearer: Option<&str>) -> Result<RotatedOwnerToken, RoomError> {
        let found = self.rooms().find(slug).await?;
        let actor = self.rooms().manager(&found, bearer).await?;
        let (owner_token, token_hash) = secrets::new_owner_token();
        let mut conn = self.conn().await?;
        conn.transaction::<_, RoomError, _>(async move |conn| {
            let room = event_log::lock_room(conn, found.id).await?.ok_or(RoomError::NotFound)?;
            // The token checked above must still be the room's: two rotations racing with the
            // same old token must not both succeed.
            if room.owner_token_hash != found.owner_token_hash {
                return Err(RoomError::NotOwner);
            }
            diesel::update(rooms::table.find(room.id))
                .set(rooms::owner_token_hash.eq(&token_hash))
                .execute(conn)
                .await?;
            super::moderation::audit(conn, room.id, &actor, "rotate_owner_token", "").await?;
            Ok(())
        })
        .await?;
        tracing::info!(room_id = found.id, "owner token rotated");
        Ok(RotatedOwnerToken { owner_token })
    }

    /// Closes a room by its owner (or an admin). Closing a closed room changes nothing.
    pub async fn close_as(&self, slug: &str, bearer: Option<&str>) -> Result<Room, RoomError> {
        let found = self.rooms().find(slug).await?;
        let actor = self.rooms().manager(&found, bearer).await?;
        let reason = if actor == Actor::Admin {
            CloseReason::Admin
        } else {
            CloseReason::Owner
        };
        let row = self.rooms().close(found.id, reason, &actor.audit_name()).await?;
        Ok(self.rooms().owner_view(&row))
    }

    /// Closes a room: frees its name, emits `room.closed` (and `sources.changed` with no tags).
    #[tracing::instrument(skip(self))]
    pub async fn close(&self, id: RoomId, reason: CloseReason, actor: &str) -> Result<RoomRow, RoomError> {
        let mut conn = self.conn().await?;
        let actor = actor.to_owned();
        let (row, emitted) = conn
            .transaction::<_, RoomError, _>(async move |conn| {
                let mut room = event_log::lock_room(conn, id).await?.ok_or(RoomError::NotFound)?;
                if room.state == RoomState::Closed {
                    return Ok((room, false));
                }
                let now = clock::now();
                room.state = RoomState::Closed;
                room.open_slug = None;
                room.closed_at = Some(now);
                room.close_reason = Some(reason);
                diesel::update(rooms::table.find(room.id))
                    .set((
                        rooms::state.eq(RoomState::Closed.stored_name()),
                        rooms::open_slug.eq(None::<String>),
                        rooms::closed_at.eq(now),
                        rooms::close_reason.eq(reason.stored_name()),
                    ))
                    .execute(conn)
                    .await?;
                let seq = event_log::next_seq(conn, &mut room).await?;
                event_log::append(
                    conn,
                    Some(room.id),
                    Some(seq),
                    RoomClosed {
                        room_id: room.id,
                        seq,
                        reason,
                    },
                )
                .await?;
                if !room.hashtags.is_empty() {
                    let changed = SourcesChanged {
                        room_id: room.id,
                        hashtags: Vec::new(),
                    };
                    event_log::append(conn, Some(room.id), None, changed).await?;
                }
                super::moderation::audit_as(conn, room.id, &actor, "close", reason.stored_name()).await?;
                Ok((room, true))
            })
            .await?;
        if emitted {
            self.events_committed();
            tracing::info!(room_id = row.id, slug = %row.slug, reason = reason.stored_name(), "room closed");
        }
        Ok(row)
    }
}
