//! Join tokens: after checking the room's password (rate-limited against guessing), the CMS
//! signs a short-lived token the gateway trusts without asking the database.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tm_core::event::RoomState;
use tm_core::{JoinClaims, Role};

use super::access::{Access, AccessError};
use super::rooms::RoomError;
use super::Gatekeeper;
use crate::engine::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("no such room")]
    NotFound,
    #[error("the room is closed")]
    Closed,
    #[error("this room needs a password")]
    PasswordRequired,
    #[error("wrong password")]
    WrongPassword,
    #[error("this token belongs to another room")]
    NotMember,
    #[error("too many attempts; try again in {0} s")]
    TooManyAttempts(u64),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RoomError> for JoinError {
    fn from(err: RoomError) -> Self {
        match err {
            RoomError::NotFound => JoinError::NotFound,
            RoomError::Db(e) => JoinError::Db(e),
            other => JoinError::Unexpected(anyhow::Error::new(other)),
        }
    }
}

/// `POST /api/v1/rooms/{slug}/join`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct JoinResponse {
    pub token: String,
    pub gateway_url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// `participant` or `owner`.
    pub role: String,
    pub participant_id: String,
}

impl Gatekeeper<'_> {
    /// The shared secret join tokens are signed under (shared with the gateways; tm-core's
    /// `JoinClaims` derives the join-token key from it).
    pub(crate) fn join_token_key(&self) -> &[u8] {
        self.settings.join.secret.expose().as_bytes()
    }

    #[tracing::instrument(skip(self, req, bearer))]
    pub async fn join(
        &self,
        slug: &str,
        req: JoinRequest,
        bearer: Option<&str>,
        participant_id: String,
        client_ip: &str,
    ) -> Result<JoinResponse, JoinError> {
        let room = self.rooms().find(slug).await?;
        if room.state == RoomState::Closed {
            return Err(JoinError::Closed);
        }
        // The owner token lets its holder in; a join token of this room renews itself (same
        // participant, same role) without the password; one of another room is refused.
        match self.access().check(&room, bearer) {
            Ok(Access::Owner(_)) => return self.access().issue_join_token(&room, true, participant_id),
            Ok(Access::Member(claims)) => {
                return self
                    .access()
                    .issue_join_token(&room, claims.role == Role::Owner, claims.participant_id)
            }
            Err(AccessError::NotMember) => return Err(JoinError::NotMember),
            Ok(Access::Public) | Err(_) => {}
        }
        if let Some(stored) = room.password_hash.clone() {
            let password = req
                .password
                .filter(|p| !p.is_empty())
                .ok_or(JoinError::PasswordRequired)?;
            self.limiters
                .join_attempt(client_ip, room.id)
                .map_err(|wait| JoinError::TooManyAttempts(wait.as_secs().max(1)))?;
            if !self.passwords.verify(password, stored).await {
                return Err(JoinError::WrongPassword);
            }
        }
        self.access().issue_join_token(&room, false, participant_id)
    }

    /// Signs a join token for `room` once the caller's access is established (password given,
    /// owner token, or a page cookie proving either).
    pub fn issue_join_token(
        &self,
        room: &crate::engine::db::models::RoomRow,
        owner: bool,
        participant_id: String,
    ) -> Result<JoinResponse, JoinError> {
        let role = if owner { Role::Owner } else { Role::Participant };
        let expires_at = OffsetDateTime::now_utc() + time::Duration::seconds(self.settings.join.ttl_secs as i64);
        let claims = JoinClaims {
            room_id: room.id,
            slug: room.slug.clone(),
            role,
            participant_id: participant_id.clone(),
            max_length: room.max_length,
            exp: expires_at.unix_timestamp(),
            reactions: room.reactions.to_strings(),
        };
        let token = claims
            .sign(self.access().join_token_key())
            .map_err(anyhow::Error::from)?;
        Ok(JoinResponse {
            token,
            gateway_url: self.settings.http.gateway_url.clone(),
            expires_at,
            role: if owner { "owner" } else { "participant" }.to_owned(),
            participant_id,
        })
    }
}
