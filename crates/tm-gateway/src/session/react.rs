//! A `react` frame: one live reaction, checked against the room's emoji and state, limited per
//! socket, then counted by the hub (which broadcasts the room's counts once a second).
//!
//! Paused and closed rooms refuse reactions like posts (`room_paused`, `room_closed`): a pause
//! quiets the room, and the projector shows reactions as prominently as messages.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};

use super::{End, Session};
use crate::hub::ReactionRefusal;
use crate::protocol::ErrorCode;

/// Reactions a socket may send per second, sustained.
const REACTIONS_PER_SECOND: f64 = 5.0;
/// Reactions a socket may send at once after a pause (a few quick taps).
const REACTION_BURST: f64 = 10.0;
/// A socket over its budget hears `slow_down` at most this often; the rest is dropped silently
/// (answering every dropped tap would cost more than counting it).
const SLOW_DOWN_EVERY: Duration = Duration::from_secs(1);

/// A socket's reaction budget: a token bucket, plus when it last heard `slow_down`.
#[derive(Debug)]
pub(super) struct ReactionBudget {
    tokens: f64,
    refilled_at: Instant,
    warned_at: Option<Instant>,
}

/// What to do with a reaction over budget.
#[derive(Debug, PartialEq, Eq)]
enum Spent {
    Ok,
    /// Dropped; tell the client to slow down.
    Warn,
    /// Dropped silently (it was told within the last second).
    Drop,
}

impl ReactionBudget {
    pub(super) fn new(now: Instant) -> Self {
        ReactionBudget {
            tokens: REACTION_BURST,
            refilled_at: now,
            warned_at: None,
        }
    }

    fn spend(&mut self, now: Instant) -> Spent {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * REACTIONS_PER_SECOND).min(REACTION_BURST);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Spent::Ok;
        }
        if self
            .warned_at
            .is_some_and(|at| now.saturating_duration_since(at) < SLOW_DOWN_EVERY)
        {
            return Spent::Drop;
        }
        self.warned_at = Some(now);
        Spent::Warn
    }
}

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    pub(super) async fn react(&mut self, emoji: &str) -> Result<(), End> {
        let Some(joined) = &mut self.joined else {
            return self.error(ErrorCode::NotJoined, "join a room first", None).await;
        };
        let room = joined.claims.room_id;
        // The budget is checked after the room's rules (in the hub), so a refused reaction
        // spends nothing; the hub counts only what the budget allows, hence the two steps.
        let (code, message) = match self.ctx.hub.reaction_allowed(room, emoji).err() {
            Some(ReactionRefusal::NotOffered) => (ErrorCode::InvalidReaction, "this room does not offer that reaction"),
            Some(ReactionRefusal::Paused) => (ErrorCode::RoomPaused, "the room is paused"),
            Some(ReactionRefusal::Closed) => (ErrorCode::RoomClosed, "the room is closed"),
            None => match joined.reactions.spend(Instant::now()) {
                Spent::Ok => {
                    self.ctx.hub.count_reaction(room, emoji);
                    return Ok(());
                }
                Spent::Drop => return Ok(()),
                Spent::Warn => (ErrorCode::SlowDown, "too many reactions: at most 5 a second"),
            },
        };
        self.error(code, message, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_five_a_second_and_one_slow_down_a_second() {
        let start = Instant::now();
        let mut budget = ReactionBudget::new(start);
        let spent: Vec<Spent> = (0..15).map(|_| budget.spend(start)).collect();
        assert_eq!(spent.iter().filter(|s| **s == Spent::Ok).count(), 10, "the burst");
        assert_eq!(spent[10], Spent::Warn);
        assert!(spent[11..].iter().all(|s| *s == Spent::Drop), "one warning a second");

        let later = start + Duration::from_millis(600);
        let spent: Vec<Spent> = (0..4).map(|_| budget.spend(later)).collect();
        assert_eq!(
            spent,
            [Spent::Ok, Spent::Ok, Spent::Ok, Spent::Drop],
            "3 refilled in 0.6 s"
        );
        let second = start + Duration::from_millis(1100);
        assert_eq!(budget.spend(second), Spent::Ok, "0.5 s more refilled 2.5");
        assert_eq!(budget.spend(second), Spent::Ok);
        assert_eq!(budget.spend(second), Spent::Warn, "a second after the last warning");
    }
}
