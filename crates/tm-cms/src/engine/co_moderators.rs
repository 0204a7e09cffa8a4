//! Co-moderators: people the owner lets moderate a room without giving away the owner token.
//!
//! The owner (or an admin) creates one, with a label that names them in the audit log; each has
//! a token of its own, shown once (in a link, `/r/{slug}/moderate#<token>`) and stored as a
//! SHA-256 hash, like the owner token. A co-moderator's token holds
//! [`Capability::Moderate`](super::rooms::Capability) and nothing else ([`super::rooms::Actor`]
//! says so in one place). Revoking sets `revoked_at`: the token is refused from the next request
//! on (every request looks it up).
//!
//! A token is found by its hash through a unique index. That lookup is not constant-time, and
//! need not be: the hash of a guess says nothing about how close the guess is to a token.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tm_core::event::{RoomId, RoomState};

use super::db::models::{ModeratorRow, RoomRow};
use super::db::schema::moderators;
use super::moderation::audit;
use super::rooms::{find_by_slug, Actor, Capability};
use super::{clock, event_log, from_diesel, secrets, CoModerators};
use crate::engine::db::DbError;

/// Active co-moderators a room may have at once.
pub const MAX_MODERATORS: i64 = 20;
/// The longest label, in characters (the audit log's actor column holds `moderator:<id> (<label>)`).
pub const MAX_LABEL_CHARS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum CoModeratorError {
    #[error("no such room")]
    RoomNotFound,
    #[error("this needs the room's owner token")]
    NotOwner,
    #[error("the room is closed")]
    Closed,
    #[error("labels are at most {MAX_LABEL_CHARS} characters, without control or invisible characters")]
    InvalidLabel,
    #[error("a room has at most {MAX_MODERATORS} moderators at once; revoke one first")]
    TooMany,
    #[error("no such moderator in this room")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}
from_diesel!(CoModeratorError);

/// `POST /api/v1/rooms/{slug}/moderators`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewModerator {
    /// How the audit log and the owner page name them; blank or absent: `Moderator <n>`.
    pub label: Option<String>,
}

