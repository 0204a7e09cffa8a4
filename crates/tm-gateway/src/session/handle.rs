//! What a socket's frames do: `join` (verify the token, subscribe, replay), `post` (check, then
//! publish as a confirmed `post.submit`), `ping`; and answering posts once the broker confirms.

use std::time::Instant;

use futures_util::stream::FuturesUnordered;
use futures_util::SinkExt;
use tm_core::event::Envelope;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::react::ReactionBudget;
use super::subscribe::{self, Subscribed};
use super::{bounded, check_post, Draft, End, Joined, PostResult, Rejection, Session};
use crate::hub::RoomPolicy;
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

    async fn join(&mut self, token: &str, since: Option<u64>) -> Result<(), End> {
        let claims = match subscribe::verify(&self.ctx, token) {
            Ok(claims) => claims,
            Err(err) => return self.error(ErrorCode::InvalidToken, &err.to_string(), None).await,
        };
        // Leave any previous room, and its queue, so none of its frames follow the new `joined`.
        self.joined = None;
        self.inbox = None;
        let subscription = match subscribe::subscribe(&self.ctx, claims, since).await {
            Subscribed::Live(subscription) => subscription,
            Subscribed::Reset { seq } => return self.send(ServerFrame::Reset { seq }.to_message()).await,
        };
        self.inbox = Some(subscription.inbox);
        let ws = &mut self.ws;
        let greeting = subscription.greeting;
        let write = async move {
            for frame in greeting {
                ws.feed(frame).await?;
            }
            ws.flush().await
        };
        bounded(self.inbox.as_ref(), write).await?;
        let claims = subscription.claims;
        self.joined = subscription.membership.map(|m| Joined {
            claims,
            _membership: m,
            reactions: ReactionBudget::new(Instant::now()),
        });
        Ok(())
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
