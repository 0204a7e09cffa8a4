//! Join tokens for browsers whose access the page cookies already prove.

use time::OffsetDateTime;
use tm_core::join_token::{JoinClaims, Role};

use crate::db::models::RoomRow;
use crate::engine::join::{JoinError, JoinResponse};
use crate::engine::Engine;

/// Signs a token for `row` without asking for the password again.
pub fn issue(engine: &Engine, row: &RoomRow, owner: bool, participant_id: String) -> Result<JoinResponse, JoinError> {
    let expires_at =
        OffsetDateTime::now_utc() + time::Duration::seconds(i64::from(engine.settings.join.ttl_secs as u32));
    let claims = JoinClaims {
        room_id: row.id,
        slug: row.slug.clone(),
        role: if owner { Role::Owner } else { Role::Participant },
        participant_id: participant_id.clone(),
        max_length: row.max_length,
        exp: expires_at.unix_timestamp(),
    };
    let token = claims
        .sign(engine.settings.join.secret.expose().as_bytes())
        .map_err(anyhow::Error::from)?;
    Ok(JoinResponse {
        token,
        gateway_url: engine.settings.http.gateway_url.clone(),
        expires_at,
        role: if owner { "owner" } else { "participant" }.to_owned(),
        participant_id,
    })
}
