//! One WebSocket, from upgrade to close.
//!
//! A single task per socket `select!`s over: the drain signal, its queue's overflow signal,
//! frames the hub queued, posts waiting for the broker's confirm, frames from the client, and a
//! ping timer. Writes are batched (everything queued, then one flush) and bounded by a timeout,
//! so a client that stops reading is closed rather than holding memory.

mod handle;
mod post;

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::FuturesUnordered;
use futures_util::{Future, SinkExt, StreamExt};
use tm_bus::PublishError;
use tm_core::JoinClaims;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use post::{check as check_post, Draft, Rejection};

use crate::context::Context;
use crate::hub::{outbox, Inbox, Membership, Outgoing};
use crate::protocol::{ErrorCode, ServerFrame};

/// A write (or batch of writes) that takes longer than this means the client stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames written between two flushes at most.
const BATCH: usize = 64;
/// How long our close frame gets to get through, behind whatever the client has not read yet.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long we then wait for the client's answering close.
const CLOSE_ANSWER: Duration = Duration::from_secs(1);

type PostResult = (Uuid, Result<(), PublishError>);
type PendingPost = Pin<Box<dyn Future<Output = PostResult> + Send>>;

/// Why a session ends, and so how the socket is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The client closed or the connection broke: nothing more to send.
    Gone,
    /// Draining for a restart: 1001, reconnect elsewhere.
    Draining,
    /// The client read too slowly: 1013.
    TooSlow,
    /// Oversized frame: 1008.
    TooBig,
    /// A text frame that is not UTF-8: 1007.
    NotUtf8,
    /// No frame from the client within the idle timeout.
    Idle,
}

struct Joined {
    claims: JoinClaims,
    _membership: Membership,
}

struct Session<S> {
    ctx: Arc<Context>,
    ws: WebSocketStream<S>,
    inbox: Inbox,
    joined: Option<Joined>,
    posts: FuturesUnordered<PendingPost>,
    last_heard: Instant,
    last_post: Option<Instant>,
}

/// A write to the client, given up if it takes too long or if the hub finds the socket's queue
/// full meanwhile (both mean the client does not read fast enough).
async fn bounded(overflow: &CancellationToken, write: impl Future<Output = Result<(), WsError>>) -> Result<(), End> {
    tokio::select! {
        biased;
        _ = overflow.cancelled() => Err(End::TooSlow),
        result = tokio::time::timeout(WRITE_TIMEOUT, write) => match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::TooSlow),
        },
    }
}

/// Serves one upgraded socket until it ends, then closes it with the fitting code.
pub async fn run<S>(ws: WebSocketStream<S>, ctx: Arc<Context>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // No room yet: an inbox nobody sends to.
    let (_, inbox) = outbox(1);
    let mut session = Session {
        ctx,
        ws,
        inbox,
        joined: None,
        posts: FuturesUnordered::new(),
        last_heard: Instant::now(),
        last_post: None,
    };
    let end = session.serve().await;
    tracing::debug!(?end, "socket ends");
    session.close(end).await;
}

/// Closes a socket at once with a policy code (used for a refused origin).
pub async fn refuse<S>(mut ws: WebSocketStream<S>, code: CloseCode, reason: &'static str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, ws.close(Some(frame))).await;
}

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async fn serve(&mut self) -> End {
        let mut ping = tokio::time::interval(self.ctx.settings.ws.ping_interval());
        ping.reset();
        loop {
            let step = tokio::select! {
                biased;
                _ = self.ctx.drain.cancelled() => Err(End::Draining),
                _ = self.inbox.overflow.cancelled() => Err(End::TooSlow),
                Some(item) = self.inbox.rx.recv() => self.forward(item).await,
                Some(done) = self.posts.next(), if !self.posts.is_empty() => self.confirmed(done).await,
                incoming = self.ws.next() => self.received(incoming).await,
                _ = ping.tick() => self.keepalive().await,
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Writes a queued frame and whatever else is queued behind it, then flushes once.
    async fn forward(&mut self, first: Outgoing) -> Result<(), End> {
        let overflow = self.inbox.overflow.clone();
        let mut item = Some(first);
        let mut batch = 0;
        let write = async {
            while let Some(next) = item.take() {
                let frame = match next {
                    Outgoing::Frame(frame) => frame,
                    Outgoing::Leave(frame) => {
                        self.joined = None;
                        frame
                    }
                };
                self.ws.feed(frame).await?;
                batch += 1;
                if batch < BATCH {
                    item = self.inbox.rx.try_recv().ok();
                }
            }
            self.ws.flush().await
        };
        bounded(&overflow, write).await
    }

    /// Sends one frame now.
    async fn send(&mut self, frame: Message) -> Result<(), End> {
        let overflow = self.inbox.overflow.clone();
        bounded(&overflow, self.ws.send(frame)).await
    }

    async fn error(&mut self, code: ErrorCode, message: &str, client_id: Option<Uuid>) -> Result<(), End> {
        self.send(
            ServerFrame::Error {
                code,
                message,
                client_id,
            }
            .to_message(),
        )
        .await
    }

    async fn keepalive(&mut self) -> Result<(), End> {
        if self.last_heard.elapsed() >= self.ctx.settings.ws.idle_timeout() {
            return Err(End::Idle);
        }
        self.send(Message::Ping(Default::default())).await
    }

    async fn close(mut self, end: End) {
        let (code, reason) = match end {
            End::Gone => return,
            End::Draining => (CloseCode::Away, "going away"),
            End::TooSlow => {
                self.ctx.metrics.slow_clients_closed.inc();
                (CloseCode::Again, "too slow: reconnect and resume")
            }
            End::TooBig => (CloseCode::Policy, "frame too large"),
            End::NotUtf8 => (CloseCode::Invalid, "text frame is not UTF-8"),
            End::Idle => (CloseCode::Away, "idle"),
        };
        self.joined = None;
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        // Our close may queue behind frames the client has not read yet: give it time to get
        // out, then a moment for the client's answer, and never more.
        if let Ok(Ok(())) = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.close(Some(frame))).await {
            let _ = tokio::time::timeout(CLOSE_ANSWER, async { while let Some(Ok(_)) = self.ws.next().await {} }).await;
        }
    }
}