/// A co-moderator as the owner sees them (never their token: it is shown once, at creation).
#[derive(Debug, Clone, Serialize)]
pub struct ModeratorView {
    pub id: u64,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
pub struct ModeratorList {
    /// The active ones, oldest first.
    pub moderators: Vec<ModeratorView>,
}

/// A new co-moderator, with their token and link: shown only this once.
#[derive(Debug, Serialize)]
pub struct CreatedModerator {
    #[serde(flatten)]
    pub moderator: ModeratorView,
    pub token: String,
    /// `<room url>/moderate#<token>`: the token rides in the fragment, never sent to a server.
    pub link: String,
}

/// A moderator link: like the owner link, the token is in the URL fragment, which browsers never
/// send, so it stays out of access logs, proxies and `Referer` headers.
pub fn moderator_link(room_url: &str, token: &str) -> String {
    format!("{room_url}/moderate#{token}")
}

fn view(row: &ModeratorRow) -> ModeratorView {
    ModeratorView {
        id: row.id,
        label: row.label.clone(),
        created_at: clock::from_db(row.created_at),
    }
}

/// The audit log's name for a co-moderator, the same as [`Actor::audit_name`] gives them.
fn audit_target(row: &ModeratorRow) -> String {
    Actor::Moderator {
        id: row.id,
        label: row.label.clone(),
    }
    .audit_name()
}

/// A label as given: trimmed; blank means "pick one" (`None`).
fn parse_label(label: Option<&str>) -> Result<Option<String>, CoModeratorError> {
    let label = label.map(str::trim).unwrap_or_default();
    if label.is_empty() {
        return Ok(None);
    }
    if label.chars().count() > MAX_LABEL_CHARS || tm_core::domain::has_forbidden_char(label, false) {
        return Err(CoModeratorError::InvalidLabel);
    }
    Ok(Some(label.to_owned()))
}

/// The room's active co-moderator whose token `token` is, if any.
pub(crate) async fn find_by_token(
    conn: &mut AsyncMysqlConnection,
    room_id: RoomId,
    token: &str,
) -> Result<Option<ModeratorRow>, DbError> {
    Ok(moderators::table
        .filter(moderators::token_hash.eq(secrets::sha256_hex(token)))
        .filter(moderators::room_id.eq(room_id))
        .filter(moderators::revoked_at.is_null())
        .select(ModeratorRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

impl CoModerators<'_> {
    /// The room and who asks, if they may manage its co-moderators (the owner or an admin).
    async fn managed_room(&self, slug: &str, bearer: Option<&str>) -> Result<(RoomRow, Actor), CoModeratorError> {
        let mut conn = self.conn().await?;
        let room = find_by_slug(&mut conn, slug)
            .await?
            .ok_or(CoModeratorError::RoomNotFound)?;
        let actor = self
            .rooms()
            .permit_on(&mut conn, &room, bearer, Capability::Manage)
            .await?
            .ok_or(CoModeratorError::NotOwner)?;
        Ok((room, actor))
    }

    /// Adds a co-moderator to an open or paused room; their token and link are in the answer
    /// only. Written to the audit log (`add_moderator`).
    #[tracing::instrument(skip(self, bearer, req))]
    pub async fn create(
        &self,
        slug: &str,
        bearer: Option<&str>,
        req: NewModerator,
    ) -> Result<CreatedModerator, CoModeratorError> {
        let label = parse_label(req.label.as_deref())?;
        let (room, actor) = self.managed_room(slug, bearer).await?;
        let (token, token_hash) = secrets::new_owner_token();
        let room_id = room.id;
        let mut conn = self.conn().await?;
        let row = conn
            .transaction::<_, CoModeratorError, _>(async move |conn| {
                let room = event_log::lock_room(conn, room_id)
                    .await?
                    .ok_or(CoModeratorError::RoomNotFound)?;
                if room.state == RoomState::Closed {
                    return Err(CoModeratorError::Closed);
                }
                let active: i64 = moderators::table
                    .filter(moderators::room_id.eq(room_id))
                    .filter(moderators::revoked_at.is_null())
                    .count()
                    .get_result(conn)
                    .await?;
                if active >= MAX_MODERATORS {
                    return Err(CoModeratorError::TooMany);
                }
                let label = match label {
                    Some(label) => label,
                    None => {
                        // Counting the revoked ones too: "Moderator 2" in the log stays one person.
                        let ever: i64 = moderators::table
                            .filter(moderators::room_id.eq(room_id))
                            .count()
                            .get_result(conn)
                            .await?;
                        format!("Moderator {}", ever + 1)
                    }
                };
                diesel::insert_into(moderators::table)
                    .values((
                        moderators::room_id.eq(room_id),
                        moderators::label.eq(&label),
                        moderators::token_hash.eq(&token_hash),
                        moderators::created_at.eq(clock::now()),
                    ))
                    .execute(conn)
                    .await?;
                let row: ModeratorRow = moderators::table
                    .filter(moderators::token_hash.eq(&token_hash))
                    .select(ModeratorRow::as_select())
                    .first(conn)
                    .await?;
                audit(conn, room_id, &actor, "add_moderator", &audit_target(&row)).await?;
                Ok(row)
            })
            .await?;
        tracing::info!(room_id, moderator_id = row.id, "co-moderator added");
        let link = moderator_link(&self.rooms().view(&room).url, &token);
        Ok(CreatedModerator {
            moderator: view(&row),
            token,
            link,
        })
    }

    /// The room's active co-moderators, oldest first (owner or admin).
    pub async fn list(&self, slug: &str, bearer: Option<&str>) -> Result<ModeratorList, CoModeratorError> {
        let (room, _) = self.managed_room(slug, bearer).await?;
        Ok(ModeratorList {
            moderators: self.co_moderators().active(&room).await?,
        })
    }

    /// The active co-moderators of a room whose owner was already checked (the owner page).
    pub async fn active(&self, room: &RoomRow) -> Result<Vec<ModeratorView>, DbError> {
        let rows: Vec<ModeratorRow> = moderators::table
            .filter(moderators::room_id.eq(room.id))
            .filter(moderators::revoked_at.is_null())
            .order(moderators::id.asc())
            .select(ModeratorRow::as_select())
            .load(&mut self.conn().await?)
            .await?;
        Ok(rows.iter().map(view).collect())
    }

    /// Revokes a co-moderator: their token is refused from now on. Revoking twice changes
    /// nothing; the first is written to the audit log (`revoke_moderator`).
    #[tracing::instrument(skip(self, bearer))]
    pub async fn revoke(&self, slug: &str, bearer: Option<&str>, id: u64) -> Result<(), CoModeratorError> {
        let (room, actor) = self.managed_room(slug, bearer).await?;
        let room_id = room.id;
        let mut conn = self.conn().await?;
        conn.transaction::<_, CoModeratorError, _>(async move |conn| {
            event_log::lock_room(conn, room_id)
                .await?
                .ok_or(CoModeratorError::RoomNotFound)?;
            let row: ModeratorRow = moderators::table
                .filter(moderators::id.eq(id))
                .filter(moderators::room_id.eq(room_id))
                .select(ModeratorRow::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or(CoModeratorError::NotFound)?;
            if row.revoked_at.is_some() {
                return Ok(());
            }
            diesel::update(moderators::table.find(row.id))
                .set(moderators::revoked_at.eq(clock::now()))
                .execute(conn)
                .await?;
            audit(conn, room_id, &actor, "revoke_moderator", &audit_target(&row)).await?;
            tracing::info!(room_id, moderator_id = row.id, "co-moderator revoked");
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_blank_means_default_and_bad_ones_are_refused() {
        assert_eq!(parse_label(Some("  Ada ")).unwrap().as_deref(), Some("Ada"));
        assert_eq!(parse_label(Some("   ")).unwrap(), None);
        assert_eq!(parse_label(None).unwrap(), None);
        assert!(parse_label(Some(&"x".repeat(MAX_LABEL_CHARS))).is_ok());
        for bad in [
            "x".repeat(MAX_LABEL_CHARS + 1),
            "evil\u{202E}".to_owned(),
            "a\nb".to_owned(),
        ] {
            assert!(
                matches!(parse_label(Some(&bad)), Err(CoModeratorError::InvalidLabel)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_link_carries_the_token_in_the_fragment() {
        assert_eq!(
            moderator_link("https://tm.example/r/physics", "t0k"),
            "https://tm.example/r/physics/moderate#t0k"
        );
    }
}
