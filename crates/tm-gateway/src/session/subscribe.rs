//! Joining a room, whatever the transport: a `join` frame on a WebSocket and a `GET /sse`
//! request both end up here, so both get the same head check, replay, `reset` and live queue.

use std::sync::Arc;

use time::OffsetDateTime;
use tm_core::event::{Envelope, RoomHeadRequest, RoomId, Seq};
use tm_core::{JoinClaims, JoinTokenError};
use tokio_tungstenite::tungstenite::Message;

use crate::context::Context;
use crate::hub::{outbox, reaction_set_of, Inbox, JoinOutcome, Membership};
use crate::protocol::ServerFrame;

/// A client subscribed to its room: what to send first, then what its queue receives.
pub(crate) struct Subscription {
    pub(crate) claims: JoinClaims,
    /// The room's frames for this client, in order, from the moment it joined.
    pub(crate) inbox: Inbox,
    /// Its place in the room (leaving is dropping it); `None` only in the rare case the hub
    /// answered live without subscribing.
    pub(crate) membership: Option<Membership>,
    /// `joined`, `presence`, then the replay from `since` (and recent `rejected` frames of the
    /// token's participant): to be written before anything from `inbox`.
    pub(crate) greeting: Vec<Message>,
}

/// The answer to a join.
pub(crate) enum Subscribed {
    Live(Subscription),
    /// The gateway cannot replay from `since`: the client fetches `/events` from the CMS and
    /// joins again. Not subscribed.
    Reset {
        seq: Seq,
    },
}

/// Checks a join token at the current time.
pub(crate) fn verify(ctx: &Context, token: &str) -> Result<JoinClaims, JoinTokenError> {
    let secret = ctx.settings.tokens.secret.expose().as_bytes();
    JoinClaims::verify(token, secret, OffsetDateTime::now_utc().unix_timestamp())
}

/// Subscribes the holder of `claims` to its room from `since` (live only without one). May
/// wait (at most `rooms.bind_wait_ms`, twice) for the room's binding and head on a room new
/// to this gateway.
#[tracing::instrument(skip_all, fields(room = claims.room_id, since))]
pub(crate) async fn subscribe(ctx: &Arc<Context>, claims: JoinClaims, since: Option<Seq>) -> Subscribed {
    let (outbox, inbox) = outbox(ctx.settings.ws.outbound_frames);
    let participant = Some(claims.participant_id.as_str());
    let mut joined = ctx
        .hub
        .join_as(claims.room_id, since, outbox.clone(), participant, false);
    if matches!(joined.outcome, JoinOutcome::HeadUnknown) {
        let known = learn_head(ctx, claims.room_id, &mut joined).await;
        // Without an answer (no CMS consuming right now) `since` is trusted as before;
        // the per-subscriber rule still resets the client on the next event after a gap.
        joined = ctx.hub.join_as(claims.room_id, since, outbox, participant, !known);
    }
    let (seq, replay) = match joined.outcome {
        JoinOutcome::Reset { seq } => {
            ctx.metrics.resets.inc();
            return Subscribed::Reset { seq };
        }
        JoinOutcome::Live { seq, replay } => (seq, replay),
        JoinOutcome::HeadUnknown => unreachable!("a join that trusts `since` always answers"),
    };
    // A room new to this gateway: live events flow once its binding is in place.
    let wait = ctx.settings.rooms.bind_wait();
    if tokio::time::timeout(wait, joined.bound.wait_for(|b| *b)).await.is_err() {
        tracing::warn!("room binding not confirmed in time; joining anyway");
    }
    tracing::debug!(seq, replayed = replay.len(), "joined");
    let mut greeting = Vec::with_capacity(2 + replay.len());
    greeting.push(
        ServerFrame::Joined {
            room: &claims.slug,
            seq,
        }
        .to_message(),
    );
    greeting.push(ServerFrame::Presence { count: joined.presence }.to_message());
    greeting.extend(replay);
    if let Some(set) = reaction_set_of(&claims.reactions) {
        ctx.hub.learn_reaction_set(claims.room_id, set);
    }
    Subscribed::Live(Subscription {
        claims,
        inbox,
        membership: joined.membership,
        greeting,
    })
}

/// A room this gateway does not follow yet (or no longer trusts after a broker outage):
/// once its binding is in place, asks the CMS for the room's head (`room.head.request`;
/// one ask serves every joiner waiting) and waits for the `room.head`. True once known.
async fn learn_head(ctx: &Context, room: RoomId, joined: &mut crate::hub::Joined) -> bool {
    let wait = ctx.settings.rooms.bind_wait();
    if tokio::time::timeout(wait, joined.bound.wait_for(|b| *b)).await.is_err() {
        tracing::warn!("room binding not confirmed in time; asking for the head anyway");
    }
    if ctx.hub.head_request_due(room, wait) {
        let request = Envelope::new(crate::SERVICE, RoomHeadRequest { room_id: room });
        if let Err(err) = ctx.publisher.publish(&request).await {
            tracing::warn!(error = %err, "room.head.request not confirmed by the broker");
        }
    }
    let known = tokio::time::timeout(wait, joined.head_known.wait_for(|k| *k))
        .await
        .is_ok_and(|r| r.is_ok());
    if known {
        ctx.metrics.heads_learned.inc();
    } else {
        ctx.metrics.heads_missing.inc();
        tracing::warn!("no room.head within the wait; trusting the client's since");
    }
    known
}
