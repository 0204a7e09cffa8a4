//! What a socket's frames do: `join` (verify the token, subscribe, replay), `post` (check, then
//! publish as a confirmed `post.submit`), `ping`; and answering posts once the broker confirms.

use std::time::Instant;

use futures_util::stream::FuturesUnordered;
use futures_util::SinkExt;
use time::OffsetDateTime;
use tm_core::event::{Envelope, RoomHeadRequest};
use tm_core::JoinClaims;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::react::ReactionBudget;
use super::{bounded, check_post, Draft, End, Joined, PostResult, Rejection, Session};
use crate::hub::{outbox, reaction_set_of, JoinOutcome, RoomPolicy};
use crate::protocol::{ClientFrame, ErrorCode, ServerFrame};

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    pub(super) async fn received(&mut self, incoming: Option<Result<Message, WsError>>) -> Result<(), End> {
        let message = match incoming {
            None => return Err(End::Gone),
            Some(Err(WsError::Capacity(_))) => return Err(End::TooBig),
            Some(Err(WsError::Utf8(_))) => return Err(End::NotUtf8),
            Some(Err(_)) => return Err(End::Gone),
            Some(Ok(message)) => message,
        };
        self.last_heard = Instant::now();
        match message {
            // Boxed: what a client asks for (a join, a post) needs far more state than waiting
            // does, and a socket spends nearly all its life waiting.
            Message::Text(text) => Box::pin(self.text(&text)).await,
            Message::Binary(_) => Box::pin(self.error(ErrorCode::InvalidMessage, "frames are JSON text", None)).await,
            Message::Close(_) => Err(End::Gone),
            // Pongs to client pings are queued by the WebSocket layer itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(()),
        }
    }

    async fn text(&mut self, text: &str) -> Result<(), End> {
        match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => self.handle(frame).await,
            Err(err) => self.error(ErrorCode::InvalidMessage, &err.to_string(), None).await,
        }
    }

    async fn handle(&mut self, frame: ClientFrame) -> Result<(), End> {
        match frame {
            ClientFrame::Ping => self.send(ServerFrame::Pong.to_message()).await,
            ClientFrame::React { emoji } => self.react(&emoji).await,
            ClientFrame::Join { token, since } => self.join(&token, since).await,
            ClientFrame::Post {
                nickname,
                body,
                client_id,
            } => {
                self.post(Draft {
                    nickname: &nickname,
                    body: &body,
                    client_id,
                })
                .await
            }
        }
    }

    #[tracing::instrument(skip_all, fields(room, since))]
    async fn join(&mut self, token: &str, since: Option<u64>) -> Result<(), End> {
        let secret = self.ctx.settings.tokens.secret.expose().as_bytes();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = match JoinClaims::verify(token, secret, now) {
            Ok(claims) => claims,
            Err(err) => return self.error(ErrorCode::InvalidToken, &err.to_string(), None).await,
        };
        tracing::Span::current()
            .record("room", claims.room_id)
            .record("since", since);
        // Leave any previous room; a fresh queue so none of its frames follow the new `joined`.
        self.joined = None;
        let (outbox, inbox) = outbox(self.ctx.settings.ws.outbound_frames);
        self.inbox = Some(inbox);
        let participant = Some(claims.participant_id.as_str());
        let mut joined = self
            .ctx
            .hub
            .join_as(claims.room_id, since, outbox.clone(), participant, false);
        if matches!(joined.outcome, JoinOutcome::HeadUnknown) {
            let known = self.learn_head(claims.room_id, &mut joined).await;
            // Without an answer (no CMS consuming right now) `since` is trusted as before;
            // the per-subscriber rule still resets the socket on the next event after a gap.
            joined = self.ctx.hub.join_as(claims.room_id, since, outbox, participant, !known);
        }
        let (seq, replay) = match joined.outcome {
            JoinOutcome::Reset { seq } => {
                self.ctx.metrics.resets.inc();
                return self.send(ServerFrame::Reset { seq }.to_message()).await;
            }
            JoinOutcome::Live { seq, replay } => (seq, replay),
            JoinOutcome::HeadUnknown => unreachable!("a join that trusts `since` always answers"),
        };
        // A room new to this gateway: live events flow once its binding is in place.
        let mut bound = joined.bound;
        let wait = self.ctx.settings.rooms.bind_wait();
        if tokio::time::timeout(wait, bound.wait_for(|b| *b)).await.is_err() {
            tracing::warn!("room binding not confirmed in time; joining anyway");
        }
        tracing::debug!(seq, replayed = replay.len(), "joined");
        let room = claims.slug.as_str();
        let greeting = [
            ServerFrame::Joined { room, seq }.to_message(),
            ServerFrame::Presence { count: joined.presence }.to_message(),
        ];
        let ws = &mut self.ws;
        let write = async move {
            for frame in greeting.into_iter().chain(replay) {
                ws.feed(frame).await?;
            }
            ws.flush().await
        };
        bounded(self.inbox.as_ref(), write).await?;
        if let Some(set) = reaction_set_of(&claims.reactions) {
            self.ctx.hub.learn_reaction_set(claims.room_id, set);
        }
        self.joined = joined.membership.map(|m| Joined {
            claims,
            _membership: m,
            reactions: ReactionBudget::new(Instant::now()),
        });
        Ok(())
    }

    /// A room this gateway does not follow yet (or no longer trusts after a broker outage):
    /// once its binding is in place, asks the CMS for the room's head (`room.head.request`;
    /// one ask serves every joiner waiting) and waits for the `room.head`. True once known.
    async fn learn_head(&mut self, room: tm_core::event::RoomId, joined: &mut crate::hub::Joined) -> bool {
        let wait = self.ctx.settings.rooms.bind_wait();
        if tokio::time::timeout(wait, joined.bound.wait_for(|b| *b)).await.is_err() {
            tracing::warn!("room binding not confirmed in time; asking for the head anyway");
        }
        if self.ctx.hub.head_request_due(room, wait) {
            let request = Envelope::new(crate::SERVICE, RoomHeadRequest { room_id: room });
            if let Err(err) = self.ctx.publisher.publish(&request).await {
                tracing::warn!(error = %err, "room.head.request not confirmed by the broker");
            }
        }
        let known = tokio::time::timeout(wait, joined.head_known.wait_for(|k| *k))
            .await
            .is_ok_and(|r| r.is_ok());
        if known {
            self.ctx.metrics.heads_learned.inc();
        } else {
            self.ctx.metrics.heads_missing.inc();
            tracing::warn!("no room.head within the wait; trusting the client's since");
        }
        known
    }

    #[tracing::instrument(skip_all, fields(client_id = %draft.client_id))]
    async fn post(&mut self, draft: Draft<'_>) -> Result<(), End> {
        let client_id = Some(draft.client_id);
        let Some(joined) = &self.joined else {
            return self.error(ErrorCode::NotJoined, "join a room first", client_id).await;
        };
        if self.posts.as_ref().map_or(0, FuturesUnordered::len) >= self.ctx.settings.ws.posts_in_flight {
            return self
                .error(ErrorCode::SlowDown, "too many posts waiting", client_id)
                .await;
        }
        let now = Instant::now();
        let room = joined.claims.room_id;
        let policy = RoomPolicy {
            known_muted: self.ctx.hub.known_muted(room, &joined.claims.participant_id),
            ..self.ctx.hub.policy(room)
        };
        let participant = joined.claims.participant_id.as_str();
        let last_post = self.ctx.hub.last_post(room, participant);
        let checked = check_post(&joined.claims, policy, last_post, now, draft).and_then(|command| {
            // Last, so a post refused for another reason spends nothing.
            match self.ctx.post_budget.spend(self.client, now) {
                Ok(()) => Ok(command),
                Err(wait) => Err(Rejection::address_budget(wait)),
            }
        });
        let command = match checked {
            Ok(command) => command,
            Err(rejection) => {
                self.ctx.metrics.posts_rejected.inc();
                return self.error(rejection.code, &rejection.message, client_id).await;
            }
        };
        self.ctx.hub.note_post(room, participant, now);
        let publisher = self.ctx.publisher.clone();
        let envelope = Envelope::new(crate::SERVICE, command);
        let id = draft.client_id;
        self.posts
            .get_or_insert_with(FuturesUnordered::new)
            .push(Box::pin(async move { (id, publisher.publish(&envelope).await) }));
        Ok(())
    }

    pub(super) async fn confirmed(&mut self, (client_id, result): PostResult) -> Result<(), End> {
        match result {
            Ok(()) => {
                self.ctx.metrics.posts_accepted.inc();
                self.send(ServerFrame::Accepted { client_id }.to_message()).await
            }
            Err(err) => {
                self.ctx.metrics.posts_unavailable.inc();
                tracing::warn!(error = %err, %client_id, "post not confirmed by the broker");
                let message = "the post could not be queued; try again";
                self.error(ErrorCode::Unavailable, message, Some(client_id)).await
            }
        }
    }
}
