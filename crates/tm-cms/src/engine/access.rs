//! Who may read and post in a room (docs/protocol.md: "password rooms are private on every route").
//!
//! A room without a password is open to everyone. A password room needs a credential of that
//! room: its owner token (or the admin API token), or a join token the CMS signed for it (from
//! `/join`, so the password was given). The same rule holds for the JSON API, the pages (which
//! also accept their cookies, see `web::context`) and the gateway (which joins exactly the room
//! its token names).

use tm_core::JoinClaims;

use super::rooms::{Actor, RoomError};
use super::Gatekeeper;
use crate::engine::db::models::RoomRow;
use crate::engine::db::DbError;

/// What a caller's credential makes them in one room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The owner token (or the admin API token).
    Owner(Actor),
    /// A join token of this room: its claims carry the participant's identity.
    Member(JoinClaims),
    /// No credential (or one that proves nothing) in a room without a password.
    Public,
}

impl Access {
    /// The participant id a join token vouches for, if the caller presented one.
    pub fn participant_id(&self) -> Option<&str> {
        match self {
            Access::Member(claims) => Some(&claims.participant_id),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no such room")]
    NotFound,
    #[error("this room needs its password: send a join token of this room or the owner token")]
    PasswordRequired,
    #[error("this token belongs to another room")]
    NotMember,
    #[error("the token is not valid (expired or malformed): join the room again")]
    InvalidToken,
    #[error("this needs a join token of the room (POST /api/v1/rooms/{{slug}}/join) as bearer")]
    TokenRequired,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<RoomError> for AccessError {
    fn from(err: RoomError) -> Self {
        match err {
            RoomError::Db(e) => AccessError::Db(e),
            _ => AccessError::NotFound,
        }
    }
}

impl Gatekeeper<'_> {
    /// The claims of a join token this CMS signed, if it is intact and not expired.
    pub fn join_claims(&self, token: &str) -> Option<JoinClaims> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        JoinClaims::verify(token, self.access().join_token_key(), now).ok()
    }

    /// What `bearer` makes its holder in `room`:
    /// - the owner (or admin) token → [`Access::Owner`];
    /// - a join token of this room → [`Access::Member`];
    /// - a join token of another room → [`AccessError::NotMember`];
    /// - nothing, or a token that proves nothing → [`Access::Public`] in a room without a
    ///   password, [`AccessError::PasswordRequired`] in a password room.
    pub fn check(&self, room: &RoomRow, bearer: Option<&str>) -> Result<Access, AccessError> {
        if let Some(actor) = self.rooms().authorize(room, bearer) {
            return Ok(Access::Owner(actor));
        }
        if let Some(claims) = bearer.and_then(|token| self.access().join_claims(token)) {
            return if claims.room_id == room.id {
                Ok(Access::Member(claims))
            } else {
                Err(AccessError::NotMember)
            };
        }
        if room.password_hash.is_some() {
            Err(AccessError::PasswordRequired)
        } else {
            Ok(Access::Public)
        }
    }

    /// The room a caller may read: anyone for a room without a password (a bearer token is
    /// not needed there and not looked at), members and the owner for a password room.
    pub async fn readable_room(&self, slug: &str, bearer: Option<&str>) -> Result<RoomRow, AccessError> {
        let room = self.rooms().find(slug).await?;
        if room.password_hash.is_some() {
            self.access().check(&room, bearer)?;
        }
        Ok(room)
    }

    /// Who casts a vote in `room`: the participant of a join token of the room, or the owner.
    /// Votes count once per person, so unlike reads and posts there is no anonymous voter.
    pub fn voter(&self, room: &RoomRow, bearer: Option<&str>) -> Result<String, AccessError> {
        match self.access().check(room, bearer)? {
            Access::Member(claims) => Ok(claims.participant_id),
            Access::Owner(actor) => Ok(format!("{}:", actor.audit_name())),
            Access::Public if bearer.is_some() => Err(AccessError::InvalidToken),
            Access::Public => Err(AccessError::TokenRequired),
        }
    }

    /// The room a caller may post in, and who they are there. Unlike reads, a bearer token
    /// that proves nothing is refused in every room: its holder meant to post as someone.
    pub async fn postable_room(&self, slug: &str, bearer: Option<&str>) -> Result<(RoomRow, Access), AccessError> {
        let room = self.rooms().find(slug).await?;
        let access = self.access().check(&room, bearer)?;
        if access == Access::Public && bearer.is_some() {
            return Err(AccessError::InvalidToken);
        }
        Ok((room, access))
    }
}
