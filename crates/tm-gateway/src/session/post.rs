//! A `post` frame becomes a `post.submit` command, or an error the client can act on.
//!
//! The gateway refuses what it can judge alone (nickname and body rules, the room's length limit
//! from the join token, a paused or closed room, slow mode, a poster the CMS refused as muted
//! lately, the per-address budget) before it answers `accepted`, so that every post it can tell
//! is doomed gets an `error` instead of an `accepted` followed by a `rejected`. The rules are
//! the CMS's (tm-cms `engine/posting.rs`), owner included: the owner has no exemption on either
//! side, so the gateway never accepts what the CMS will refuse for that reason. The CMS judges
//! everything again, and what it refuses after `accepted` reaches the poster as `rejected`.

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tm_core::event::{PostSubmit, RoomState};
use tm_core::{JoinClaims, MessageBody, Nickname, ValidationError};
use uuid::Uuid;

use crate::hub::RoomPolicy;
use crate::protocol::ErrorCode;

/// Why a post was refused before it reached the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: ErrorCode,
    pub message: String,
}

impl Rejection {
    /// The client's address has posted its budget (`ws.posts_per_address_per_minute`).
    pub fn address_budget(wait: Duration) -> Self {
        let wait = wait.as_secs().max(1);
        Rejection::new(
            ErrorCode::SlowDown,
            format!("too many posts from this address: wait {wait} s"),
        )
    }

    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

impl From<ValidationError> for Rejection {
    fn from(err: ValidationError) -> Self {
        let code = match err {
            ValidationError::BodyEmpty => ErrorCode::BodyEmpty,
            ValidationError::BodyTooLong { .. } => ErrorCode::BodyTooLong,
            ValidationError::InvalidNickname => ErrorCode::InvalidNickname,
            _ => ErrorCode::InvalidBody,
        };
        Rejection::new(code, err.to_string())
    }
}

/// One post as the client sent it.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub nickname: &'a str,
    pub body: &'a str,
    pub client_id: Uuid,
}

/// Checks a post against the token, the room's known state and the participant's last post in
/// the room (through this gateway).
pub fn check(
    claims: &JoinClaims,
    policy: RoomPolicy,
    last_post: Option<Instant>,
    now: Instant,
    draft: Draft<'_>,
) -> Result<PostSubmit, Rejection> {
    let nickname = Nickname::parse(draft.nickname)?;
    let max_chars = usize::try_from(claims.max_length).unwrap_or(usize::MAX);
    let body = MessageBody::parse(draft.body, max_chars)?;
    // Same order as the CMS: room state, then mute, then slow mode.
    match policy.state {
        Some(RoomState::Closed) => return Err(Rejection::new(ErrorCode::RoomClosed, "the room is closed")),
        Some(RoomState::Paused) => return Err(Rejection::new(ErrorCode::RoomPaused, "the room is paused")),
        _ => {}
    }
    if policy.known_muted {
        return Err(Rejection::new(ErrorCode::Muted, "you are muted in this room"));
    }
    let slow = Duration::from_secs(u64::from(policy.slow_mode_seconds));
    if let Some(last) = last_post.filter(|_| !slow.is_zero()) {
        let waited = now.saturating_duration_since(last);
        if waited < slow {
            let wait = (slow - waited).as_secs().max(1);
            return Err(Rejection::new(ErrorCode::SlowDown, format!("slow mode: wait {wait} s")));
        }
    }
    Ok(PostSubmit {
        room_id: claims.room_id,
        nickname: nickname.into_string(),
        participant_id: claims.participant_id.clone(),
        body: body.into_string(),
        client_id: draft.client_id,
        received_at: OffsetDateTime::now_utc(),
    })
}

#[cfg(test)]
mod tests {
    use tm_core::Role;

    use super::*;

    fn claims(role: Role) -> JoinClaims {
        JoinClaims {
            room_id: 7,
            slug: "physics-101".into(),
            role,
            participant_id: "p-1".into(),
            max_length: 10,
            exp: i64::MAX,
            reactions: Vec::new(),
        }
    }

    fn draft(body: &str) -> Draft<'_> {
        Draft {
            nickname: "ada",
            body,
            client_id: Uuid::nil(),
        }
    }

    fn code(result: Result<PostSubmit, Rejection>) -> ErrorCode {
        result.unwrap_err().code
    }

    #[test]
    fn a_valid_post_becomes_a_command_for_the_tokens_room_and_participant() {
        let now = Instant::now();
        let post = check(
            &claims(Role::Participant),
            RoomPolicy::default(),
            None,
            now,
            draft(" hi "),
        )
        .unwrap();
        assert_eq!((post.room_id, post.participant_id.as_str()), (7, "p-1"));
        assert_eq!((post.nickname.as_str(), post.body.as_str()), ("ada", "hi"));
    }

    #[test]
    fn refuses_what_the_room_would_refuse() {
        let now = Instant::now();
        let p = claims(Role::Participant);
        let open = RoomPolicy::default();
        assert_eq!(
            code(check(&p, open, None, now, draft("far too long a post"))),
            ErrorCode::BodyTooLong
        );
        assert_eq!(code(check(&p, open, None, now, draft("   "))), ErrorCode::BodyEmpty);
        let bad_nick = Draft {
            nickname: "",
            ..draft("hi")
        };
        assert_eq!(code(check(&p, open, None, now, bad_nick)), ErrorCode::InvalidNickname);
        let paused = RoomPolicy {
            state: Some(RoomState::Paused),
            ..open
        };
        assert_eq!(code(check(&p, paused, None, now, draft("hi"))), ErrorCode::RoomPaused);
        let closed = RoomPolicy {
            state: Some(RoomState::Closed),
            ..open
        };
        assert_eq!(code(check(&p, closed, None, now, draft("hi"))), ErrorCode::RoomClosed);
    }

    /// The report: the gateway let the owner post in a paused room and skip slow mode, the CMS
    /// did not, so the owner got `accepted` for posts that were then dropped.
    #[test]
    fn the_owner_has_the_same_rules_as_at_the_cms_no_exemption() {
        let start = Instant::now();
        let slow = RoomPolicy {
            slow_mode_seconds: 30,
            ..RoomPolicy::default()
        };
        let p = claims(Role::Participant);
        let soon = start + Duration::from_secs(10);
        assert_eq!(
            code(check(&p, slow, Some(start), soon, draft("hi"))),
            ErrorCode::SlowDown
        );
        assert!(check(&p, slow, Some(start), start + Duration::from_secs(30), draft("hi")).is_ok());
        let owner = claims(Role::Owner);
        assert_eq!(
            code(check(&owner, slow, Some(start), soon, draft("hi"))),
            ErrorCode::SlowDown
        );
        let paused = RoomPolicy {
            state: Some(RoomState::Paused),
            ..RoomPolicy::default()
        };
        assert_eq!(
            code(check(&owner, paused, None, soon, draft("hi"))),
            ErrorCode::RoomPaused
        );
        let closed = RoomPolicy {
            state: Some(RoomState::Closed),
            ..RoomPolicy::default()
        };
        assert_eq!(
            code(check(&owner, closed, None, soon, draft("hi"))),
            ErrorCode::RoomClosed
        );
    }

    #[test]
    fn a_poster_the_cms_refused_as_muted_is_refused_before_accepted() {
        let muted = RoomPolicy {
            known_muted: true,
            ..RoomPolicy::default()
        };
        let now = Instant::now();
        assert_eq!(
            code(check(&claims(Role::Participant), muted, None, now, draft("hi"))),
            ErrorCode::Muted
        );
    }
}
